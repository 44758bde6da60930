//! Every `suite.yaml` of the Gatekeeper library (tests/data/gatekeeper-library, see its
//! PROVENANCE) against both engines, as upstream CI runs `gator verify`: every case must pass
//! with Rego, and every case of a template with `K8sNativeValidation` code must pass with CEL.
//! The expected results are the suites' own assertions.

use std::path::Path;

use kubeward_policy::suite::{find_suites, run_suite, Counts, Outcome, SuiteOptions};
use kubeward_policy::EngineChoice;

fn run(engine: EngineChoice) -> (Counts, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gatekeeper-library");
    let suites = find_suites(&root).expect("the library is readable");
    assert_eq!(suites.len(), 49, "one suite per template");
    let mut total = Counts::default();
    let mut failures = Vec::new();
    for s in suites {
        let r = run_suite(&s, &SuiteOptions { engine });
        total += r.counts();
        if let Some(e) = &r.error {
            failures.push(format!("{}: {e}", s.display()));
        }
        for t in &r.tests {
            for c in &t.cases {
                if let Outcome::Fail(why) = &c.outcome {
                    failures.push(format!("{} {}/{}: {why}", s.display(), t.name, c.name));
                }
            }
        }
    }
    (total, failures)
}

fn check(engine: EngineChoice, want_passed: usize) {
    let (counts, failures) = run(engine);
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "{engine:?}: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    assert!(failures.is_empty(), "{} cases failed", failures.len());
    assert_eq!(counts.passed, want_passed);
}

#[test]
fn every_rego_case_passes() {
    check(EngineChoice::Rego, 270);
}

#[test]
fn every_cel_case_passes() {
    check(EngineChoice::Cel, 131);
}
