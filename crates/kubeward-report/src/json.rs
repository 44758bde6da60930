//! `--format json`: one JSON document, findings streamed. The schema is
//! `schema/kubeward-report.schema.json`, documented in `docs/json-output.md`.

use std::io::{self, Write};

use kubeward_engine::{FileResult, Finding, InputError, Sink, Summary, Warning};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{Reporter, RunInfo};

/// Bumped on any incompatible change of the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON form of a finding, borrowed from it: serialized straight to the output, since
/// building a `serde_json::Value` per finding was a third of the writer's time on big scans.
#[derive(Serialize)]
pub struct FindingJson<'a> {
    id: &'static str,
    name: &'static str,
    title: &'static str,
    severity: &'static str,
    object: &'a kubeward_model::ObjectId,
    location: LocationJson<'a>,
    message: &'a str,
    remediation: &'static str,
    frameworks: FrameworksJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<SuppressedJson<'a>>,
}

#[derive(Serialize)]
struct LocationJson<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    path: &'a str,
    /// The Helm template or Kustomize file the object was rendered from.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a kubeward_engine::origin::Origin>,
}

#[derive(Serialize)]
struct PssJson {
    level: &'static str,
    check: &'static str,
}

#[derive(Serialize)]
struct FrameworksJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pss: Option<PssJson>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    nsa: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    cis: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    mitre: &'static [&'static str],
}

#[derive(Serialize)]
struct SuppressedJson<'a> {
    by: &'static str,
    reason: &'a str,
    /// A config exclusion's expiry, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> Self {
        let fw = f.control.frameworks;
        FindingJson {
            id: f.control.id,
            name: f.control.name,
            title: f.control.title,
            severity: f.severity.as_str(),
            object: &f.object,
            location: LocationJson {
                file: &f.file,
                line: f.pos.line,
                column: f.pos.column,
                path: f.path.as_str(),
                source: None,
            },
            message: &f.message,
            remediation: f.control.remediation,
            frameworks: FrameworksJson {
                pss: fw.pss.map(|p| PssJson {
                    level: p.level.as_str(),
                    check: p.check,
                }),
                nsa: fw.nsa,
                cis: fw.cis,
                mitre: fw.mitre,
            },
            suppressed: f.suppressed.as_ref().map(|s| SuppressedJson {
                by: s.by.as_str(),
                reason: &s.reason,
                expires: s.expires_iso(),
            }),
        }
    }
}

/// The JSON form of a finding as a value (for the webhook and SARIF properties).
pub fn finding_json(f: &Finding) -> Value {
    serde_json::to_value(FindingJson::from(f)).unwrap_or(Value::Null)
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

pub(crate) fn warning_json(n: &Warning) -> Value {
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
        "platform": s.platform,
        "bySeverity": by_severity,
        "frameworks": scores_json(s),
        "byControl": s.by_control,
        "exitCode": s.exit_code(info.fail_on),
    })
}

/// Rendered findings held before they are written.
const FLUSH_BYTES: usize = 1 << 20;

pub struct JsonReporter {
    out: Box<dyn Write>,
    info: RunInfo,
    started: bool,
    any: bool,
    errors: Vec<Value>,
    warnings: Vec<Value>,
    /// The top risks, when the run computed them.
    risks: Option<Vec<Value>>,
    /// One piece's findings, rendered before a single write to `out`.
    buf: Vec<u8>,
    fragments: ControlFragments,
}

