//! A real registry: Debian's `docker-registry` (Distribution v2) on a loopback port, with TLS
//! (a CA and server certificate made here with rcgen) and htpasswd auth; images pushed with
//! `skopeo copy`, pulled with the crate's registry source. Also wrong credentials (401), an
//! unreachable port, a blob deleted behind the registry's back, and plain HTTP for a host
//! listed as insecure.

#[path = "layered/mod.rs"]
mod common;
use common::*;
use kubeward_image::{RegistryOptions, SourceSpec};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry process, killed (and reaped) on drop.
struct Registry {
    child: Child,
    port: u16,
    storage: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_registry(dir: &Path, tls: Option<(&Path, &Path)>, htpasswd: Option<&Path>) -> Registry {
    let auth = htpasswd.map(|h| {
        format!(
            "auth:\n  htpasswd:\n    realm: kubeward-test\n    path: {}\n",
            h.display()
        )
    });
    start_registry_with(dir, tls, auth)
}

/// The registry with `auth` (the YAML of its `auth:` section) as its authentication.
fn start_registry_with(dir: &Path, tls: Option<(&Path, &Path)>, auth: Option<String>) -> Registry {
    let port = free_port();
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let mut cfg = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: test-secret\n",
        storage.display()
    );
    if let Some((crt, key)) = tls {
        cfg += &format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            crt.display(),
            key.display()
        );
    }
    if let Some(auth) = auth {
        cfg += &auth;
    }
    let cfg_path = dir.join("config.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let log = std::fs::File::create(dir.join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("docker-registry (Debian's docker-registry package; .ci/run installs it)");
    let reg = Registry {
        child,
        port,
        storage,
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the registry did not start: {}",
            std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    reg
}

/// A CA, and a server certificate it signed for 127.0.0.1 and localhost (PEM files in `dir`).
fn make_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "kubeward test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, &ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = params.signed_by(&key, &issuer).unwrap();
    let ca_path = dir.join("ca.crt");
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    let crt = dir.join("server.crt");
    let key_path = dir.join("server.key");
    std::fs::write(&crt, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca_path, crt, key_path)
}

fn base64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn docker_config(dir: &Path, name: &str, host: &str, user: &str, pass: &str) -> PathBuf {
    let p = dir.join(name);
    let auth = base64(format!("{user}:{pass}").as_bytes());
    std::fs::write(
        &p,
        serde_json::json!({"auths": {host: {"auth": auth}}}).to_string(),
    )
    .unwrap();
    p
}

/// A layout with a two-platform index tagged `multi` and a single image tagged `single`.
fn make_layout(root: &Path) -> Layout {
    let l = Layout::new(root);
    let base = layer_tar(&[
        E::File("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
        E::File("var/lib/dpkg/status", b"Package: a\n"),
    ]);
    let amd_top = layer_tar(&[E::File("arch", b"amd64"), E::File(".wh.var", b"")]);
    let arm_top = layer_tar(&[E::File("arch", b"arm64")]);
    let amd = l.image(&[base.clone(), amd_top], "gzip", "linux", "amd64", None);
    let arm = l.image(&[base, arm_top], "zstd", "linux", "arm64", Some("v8"));
    let idx = l.index(vec![
        amd.json(Some(("linux", "amd64", None))),
        arm.json(Some(("linux", "arm64", Some("v8")))),
    ]);
    let single = l.image(
        &[
            layer_tar(&[E::File("one", b"1")]),
            layer_tar(&[E::File("two", b"2")]),
            layer_tar(&[E::File("three", b"3")]),
        ],
        "gzip",
        "linux",
        "amd64",
        None,
    );
    let mut e1 = idx.json(None);
    e1["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "multi"});
    let mut e2 = single.json(None);
    e2["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "single"});
    l.set_index_json(vec![e1, e2]);
    l
}

fn pull(reference: &str, opts: &RegistryOptions) -> kubeward_image::Catalog {
    kubeward_image::scan_spec(
        &SourceSpec::Registry(reference.into()),
        opts,
        &[&AllFiles, &Probe],
    )
}

#[test]
fn registry_with_tls_and_htpasswd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca, crt, key) = make_certs(d);
    let htpasswd = d.join("htpasswd");
    std::fs::write(
        &htpasswd,
        run(Command::new("htpasswd").args(["-Bbn", "kw-user", "kw-pass"])),
    )
    .unwrap();
    let reg = start_registry(d, Some((&crt, &key)), Some(&htpasswd));
    let host = format!("127.0.0.1:{}", reg.port);
    let certdir = d.join("certs.d");
    std::fs::create_dir_all(&certdir).unwrap();
    std::fs::copy(&ca, certdir.join("ca.crt")).unwrap();

    let layout = d.join("layout");
    make_layout(&layout);
    for (tag, all) in [("multi", true), ("single", false)] {
        let mut args = vec!["copy", "--dest-creds", "kw-user:kw-pass"];
        let cd = certdir.display().to_string();
        args.extend(["--dest-cert-dir", &cd]);
        if all {
            args.push("--all");
        }
        let src = format!("oci:{}:{tag}", layout.display());
        let dst = format!("docker://{host}/kw/{tag}:v1");
        args.extend([src.as_str(), dst.as_str()]);
        skopeo(&args);
    }

    let cache = d.join("cache");
    let config = docker_config(d, "config.json", &host, "kw-user", "kw-pass");
    let opts = RegistryOptions {
        config_path: Some(config.clone()),
        ca_file: Some(ca.clone()),
        cache_dir: Some(cache.clone()),
        ..Default::default()
    };

    // The index, resolved to the default platform and to arm64.
    let cat = pull(&format!("{host}/kw/multi:v1"), &opts);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    let got = presented(&cat);
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        ["arch", "etc/os-release"]
    );
    assert_eq!(got["arch"], format!("{}:644", sha256_hex(b"amd64")));
    assert_eq!(cat.image.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(cat.os.as_ref().unwrap().id, "debian");
    // Blobs are cached by digest, compressed as pulled.
    for l in &cat.image.layers {
        let p = cache
            .join("sha256")
            .join(l.digest.trim_start_matches("sha256:"));
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(format!("sha256:{}", sha256_hex(&bytes)), l.digest);
        assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    }
    assert!(std::fs::read_dir(cache.join("sha256")).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".pull-")));

    let arm_opts = RegistryOptions {
        platform: Some("linux/arm64".parse().unwrap()),
        ..opts.clone()
    };
    let cat = pull(&format!("{host}/kw/multi:v1"), &arm_opts);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(
        presented(&cat)["arch"],
        format!("{}:644", sha256_hex(b"arm64"))
    );
    assert!(presented(&cat).contains_key("var/lib/dpkg/status"));
    assert_eq!(cat.image.platform.as_deref(), Some("linux/arm64/v8"));
    let arm_digest = cat.image.digest.clone().unwrap();
    // By digest.
    let cat = pull(&format!("{host}/kw/multi@{arm_digest}"), &opts);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(
        presented(&cat)["arch"],
        format!("{}:644", sha256_hex(b"arm64"))
    );
    // A platform the index does not have.
    let cat = pull(
        &format!("{host}/kw/multi:v1"),
        &RegistryOptions {
            platform: Some("linux/ppc64le".parse().unwrap()),
            ..opts.clone()
        },
    );
    assert!(
        cat.errors[0].message.contains("no image for platform"),
        "{:?}",
        cat.errors
    );

    // Wrong credentials: 401, naming the image.
    let bad = docker_config(d, "bad.json", &host, "kw-user", "wrong");
    let reference = format!("{host}/kw/single:v1");
    let cat = pull(
        &reference,
        &RegistryOptions {
            config_path: Some(bad),
            ..opts.clone()
        },
    );
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    assert_eq!(cat.errors[0].image, reference);
    let m = cat.errors[0].message.to_lowercase();
    assert!(
        m.contains("401") || m.contains("unauthorized") || m.contains("authentication"),
        "{}",
        cat.errors[0]
    );
    assert!(!cat.errors[0].message.contains("wrong"));
    // No credentials at all: the same.
    let none = d.join("empty.json");
    std::fs::write(&none, "{}").unwrap();
    let cat = pull(
        &reference,
        &RegistryOptions {
            config_path: Some(none),
            ..opts.clone()
        },
    );
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    // Without the CA: the certificate is refused.
    let cat = pull(
        &reference,
        &RegistryOptions {
            ca_file: None,
            ..opts.clone()
        },
    );
    assert_eq!(cat.errors.len(), 1);
    assert!(
        cat.errors[0].message.to_lowercase().contains("certificate"),
        "{}",
        cat.errors[0]
    );

    // A blob deleted behind the registry's back: that layer is reported, the rest catalogued.
    let fresh = RegistryOptions {
        cache_dir: Some(d.join("cache2")),
        ..opts.clone()
    };
    let cat = pull(&reference, &fresh);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    let gone = cat.image.layers[1].digest.clone();
    let hex = gone.trim_start_matches("sha256:");
    std::fs::remove_file(reg.storage.join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    )))
    .unwrap();
    let fresh = RegistryOptions {
        cache_dir: Some(d.join("cache3")),
        ..opts.clone()
    };
    let cat = pull(&reference, &fresh);
    assert_eq!(
        presented(&cat).keys().cloned().collect::<Vec<_>>(),
        ["one", "three"]
    );
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    assert_eq!(cat.errors[0].layer.as_deref(), Some(gone.as_str()));
    assert!(cat.errors[0].message.contains(&gone), "{}", cat.errors[0]);
    // The blob cached earlier still serves (cache2 has it).
    let cat = pull(
        &reference,
        &RegistryOptions {
            cache_dir: Some(d.join("cache2")),
            ..opts.clone()
        },
    );
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);

    // Unreachable: the registry stopped.
    let port = reg.port;
    drop(reg);
    let cat = pull(&format!("127.0.0.1:{port}/kw/single:v1"), &opts);
    assert_eq!(cat.errors.len(), 1);
    let m = cat.errors[0].message.to_lowercase();
    assert!(
        m.contains("connect") || m.contains("refused"),
        "{}",
        cat.errors[0]
    );
}

