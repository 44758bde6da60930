//! Adoption: config file, suppressions on the object, exclusions with expiry, baselines and
//! `kubeward init`, as users run them (real processes in a scratch directory).

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn kubeward(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(dir).env_remove("NO_COLOR");
    c
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lab\n  namespace: tools\nspec:\n  containers:\n  - name: c\n    image: registry.example.com/tool:1.0\n    securityContext:\n      privileged: true\n";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn json(cmd: &mut Command, code: i32) -> Value {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    serde_json::from_slice(&out).expect("a JSON report")
}

/// The first finding of control `id` in a JSON report.
fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding"))
}

fn ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_none())
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn init_writes_a_starter_that_scans_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    kubeward(dir.path()).arg("init").assert().code(0);
    let text = std::fs::read_to_string(dir.path().join(".kubeward.yaml")).unwrap();
    assert!(text.contains("exclude:"));
    kubeward(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".kubeward.yaml")).unwrap(),
        text
    );
    write(dir.path(), "k8s/pod.yaml", PRIVILEGED);
    kubeward(dir.path())
        .args(["scan", "k8s", "--color", "never"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("KW101"));
}

#[test]
fn config_is_found_upward_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".kubeward.yaml",
        "failOn: critical\nseverity:\n  KW101: medium\n",
    );
    write(dir.path(), "apps/web/pod.yaml", PRIVILEGED);
    let sub = dir.path().join("apps/web");
    // KW101 lowered to medium, failOn critical: the rest of the findings are below too.
    let report = json(
        kubeward(&sub).args(["scan", "pod.yaml", "--format", "json"]),
        0,
    );
    let kw101 = finding(&report, "KW101");
    assert_eq!(kw101["severity"], "medium");
    // The flag wins over the file.
    kubeward(&sub)
        .args(["scan", "pod.yaml", "--fail-on", "medium"])
        .assert()
        .code(1);
    // --no-config ignores it.
    let report = json(
        kubeward(&sub).args(["scan", "pod.yaml", "--format", "json", "--no-config"]),
        1,
    );
    assert_eq!(finding(&report, "KW101")["severity"], "critical");
}

#[test]
fn config_errors_name_key_and_line_and_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", PRIVILEGED);
    write(
        dir.path(),
        "bad.yaml",
        "failOn: high\nexclude:\n- controls: [KW101]\n  reasn: typo\n",
    );
    kubeward(dir.path())
        .args(["scan", "pod.yaml", "--config", "bad.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("bad.yaml:4:3"))
        .stderr(predicate::str::contains("reasn"));
    kubeward(dir.path())
        .args(["scan", "pod.yaml", "--config", "missing.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.yaml"));
}

#[test]
fn disabled_and_enabled_controls() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", PRIVILEGED);
    write(dir.path(), "only.yaml", "controls:\n  enable: [KW101]\n");
    let report = json(
        kubeward(dir.path()).args([
            "scan",
            "pod.yaml",
            "--format",
            "json",
            "--config",
            "only.yaml",
        ]),
        1,
    );
    assert_eq!(ids(&report), vec!["KW101"]);
    write(
        dir.path(),
        "off.yaml",
        "controls:\n  disable: [privileged-container]\n",
    );
    let report = json(
        kubeward(dir.path()).args([
            "scan", "pod.yaml", "--format", "json", "--config", "off.yaml",
        ]),
        1,
    );
    assert!(!ids(&report).contains(&"KW101".to_string()));
    assert!(!ids(&report).is_empty());
}

