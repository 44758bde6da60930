//! The command line as users run it: real processes, real files, real pipes.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(repo());
    c
}

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n";

#[test]
fn insecure_example_has_findings_with_exact_locations() {
    kubeward()
        .args(["scan", "examples/insecure", "--color", "never"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("examples/insecure/web.yaml"))
        .stdout(predicate::str::contains(
            "    critical KW101  container \"web\" must not set securityContext.privileged=true\n      --> examples/insecure/web.yaml:31:11\n",
        ))
        .stdout(predicate::str::contains(
            "spec.template.spec.containers[0].securityContext.privileged",
        ));
    // The one-line form.
    kubeward()
        .args(["scan", "examples/insecure", "--color", "never", "--compact"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("31:11   critical KW101"));
}

#[test]
fn stdin_is_read_with_dash() {
    let out = kubeward()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(PRIVILEGED_POD)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "KW101")
        .unwrap();
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 9);
    assert_eq!(f["location"]["column"], 7);
}

#[test]
fn output_file_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let path = dir.path().join(format!("report.{format}"));
        kubeward()
            .args(["scan", "examples/insecure", "--format", format, "--output"])
            .arg(&path)
            .assert()
            .code(1)
            .stdout(predicate::str::is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("KW101"), "{format} report names the control");
        if format == "json" || format == "sarif" {
            serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        }
    }
}

#[test]
fn fail_on_threshold_decides_exit_code() {
    let medium_only = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {capabilities: {drop: [ALL]}}\n";
    kubeward()
        .args(["scan", "-", "--fail-on", "high"])
        .write_stdin(medium_only)
        .assert()
        .code(0);
    kubeward()
        .args(["scan", "-", "--fail-on", "medium"])
        .write_stdin(medium_only)
        .assert()
        .code(1);
}

#[test]
fn bad_input_is_located_and_the_rest_is_scanned() {
    let text = format!("kind: [oops\n---\n{PRIVILEGED_POD}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: q}}\nspec:\n  containers: \"x\"\n");
    let out = kubeward()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(text)
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "KW101"),
        "the good pod is still scanned"
    );
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[1]["line"], 17);
    assert!(errors[1]["message"]
        .as_str()
        .unwrap()
        .contains("spec.containers: expected a list"));
}

#[test]
fn missing_paths_are_input_errors_and_others_still_scan() {
    kubeward()
        .args([
            "scan",
            "no/such/dir",
            "examples/insecure",
            "--color",
            "never",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("no/such/dir"))
        .stdout(predicate::str::contains("cannot read"))
        .stdout(predicate::str::contains("KW101"));
}

#[test]
fn usage_errors_exit_2() {
    kubeward()
        .args(["scan", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format"));
    kubeward()
        .args(["scan", "--fail-on", "severe"])
        .assert()
        .code(2);
    kubeward()
        .args(["scan", "--pss-version", "v2.1"])
        .assert()
        .code(2);
    kubeward().args(["--no-such-flag"]).assert().code(2);
    kubeward().args(["explain", "KW999"]).assert().code(2);
}

#[test]
fn yaml_bomb_is_refused() {
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    bomb.push_str(&format!("---\n{PRIVILEGED_POD}"));
    kubeward()
        .args(["scan", "-", "--color", "never"])
        .write_stdin(bomb)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("alias bomb"))
        .stdout(predicate::str::contains("KW101"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = kubeward()
        .args(["scan", "examples/insecure"])
        .assert()
        .get_output()
        .stdout
        .clone();
    assert!(
        !plain.contains(&0x1b),
        "no escape codes when stdout is not a terminal"
    );
    let coloured = kubeward()
        .args(["scan", "examples/insecure", "--color", "always"])
        .assert()
        .get_output()
        .stdout
        .clone();
    assert!(coloured.contains(&0x1b));
}

#[test]
fn pss_version_selects_the_rules_of_that_version() {
    let probe = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    livenessProbe:\n      httpGet: {host: 10.0.0.1, port: 80}\n";
    kubeward()
        .args(["scan", "-", "--framework", "pss-baseline"])
        .write_stdin(probe)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("KW105"));
    kubeward()
        .args([
            "scan",
            "-",
            "--framework",
            "pss-baseline",
            "--pss-version",
            "v1.33",
        ])
        .write_stdin(probe)
        .assert()
        .code(0);
}

#[test]
fn controls_and_explain() {
    let out = kubeward()
        .args(["controls", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let kw101 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "KW101")
        .unwrap();
    assert_eq!(kw101["frameworks"]["pss"]["check"], "privileged");
    assert!(kw101["documentation"]
        .as_str()
        .unwrap()
        .contains("## How to fix"));
    kubeward()
        .args(["explain", "privileged"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("KW101 privileged-container"))
        .stdout(predicate::str::contains("## Why it matters"));
    kubeward()
        .args(["controls"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("KW101"));
}

/// The controls of issue 17 are in the catalog and explained from their source.
#[test]
fn new_controls_are_listed_and_explained() {
    let out = kubeward()
        .args(["controls", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for (id, name) in [
        ("KW326", "liveness-probe-missing"),
        ("KW327", "readiness-probe-missing"),
        ("KW328", "run-as-user-below-10000"),
        ("KW329", "run-as-group-below-10000"),
        ("KW330", "privileged-port"),
        ("KW331", "ssh-port"),
        ("KW332", "no-linux-hardening"),
        ("KW508", "ingress-snippet-annotation"),
        ("KW509", "ingress-annotation-injection"),
        ("KW925", "kubelet-cis-flags"),
    ] {
        assert!(ids.contains(&id), "{id} listed");
        kubeward()
            .args(["explain", name])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(format!("{id} {name}")))
            .stdout(predicate::str::contains("## How to fix"));
    }
    kubeward()
        .args(["controls"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("KW332"))
        .stdout(predicate::str::contains("KW925"));
}

/// Issue 17's reproducer through the command line: objects without a namespace are in the
/// scan's namespace (`default`, or `-n`), so KW804 reports the unselected worker there.
#[test]
fn namespace_flag_places_objects_without_a_namespace() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-web}\nspec:\n  podSelector: {matchLabels: {app: web}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    metadata: {labels: {app: worker}}\n    spec:\n      containers: [{name: worker, image: busybox:1.36}]\n";
    let kw804 = |extra: &[&str]| -> Vec<serde_json::Value> {
        let out = kubeward()
            .args(["scan", "-", "--format", "json", "--no-config"])
            .args(extra)
            .write_stdin(text)
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "KW804")
            .cloned()
            .collect()
    };
    let found = kw804(&[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["object"]["name"], "worker");
    assert_eq!(found[0]["location"]["line"], 9);
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("namespace \"default\""));
    let found = kw804(&["-n", "shop"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("namespace \"shop\""));
    kubeward()
        .args(["scan", "-", "--namespace", "Not_A_Namespace"])
        .write_stdin(text)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a namespace name"));
}

/// A reader that goes away (`kubeward scan ... | head`) is not an error to report: the scan
/// stops quietly instead of printing "Broken pipe", with the status of a process ended by
/// SIGPIPE (141), as C tools end, so that a cut-short report never passes as clean.
#[test]
fn a_closed_output_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pods.yaml");
    let pods: String = (0..3000)
        .map(|i| format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: a}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n---\n"))
        .collect();
    std::fs::write(&file, pods).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(["scan", "--no-config", "--format", "json"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the report (megabytes) is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
