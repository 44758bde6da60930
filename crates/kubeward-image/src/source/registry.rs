//! Images from a registry (OCI Distribution), through `oci-client`.
//!
//! Credentials come from a docker `config.json` (the one named, else `$DOCKER_CONFIG` or
//! `~/.docker/config.json`; credential helpers as docker runs them), anonymous when it has none
//! for the registry; `oci-client` answers bearer-token challenges. TLS is rustls with the
//! system's roots plus a CA file when given; plain HTTP only for the hosts listed as insecure.
//! An image index is resolved to the platform here (not by `oci-client`), as for layouts.
//!
//! Blobs are pulled into the cache directory by digest (`<cache>/sha256/<hex>`, compressed as
//! pulled): written to a temporary file beside, verified, then renamed into place, so a blob
//! in the cache is whole. They are never unpacked. Without a cache directory a temporary one
//! lives as long as the image.

use super::oci::{
    self, Descriptor, Fetch, MAX_JSON, MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_INDEX,
    MT_OCI_MANIFEST,
};
use super::{image_error, BlobRef, Blobs, Image, Platform};
use crate::digest::{read_bounded, short, Digest, VerifyingReader};
use crate::model::{CatalogError, Note};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach registries. `platform` also selects the image of a multi-platform OCI layout or
/// archive.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// A docker `config.json` with the credentials (`auths`, `credsStore`, `credHelpers`);
    /// `None`: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, when present.
    pub config_path: Option<PathBuf>,
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Registries (`host[:port]`, as in the reference) reached over plain HTTP.
    pub insecure_hosts: Vec<String>,
    /// Where blobs are cached by digest; `None`: a temporary directory for this image only.
    pub cache_dir: Option<PathBuf>,
    /// `os/arch[/variant]`; `None`: linux/amd64 (a single-platform image is taken whatever
    /// its platform).
    pub platform: Option<Platform>,
}

const ACCEPT: &[&str] = &[
    MT_OCI_INDEX,
    MT_DOCKER_LIST,
    MT_OCI_MANIFEST,
    MT_DOCKER_MANIFEST,
];

/// An error and its causes, on one line (reqwest's own message leaves out why a connection
/// failed).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Runs a future to completion on the image's runtime; from inside another runtime (the CLI's),
/// on a thread of its own, as a runtime cannot block inside another.
fn block<F>(rt: &tokio::runtime::Runtime, f: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .expect("registry thread panicked")
        })
    } else {
        rt.block_on(f)
    }
}

/// The credentials for `registry` (`host[:port]`), and a note when they cannot be used.
fn credentials(
    options: &RegistryOptions,
    registry: &str,
) -> Result<(RegistryAuth, Option<String>), String> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    let server = match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        r => r,
    };
    let got = match &options.config_path {
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| format!("docker config {}: {e}", p.display()))?;
            docker_credential::get_credential_from_reader(io::BufReader::new(f), server)
        }
        None => docker_credential::get_credential(server),
    };
    match got {
        Ok(DockerCredential::UsernamePassword(u, p)) => Ok((RegistryAuth::Basic(u, p), None)),
        Ok(DockerCredential::IdentityToken(_)) => Ok((
            RegistryAuth::Anonymous,
            Some(format!("the docker config holds an identity token for {registry}, which is not supported; pulled anonymously")),
        )),
        Err(E::NoCredentialConfigured) | Err(E::ConfigNotFound) => Ok((RegistryAuth::Anonymous, None)),
        Err(E::ConfigReadError) if options.config_path.is_none() => Ok((RegistryAuth::Anonymous, None)),
        Err(E::HelperFailure { helper, .. }) => Err(format!("credential helper {helper} failed for {registry}")),
        Err(e) => Err(format!("credentials for {registry}: {e}")),
    }
}

/// The certificates of a PEM bundle, one by one.
fn pem_certificates(pem: &[u8]) -> Vec<Certificate> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(b) = rest.find(BEGIN) {
        let Some(e) = rest[b..].find(END) else { break };
        let block = &rest[b..b + e + END.len()];
        out.push(Certificate {
            encoding: CertificateEncoding::Pem,
            data: format!("{block}\n").into_bytes(),
        });
        rest = &rest[b + e + END.len()..];
    }
    out
}

