//! `kubeward policy test` as users run it: the Gatekeeper library's own suites (copied in
//! crates/kubeward-policy/tests/data, see its PROVENANCE), a failing suite, and bad input.

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

const LIBRARY: &str = "crates/kubeward-policy/tests/data/gatekeeper-library";

#[test]
fn the_whole_library_passes_with_each_engine() {
    // gator's own choice: CEL where a template has it, Rego elsewhere.
    kubeward()
        .args(["policy", "test", LIBRARY])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\n270 passed, 0 failed, 0 skipped\n"))
        .stdout(predicate::str::contains(
            "ok   crates/kubeward-policy/tests/data/gatekeeper-library/general/allowedrepos/suite.yaml allowed-repos/example-allowed\n",
        ));
    kubeward()
        .args(["policy", "test", "--engine", "rego", "-q", LIBRARY])
        .assert()
        .code(0)
        .stdout("270 passed, 0 failed, 0 skipped\n");
    kubeward()
        .args(["policy", "test", "--engine", "cel", "-q", LIBRARY])
        .assert()
        .code(0)
        .stdout("131 passed, 0 failed, 139 skipped\n");
}

#[test]
fn a_failing_case_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let lib = repo().join(LIBRARY).join("general/requiredlabels");
    // The library's suite with one assertion turned around.
    let suite = std::fs::read_to_string(lib.join("suite.yaml"))
        .unwrap()
        .replacen("violations: no", "violations: yes", 1);
    std::fs::copy(lib.join("template.yaml"), dir.path().join("template.yaml")).unwrap();
    copy_dir(&lib.join("samples"), &dir.path().join("samples"));
    std::fs::write(dir.path().join("suite.yaml"), suite).unwrap();
    kubeward()
        .args(["policy", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL "))
        .stdout(predicate::str::contains(
            "assertion 0: got 0 violations but want at least 1",
        ))
        .stdout(predicate::str::contains(" 1 failed, 0 skipped\n"));
}

#[test]
fn bad_input_exits_2() {
    kubeward()
        .args(["policy", "test", "no/such/suite.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/suite.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("suite.yaml");
    std::fs::write(
        &p,
        "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests: [\n",
    )
    .unwrap();
    kubeward()
        .args(["policy", "test"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("suite.yaml:"));
    // A directory without suites.
    kubeward()
        .args(["policy", "test"])
        .arg(dir.path().join("nothing"))
        .assert()
        .code(2);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

// ---- users' policies in `kubeward scan` (--policy, `policies:` in the config) ----

const REQUIRED_LABELS: &str =
    "crates/kubeward-policy/tests/data/gatekeeper-library/general/requiredlabels";
const UNIQUE_HOST: &str =
    "crates/kubeward-policy/tests/data/gatekeeper-library/general/uniqueingresshost";
const VAP: &str = "crates/kubeward-policy/tests/data/vap";

/// `scan --format json --no-config` with extra arguments; the report and the exit code.
fn scan_json(args: &[&str]) -> (serde_json::Value, i32) {
    let out = kubeward()
        .args([
            "scan",
            "--format",
            "json",
            "--no-config",
            "--top-risks",
            "0",
        ])
        .args(args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap())
}

fn with_id<'a>(report: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// A policy directory: the library's template and one constraint of it.
fn policy_dir(dir: &std::path::Path, lib: &str, constraint: &str) -> PathBuf {
    let p = dir.join("policies");
    std::fs::create_dir_all(&p).unwrap();
    let lib = repo().join(lib);
    std::fs::copy(lib.join("template.yaml"), p.join("template.yaml")).unwrap();
    std::fs::copy(lib.join(constraint), p.join("constraint.yaml")).unwrap();
    p
}

#[test]
fn a_constraint_violation_is_a_located_finding_of_its_own_control() {
    let dir = tempfile::tempdir().unwrap();
    let policies = policy_dir(
        dir.path(),
        REQUIRED_LABELS,
        "samples/all-must-have-owner/constraint.yaml",
    );
    let samples = format!("{REQUIRED_LABELS}/samples/all-must-have-owner");
    // The library's suite: example_allowed passes, both disallowed examples violate.
    let (report, code) = scan_json(&[
        "--policy",
        policies.to_str().unwrap(),
        &format!("{samples}/example_allowed.yaml"),
        &format!("{samples}/example_disallowed.yaml"),
        &format!("{samples}/example_disallowed_label_value.yaml"),
    ]);
    assert_eq!(code, 1);
    let found = with_id(&report, "K8sRequiredLabels/all-must-have-owner");
    let mut files: Vec<&str> = found
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    // The template has K8sNativeValidation code, which gator runs: two of its validations
    // fail on a Namespace without the label (the suite asserts `violations: yes`).
    files.dedup();
    assert_eq!(
        files,
        [
            format!("{samples}/example_disallowed.yaml"),
            format!("{samples}/example_disallowed_label_value.yaml")
        ],
        "{report:#}"
    );
    let f = found[0];
    assert_eq!(f["severity"], "high"); // enforcementAction deny (the default)
    assert_eq!(f["location"]["path"], "metadata");
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(
        f["message"], "missing required label, requires all of: owner",
        "{f}"
    );
    assert_eq!(f["object"]["kind"], "Namespace");
    assert_eq!(
        report["summary"]["byControl"]["K8sRequiredLabels/all-must-have-owner"],
        found.len()
    );
}

#[test]
fn policies_follow_suppressions_fail_on_config_and_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let policies = policy_dir(
        dir.path(),
        REQUIRED_LABELS,
        "samples/all-must-have-owner/constraint.yaml",
    );
    let ns = dir.path().join("ns.yaml");
    std::fs::write(
        &ns,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  annotations:\n    kubeward.io/ignore: \"K8sRequiredLabels/all-must-have-owner: owned by the platform team\"\n",
    )
    .unwrap();
    let id = "K8sRequiredLabels/all-must-have-owner";
    let (report, _) = scan_json(&[
        "--policy",
        policies.to_str().unwrap(),
        "--show-suppressed",
        ns.to_str().unwrap(),
    ]);
    let found = with_id(&report, id);
    let on = |name: &str| -> Vec<&serde_json::Value> {
        found
            .iter()
            .copied()
            .filter(|f| f["object"]["name"] == name)
            .collect()
    };
    assert!(!on("a").is_empty());
    assert!(on("a").iter().all(|f| f["suppressed"].is_null()));
    assert!(!on("b").is_empty());
    assert!(on("b").iter().all(|f| f["suppressed"]["by"] == "annotation"
        && f["suppressed"]["reason"] == "owned by the platform team"));

    // The config file: `policies:` relative to it, a severity override and an exclusion.
    let cfg = dir.path().join("kubeward.yaml");
    std::fs::write(
        &cfg,
        format!("policies: [policies]\nseverity:\n  {id}: low\nexclude:\n  - controls: [{id}]\n    names: [b]\n    reason: the platform's\n"),
    )
    .unwrap();
    let out = kubeward()
        .args(["scan", "--format", "json", "--top-risks", "0", "--config"])
        .arg(&cfg)
        .arg(&ns)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = with_id(&report, id);
    assert!(!found.is_empty(), "{report:#}");
    assert!(found
        .iter()
        .all(|f| f["severity"] == "low" && f["object"]["name"] == "a"));
    // --fail-on high: the policy's findings (high by default) fail the scan; lowered to low
    // by the config they do not (the Namespace's other findings are medium).
    kubeward()
        .args([
            "scan",
            "--no-config",
            "--top-risks",
            "0",
            "--fail-on",
            "high",
            "--policy",
        ])
        .arg(&policies)
        .arg(&ns)
        .assert()
        .code(1);
    kubeward()
        .args(["scan", "--top-risks", "0", "--fail-on", "high", "--config"])
        .arg(&cfg)
        .arg(&ns)
        .assert()
        .code(0);

    // SARIF lists the policy's control as a rule; JUnit and text name it too.
    for (format, needle) in [
        ("sarif", format!("\"ruleId\":\"{id}\"")),
        ("junit", id.to_string()),
        ("text", id.to_string()),
    ] {
        kubeward()
            .args([
                "scan",
                "--no-config",
                "--top-risks",
                "0",
                "--format",
                format,
                "--policy",
            ])
            .arg(&policies)
            .arg(&ns)
            .assert()
            .code(1)
            .stdout(predicate::str::contains(needle));
    }
}

#[test]
fn a_bad_policy_is_an_input_error_and_the_scan_completes() {
    let dir = tempfile::tempdir().unwrap();
    let policies = policy_dir(
        dir.path(),
        REQUIRED_LABELS,
        "samples/all-must-have-owner/constraint.yaml",
    );
    // A second template whose Rego does not parse, and a constraint without a template.
    std::fs::write(
        policies.join("zz-broken.yaml"),
        "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: broken\nspec:\n  crd:\n    spec:\n      names:\n        kind: Broken\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    rego: |\n      package broken\n      violation[{\"msg\": msg}] {\n        msg := \n      }\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: Missing\nmetadata:\n  name: m\n",
    )
    .unwrap();
    let samples = format!("{REQUIRED_LABELS}/samples/all-must-have-owner");
    let out = kubeward()
        .args([
            "scan",
            "--format",
            "json",
            "--no-config",
            "--top-risks",
            "0",
            "--policy",
        ])
        .arg(&policies)
        .arg(format!("{samples}/example_disallowed.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].as_array().unwrap();
    let broken = policies.join("zz-broken.yaml").display().to_string();
    assert!(
        errors
            .iter()
            .any(|e| e["file"] == broken.as_str() && e["line"].as_u64() >= Some(14)),
        "{errors:#?}"
    );
    assert!(errors.iter().any(|e| e["file"] == broken.as_str()
        && e["line"] == 18
        && e["message"]
            .as_str()
            .unwrap()
            .contains("no ConstraintTemplate defines this kind")));
    // the good policy still ran
    assert!(!with_id(&report, "K8sRequiredLabels/all-must-have-owner").is_empty());
}

#[test]
fn referential_templates_see_every_object_of_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let policies = policy_dir(
        dir.path(),
        UNIQUE_HOST,
        "samples/unique-ingress-host/constraint.yaml",
    );
    let samples = format!("{UNIQUE_HOST}/samples/unique-ingress-host");
    // The suite's disallowed case: the object and its inventory, here two files of one scan.
    let (report, _) = scan_json(&[
        "--policy",
        policies.to_str().unwrap(),
        &format!("{samples}/example_disallowed.yaml"),
        &format!("{samples}/example_inventory_disallowed.yaml"),
    ]);
    let found = with_id(&report, "K8sUniqueIngressHost/unique-ingress-host");
    // each Ingress conflicts with the other
    assert_eq!(found.len(), 2, "{report:#}");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("ingress host conflicts with an existing ingress <example-host.example.com>"));
    // alone, no conflict
    let (report, _) = scan_json(&[
        "--policy",
        policies.to_str().unwrap(),
        &format!("{samples}/example_disallowed.yaml"),
    ]);
    assert!(with_id(&report, "K8sUniqueIngressHost/unique-ingress-host").is_empty());
}

#[test]
fn namespace_selectors_need_the_namespace_in_the_input_and_fail_closed_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let policies = policy_dir(
        dir.path(),
        REQUIRED_LABELS,
        "samples/verify-label-key-only/constraint.yaml",
    );
    std::fs::write(
        policies.join("constraint.yaml"),
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sRequiredLabels\nmetadata:\n  name: team\nspec:\n  match:\n    kinds: [{apiGroups: [\"\"], kinds: [ConfigMap]}]\n    namespaceSelector: {matchLabels: {tier: prod}}\n  parameters:\n    labels: [{key: team}]\n",
    )
    .unwrap();
    let objects = dir.path().join("objects.yaml");
    let cm = |ns: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: {ns}\n")
    };
    std::fs::write(
        &objects,
        format!(
            "{}---\n{}---\n{}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {{tier: prod}}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n",
            cm("prod"),
            cm("dev"),
            cm("unknown")
        ),
    )
    .unwrap();
    let (report, _) = scan_json(&[
        "--policy",
        policies.to_str().unwrap(),
        objects.to_str().unwrap(),
    ]);
    let found = with_id(&report, "K8sRequiredLabels/team");
    let by_ns: Vec<(&str, bool)> = found
        .iter()
        .copied()
        .map(|f| {
            (
                f["object"]["namespace"].as_str().unwrap(),
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("could not be evaluated"),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // prod: selected, violates; dev: not selected; unknown: Gatekeeper's "missing Namespace"
    assert_eq!(by_ns, [("prod", false), ("unknown", true)], "{report:#}");
}

#[test]
fn validating_admission_policies_in_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects.yaml");
    std::fs::write(
        &objects,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n  labels: {environment: test}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n  namespace: test\nspec:\n  replicas: 6\n  selector: {matchLabels: {app: nginx}}\n  template:\n    metadata: {labels: {app: nginx}}\n    spec:\n      containers: [{name: nginx, image: nginx}]\n",
    )
    .unwrap();
    let (report, code) = scan_json(&[
        "--policy",
        &format!("{VAP}/basic-example-policy.yaml"),
        "--policy",
        &format!("{VAP}/basic-example-binding.yaml"),
        objects.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let found = with_id(
        &report,
        "ValidatingAdmissionPolicy/demo-policy.example.com/demo-binding-test.example.com",
    );
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(
        found[0]["message"],
        "failed expression: object.spec.replicas <= 5"
    );
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["location"]["line"], 9); // the Deployment's metadata
}
