//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it (rules with help text and
//! `security-severity`, results with regions and stable partial fingerprints).

use std::collections::HashMap;
use std::io::{self, Write};

use kubeward_controls::Severity;
use kubeward_engine::{FileResult, Finding, InputError, Sink, Summary};
use serde_json::{json, Value};

use crate::{Reporter, RunInfo};

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0+ high, 4.0+ medium, below that low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A relative or absolute file path as a SARIF `uri`: percent-encode what a URI may not hold.
pub fn file_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits: a fingerprint that must stay the same across kubeward builds and Rust
/// versions, which std's hashers do not promise. Five lines do not warrant a crate.
fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

pub struct SarifReporter {
    out: Box<dyn Write>,
    info: RunInfo,
    rule_index: HashMap<&'static str, usize>,
    started: bool,
    any: bool,
    errors: Vec<InputError>,
    /// Warnings (e.g. `kubeward cluster`'s "not scanned: forbidden") become notifications too.
    warnings: Vec<kubeward_engine::Warning>,
    /// Results for the top risks, written at the end of the results.
    risks: Vec<Value>,
}

impl SarifReporter {
    pub fn new(out: Box<dyn Write>, info: RunInfo) -> Self {
        let rule_index = info
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.meta().id, i))
            .collect();
        SarifReporter {
            out,
            info,
            rule_index,
            started: false,
            any: false,
            errors: Vec::new(),
            warnings: Vec::new(),
            risks: Vec::new(),
        }
    }

    /// A risk as a result of rule KW1201: located at its first step's evidence, with a code
    /// flow through every step's places and all of them as related locations.
    fn risk_result(&self, r: &Value) -> Value {
        let loc = |(file, line, column, path): (&str, u64, u64, &str), text: String| {
            json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": file_uri(file)},
                    "region": {"startLine": line.max(1), "startColumn": column.max(1)},
                },
                "message": {"text": if path.is_empty() { text } else { format!("{text} ({path})") }},
            })
        };
        let mut flow = Vec::new();
        let mut related = Vec::new();
        for s in r["steps"].as_array().into_iter().flatten() {
            let text = format!(
                "{} -> {}",
                s["edge"].as_str().unwrap_or("?"),
                s["to"]["description"].as_str().unwrap_or("?")
            );
            for p in crate::risks::step_places(s) {
                flow.push(json!({"location": loc(p, text.clone())}));
                let mut l = loc(p, text.clone());
                l["id"] = json!(related.len());
                related.push(l);
            }
        }
        let score = r["score"].as_f64().unwrap_or(0.0);
        let level = if score >= 50.0 {
            "error"
        } else if score >= 20.0 {
            "warning"
        } else {
            "note"
        };
        let mut v = json!({
            "ruleId": crate::risks::RULE_ID,
            "ruleIndex": self.info.controls.len(),
            "level": level,
            "message": {"text": format!(
                "attack path #{} (score {score}): {}",
                r["rank"], crate::risks::chain(r)
            )},
            "partialFingerprints": {
                "kubewardRisk/v1": fnv1a(&[r["id"].as_str().unwrap_or("")]),
            },
            "properties": {"risk": r},
        });
        if let Some(first) = related.first() {
            let mut first = first.clone();
            if let Some(o) = first.as_object_mut() {
                o.remove("id");
            }
            v["locations"] = json!([first]);
            v["codeFlows"] = json!([{"threadFlows": [{"locations": flow}]}]);
            v["relatedLocations"] = json!(related);
        }
        v
    }

    fn rules(&self) -> Vec<Value> {
        let risk_rule = json!({
            "id": crate::risks::RULE_ID,
            "name": crate::risks::RULE_NAME,
            "shortDescription": {"text": "Attack path from an entry point to an impact"},
            "fullDescription": {"text": "A chain of attack and access edges (exposure, container escape, identity, RBAC) from an entry point (the internet, any pod, a user or group) to an impact (cluster-admin, a node, Secrets, a data volume), ranked by score; docs/risks.md"},
            "help": {"text": "Break the chain at any step: the step with the highest likelihood is usually the cheapest to remove. `kubeward risks` explains each risk and its score."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["security", "kubernetes", "attack-path"], "precision": "high", "security-severity": "8.0"},
        });
        self.info
            .controls
            .iter()
            .map(|c| {
                let m = c.meta();
                let mut tags = vec!["security".to_string(), "kubernetes".to_string()];
                if let Some(p) = m.frameworks.pss {
                    tags.push(format!("pss-{}", p.level.as_str()));
                }
                tags.extend(m.frameworks.cis.iter().map(|c| format!("CIS-{c}")));
                tags.extend(m.frameworks.mitre.iter().map(|t| format!("MITRE-{t}")));
                json!({
                    "id": m.id,
                    "name": m.name,
                    "shortDescription": {"text": m.title},
                    "fullDescription": {"text": m.remediation},
                    "help": {"text": m.documentation(), "markdown": m.documentation()},
                    "defaultConfiguration": {"level": level(m.severity)},
                    "properties": {
                        "tags": tags,
                        "precision": "very-high",
                        "security-severity": security_severity(m.severity),
                        "kubeward-severity": m.severity.as_str(),
                    },
                })
            })
            .chain(self.info.attack_paths.then_some(risk_rule))
            .collect()
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let head = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
        });
        let run_head = json!({
            "tool": {"driver": {
                "name": "kubeward",
                "version": self.info.tool_version,
                "semanticVersion": self.info.tool_version,
                "rules": self.rules(),
            }},
            "columnKind": "unicodeCodePoints",
        });
        let head = serde_json::to_string(&head)?;
        let run_head = serde_json::to_string(&run_head)?;
        write!(
            self.out,
            "{},\"runs\":[{},\"results\":[",
            &head[..head.len() - 1],
            &run_head[..run_head.len() - 1]
        )
    }

    fn result(&self, f: &Finding) -> Value {
        let ns = f.object.namespace.as_deref().unwrap_or("");
        let mut v = json!({
            "ruleId": f.control.id,
            "ruleIndex": self.rule_index.get(f.control.id).copied().unwrap_or(0),
            "level": level(f.severity),
            "message": {"text": format!("{} ({}: {})", f.message, f.object, f.path)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": file_uri(&f.file)},
                    "region": {"startLine": f.pos.line, "startColumn": f.pos.column},
                },
                "logicalLocations": [{
                    "fullyQualifiedName": format!("{}/{}", f.object, f.path),
                    "kind": "resource",
                }],
            }],
            "partialFingerprints": {
                "kubewardFinding/v1": fnv1a(&[f.control.id, &f.object.kind, ns, &f.object.name, f.path.as_str()]),
            },
            "properties": {
                "object": &*f.object,
                "path": f.path.as_str(),
                "severity": f.severity.as_str(),
            },
        });
        if let Some(s) = &f.suppressed {
            let kind = if s.by == kubeward_engine::SuppressedBy::Annotation {
                "inSource"
            } else {
                "external"
            };
            v["suppressions"] =
                json!([{"kind": kind, "status": "accepted", "justification": s.reason}]);
            if f.is_platform() {
                v["properties"]["group"] = json!("platform");
            }
        }
        v
    }
}

