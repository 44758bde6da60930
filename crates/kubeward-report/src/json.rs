//! `--format json`: one JSON document, findings streamed. The schema is
//! `schema/kubeward-report.schema.json`, documented in `docs/json-output.md`.

use std::io::{self, Write};

use kubeward_engine::{FileResult, Finding, InputError, Sink, Summary, Warning};
use serde_json::{json, Value};

use crate::{Reporter, RunInfo};

/// Bumped on any incompatible change of the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON form of a finding (shared with the webhook and SARIF properties).
pub fn finding_json(f: &Finding) -> Value {
    let fw = f.control.frameworks;
    let mut frameworks = serde_json::Map::new();
    if let Some(p) = fw.pss {
        frameworks.insert(
            "pss".into(),
            json!({"level": p.level.as_str(), "check": p.check}),
        );
    }
    for (k, v) in [("nsa", fw.nsa), ("cis", fw.cis), ("mitre", fw.mitre)] {
        if !v.is_empty() {
            frameworks.insert(k.into(), json!(v));
        }
    }
    let mut v = json!({
        "id": f.control.id,
        "name": f.control.name,
        "title": f.control.title,
        "severity": f.severity.as_str(),
        "object": &*f.object,
        "location": {
            "file": &*f.file,
            "line": f.pos.line,
            "column": f.pos.column,
            "path": f.path.as_str(),
        },
        "message": f.message,
        "remediation": f.control.remediation,
        "frameworks": frameworks,
    });
    if let Some(s) = &f.suppressed {
        v["suppressed"] = json!({"by": s.by.as_str(), "reason": s.reason});
    }
    v
}

pub(crate) fn error_json(e: &InputError) -> Value {
    let mut v = json!({"file": &*e.file, "message": e.message});
    if let Some(p) = e.pos {
        v["line"] = json!(p.line);
        v["column"] = json!(p.column);
    }
    if let Some(o) = &e.object {
        v["object"] = json!(&**o);
    }
    v
}

fn warning_json(n: &Warning) -> Value {
    json!({"file": &*n.file, "line": n.pos.line, "column": n.pos.column, "message": n.message})
}

/// `{"pss-restricted": {"controls": 19, "passed": 12, "score": 63.2, "failingResources": 4}}`
pub(crate) fn scores_json(s: &Summary) -> Value {
    Value::Object(
        s.frameworks
            .iter()
            .map(|f| {
                (
                    f.framework.to_string(),
                    json!({
                        "controls": f.controls_evaluated,
                        "passed": f.controls_passed,
                        "score": f.score(),
                        "failingResources": f.resources_failing,
                    }),
                )
            })
            .collect(),
    )
}

pub(crate) fn summary_json(s: &Summary, info: &RunInfo) -> Value {
    let by_severity: serde_json::Map<String, Value> = kubeward_controls::Severity::ALL
        .iter()
        .map(|sev| {
            (
                sev.as_str().to_string(),
                json!(s.by_severity.get(sev).copied().unwrap_or(0)),
            )
        })
        .collect();
    json!({
        "files": s.files,
        "documents": s.documents,
        "objects": s.objects,
        "controls": s.controls_run,
        "findings": s.findings(),
        "errors": s.errors,
        "warnings": s.warnings,
        "suppressed": s.suppressed,
        "bySeverity": by_severity,
        "frameworks": scores_json(s),
        "byControl": s.by_control,
        "exitCode": s.exit_code(info.fail_on),
    })
}

pub struct JsonReporter {
    out: Box<dyn Write>,
    info: RunInfo,
    started: bool,
    any: bool,
    errors: Vec<Value>,
    warnings: Vec<Value>,
}

impl JsonReporter {
    pub fn new(out: Box<dyn Write>, info: RunInfo) -> Self {
        JsonReporter {
            out,
            info,
            started: false,
            any: false,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Write the header and open the findings array, once.
    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let header = json!({
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "kubeward", "version": self.info.tool_version},
            "settings": {
                "pssVersion": self.info.pss_version.to_string(),
                "frameworks": self.info.frameworks,
                "failOn": self.info.fail_on.as_str(),
            },
        });
        let header = serde_json::to_string(&header)?;
        // The header object minus its closing brace; the findings array follows.
        write!(self.out, "{},\"findings\":[", &header[..header.len() - 1])
    }
}

impl Sink for JsonReporter {
    fn file(&mut self, r: FileResult) -> io::Result<()> {
        self.start()?;
        for f in &r.findings {
            if self.any {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, &finding_json(f))?;
            self.any = true;
        }
        self.errors.extend(r.errors.iter().map(error_json));
        self.warnings.extend(r.warnings.iter().map(warning_json));
        Ok(())
    }
}

impl Reporter for JsonReporter {
    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<()> {
        self.start()?;
        let errors = serde_json::to_string(&self.errors)?;
        let warnings = serde_json::to_string(&self.warnings)?;
        let summary = serde_json::to_string(&summary_json(summary, &self.info))?;
        writeln!(
            self.out,
            "],\"errors\":{errors},\"warnings\":{warnings},\"summary\":{summary}}}"
        )?;
        self.out.flush()
    }
}