/// The parts of a finding's JSON that depend only on its control (names, title, remediation,
/// framework mappings), rendered once per control: they were most of the bytes the writer
/// escaped on big scans, where one control reports thousands of findings.
#[derive(Default)]
struct ControlFragments(std::collections::HashMap<&'static str, Fragments>);

/// The JSON before a finding's own parts, and after them.
type Fragments = (Box<[u8]>, Box<[u8]>);

impl ControlFragments {
    /// `{"id":…,"name":…,"title":…,` and `,"remediation":…,"frameworks":{…}` for `f`'s control.
    fn get(&mut self, f: &Finding) -> io::Result<&Fragments> {
        let c = f.control;
        if !self.0.contains_key(c.id) {
            let full = FindingJson::from(f);
            let mut head = br#"{"id":"#.to_vec();
            serde_json::to_writer(&mut head, &full.id)?;
            head.extend_from_slice(br#","name":"#);
            serde_json::to_writer(&mut head, &full.name)?;
            head.extend_from_slice(br#","title":"#);
            serde_json::to_writer(&mut head, &full.title)?;
            head.push(b',');
            let mut tail = br#","remediation":"#.to_vec();
            serde_json::to_writer(&mut tail, &full.remediation)?;
            tail.extend_from_slice(br#","frameworks":"#);
            serde_json::to_writer(&mut tail, &full.frameworks)?;
            self.0.insert(c.id, (head.into(), tail.into()));
        }
        Ok(&self.0[c.id])
    }
}

/// Append `f` as JSON to `out`: the same document as serializing [`FindingJson`], field for
/// field and in the same order (a test holds the two equal), with the control's part copied
/// from `fragments`.
fn write_finding(
    out: &mut Vec<u8>,
    fragments: &mut ControlFragments,
    f: &Finding,
    source: Option<&kubeward_engine::origin::Origin>,
) -> io::Result<()> {
    let (head, tail) = fragments.get(f)?;
    out.extend_from_slice(head);
    out.extend_from_slice(br#""severity":""#);
    out.extend_from_slice(f.severity.as_str().as_bytes());
    out.extend_from_slice(br#"","object":"#);
    serde_json::to_writer(&mut *out, &*f.object)?;
    out.extend_from_slice(br#","location":"#);
    serde_json::to_writer(
        &mut *out,
        &LocationJson {
            file: &f.file,
            line: f.pos.line,
            column: f.pos.column,
            path: f.path.as_str(),
            source,
        },
    )?;
    out.extend_from_slice(br#","message":"#);
    serde_json::to_writer(&mut *out, &f.message)?;
    out.extend_from_slice(tail);
    if let Some(s) = &f.suppressed {
        out.extend_from_slice(br#","suppressed":"#);
        serde_json::to_writer(
            &mut *out,
            &SuppressedJson {
                by: s.by.as_str(),
                reason: &s.reason,
                expires: s.expires_iso(),
            },
        )?;
    }
    out.push(b'}');
    Ok(())
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
            risks: None,
            buf: Vec::new(),
            fragments: ControlFragments::default(),
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
        self.buf.clear();
        for f in &r.findings {
            if self.any {
                self.buf.push(b',');
            }
            write_finding(
                &mut self.buf,
                &mut self.fragments,
                f,
                r.origin_of(f).map(|o| &**o),
            )?;
            self.any = true;
            // A piece with many findings (a batch of cross-object ones) is written in parts,
            // so the buffer stays small.
            if self.buf.len() >= FLUSH_BYTES {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        self.out.write_all(&self.buf)?;
        self.errors.extend(r.errors.iter().map(error_json));
        self.warnings.extend(r.warnings.iter().map(warning_json));
        Ok(())
    }
}

impl Reporter for JsonReporter {
    fn risks(&mut self, top: crate::risks::TopRisks) {
        self.risks = Some(top.json);
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<()> {
        self.start()?;
        let errors = serde_json::to_string(&self.errors)?;
        let warnings = serde_json::to_string(&self.warnings)?;
        let risks = match &self.risks {
            Some(r) => format!(",\"risks\":{}", serde_json::to_string(r)?),
            None => String::new(),
        };
        let summary = serde_json::to_string(&summary_json(summary, &self.info))?;
        writeln!(
            self.out,
            "],\"errors\":{errors},\"warnings\":{warnings}{risks},\"summary\":{summary}}}"
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod fast_writer_tests {
    use kubeward_controls::{registry, Settings, Severity};
    use kubeward_engine::{Engine, Policy, SuppressedBy, Suppression};
    use kubeward_yaml::Limits;

    use super::*;

    /// Every control's failing fixtures: the hand-assembled JSON of each finding is the same
    /// document, byte for byte, as serializing `FindingJson`, suppressed or not, whatever the
    /// severity override.
    #[test]
    fn write_finding_equals_serde_of_finding_json() {
        let engine = Engine::new(
            registry::all().to_vec(),
            Settings::default(),
            Limits::default(),
        )
        .with_policy(Policy::default());
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubeward-controls/fixtures");
        let mut fragments = ControlFragments::default();
        let mut compared = 0;
        for dir in std::fs::read_dir(&fixtures).unwrap() {
            for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let result = engine.scan_text(&path.display().to_string(), &text);
                for (i, mut f) in result.findings.into_iter().enumerate() {
                    if i % 2 == 1 {
                        f.severity = Severity::Info;
                        f.suppressed = Some(Suppression {
                            by: SuppressedBy::Config,
                            reason: "a \"quoted\" reason\n".into(),
                            expires: (i % 4 == 1).then_some((2027, 6, 30)),
                        });
                    }
                    let mut fast = Vec::new();
                    write_finding(&mut fast, &mut fragments, &f, None).unwrap();
                    let slow = serde_json::to_vec(&FindingJson::from(&f)).unwrap();
                    assert_eq!(
                        String::from_utf8(fast).unwrap(),
                        String::from_utf8(slow).unwrap()
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 500, "only {compared} findings compared");
    }
}
