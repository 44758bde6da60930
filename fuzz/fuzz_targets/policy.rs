//! kubeward-policy: Gatekeeper ConstraintTemplates (Rego and K8sNativeValidation CEL) and
//! Constraints read from arbitrary text, compiled with both engines, and every other document
//! of the text evaluated against them, with all documents as the inventory (referential
//! templates read it). Invariants: no panic, evaluation ends (the engines' cost and time
//! budgets; libFuzzer's timeout catches a hang), and every error is located inside the input:
//! in the file read, on a line the text has (LF, CRLF and bare CR end lines, as in YAML).
#![no_main]

use kubeward_fuzz::text_of;
use kubeward_policy::load::parse_documents;
use kubeward_policy::{EngineChoice, Inventory, PolicySetBuilder};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.yaml";

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    // Lines as YAML counts them: LF, CRLF and a bare CR each end one.
    let bytes = text.as_bytes();
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    let lines = breaks as u32 + 1;
    let (docs, read_errors) = parse_documents(&text, FILE);
    for e in &read_errors {
        assert_eq!(e.source.file, FILE, "{e}");
        assert!(e.source.line >= 1 && e.source.line <= lines, "{e}");
    }
    let values: Vec<serde_json::Value> = docs.iter().map(|d| d.value.clone()).collect();
    let inventory = Inventory::new(values.iter());
    for engine in [EngineChoice::Auto, EngineChoice::Rego, EngineChoice::Cel] {
        let mut builder = PolicySetBuilder::new(engine);
        let mut objects = Vec::new();
        for d in docs.iter().cloned() {
            let value = d.value.clone();
            if !builder.add(d) {
                objects.push(value);
            }
        }
        let (set, errors) = builder.build();
        for e in &errors {
            assert_eq!(e.source.file, FILE, "{e}");
            assert!(e.source.line >= 1 && e.source.line <= lines, "{e}");
        }
        for o in objects.iter().take(8) {
            let _ = set.evaluate(o, &inventory);
        }
    }
});