#[test]
fn plain_http_only_for_insecure_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let reg = start_registry(d, None, None);
    let host = format!("127.0.0.1:{}", reg.port);
    let layout = d.join("layout");
    make_layout(&layout);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:single", layout.display()),
        &format!("docker://{host}/kw/single:v1"),
    ]);
    let reference = format!("{host}/kw/single:v1");
    let empty = d.join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    let opts = RegistryOptions {
        config_path: Some(empty),
        cache_dir: Some(d.join("cache")),
        ..Default::default()
    };
    // Not listed: HTTPS is tried and fails.
    let cat = pull(&reference, &opts);
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    // Listed: anonymous over HTTP.
    let insecure = RegistryOptions {
        insecure_hosts: vec![host.clone()],
        ..opts
    };
    let cat = pull(&reference, &insecure);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(
        presented(&cat).keys().cloned().collect::<Vec<_>>(),
        ["one", "three", "two"]
    );
    // Called from inside an async runtime (the CLI's): the registry client runs on a thread
    // of its own instead of panicking.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cat = rt.block_on(async {
        let opts = RegistryOptions {
            cache_dir: Some(d.join("cache-async")),
            ..insecure.clone()
        };
        pull(&reference, &opts)
    });
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(presented(&cat).len(), 3);
}

/// A token server standing in for the registry's authorization service (Docker's token
/// authentication specification: the registry answers 401 with a `Bearer realm=...` challenge,
/// the client fetches a JWT from the realm, with Basic credentials when it has them, and
/// retries with it). No real token server is packaged in Debian; this one speaks the protocol
/// over a real socket and signs real ES256 JWTs with a key whose certificate the registry
/// trusts (`rootcertbundle`). It grants the scopes asked to `user`:`pass` and refuses the rest.
struct TokenServer {
    port: u16,
    /// Each token request: (its query, whether it carried the right Basic credentials).
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, bool)>>>,
}

