//! `kubeward rbac` as users run it: real processes, real files, real pipes.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(repo());
    c
}

/// ci/ci creates pods in kube-system, where kube-system/operator is cluster-admin; gateway
/// impersonates groups.
const PATHS: &str = "crates/kubeward-controls/fixtures/KW651/fail.yaml";

fn json_of(args: &[&str], code: i32) -> Value {
    let out = kubeward()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

#[test]
fn who_can_names_subjects_with_rule_and_binding_locations() {
    kubeward()
        .args(["rbac", "who-can", "create", "pods", "-n", "kube-system", "-f", PATHS])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Subjects that may create pods in namespace \"kube-system\": 2"))
        .stdout(predicate::str::contains("ServiceAccount \"ci/ci\""))
        .stdout(predicate::str::contains(
            "ClusterRole \"pod-creator\" (crates/kubeward-controls/fixtures/KW651/fail.yaml:7:3), bound by RoleBinding \"kube-system/ci\" subjects[0].name (crates/kubeward-controls/fixtures/KW651/fail.yaml:22:3)",
        ));
    // Elsewhere only the cluster-wide binding counts.
    let v = json_of(
        &[
            "rbac", "who-can", "create", "pods", "-n", "default", "-f", PATHS, "--format", "json",
        ],
        0,
    );
    let subjects = v["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 1, "{v}");
    assert_eq!(subjects[0]["subject"]["namespace"], "kube-system");
    assert_eq!(subjects[0]["grants"][0]["binding"]["line"], 35);
    assert_eq!(v["request"]["namespace"], "default");
}

#[test]
fn can_checks_one_request_like_kubectl_auth_can_i() {
    kubeward()
        .args([
            "rbac",
            "can",
            "ServiceAccount:ci:ci",
            "create",
            "pods",
            "-n",
            "kube-system",
            "-f",
            PATHS,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("yes: ServiceAccount \"ci/ci\""));
    kubeward()
        .args(["rbac", "can", "sa:ci:ci", "create", "pods", "-f", PATHS])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("no: "));
    let v = json_of(
        &[
            "rbac",
            "can",
            "User:gateway",
            "impersonate",
            "groups",
            "--name",
            "system:masters",
            "-f",
            PATHS,
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(v["allowed"], true);
    assert_eq!(v["grant"]["rule"]["role"]["name"], "impersonator");
}

#[test]
fn can_lists_permissions_risks_and_path() {
    let v = json_of(
        &[
            "rbac",
            "can",
            "ServiceAccount:ci:ci",
            "-f",
            PATHS,
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(v["identity"]["user"], "system:serviceaccount:ci:ci");
    assert_eq!(v["permissions"][0]["scope"]["namespace"], "kube-system");
    let risks: Vec<&str> = v["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["risk"].as_str().unwrap())
        .collect();
    assert_eq!(risks, ["escalation-path", "create-pods"]);
    assert_eq!(v["escalationPath"]["steps"].as_array().unwrap().len(), 2);
}

#[test]
fn paths_in_every_format() {
    let v = json_of(&["rbac", "paths", "-f", PATHS, "--format", "json"], 0);
    let ci = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"]["name"] == "ci")
        .unwrap();
    let steps = ci["steps"].as_array().unwrap();
    assert_eq!(steps[0]["technique"], "create-pods");
    assert_eq!(steps[0]["to"]["name"], "operator");
    assert_eq!(steps[1]["technique"], "cluster-admin");
    assert!(steps[1]["to"].is_null());
    kubeward()
        .args(["rbac", "paths", "-f", PATHS, "--format", "dot"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("digraph escalation {"))
        .stdout(predicate::str::contains(
            "label=\"ServiceAccount \\\"ci/ci\\\"\"",
        ));
    kubeward()
        .args([
            "rbac",
            "paths",
            "ServiceAccount:ci:ci",
            "-f",
            PATHS,
            "--format",
            "mermaid",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("flowchart LR"))
        .stdout(predicate::str::contains(
            "-->|\"CreatePods in namespace #quot;kube-system#quot;",
        ))
        .stdout(predicate::str::contains("gateway").not());
}

#[test]
fn risks_report_like_scan() {
    let v = json_of(&["rbac", "risks", "-f", PATHS, "--format", "json"], 1);
    let findings = v["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    // kube-system/operator is cluster-admin: KW650 alone says it (no KW652-KW663 for it).
    assert_eq!(ids, ["KW650", "KW651", "KW651", "KW653", "KW657"], "{v}");
    let path = findings
        .iter()
        .find(|f| f["id"] == "KW651" && f["message"].as_str().unwrap().contains("ci/ci"))
        .unwrap();
    assert_eq!(path["location"]["line"], 22, "{path}");
    assert_eq!(path["location"]["path"], "subjects[0].name");
}

#[test]
fn bad_input_is_located_and_the_rest_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: [unclosed\n").unwrap();
    std::fs::copy(repo().join(PATHS), dir.path().join("rbac.yaml")).unwrap();
    kubeward()
        .args([
            "rbac",
            "who-can",
            "create",
            "pods",
            "-n",
            "kube-system",
            "-f",
        ])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ServiceAccount \"ci/ci\""))
        .stderr(predicate::str::contains("broken.yaml:1:"));
}

#[test]
fn stdin_and_usage_errors() {
    kubeward()
        .args(["rbac", "who-can", "get", "secrets", "-f", "-"])
        .write_stdin("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects: [{kind: User, name: u}]\n")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Subjects that may get secrets cluster-wide: 0"))
        .stderr(predicate::str::contains("<stdin>:4:"))
        .stderr(predicate::str::contains("ClusterRole \"edit\", which is not in the input"));
    kubeward()
        .args(["rbac", "can", "alice", "-f", PATHS])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid subject \"alice\""));
    kubeward()
        .args(["rbac", "who-can", "get", "widgets", "-f", PATHS])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("widgets.example.com"));
}
