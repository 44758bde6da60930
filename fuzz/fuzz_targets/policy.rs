//! kubeward-policy: Gatekeeper ConstraintTemplates (Rego and K8sNativeValidation CEL),
//! Constraints, ValidatingAdmissionPolicies and their bindings read from arbitrary text,
//! compiled with both engines, and every other document of the text evaluated against them,
//! with all documents as the inventory (referential templates, VAP params and namespace
//! selectors read it), by a scan's builder and by an admission server's (which keeps
//! ValidatingAdmissionPolicies that do not compile). Invariants: no panic, evaluation ends (the engines' cost and time
//! budgets; libFuzzer's timeout catches a hang), and every error is located inside the input:
//! in the file read, at a line and column the text has ([`Lines`]: lines as YAML counts them).
#![no_main]

use kubeward_fuzz::{text_of, Lines};
use kubeward_policy::load::parse_documents;
use kubeward_policy::{EngineChoice, Inventory, PolicySetBuilder};
use kubeward_yaml::Pos;
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.yaml";

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let lines = Lines::of(&text);
    let (docs, read_errors) = parse_documents(&text, FILE);
    let check = |e: &kubeward_policy::PolicyError| {
        assert_eq!(e.source.file, FILE, "{e}");
        let pos = Pos {
            line: e.source.line,
            column: e.source.column,
        };
        lines.check(pos, &format!("policy error {e}"));
    };
    read_errors.iter().for_each(check);
    let values: Vec<serde_json::Value> = docs.iter().map(|d| d.value.clone()).collect();
    let inventory = Inventory::new(values.iter());
    // The scan's builder for each engine, and the admission server's (which keeps
    // ValidatingAdmissionPolicies that do not compile and asks what to sync).
    for (engine, admission) in [
        (EngineChoice::Auto, false),
        (EngineChoice::Rego, false),
        (EngineChoice::Cel, false),
        (EngineChoice::Auto, true),
    ] {
        let mut builder = PolicySetBuilder::new(engine).keep_uncompiled(admission);
        let mut objects = Vec::new();
        for d in docs.iter().cloned() {
            let value = d.value.clone();
            if !builder.add(d) {
                builder.add_object(value.clone());
                objects.push(value);
            }
        }
        let (set, errors) = builder.build();
        errors.iter().for_each(check);
        if admission {
            let _ = set.sync_requirements();
        }
        for o in objects.iter().take(8) {
            let _ = set.evaluate(o, &inventory);
        }
    }
});
