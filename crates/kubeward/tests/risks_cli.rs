//! The "Top risks" section of `kubeward scan` in every format, on a workload an attacker can
//! walk: a LoadBalancer Service in front of a privileged hostPID Deployment whose service
//! account is bound to cluster-admin. Expected places are found in the test's own YAML (the
//! line of each field), never taken from kubeward's output.

use std::path::Path;
use std::process::Output;

mod common;

use serde_json::Value;

const APP: &str = "\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      hostPID: true
      containers:
      - name: app
        image: registry.example.com/web:1.0
        ports: [{containerPort: 8080}]
        securityContext:
          privileged: true
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: web-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: web, namespace: shop}
";

/// The 1-based line of the first line of APP containing `needle`.
fn line_of(needle: &str) -> u64 {
    APP.lines().position(|l| l.contains(needle)).expect(needle) as u64 + 1
}

fn scan(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"))
        .current_dir(dir)
        .args(["scan", "--no-config", "app.yaml"])
        .args(args)
        .output()
        .unwrap()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), APP).unwrap();
    dir
}

#[test]
fn top_risks_in_every_format() {
    let dir = setup();
    let privileged = line_of("privileged: true");
    let host_pid = line_of("hostPID: true");
    let subject = line_of("- {kind: ServiceAccount");

    // JSON: the risks, ranked, each step with its evidence; valid against the documented schema.
    let out = scan(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = common::schema_errors(
        include_str!("../../kubeward-report/schema/kubeward-report.schema.json"),
        jsonschema::Draft::Draft7,
        &report,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    let risks = report["risks"].as_array().expect("a risks section");
    assert!(!risks.is_empty());
    let scores: Vec<f64> = risks.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked: {scores:?}"
    );
    for (i, r) in risks.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        // The score is the product of its factors, as documented.
        let product: f64 = r["factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["value"].as_f64().unwrap())
            .product();
        assert!(
            (r["score"].as_f64().unwrap() - (100.0 * product * 10.0).round() / 10.0).abs() < 0.11
        );
    }
    let evidence_lines = |r: &Value| -> Vec<u64> {
        r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["evidence"].as_array().unwrap().clone())
            .filter_map(|e| {
                e["line"]
                    .as_u64()
                    .or_else(|| e["bindingAt"]["line"].as_u64())
            })
            .collect()
    };
    // From the internet to the node: the Service, then the escape backed by the privileged and
    // hostPID fields.
    let to_node = risks
        .iter()
        .find(|r| {
            r["entry"]["key"] == "internet"
                && r["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["edge"].as_str().unwrap().starts_with("CE_"))
        })
        .expect("an escape from the internet");
    let lines = evidence_lines(to_node);
    assert!(
        lines.contains(&privileged) && lines.contains(&host_pid),
        "{to_node:#}"
    );
    // From the internet to cluster-admin: through the service account's binding.
    let to_admin = risks
        .iter()
        .find(|r| {
            r["entry"]["key"] == "internet"
                && r["impact"]["key"].as_str().unwrap().contains("admin")
        })
        .expect("cluster-admin from the internet");
    assert!(evidence_lines(to_admin).contains(&subject), "{to_admin:#}");
    assert_eq!(risks[0]["entry"]["key"], "internet", "exposure ranks first");

    // Text: the section, one step per line with file:line:column.
    let out = scan(dir.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    let section = text
        .split("Top risks:")
        .nth(1)
        .expect("a Top risks section");
    assert!(
        section.contains(&format!("app.yaml:{privileged}:")),
        "{section}"
    );
    assert!(section.contains("#1 score"), "{section}");

    // SARIF: valid 2.1.0; a KW1201 result per risk with a code flow through the steps'
    // places and related locations.
    let out = scan(dir.path(), &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = common::sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "KW1201")
        .collect();
    assert_eq!(results.len(), risks.len());
    for r in &results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], "KW1201");
        assert!(!r["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap()
            .is_empty());
    }
    let flow_lines: Vec<u64> = results
        .iter()
        .flat_map(|r| r["relatedLocations"].as_array().unwrap().clone())
        .filter_map(|l| l["physicalLocation"]["region"]["startLine"].as_u64())
        .collect();
    assert!(flow_lines.contains(&privileged));

    // JUnit: a failing case per risk in a suite of its own.
    let out = scan(dir.path(), &["--format", "junit"]);
    let junit = String::from_utf8_lossy(&out.stdout);
    let suite = junit
        .split("<testsuite name=\"top risks\"")
        .nth(1)
        .expect("a top risks suite");
    let suite = suite.split("</testsuite>").next().unwrap();
    assert_eq!(suite.matches("<failure").count(), risks.len());

    // --top-risks 0: no graph, no section.
    let out = scan(dir.path(), &["--format", "json", "--top-risks", "0"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.get("risks").is_none());
    let out = scan(dir.path(), &["--top-risks", "0"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Top risks"));
}

/// Hardening the workload removes the paths the hardening breaks, and only those.
#[test]
fn fixing_a_step_removes_its_risks() {
    let dir = setup();
    let hardened = APP
        .replace("      hostPID: true\n", "")
        .replace("privileged: true", "privileged: false");
    std::fs::write(dir.path().join("app.yaml"), hardened).unwrap();
    let out = scan(dir.path(), &["--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let risks = report["risks"].as_array().unwrap();
    assert!(
        risks.iter().all(|r| !r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["edge"].as_str().unwrap().starts_with("CE_"))),
        "no container escape is left: {risks:#?}"
    );
    // The identity path to cluster-admin is still there: the binding was not touched.
    assert!(risks
        .iter()
        .any(|r| r["impact"]["key"].as_str().unwrap().contains("admin")));
}

fn risks(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"))
        .current_dir(dir)
        .args(["risks", "--no-config"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn risks_command_formats_and_exit_codes() {
    let dir = setup();
    // Text: exit 1 when there is a risk; one step per line with the field's place.
    let out = risks(dir.path(), &["app.yaml", "--limit", "3"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("#1 score"), "{text}");
    assert!(!text.contains("#4 score"), "--limit 3: {text}");
    assert!(text.contains(&format!("app.yaml:{}:", line_of("privileged: true"))));
    assert!(!text.contains("KW101"), "findings are not listed: {text}");

    // Mermaid and DOT: one picture per risk, nodes linked by the edge kinds.
    let out = risks(dir.path(), &["app.yaml", "--limit", "1", "-f", "mermaid"]);
    let m = String::from_utf8_lossy(&out.stdout);
    assert!(m.starts_with("flowchart LR\n"), "{m}");
    assert!(m.contains("n0 -->|EXPOSED| n1"), "{m}");
    let out = risks(dir.path(), &["app.yaml", "--limit", "1", "-f", "dot"]);
    let d = String::from_utf8_lossy(&out.stdout);
    assert!(
        d.starts_with("digraph ") && d.trim_end().ends_with('}'),
        "{d}"
    );
    assert_eq!(d.matches(" -> n").count(), m.matches("-->|").count());

    // JSON, and the same risks again from a scan's JSON report.
    let out = risks(dir.path(), &["app.yaml", "-f", "json"]);
    let direct: Value = serde_json::from_slice(&out.stdout).unwrap();
    scan(dir.path(), &["--format", "json", "--output", "report.json"]);
    let out = risks(dir.path(), &["--from-report", "report.json", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["risks"], direct["risks"]);
    let out = risks(dir.path(), &["--from-report", "report.json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the internet -> [EXPOSED] Service shop/web"),
        "{text}"
    );

    // Nothing to walk: exit 0.
    std::fs::write(
        dir.path().join("quiet.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    let out = risks(dir.path(), &["quiet.yaml"]);
    assert_eq!(out.status.code(), Some(0));

    // Bad input: located on standard error, exit 2; a report without risks: exit 2.
    std::fs::write(dir.path().join("bad.yaml"), "kind: [\n").unwrap();
    let out = risks(dir.path(), &["bad.yaml", "app.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:1:8"));
    std::fs::write(dir.path().join("old.json"), r#"{"findings": []}"#).unwrap();
    let out = risks(dir.path(), &["--from-report", "old.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `risks`"));
}

/// Exposure follows the NetworkPolicies (kubeward-netpol's semantics): a default-deny of
/// ingress in the namespace removes every path into the workload; a policy that lets in
/// external addresses on the Service's target port keeps the internet's paths and removes
/// those from the cluster's pods (ipBlocks match addresses outside the cluster).
#[test]
fn network_policies_decide_exposure() {
    let dir = setup();
    let entries = |extra: &str| -> Vec<String> {
        std::fs::write(dir.path().join("app.yaml"), format!("{APP}---\n{extra}")).unwrap();
        let out = risks(dir.path(), &["app.yaml", "-f", "json", "--limit", "100"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut keys: Vec<String> = v["risks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["entry"]["key"].as_str().unwrap().to_string())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let open = entries("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n");
    assert!(
        open.contains(&"internet".to_string()) && open.len() >= 2,
        "{open:?}"
    );
    let denied = entries("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n");
    assert_eq!(denied, Vec::<String>::new());
    let external = entries("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: lb, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 8080}]\n");
    assert_eq!(external, ["internet"]);
    // The wrong port lets nothing in.
    let other_port = entries("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: lb, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 9090}]\n");
    assert_eq!(other_port, Vec::<String>::new());
}

/// A NetworkPolicy the API server would refuse is a located input error in `scan` (exit 2),
/// whatever `--top-risks` says, and the rest of the input is still evaluated.
#[test]
fn bad_network_policies_are_located_input_errors() {
    let dir = setup();
    let bad = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: Bogus, values: [b]}]}\n  ingress:\n  - from: [{ipBlock: {cidr: 300.0.0.0/8}}]\n    ports: [{port: 70000}]\n";
    let text = format!("{bad}---\n{APP}");
    std::fs::write(dir.path().join("app.yaml"), &text).unwrap();
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for extra in [&[][..], &["--top-risks", "0"][..]] {
        let out = scan(dir.path(), &[&["--format", "json"][..], extra].concat());
        assert_eq!(out.status.code(), Some(2));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<u64> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["line"].as_u64().unwrap())
            .collect();
        assert_eq!(
            errors,
            [line("Bogus"), line("300.0.0.0"), line("70000")].map(|l| l as u64),
            "{report:#}"
        );
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "KW101"),
            "the rest is evaluated"
        );
    }
}

/// Objects without `metadata.namespace` are in the namespace `-n` names (`default` unless
/// set), in the risk graph and the NetworkPolicy model as in the cross-object controls: the
/// same manifests without namespaces, with a default-deny policy in `shop`, have no path into
/// the workload when applied to `shop`, and keep the internet's path in `default`.
#[test]
fn the_target_namespace_places_objects_without_one() {
    let dir = setup();
    let bare: String = APP
        .lines()
        .map(|l| l.replace(", namespace: shop}", "}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!bare.contains("namespace: shop}"), "{bare}");
    let deny = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    std::fs::write(dir.path().join("app.yaml"), format!("{bare}\n---\n{deny}")).unwrap();
    let keys = |args: &[&str]| -> Vec<(String, String)> {
        let out = risks(
            dir.path(),
            &[&["app.yaml", "-f", "json", "--limit", "100"], args].concat(),
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["risks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["entry"]["key"].as_str().unwrap().to_string(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let in_default = keys(&[]);
    assert!(
        in_default.iter().any(|(e, _)| e == "internet"),
        "{in_default:?}"
    );
    assert!(
        in_default
            .iter()
            .all(|(_, id)| id.contains("/default/") && !id.contains("shop")),
        "{in_default:?}"
    );
    assert_eq!(keys(&["-n", "shop"]), Vec::new());
    // The scan's own "Top risks" follow `-n` too.
    let out = scan(dir.path(), &["-n", "shop", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["risks"].as_array().map(Vec::len), Some(0), "{v:#}");
    let out = scan(dir.path(), &["--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["risks"].as_array().unwrap().is_empty());
}
