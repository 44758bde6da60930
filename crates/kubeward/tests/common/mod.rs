//! Helpers shared by the CLI tests (`mod common;` in each test file that needs them).
// Each test file is its own crate and uses a part of this module.
#![allow(dead_code)]

use serde_json::Value;

/// The errors of `doc` against the JSON Schema `schema` (its text), one line each.
pub fn schema_errors(schema: &str, draft: jsonschema::Draft, doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema).expect("a schema in JSON");
    let v = jsonschema::options()
        .with_draft(draft)
        .build(&schema)
        .expect("a valid schema");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The errors of `doc` as SARIF 2.1.0 (the schema GitHub code scanning reads).
pub fn sarif_errors(doc: &Value) -> Vec<String> {
    schema_errors(
        include_str!("../../../kubeward-report/schema/sarif-schema-2.1.0.json"),
        jsonschema::Draft::Draft4,
        doc,
    )
}

/// `Kind/namespace/name` (or `Kind/name` for a cluster-scoped object) of every finding of
/// control `id` in a JSON report, sorted (one entry per finding).
pub fn finding_objects(report: &Value, id: &str) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("a JSON report has findings")
        .iter()
        .filter(|f| f["id"] == id)
        .map(|f| {
            let o = &f["object"];
            let (kind, name) = (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap());
            match o["namespace"].as_str() {
                Some(ns) => format!("{kind}/{ns}/{name}"),
                None => format!("{kind}/{name}"),
            }
        })
        .collect();
    v.sort();
    v
}