const ISSUER: &str = "kubeward-test-issuer";
const SERVICE: &str = "kubeward-test-registry";

fn start_token_server(dir: &Path, user: &str, pass: &str) -> (TokenServer, PathBuf) {
    use base64::Engine;
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kubeward test token signer");
    let cert = params.self_signed(&key).unwrap();
    let bundle = dir.join("token-signer.crt");
    std::fs::write(&bundle, cert.pem()).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let signer =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der(), &rng)
            .unwrap();
    let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let expected = format!("Basic {}", base64(format!("{user}:{pass}").as_bytes()));
    std::thread::spawn(move || {
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match std::io::Read::read(&mut stream, &mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
            let query = target.split_once('?').map_or("", |(_, q)| q).to_string();
            let authorized = head.lines().any(|l| {
                l.split_once(':').is_some_and(|(k, v)| {
                    k.eq_ignore_ascii_case("authorization") && v.trim() == expected
                })
            });
            seen.lock().unwrap().push((query.clone(), authorized));
            let response = if authorized {
                let access: Vec<serde_json::Value> = query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("scope="))
                    .map(|v| {
                        v.replace("%3A", ":")
                            .replace("%2C", ",")
                            .replace("%2F", "/")
                    })
                    .filter_map(|scope| {
                        let mut parts = scope.splitn(3, ':');
                        let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                        Some(serde_json::json!({"type": kind, "name": name,
                            "actions": actions.split(',').collect::<Vec<_>>()}))
                    })
                    .collect();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "x5c": [x5c]});
                let claims = serde_json::json!({"iss": ISSUER, "sub": "kw-user", "aud": SERVICE,
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", seen.lock().unwrap().len()),
                    "access": access});
                let signing_input = format!(
                    "{}.{}",
                    b64url.encode(header.to_string()),
                    b64url.encode(claims.to_string())
                );
                let signature = signer.sign(&rng, signing_input.as_bytes()).unwrap();
                let token = format!("{signing_input}.{}", b64url.encode(signature.as_ref()));
                let body =
                    serde_json::json!({"token": token, "access_token": token, "expires_in": 300})
                        .to_string();
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            } else {
                let body =
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
                format!("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            };
            let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
        }
    });
    (TokenServer { port, requests }, bundle)
}

