//! No output of kubeward may contain a credential, not even an error message (issue 13, D02).
//!
//! Credential-looking values are seeded into every kind of field the loaders read: well-typed
//! credential fields (env values, args, ConfigMap and Secret data), wrong-typed fields that the
//! shape checks report (a string or an integer where the other is expected, a string where a
//! mapping is expected, map values of labels and annotations), broken documents (syntax
//! errors, invalid UTF-8, control characters, an oversized document) and node configuration.
//! Then every format of every command that reads manifests runs over them, and no seed may
//! appear in its standard output or standard error.

use std::path::Path;

use assert_cmd::Command;

/// Values that must never be printed. Each is unique, so a hit names the leaking field.
const SEEDS: &[&str] = &[
    "envPw-Jk8Df2Gs6Lq0",
    "739184625501",
    "wtEnv-Qa1Ws2Ed3",
    "cmdPw-Zx9Cv8Bn7Ma",
    "ruPw-Hy6Tg5Rf4Ed",
    "918273645546",
    "564738291029",
    "cmPw-Po0Iu9Yt8Re",
    "c2VjcmV0UHctQWExQmIyQ2My",
    "sdPw-Lk4Jh3Gf2Ds",
    "cpPw-Lo9Ki8Ju7Hy",
    "hpPw-Mn3Bv4Cx5Za",
    "synPw-Qa2Ws3Ed4R",
    "utfPw-Rf5Tg6Yh7U",
    "ctlPw-Uj8Ik9Ol0P",
    "lblPw-Az1Sx2Dc3F",
    "nodePw-Vf4Bg5Nh6",
    "kubPw-Mj7Nh8Bg9V",
    "829374650192",
];