struct Remote {
    /// Always `Some` but in `drop`.
    rt: Option<tokio::runtime::Runtime>,
    client: Client,
    reference: Reference,
    auth: RegistryAuth,
}

impl Drop for Remote {
    /// The image may be dropped inside another runtime (the CLI's), where dropping a runtime
    /// the ordinary way panics.
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Remote {
    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("runtime until drop")
    }

    fn manifest_raw(&self, reference: &Reference) -> Result<(Vec<u8>, Digest), String> {
        let (body, _) = block(
            self.rt(),
            self.client.pull_manifest_raw(reference, &self.auth, ACCEPT),
        )
        .map_err(|e| match e {
            oci_client::errors::OciDistributionError::UnauthorizedError { url } => {
                let with = if matches!(self.auth, RegistryAuth::Anonymous) {
                    "anonymously"
                } else {
                    "with the configured credentials"
                };
                format!("not authorized (HTTP 401) {with}: {url}")
            }
            e => chain(&e),
        })?;
        if body.len() as u64 > MAX_JSON {
            return Err(format!("manifest larger than {MAX_JSON} bytes"));
        }
        let digest = Digest::of(&body);
        if let Some(want) = reference.digest() {
            if want != digest.as_str() {
                return Err(format!(
                    "manifest digest mismatch: asked for {}, got {digest}",
                    short(want)
                ));
            }
        }
        Ok((body.to_vec(), digest))
    }

    fn descriptor(d: &Digest, media_type: &str, size: Option<u64>) -> OciDescriptor {
        OciDescriptor {
            media_type: media_type.to_string(),
            digest: d.to_string(),
            size: size.map(|s| s as i64).unwrap_or(0),
            ..Default::default()
        }
    }
}

struct RegistryFetch<'a> {
    remote: &'a Remote,
    top: Option<(Digest, Vec<u8>)>,
}

impl Fetch for RegistryFetch<'_> {
    fn manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String> {
        let digest = desc.digest()?;
        if let Some((d, bytes)) = &self.top {
            if *d == digest {
                return Ok(bytes.clone());
            }
        }
        let r = self.remote.reference.clone_with_digest(digest.to_string());
        let (bytes, got) = self
            .remote
            .manifest_raw(&r)
            .map_err(|e| format!("manifest {digest}: {e}"))?;
        if got != digest {
            return Err(format!("manifest {digest}: digest mismatch (got {got})"));
        }
        Ok(bytes)
    }

    fn config(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String> {
        let digest = desc.digest()?;
        if desc.size < 0 || desc.size as u64 > MAX_JSON {
            return Err(format!(
                "image config {digest}: size {} out of range",
                desc.size
            ));
        }
        let mut buf: Vec<u8> = Vec::new();
        let od = Remote::descriptor(&digest, &desc.media_type, desc.size());
        block(
            self.remote.rt(),
            self.remote
                .client
                .pull_blob(&self.remote.reference, &od, &mut buf),
        )
        .map_err(|e| format!("image config {digest}: {}", chain(&e)))?;
        let mut v = VerifyingReader::new(&buf[..], digest.clone(), desc.size(), "image config");
        read_bounded(&mut v, MAX_JSON, "image config")
            .map_err(|e| format!("image config {digest}: {e}"))
    }
}

/// A registry's blobs through the cache directory.
struct RegistryBlobs {
    remote: Remote,
    cache: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// Media type and size of each layer, for the pull.
    layers: HashMap<Digest, (String, Option<u64>)>,
}

impl RegistryBlobs {
    fn cached(&self, d: &Digest) -> PathBuf {
        self.cache.join("sha256").join(d.hex())
    }

