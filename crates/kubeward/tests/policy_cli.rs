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
    for f in ["template.yaml"] {
        std::fs::copy(lib.join(f), dir.path().join(f)).unwrap();
    }
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
