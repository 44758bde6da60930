//! Baselines: a previous JSON report whose findings are accepted, so that a team adopting
//! kubeward fails only on new findings.

use std::collections::HashSet;

use serde::Deserialize;

/// The parts of a JSON report (docs/json-output.md) a baseline needs; the rest is ignored so
/// that reports from older and newer versions load.
#[derive(Deserialize)]
struct Report {
    findings: Vec<ReportFinding>,
}

#[derive(Deserialize)]
struct ReportFinding {
    id: String,
    object: ReportObject,
    location: ReportLocation,
}

#[derive(Deserialize)]
struct ReportObject {
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    name: String,
}

#[derive(Deserialize)]
struct ReportLocation {
    path: String,
}

/// The fingerprints ([`crate::Finding::fingerprint`]) of every finding in a JSON report.
/// Line numbers are not part of a fingerprint: edits above a finding do not make it new.
pub fn fingerprints(json: &str) -> Result<HashSet<String>, String> {
    let report: Report = serde_json::from_str(json).map_err(|e| {
        format!(
            "not a kubeward JSON report (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    Ok(report
        .findings
        .into_iter()
        .map(|f| {
            format!(
                "{}|{}|{}|{}|{}",
                f.id,
                f.object.kind,
                f.object.namespace.unwrap_or_default(),
                f.object.name,
                f.location.path
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fingerprints_and_rejects_other_json() {
        let json = r#"{"findings":[{"id":"KW101","object":{"apiVersion":"v1","kind":"Pod",
            "namespace":"prod","name":"web"},"location":{"file":"a.yaml","line":3,"column":5,
            "path":"spec.containers[0].securityContext.privileged"}}],"summary":{}}"#;
        let set = fingerprints(json).unwrap();
        assert!(set.contains("KW101|Pod|prod|web|spec.containers[0].securityContext.privileged"));
        let err = fingerprints("{\"runs\": []}").unwrap_err();
        assert!(err.contains("not a kubeward JSON report"), "{err}");
        assert!(fingerprints("[1,").is_err());
    }
}
