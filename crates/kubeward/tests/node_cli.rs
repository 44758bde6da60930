//! `kubeward node` and `kubeward scan` of static pod manifests, through the binary: exit
//! codes, formats and flags. Hosts are temporary directories with an empty proc directory,
//! so no process of the machine is seen (kubeward-node's own tests start real processes).

use std::path::Path;

use assert_cmd::Command;

fn host(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proc")).unwrap();
    for (path, text) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    dir
}

const SCHEDULER: &str = "apiVersion: v1
kind: Pod
metadata: {name: kube-scheduler, namespace: kube-system}
spec:
  containers:
  - name: kube-scheduler
    image: registry.k8s.io/kube-scheduler:v1.32.0
    command:
    - kube-scheduler
    - --kubeconfig=/etc/kubernetes/scheduler.conf
";

fn node(root: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("kubeward")
        .unwrap()
        .arg("node")
        .arg("--root")
        .arg(root)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn exit_codes_follow_fail_on() {
    let h = host(&[("/etc/kubernetes/manifests/kube-scheduler.yaml", SCHEDULER)]);
    // 1.4.1 (low) and 1.4.2 (medium) fail; nothing above medium does.
    let out = node(h.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["node"]["role"], "master");
    let fails: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "FAIL")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(fails, ["1.4.1", "1.4.2"]);
    let r = &doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "1.4.2")
        .unwrap();
    assert_eq!(r["observed"], "--bind-address not set (default 0.0.0.0)");
    assert_eq!(r["location"], serde_json::Value::Null);
    assert_eq!(
        node(h.path(), &["--fail-on", "medium"]).status.code(),
        Some(1)
    );
    assert_eq!(
        node(h.path(), &["--fail-on", "high"]).status.code(),
        Some(0)
    );
    // A worker: section 4 only, and nothing there fails without a kubelet.
    let out = node(h.path(), &["--role", "worker", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn formats() {
    let h = host(&[("/etc/kubernetes/manifests/kube-scheduler.yaml", SCHEDULER)]);
    let out = node(h.path(), &["--format", "text"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[INFO] 1.4 Scheduler\n[FAIL] 1.4.1 Ensure that the --profiling argument is set to false (Automated)\n"), "{text}");
    assert!(text.contains("\n== Summary ==\n"));
    assert!(!text.contains('\x1b'), "no colour off a terminal");
    let out = node(h.path(), &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    let out = node(h.path(), &["--format", "junit"]);
    let junit = String::from_utf8(out.stdout).unwrap();
    assert!(junit.starts_with("<?xml"));
    assert_eq!(junit.matches("<failure ").count(), 2);
    // --output writes the file, not standard output.
    let report = h.path().join("report.json");
    let out = node(
        h.path(),
        &["--format", "json", "--output", report.to_str().unwrap()],
    );
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(doc["benchmark"]["name"], "cis-1.12");
    let out = node(h.path(), &["--format", "json", "--benchmark", "cis-1.10"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["benchmark"]["name"], "cis-1.10");
}

#[test]
fn usage_and_input_errors_exit_2() {
    let h = host(&[
        ("/etc/kubernetes/manifests/kube-scheduler.yaml", SCHEDULER),
        (
            "/etc/kubernetes/manifests/broken.yaml",
            "apiVersion: v1\nkind: Pod\nspec: [\n",
        ),
    ]);
    let out = node(h.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("kubeward: error: /etc/kubernetes/manifests/broken.yaml:3:"),
        "{err}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[FAIL] 1.4.1"), "the rest is still checked");
    for bad in [
        vec!["--benchmark", "cis-9.9"],
        vec!["--role", "boss"],
        vec!["--fail-on", "severe"],
        vec!["--format", "yaml"],
    ] {
        assert_eq!(node(h.path(), &bad).status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(node(&h.path().join("missing"), &[]).status.code(), Some(2));
}

#[test]
fn scan_checks_static_pod_manifests_with_the_same_data() {
    let h = host(&[("/etc/kubernetes/manifests/kube-scheduler.yaml", SCHEDULER)]);
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(h.path().join("etc/kubernetes/manifests"))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "KW922")
        .map(|f| {
            (
                f["message"].as_str().unwrap(),
                f["location"]["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert!(ours[0].0.starts_with(
        "CIS 1.4.1 (cis-1.12): --profiling not set (default true); expected --profiling: false."
    ));
    assert_eq!(ours[0].1, "spec.containers[0].command");
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["explain", "KW920"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("CIS Kubernetes Benchmark: 1.2.2, 1.2.4"),
        "{text}"
    );
}
