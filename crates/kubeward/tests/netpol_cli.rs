//! `kubeward netpol` as users run it: real processes, real files, real pipes.

use std::path::{Path, PathBuf};

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

/// An upstream np-guard case (its expected list is the truth, see kubeward-netpol's tests).
const CASE: &str = "crates/kubeward-netpol/tests/data/netpol-reachability/cases/minimal_test_in_ns";

const SHOP: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop}
spec:
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
      - name: c
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: c
        ports: [{name: http, containerPort: 9090}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-front, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: front}}}]
    ports: [{port: http}]
"#;

fn shop(dir: &Path) -> String {
    let f = dir.join("shop.yaml");
    std::fs::write(&f, SHOP).unwrap();
    f.display().to_string()
}

#[test]
fn reach_prints_the_upstream_connection_list() {
    let out = kubeward()
        .args(["netpol", "reach", CASE])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let got: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> =
        std::fs::read_to_string(repo().join(CASE).join("expected-connlist.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    assert_eq!(got, want);
}

#[test]
fn reach_reads_stdin_and_writes_json_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reach.json");
    kubeward()
        .args(["netpol", "reach", "-", "--format", "json", "-o"])
        .arg(&out)
        .write_stdin(SHOP)
        .assert()
        .code(0)
        .stdout("");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert!(
        conns.iter().any(|c| c["src"] == "shop/front[Deployment]"
            && c["dst"] == "shop/api[Deployment]"
            && c["conns"] == "TCP 9090"),
        "{v}"
    );
    assert_eq!(v["errors"], 0);
}

#[test]
fn can_allowed_names_the_rule_and_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let f = shop(dir.path());
    kubeward()
        .args(["netpol", "can", "shop/front", "shop/api", "9090", &f])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "allowed: shop/front[Deployment] => shop/api[Deployment] : TCP 9090",
        ))
        .stdout(predicate::str::contains(
            "egress of shop/front[Deployment]: not isolated",
        ))
        .stdout(predicate::str::contains(format!(
            "ingress of shop/api[Deployment]: NetworkPolicy shop/api-from-front ingress rule #1 ({f}:29:5) allows TCP 9090"
        )));
    // A named port resolves on the destination's containers.
    kubeward()
        .args(["netpol", "can", "shop/front", "shop/api", "tcp/http", &f])
        .assert()
        .code(0);
}

#[test]
fn can_denied_names_the_isolating_policies() {
    let dir = tempfile::tempdir().unwrap();
    let f = shop(dir.path());
    kubeward()
        .args(["netpol", "can", "shop/front", "shop/api", "8080", &f])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "denied: shop/front[Deployment] => shop/api[Deployment] : TCP 8080",
        ))
        .stdout(predicate::str::contains(format!(
            "ingress of shop/api[Deployment]: isolated by NetworkPolicy shop/api-from-front ({f}:23:1); no ingress rule of them allows TCP 8080"
        )));
    kubeward()
        .args(["netpol", "can", "external", "shop/api", "9090", &f])
        .assert()
        .code(1);
    kubeward()
        .args(["netpol", "can", "203.0.113.7", "shop/front", "udp/53", &f])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ingress of shop/front[Deployment]: not isolated",
        ));
    let out = kubeward()
        .args([
            "netpol", "can", "shop/api", "shop/api", "9090", &f, "--format", "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(
        v["answers"][0]["ingress"]["isolated_by"][0]["name"],
        "api-from-front"
    );
    assert_eq!(
        v["answers"][0]["ingress"]["isolated_by"][0]["location"]["line"],
        23
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = shop(dir.path());
    for (args, message) in [
        (vec!["shop/nope", "shop/api", "80"], "no workload"),
        (vec!["shop/front", "shop/api", "70000"], "out of range"),
        (
            vec!["shop/front", "shop/api", "grpc"],
            "declares a port named",
        ),
        (vec!["shop/front", "shop/api", "icmp/1"], "unknown protocol"),
    ] {
        kubeward()
            .args(["netpol", "can"])
            .args(&args)
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn bad_input_is_located_the_rest_evaluated_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    let secretish = "hunter2-db-password";
    std::fs::write(
        &f,
        format!(
            r#"{SHOP}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: broken, namespace: shop}}
spec:
  podSelector: {{}}
  ingress:
  - from:
    - podSelector:
        matchExpressions: [{{key: app, operator: Equals, values: [{secretish}]}}]
    - ipBlock: {{cidr: "{secretish}"}}
    ports: [{{port: 0}}, {{port: nosuchport}}]
"#
        ),
    )
    .unwrap();
    let f = f.display().to_string();
    let out = kubeward()
        .args(["netpol", "reach", &f])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{f}:40:")))
        .stderr(predicate::str::contains(
            "operator` must be In, NotIn, Exists or DoesNotExist",
        ))
        .stderr(predicate::str::contains(format!("{f}:41:")))
        .stderr(predicate::str::contains("cidr` must be a CIDR"))
        .stderr(predicate::str::contains(format!("{f}:42:")))
        .stderr(predicate::str::contains(
            "must be a port number from 1 to 65535",
        ))
        .stderr(predicate::str::contains(
            "no container of the scanned workloads declares",
        ))
        .stderr(predicate::str::contains(secretish).not())
        .get_output()
        .stdout
        .clone();
    // Everything else is still evaluated.
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("shop/front[Deployment] => shop/api[Deployment] : TCP 9090"),
        "{text}"
    );
}

/// `-n` places objects without `metadata.namespace` (the workload here) where a namespaced
/// default-deny policy applies; without it they are in `default`, which has no policy.
#[test]
fn the_target_namespace_places_objects_without_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: c\n        ports: [{containerPort: 8080}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    )
    .unwrap();
    let can = |ns: &[&str]| {
        let mut c = Command::cargo_bin("kubeward").unwrap();
        c.current_dir(dir.path())
            .args(["netpol", "can", "external", "web", "8080", "a.yaml"])
            .args(ns);
        c.assert()
    };
    can(&[]).code(0);
    can(&["-n", "shop"])
        .code(1)
        .stdout(predicate::str::contains("shop/web"));
    can(&["-n", "Not_A_Namespace"]).code(2);
}