    /// Pulls a blob into the cache: a temporary file in the cache, verified as it streams (by
    /// oci-client, and read back here), synced, renamed into place.
    fn pull(&self, d: &Digest) -> io::Result<PathBuf> {
        let dest = self.cached(d);
        let dir = dest.parent().expect("cache path has a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new().prefix(".pull-").tempfile_in(dir)?;
        let (media_type, size) = self.layers.get(d).cloned().unwrap_or_default();
        let od = Remote::descriptor(d, &media_type, size);
        let file = tokio::fs::File::from_std(tmp.reopen()?);
        block(self.remote.rt(), async {
            let mut file = file;
            self.remote
                .client
                .pull_blob(&self.remote.reference, &od, &mut file)
                .await?;
            use tokio::io::AsyncWriteExt;
            file.flush().await?;
            file.sync_all().await?;
            Ok::<(), oci_client::errors::OciDistributionError>(())
        })
        .map_err(|e| io::Error::other(format!("pulling blob {d}: {}", chain(&e))))?;
        let mut check = VerifyingReader::new(
            std::fs::File::open(tmp.path())?,
            d.clone(),
            size,
            "pulled blob",
        );
        io::copy(&mut check, &mut io::sink())?;
        tmp.persist(&dest).map_err(|e| e.error)?;
        Ok(dest)
    }
}

impl Blobs for RegistryBlobs {
    fn open(&self, blob: &BlobRef) -> io::Result<Box<dyn Read + Send + '_>> {
        let BlobRef::Digest(d) = blob else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "a registry has no tar members",
            ));
        };
        let path = self.cached(d);
        let path = if path.is_file() { path } else { self.pull(d)? };
        let f = std::fs::File::open(&path)?;
        Ok(Box::new(io::BufReader::with_capacity(256 << 10, f)))
    }

    /// A cached blob that failed to read whole (digest, size, decompression) is removed, so
    /// the next run pulls it again.
    fn evict(&self, blob: &BlobRef) {
        if let BlobRef::Digest(d) = blob {
            let _ = std::fs::remove_file(self.cached(d));
        }
    }
}

pub(crate) fn open_registry(
    reference: &str,
    name: &str,
    options: &RegistryOptions,
) -> Result<Image, CatalogError> {
    let err = |m: String| image_error(name, m);
    let reference: Reference = reference
        .parse()
        .map_err(|e| err(format!("not an image reference: {e}")))?;
    let registry = reference.registry().to_string();
    let (auth, note) = credentials(options, &registry).map_err(err)?;

    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ClientConfig {
        protocol: if options.insecure_hosts.is_empty() {
            ClientProtocol::Https
        } else {
            ClientProtocol::HttpsExcept(options.insecure_hosts.clone())
        },
        platform_resolver: None,
        connect_timeout: Some(Duration::from_secs(15)),
        read_timeout: Some(Duration::from_secs(120)),
        ..Default::default()
    };
    if let Some(ca) = &options.ca_file {
        let pem = std::fs::read(ca).map_err(|e| err(format!("CA file {}: {e}", ca.display())))?;
        let certs = pem_certificates(&pem);
        if certs.is_empty() {
            return Err(err(format!(
                "CA file {} holds no PEM certificate",
                ca.display()
            )));
        }
        config.extra_root_certificates = certs;
    }
    let client = Client::try_from(config)
        .map_err(|e| err(format!("cannot set up the registry client: {}", chain(&e))))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| err(format!("cannot start the registry client's runtime: {e}")))?;
    let remote = Remote {
        rt: Some(rt),
        client,
        reference: reference.clone(),
        auth,
    };

    let (top_bytes, top_digest) = remote
        .manifest_raw(&reference)
        .map_err(|e| err(format!("manifest: {e}")))?;
    let media_type = match oci::sniff("", &top_bytes).map_err(|e| err(format!("manifest: {e}")))? {
        oci::Kind::Index => MT_OCI_INDEX,
        oci::Kind::Manifest => MT_OCI_MANIFEST,
    };
    let top = Descriptor {
        media_type: media_type.to_string(),
        digest: top_digest.to_string(),
        size: top_bytes.len() as i64,
        platform: None,
        annotations: None,
    };
    let mut fetch = RegistryFetch {
        remote: &remote,
        top: Some((top_digest, top_bytes)),
    };
    let resolved = oci::resolve(&mut fetch, vec![top], options.platform.as_ref()).map_err(err)?;

    let (cache, tmp) = match &options.cache_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("kubeward-blobs-")
                .tempdir()
                .map_err(|e| err(format!("cannot make a blob cache: {e}")))?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let mut layers = HashMap::new();
    for l in &resolved.manifest.layers {
        if let Ok(d) = l.digest() {
            layers.insert(d, (l.media_type.clone(), l.size()));
        }
    }
    let blobs = RegistryBlobs {
        remote,
        cache,
        _tmp: tmp,
        layers,
    };
    let mut image = oci::image_from(name, resolved, Box::new(blobs))?;
    if let Some(n) = note {
        image.notes.push(Note {
            path: None,
            message: n,
        });
    }
    Ok(image)
}