impl Sink for SarifReporter {
    fn file(&mut self, r: FileResult) -> io::Result<()> {
        self.start()?;
        for f in &r.findings {
            let mut v = self.result(f);
            if let Some(o) = r.origin_of(f) {
                v["relatedLocations"] = related_source(o);
            }
            if self.any {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, &v)?;
            self.any = true;
        }
        self.errors.extend(r.errors);
        self.warnings.extend(r.warnings);
        Ok(())
    }
}

impl Reporter for SarifReporter {
    fn risks(&mut self, top: crate::risks::TopRisks) {
        self.risks = top.json.iter().map(|r| self.risk_result(r)).collect();
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<()> {
        self.start()?;
        for v in std::mem::take(&mut self.risks) {
            if self.any {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, &v)?;
            self.any = true;
        }
        let notifications: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                let mut loc =
                    json!({"physicalLocation": {"artifactLocation": {"uri": file_uri(&e.file)}}});
                if let Some(p) = e.pos {
                    loc["physicalLocation"]["region"] =
                        json!({"startLine": p.line, "startColumn": p.column});
                }
                json!({"level": "error", "message": {"text": e.message}, "locations": [loc]})
            })
            .chain(self.warnings.iter().map(|w| {
                let loc = json!({"physicalLocation": {
                    "artifactLocation": {"uri": file_uri(&w.file)},
                    "region": {"startLine": w.pos.line, "startColumn": w.pos.column},
                }});
                json!({"level": "warning", "message": {"text": w.message}, "locations": [loc]})
            }))
            .collect();
        let compliance = crate::json::scores_json(summary);
        let invocation = json!({
            "executionSuccessful": summary.errors == 0,
            "exitCode": summary.exit_code(self.info.fail_on),
            "toolExecutionNotifications": notifications,
        });
        let properties = json!({
            "compliance": compliance,
            "suppressed": summary.suppressed,
            "platform": summary.platform,
        });
        writeln!(
            self.out,
            "],\"invocations\":[{}],\"properties\":{}}}]}}",
            serde_json::to_string(&invocation)?,
            serde_json::to_string(&properties)?
        )?;
        self.out.flush()
    }
}

/// SARIF `relatedLocations` for the template or resource file an object was rendered from.
fn related_source(o: &kubeward_engine::origin::Origin) -> Value {
    let what = match o.tool {
        "helm" if !o.values.is_empty() => format!(
            "rendered from this Helm template, which reads .Values {}",
            o.values.join(", ")
        ),
        "helm" => "rendered from this Helm template".to_string(),
        _ => match (&o.repo, &o.git_ref) {
            (Some(repo), Some(r)) => format!("from this Kustomize resource in {repo} at {r}"),
            (Some(repo), None) => format!("from this Kustomize resource in {repo}"),
            _ => "from this Kustomize resource".to_string(),
        },
    };
    json!([{
        "id": 1,
        "physicalLocation": {"artifactLocation": {"uri": file_uri(&o.path)}},
        "message": {"text": what},
        "properties": {"tool": o.tool, "values": o.values},
    }])
}
