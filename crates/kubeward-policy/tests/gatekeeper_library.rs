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

/// Every template and every sample constraint of the library in one policy set (as a scan
/// would load them), over every sample object: everything compiles together, no template's
/// packages collide with another's, and every evaluation returns.
#[test]
fn the_whole_library_in_one_set() {
    use kubeward_policy::load::read_documents;
    use kubeward_policy::{Inventory, PolicySetBuilder};

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gatekeeper-library");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    for engine in [EngineChoice::Auto, EngineChoice::Rego] {
        let mut b = PolicySetBuilder::new(engine);
        let mut objects = Vec::new();
        for f in &files {
            let name = f.file_name().unwrap().to_str().unwrap();
            for d in read_documents(f).unwrap() {
                if name == "template.yaml" || name.starts_with("constraint") {
                    b.add(d);
                } else if name.starts_with("example") || name.starts_with("disallowed") {
                    objects.push(d.value);
                }
            }
        }
        let (policies, errors) = b.build();
        assert!(errors.is_empty(), "{errors:#?}");
        let (templates, constraints) = policies.len();
        assert_eq!(templates, 49);
        assert!(constraints >= 75, "{constraints}");
        let inventory = Inventory::new(objects.iter());
        let mut violations = 0;
        for o in &objects {
            violations += policies.evaluate(o, &inventory).len();
        }
        eprintln!(
            "{engine:?}: {templates} templates, {constraints} constraints, {} objects, {violations} violations",
            objects.len()
        );
        assert!(violations > 0);
    }
}