fn manifests() -> Vec<(&'static str, Vec<u8>)> {
    let workload = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {app: web, tier: 918273645546}
  annotations: {note: 564738291029, other: [lblPw-Az1Sx2Dc3F]}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--password=cmdPw-Zx9Cv8Bn7Ma", 829374650192]
        env:
        - name: DB_PASSWORD
          value: envPw-Jk8Df2Gs6Lq0
        - name: PIN_PASSWORD
          value: 739184625501
        - "API_PASSWORD=wtEnv-Qa1Ws2Ed3"
        ports:
        - containerPort: cpPw-Lo9Ki8Ju7Hy
        securityContext:
          runAsUser: ruPw-Hy6Tg5Rf4Ed
      volumes:
      - name: h
        hostPath: hpPw-Mn3Bv4Cx5Za
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: prod}
data:
  DB_PASSWORD: cmPw-Po0Iu9Yt8Re
  app.properties: |
    db.password=cmPw-Po0Iu9Yt8Re
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: prod}
type: Opaque
data: {password: c2VjcmV0UHctQWExQmIyQ2My}
stringData: {token: sdPw-Lk4Jh3Gf2Ds}
---
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: prod}
stringData: [sdPw-Lk4Jh3Gf2Ds]
data: sdPw-Lk4Jh3Gf2Ds
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: web, namespace: 918273645546}]
---
apiVersion: v1
kind: Pod
metadata: {name: broken, annotations: {pw: "synPw-Qa2Ws3Ed4R
"#;
    let mut out = vec![("leak.yaml", workload.as_bytes().to_vec())];
    let mut utf = b"apiVersion: v1\nkind: Secret\nmetadata: {name: u}\nstringData: {pw: \"utfPw-Rf5Tg6Yh7U\xff\"}\n".to_vec();
    utf.extend_from_slice(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {pw: \"ctlPw-Uj8Ik9Ol0P\x07\"}\n");
    out.push(("bytes.yaml", utf));
    out
}

/// The data an HTML report embeds (gzip + base64 in `<script id="kw-data">`), decoded: a
/// search of the page itself would find nothing in the compressed data.
fn html_data(page: &str) -> String {
    use base64::Engine as _;
    use std::io::Read as _;
    let start = page.find("id=\"kw-data\"").expect("the data element");
    let start = start + page[start..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</script>").unwrap();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(page[start..end].trim())
        .expect("base64");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("gzip");
    text
}

fn assert_clean(what: &str, out: &std::process::Output) {
    let mut out = out.clone();
    let page = String::from_utf8_lossy(&out.stdout).to_string();
    if page.starts_with("<!DOCTYPE html>") {
        out.stdout.extend_from_slice(html_data(&page).as_bytes());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.is_empty() || !stderr.is_empty(),
        "{what}: printed nothing at all"
    );
    for seed in SEEDS {
        assert!(
            !stdout.contains(seed) && !stderr.contains(seed),
            "{what}: printed the seeded credential {seed:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn no_command_prints_a_seeded_credential() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in manifests() {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let d = dir.path();
    let mut runs = 0;
    for format in ["text", "json", "sarif", "junit", "html"] {
        for extra in [&[][..], &["--show-suppressed"]] {
            let mut args = vec!["scan", "--no-config", ".", "--format", format];
            args.extend_from_slice(extra);
            let out = run(d, &args);
            // The input errors are reported: the test would pass vacuously otherwise.
            assert_eq!(out.status.code(), Some(2), "scan -f {format}");
            assert_clean(&format!("scan -f {format} {extra:?}"), &out);
            runs += 1;
        }
        let out = run(
            d,
            &[
                "cluster",
                "--no-config",
                "--from-dump",
                "leak.yaml",
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "cluster -f {format}");
        assert_clean(&format!("cluster --from-dump -f {format}"), &out);
        let out = run(d, &["rbac", "risks", "-f", ".", "--format", format]);
        // Not a usage error: the report is written (`rbac risks` has no --no-config).
        assert!(
            !out.stdout.is_empty(),
            "rbac risks -f {format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(&format!("rbac risks -f {format}"), &out);
        runs += 2;
    }
    for args in [
        &["rbac", "who-can", "get", "secrets", "-f", "."][..],
        &["rbac", "can", "ServiceAccount:prod:web", "-f", "."],
        &["rbac", "paths", "-f", ".", "--format", "json"],
    ] {
        let out = run(d, args);
        assert_clean(&args.join(" "), &out);
        runs += 1;
    }
    // Standard input, and a stream too large for one document.
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{pw: kubPw-Mj7Nh8Bg9V, pad: \"{}\"}}\n",
        "x".repeat(4096)
    );
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["scan", "--no-config", "-", "--max-document-size", "1024"])
        .write_stdin(big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean("scan - (oversized)", &out);
    // The HTML scan report embeds the lines around the findings of leak.yaml: the check
    // above is not vacuous.
    let page = run(d, &["scan", "--no-config", "leak.yaml", "--format", "html"]);
    let data = html_data(&String::from_utf8_lossy(&page.stdout));
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    let lines = data["sources"]["leak.yaml"].to_string();
    assert!(
        lines.contains("image: nginx:1.27") && lines.contains("<redacted>"),
        "{lines}"
    );
    assert!(runs >= 20);
}

#[test]
fn node_reports_never_print_seeded_values() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("etc/kubernetes/manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::create_dir_all(dir.path().join("proc")).unwrap();
    std::fs::write(
        manifests.join("kube-apiserver.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.32.0\n    command: [kube-apiserver, 739184625501]\n    env:\n    - {name: TOKEN, value: nodePw-Vf4Bg5Nh6}\n    - 829374650192\n",
    )
    .unwrap();
    std::fs::write(
        manifests.join("etcd.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: etcd, annotations: {pw: \"synPw-Qa2Ws3Ed4R\n",
    )
    .unwrap();
    for format in ["text", "json", "sarif", "junit", "html"] {
        let out = Command::cargo_bin("kubeward")
            .unwrap()
            .arg("node")
            .arg("--root")
            .arg(dir.path())
            .args(["--proc"])
            .arg(dir.path().join("proc"))
            .args(["--format", format])
            .output()
            .unwrap();
        assert_clean(&format!("node -f {format}"), &out);
    }
}
