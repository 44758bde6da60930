//! `kubeward report merge A.json B.json ... --format html`: several JSON reports of `scan`,
//! `cluster` or `audit` (one per cluster or repository) in one fleet report, each finding
//! tagged with its report. A report that cannot be read is an error naming it (with line and
//! column when it is not JSON) and is left out; the others are merged.

use std::io::Write;
use std::path::{Path, PathBuf};

use kubeward_controls::Severity;
use serde_json::{json, Value};

use super::{ControlInfo, HtmlWriter, Row};

/// A report that could not be merged, and why.
#[derive(Debug)]
pub struct MergeError {
    pub file: PathBuf,
    /// Line and column, when the report is not JSON.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// What the merge did.
pub struct Merged {
    pub reports: usize,
    pub findings: u64,
    pub errors: Vec<MergeError>,
}

/// A report's name in the fleet: its file name without `.json`, made unique.
fn report_name(path: &Path, taken: &[String]) -> String {
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    let stem = stem.strip_suffix(".json").unwrap_or(&stem).to_string();
    let mut name = stem.clone();
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{stem} ({i})");
        i += 1;
    }
    name
}

fn read_report(path: &Path) -> Result<Value, MergeError> {
    let fail = |at, message: String| MergeError {
        file: path.to_path_buf(),
        at,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(None, format!("cannot read the report: {e}")))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        fail(
            Some((e.line(), e.column())),
            format!(
                "not a JSON report: {}",
                kubeward_engine::json_error::describe(&e)
            ),
        )
    })?;
    if !v.get("findings").is_some_and(Value::is_array) {
        return Err(fail(
            None,
            "not a kubeward scan, cluster or audit report (it has no `findings` array; \
             write one with --format json)"
                .into(),
        ));
    }
    Ok(v)
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The page's description of a finding's control: kubeward's own when it knows the ID (with
/// its documentation), else what the report says.
fn control_info(f: &Value) -> ControlInfo {
    let id = str_at(f, "id");
    match kubeward_controls::registry::find(id).filter(|c| c.meta().id == id) {
        Some(c) => ControlInfo::from_meta(c.meta(), f["frameworks"].clone()),
        None => ControlInfo {
            id: id.to_string(),
            name: str_at(f, "name").to_string(),
            title: str_at(f, "title").to_string(),
            severity: str_at(f, "severity").to_string(),
            remediation: str_at(f, "remediation").to_string(),
            frameworks: f.get("frameworks").cloned().unwrap_or(json!({})),
            doc: String::new(),
        },
    }
}

/// Merge `paths` into one HTML fleet report written to `out`.
pub fn merge(
    paths: &[PathBuf],
    out: Box<dyn Write>,
    tool_version: &str,
) -> std::io::Result<Merged> {
    let mut page = HtmlWriter::new(out, "kubeward fleet report")?;
    let mut errors = Vec::new();
    let mut reports: Vec<Value> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for path in paths {
        let mut report = match read_report(path) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let index = reports.len() as u32;
        let name = report_name(path, &names);
        names.push(name.clone());
        let findings = report["findings"].take();
        for (i, f) in findings.as_array().into_iter().flatten().enumerate() {
            let severity = match str_at(f, "severity").parse::<Severity>() {
                Ok(s) if f["id"].is_string() => s,
                _ => {
                    errors.push(MergeError {
                        file: path.clone(),
                        at: None,
                        message: format!(
                            "findings[{i}]: not a finding (it needs a string `id` and a \
                             `severity` of critical, high, medium, low or info); left out"
                        ),
                    });
                    continue;
                }
            };
            let control = page.control(str_at(f, "id"), || control_info(f));
            let o = &f["object"];
            let l = &f["location"];
            let s = &f["suppressed"];
            page.row(&Row {
                report: index,
                control,
                severity,
                api_version: str_at(o, "apiVersion"),
                kind: str_at(o, "kind"),
                namespace: str_at(o, "namespace"),
                name: str_at(o, "name"),
                file: str_at(l, "file"),
                line: l["line"].as_u64().unwrap_or(0),
                column: l["column"].as_u64().unwrap_or(0),
                path: str_at(l, "path"),
                message: str_at(f, "message"),
                suppressed: s
                    .is_object()
                    .then(|| (str_at(s, "by"), str_at(s, "reason"), str_at(s, "expires"))),
            })?;
        }
        let risks = report.get_mut("risks").map(Value::take);
        let risks_total = risks.as_ref().and_then(Value::as_array).map_or(0, Vec::len);
        reports.push(json!({
            "name": name,
            "file": path.display().to_string(),
            "kind": report.get("kind").cloned().unwrap_or(json!("scan")),
            "tool": report["tool"].take(),
            "settings": report["settings"].take(),
            "summary": report["summary"].take(),
            "errors": report["errors"].take(),
            "warnings": report["warnings"].take(),
            "risks": risks,
            "risksTotal": risks_total,
        }));
    }
    let merged = Merged {
        reports: reports.len(),
        findings: page.rows(),
        errors,
    };
    let meta = json!({
        "kind": "fleet",
        "title": "kubeward fleet report",
        "tool": tool_version,
        "reports": reports,
    });
    page.finish(meta, None)?;
    Ok(merged)
}