#[test]
fn exclusions_apply_with_a_reason_and_expire_loudly() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", PRIVILEGED);
    write(
        dir.path(),
        ".kubeward.yaml",
        "exclude:\n- namespaces: [tools]\n  reason: tools namespace is a sandbox\n",
    );
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json", "--show-suppressed"]),
        0,
    );
    assert!(ids(&report).is_empty());
    let all = report["findings"].as_array().unwrap();
    assert!(!all.is_empty());
    for f in all {
        assert_eq!(f["suppressed"]["by"], "config");
        assert_eq!(f["suppressed"]["reason"], "tools namespace is a sandbox");
        assert!(f["suppressed"].get("expires").is_none(), "no expiry: {f}");
    }
    assert_eq!(report["summary"]["suppressed"], all.len());
    // Without --show-suppressed they are counted, not listed.
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json"]),
        0,
    );
    assert!(report["findings"].as_array().unwrap().is_empty());
    assert_eq!(report["summary"]["suppressed"], all.len());

    // Not expired yet: the suppression names its expiry.
    write(
        dir.path(),
        ".kubeward.yaml",
        "exclude:\n- controls: [KW101]\n  reason: until the migration\n  expires: 2999-12-31\n",
    );
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json", "--show-suppressed"]),
        1,
    );
    let kw101 = finding(&report, "KW101");
    assert_eq!(kw101["suppressed"]["by"], "config");
    assert_eq!(kw101["suppressed"]["expires"], "2999-12-31");

    // Expired: no longer applies, and says so at its line.
    write(
        dir.path(),
        ".kubeward.yaml",
        "exclude:\n- controls: [KW101]\n  reason: until the migration\n  expires: 2020-01-31\n",
    );
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json"]),
        1,
    );
    assert!(ids(&report).contains(&"KW101".to_string()));
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| {
            w["file"].as_str().unwrap().ends_with(".kubeward.yaml")
                && w["line"] == 2
                && w["message"].as_str().unwrap().contains("expired")
        }),
        "{warnings:#?}"
    );
}

#[test]
fn annotation_suppresses_with_a_reason_and_requires_one() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = PRIVILEGED.replace(
        "  namespace: tools\n",
        "  namespace: tools\n  annotations:\n    kubeward.io/ignore: \"KW101: needs the GPU driver; KW205: vendor image\"\n",
    );
    write(dir.path(), "pod.yaml", &annotated);
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json", "--show-suppressed"]),
        1,
    );
    let kw101 = finding(&report, "KW101");
    assert_eq!(kw101["suppressed"]["by"], "annotation");
    assert_eq!(kw101["suppressed"]["reason"], "needs the GPU driver");
    assert!(!ids(&report).contains(&"KW101".to_string()));

    let no_reason = PRIVILEGED.replace(
        "  namespace: tools\n",
        "  namespace: tools\n  annotations:\n    kubeward.io/ignore: \"KW101\"\n",
    );
    write(dir.path(), "pod.yaml", &no_reason);
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json"]),
        2,
    );
    assert!(
        ids(&report).contains(&"KW101".to_string()),
        "not suppressed"
    );
    let err = &report["errors"][0];
    assert_eq!(err["line"], 7);
    assert!(err["message"].as_str().unwrap().contains("reason"), "{err}");
}

#[test]
fn baseline_reports_and_fails_only_on_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "k8s/pod.yaml", PRIVILEGED);
    let out = kubeward(dir.path())
        .args([
            "scan",
            "k8s",
            "--format",
            "json",
            "--output",
            "baseline.json",
        ])
        .assert()
        .code(1);
    drop(out);
    // Nothing new: clean, even though the old findings are still there.
    let report = json(
        kubeward(dir.path()).args([
            "scan",
            "k8s",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
        ]),
        0,
    );
    assert!(ids(&report).is_empty());
    assert!(report["summary"]["suppressed"].as_u64().unwrap() > 0);
    // Lines moved (a comment on top) do not make a finding new; a new object does.
    let moved = format!(
        "# moved\n{PRIVILEGED}---\n{}",
        PRIVILEGED.replace("name: lab", "name: lab2")
    );
    write(dir.path(), "k8s/pod.yaml", &moved);
    let report = json(
        kubeward(dir.path()).args([
            "scan",
            "k8s",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
        ]),
        1,
    );
    let new: Vec<&Value> = report["findings"].as_array().unwrap().iter().collect();
    assert!(!new.is_empty());
    assert!(new.iter().all(|f| f["object"]["name"] == "lab2"));
    // A baseline that is not a report is a usage error.
    write(dir.path(), "notes.json", "{\"hello\": 1}");
    kubeward(dir.path())
        .args(["scan", "k8s", "--baseline", "notes.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a kubeward JSON report"));
}

#[test]
fn registry_allow_list_and_pull_policy_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", PRIVILEGED);
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json"]),
        1,
    );
    assert!(!ids(&report).iter().any(|id| id == "KW308" || id == "KW309"));
    write(
        dir.path(),
        ".kubeward.yaml",
        "allowedRegistries: [ghcr.io/acme]\nrequireImagePullAlways: true\n",
    );
    let report = json(
        kubeward(dir.path()).args(["scan", "pod.yaml", "--format", "json"]),
        1,
    );
    let found = ids(&report);
    assert!(found.contains(&"KW308".to_string()), "{found:?}");
    assert!(found.contains(&"KW309".to_string()), "{found:?}");
}
