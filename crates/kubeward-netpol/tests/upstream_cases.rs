//! Ground truth: the connection lists of np-guard/netpol-analyzer's own test cases
//! (tests/data/netpol-reachability, Apache-2.0, see its README). For every case, kubeward's
//! connection list must equal the upstream `expected-connlist.txt` as a set of lines.
//!
//! Only the upstream file is the truth here; kubeward's output is never written back to it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeward_netpol::NetModel;
use kubeward_yaml::Limits;

/// Cases kubeward does not reproduce, with the reason. Asserted exactly, so the list can only
/// shrink on purpose.
const UNSUPPORTED: &[(&str, &str)] = &[];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/netpol-reachability/cases")
}

/// Every manifest file under `dir`, in path order (.yaml, .yml, .json, as the analyzer reads).
fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            manifests(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// The connection lines of an expected-connlist.txt (other sections, such as the
/// "Workload-to-Networks Mapping" of the multi-network mode, are not connections).
fn expected(case: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(case.join("expected-connlist.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(" => "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn actual(case: &Path) -> BTreeSet<String> {
    actual_merged(case, false)
}

/// The connection list of a case; with `per_file`, each file is read into a model of its own
/// and the models are merged in order, as the engine's parallel units are
/// ([`NetModel::merge`]).
fn actual_merged(case: &Path, per_file: bool) -> BTreeSet<String> {
    let mut files = Vec::new();
    manifests(&case.join("manifests"), &mut files);
    let mut model = NetModel::default();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name: Arc<str> = Arc::from(f.display().to_string());
        // Problems (upstream cases hold deliberately odd input) do not stop the evaluation.
        if per_file {
            let mut part = NetModel::default();
            let _ = part.read_text(&name, &text, &Limits::default());
            model.merge(part);
        } else {
            let _ = model.read_text(&name, &text, &Limits::default());
        }
    }
    model
        .finish()
        .connections()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// At most `n` lines of a set difference, for a readable failure.
fn sample(lines: &BTreeSet<&String>, n: usize) -> String {
    let mut s: Vec<String> = lines.iter().take(n).map(|l| format!("    {l}")).collect();
    if lines.len() > n {
        s.push(format!("    ... and {} more", lines.len() - n));
    }
    s.join("\n")
}

#[test]
fn every_upstream_case_matches_its_expected_connection_list() {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 29, "the upstream data set has 29 cases");
    let mut failures = Vec::new();
    let mut unsupported = Vec::new();
    for name in &names {
        let case = cases_dir().join(name);
        let want = expected(&case);
        let got = actual(&case);
        let ok = want == got;
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(n, _)| n == name) {
            // Still computed: an unsupported case that starts passing must leave the list.
            assert!(!ok, "{name} now passes: remove it from UNSUPPORTED ({why})");
            unsupported.push(name.as_str());
            continue;
        }
        if !ok {
            let missing: BTreeSet<&String> = want.difference(&got).collect();
            let extra: BTreeSet<&String> = got.difference(&want).collect();
            failures.push(format!(
                "{name}: {} expected lines, {} computed\n  missing (expected, not computed):\n{}\n  extra (computed, not expected):\n{}",
                want.len(),
                got.len(),
                sample(&missing, 15),
                sample(&extra, 15)
            ));
        }
    }
    let listed: Vec<&str> = UNSUPPORTED.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        unsupported, listed,
        "UNSUPPORTED names cases that do not exist"
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Models read a file at a time and merged give every case's expected list too.
#[test]
fn merged_models_give_the_same_connections() {
    for entry in std::fs::read_dir(cases_dir()).unwrap() {
        let case = entry.unwrap().path();
        if UNSUPPORTED.iter().any(|(n, _)| case.ends_with(n)) {
            continue;
        }
        assert_eq!(
            actual_merged(&case, true),
            expected(&case),
            "{}",
            case.display()
        );
    }
}
