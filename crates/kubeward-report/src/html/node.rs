//! `kubeward node --format html`: the CIS Benchmark checks of a node, from the node report's
//! JSON (kubeward-node's `report::to_json`): one row per check, FAIL ones reported and the
//! others under their status (PASS, WARN, MANUAL), with the benchmark's summary per section.

use std::io::Write;

use kubeward_controls::Severity;
use serde_json::{json, Value};

use super::{ControlInfo, HtmlWriter, Row};

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Write the page of the node report `report` to `out`.
pub fn write(report: &Value, out: Box<dyn Write>) -> std::io::Result<()> {
    let title = format!("kubeward node report: {}", s(&report["benchmark"], "title"));
    let mut page = HtmlWriter::new(out, &title)?;
    for x in report["results"].as_array().into_iter().flatten() {
        let id = format!("CIS-{}", s(x, "id"));
        let severity: Severity = s(x, "severity").parse().unwrap_or(Severity::Medium);
        let control = page.control(&id, || ControlInfo {
            id: id.clone(),
            name: format!("cis-{}", s(x, "id")),
            title: s(x, "title").to_string(),
            severity: severity.as_str().to_string(),
            remediation: s(x, "remediation").to_string(),
            frameworks: json!({"cis": [s(x, "id")]}),
            doc: String::new(),
        });
        let status = s(x, "status").to_ascii_lowercase();
        let message = format!(
            "{}: observed {}; expected {}",
            s(x, "status"),
            s(x, "observed"),
            s(x, "expected")
        );
        let l = &x["location"];
        page.row(&Row {
            report: 0,
            control,
            severity,
            api_version: "",
            kind: "Node check",
            namespace: s(x, "section"),
            name: s(x, "source"),
            file: s(l, "file"),
            line: l["line"].as_u64().unwrap_or(0),
            column: l["column"].as_u64().unwrap_or(0),
            path: s(x, "group"),
            message: &message,
            suppressed: (status != "fail").then_some((status.as_str(), "", "")),
        })?;
    }
    let errors: Vec<Value> = report["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| match e.as_str() {
            Some(m) => json!({"file": "", "message": m}),
            None => e.clone(),
        })
        .collect();
    let meta = json!({
        "kind": "node",
        "title": title,
        "tool": s(&report["tool"], "version"),
        "reports": [{
            "name": "node",
            "kind": "node",
            "tool": report["tool"],
            "settings": {"benchmark": report["benchmark"]["name"], "role": report["node"]["role"]},
            "node": {"node": report["node"], "components": report["components"], "sections": report["sections"]},
            "summary": {"node": report["summary"], "errors": errors.len()},
            "errors": errors,
            "warnings": [],
        }],
    });
    page.finish(meta, None)
}