/// Bearer-token authentication: the registry delegates to a token server; skopeo pushes with
/// credentials, and the crate pulls with the Docker config's credentials (sent to the token
/// server, whose JWT the registry accepts). Without credentials, or with wrong ones, the pull
/// is an error naming the image; the rest of the work goes on.
#[test]
fn registry_with_bearer_token_auth() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (tokens, bundle) = start_token_server(d, "kw-user", "kw-pass");
    let auth = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
        tokens.port,
        bundle.display()
    );
    let reg = start_registry_with(d, None, Some(auth));
    let host = format!("127.0.0.1:{}", reg.port);
    let layout = d.join("layout");
    make_layout(&layout);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "kw-user:kw-pass",
        &format!("oci:{}:single", layout.display()),
        &format!("docker://{host}/kw/single:v1"),
    ]);
    let reference = format!("{host}/kw/single:v1");
    let pushes = tokens.requests.lock().unwrap().len();
    assert!(pushes > 0, "skopeo went through the token server");

    let opts = |config: PathBuf, cache: &str| RegistryOptions {
        config_path: Some(config),
        insecure_hosts: vec![host.clone()],
        cache_dir: Some(d.join(cache)),
        ..Default::default()
    };
    let good = docker_config(d, "good.json", &host, "kw-user", "kw-pass");
    let cat = pull(&reference, &opts(good, "cache-good"));
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(
        presented(&cat).keys().cloned().collect::<Vec<_>>(),
        ["one", "three", "two"]
    );
    let ours: Vec<(String, bool)> = tokens.requests.lock().unwrap()[pushes..].to_vec();
    assert!(
        ours.iter()
            .any(|(q, ok)| *ok && (q.contains("kw%2Fsingle") || q.contains("kw/single"))),
        "the pull asked the token server for the repository's scope with the credentials: {ours:?}"
    );

    // Wrong credentials and none: refused by the token server, an error naming the image.
    let bad = docker_config(d, "bad.json", &host, "kw-user", "wrong");
    let empty = d.join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    for (config, cache) in [(bad, "cache-bad"), (empty, "cache-anon")] {
        let cat = pull(&reference, &opts(config, cache));
        assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
        let e = cat.errors[0].to_string();
        assert!(e.contains("kw/single"), "{e}");
        assert!(presented(&cat).is_empty());
    }
}
