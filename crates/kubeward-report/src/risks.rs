//! The "Top risks" section of `scan` and `cluster` reports: the first ranked attack paths of
//! the run's risk graph (kubeward-risk), rendered once and handed to the reporter, which writes
//! it in its own format (text: the chains; JSON: `risks`; SARIF: a `KW1201` result per risk
//! with a code flow through the steps; JUnit: a `top risks` suite).

use kubeward_risk::{render, RiskGraph, Risks};
use serde_json::Value;

/// The SARIF rule of a risk.
pub const RULE_ID: &str = "KW1201";
pub const RULE_NAME: &str = "attack-path";

/// The first risks of a run, rendered for every reporter.
#[derive(Clone, Debug, Default)]
pub struct TopRisks {
    /// `render::text`: each risk's score and factors, then its chain with file:line per step.
    pub text: String,
    /// `render::json(...).risks` (schema `docs/schema/risks.schema.json`, `risks[]`).
    pub json: Vec<Value>,
    /// How many risks the graph has in all (only the first are rendered).
    pub total: usize,
    /// Each rendered risk's path as a Mermaid flowchart and as Graphviz DOT.
    pub mermaid: Vec<String>,
    pub dot: Vec<String>,
}

impl TopRisks {
    pub fn new(graph: &RiskGraph, risks: &Risks, limit: usize) -> Self {
        let report = render::json(graph, risks, limit);
        let json = serde_json::to_value(&report.risks)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let shown = &risks.risks[..limit.min(risks.risks.len())];
        TopRisks {
            text: render::text(graph, risks, limit),
            json,
            total: risks.risks.len(),
            mermaid: shown.iter().map(|r| render::mermaid(graph, r)).collect(),
            dot: shown.iter().map(|r| render::dot(graph, r)).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}

/// A step's places (file, line, column, path), from its evidence: the field, or the RBAC rule
/// and its binding, or the image.
pub(crate) fn step_places(step: &Value) -> Vec<(&str, u64, u64, &str)> {
    fn place(p: &Value) -> Option<(&str, u64, u64, &str)> {
        Some((
            p["file"].as_str()?,
            p["line"].as_u64()?,
            p["column"].as_u64()?,
            p["path"].as_str().unwrap_or(""),
        ))
    }
    let mut out = Vec::new();
    for e in step["evidence"].as_array().into_iter().flatten() {
        match e["type"].as_str() {
            Some("field") => out.extend(place(e)),
            Some("rbac") => {
                out.extend(place(&e["ruleAt"]));
                out.extend(place(&e["bindingAt"]));
            }
            Some("vulnerability") => out.extend(place(&e["image"])),
            _ => {}
        }
    }
    // Built-in objects (cluster-admin when no input defines it) have no file to point at.
    out.retain(|(file, ..)| *file != kubeward_rbac::BUILT_IN);
    out
}

/// `internet -> Deployment shop/web -> ... -> cluster-admin`: the chain in one line.
pub(crate) fn chain(risk: &Value) -> String {
    let mut parts = vec![risk["entry"]["description"]
        .as_str()
        .unwrap_or("?")
        .to_string()];
    for s in risk["steps"].as_array().into_iter().flatten() {
        parts.push(format!(
            "[{}] {}",
            s["edge"].as_str().unwrap_or("?"),
            s["to"]["description"].as_str().unwrap_or("?")
        ));
    }
    parts.join(" -> ")
}

/// Risks from a report's JSON (`kubeward risks --from-report`) as text: the chain, then each
/// step with its places. The run's own text comes from kubeward-risk's renderer, which also
/// shows the factors' reasons; this one has only what the JSON holds.
pub fn text_from_json(risks: &[Value]) -> String {
    let mut out = String::new();
    for r in risks {
        out.push_str(&format!(
            "#{} score {} ({})\n   {}\n",
            r["rank"],
            r["score"],
            r["factors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| format!(
                    "{} {:.3}",
                    f["name"].as_str().unwrap_or("?"),
                    f["value"].as_f64().unwrap_or(0.0)
                ))
                .collect::<Vec<_>>()
                .join(" x "),
            chain(r)
        ));
        for (i, s) in r["steps"].as_array().into_iter().flatten().enumerate() {
            out.push_str(&format!(
                "   {}. -[{}]-> {}\n",
                i + 1,
                s["edge"].as_str().unwrap_or("?"),
                s["to"]["description"].as_str().unwrap_or("?")
            ));
            for (file, line, column, path) in step_places(s) {
                out.push_str(&format!("        {file}:{line}:{column} {path}\n"));
            }
        }
        out.push('\n');
    }
    out
}
