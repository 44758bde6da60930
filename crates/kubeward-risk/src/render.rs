//! Risks as text (the chain, one step per line with its file:line), JSON (schema:
//! `docs/schema/risks.schema.json`), and one risk's path as Mermaid or Graphviz DOT.

use std::fmt::Write as _;

use kubeward_rbac::{location, RbacModel};
use serde::Serialize;

use crate::build::{EntityId, RiskGraph};
use crate::facts::{Location, Severity};
use crate::graph::{EdgeKind, Evidence};
use crate::risk::{Factor, Risk, Risks};

/// The JSON report's format version.
pub const SCHEMA: &str = "kubeward-risks/v1";

/// The JSON report.
#[derive(Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub risks: Vec<RiskJson<'a>>,
    /// Users and groups not searched from (over the limit).
    #[serde(rename = "skippedEntries")]
    pub skipped_entries: usize,
}

/// An entity in the JSON report.
#[derive(Serialize)]
pub struct EntityJson {
    pub key: String,
    pub class: &'static str,
    pub description: String,
}

/// One risk in the JSON report.
#[derive(Serialize)]
pub struct RiskJson<'a> {
    pub id: &'a str,
    pub rank: usize,
    pub score: f64,
    pub entry: EntityJson,
    pub impact: EntityJson,
    /// `score = 100 × exposure × likelihood × impact`.
    pub factors: &'a [Factor],
    pub steps: Vec<StepJson>,
}

/// One step (edge) of a path.
#[derive(Serialize)]
pub struct StepJson {
    pub edge: EdgeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mitre: Option<&'static str>,
    pub likelihood: f64,
    pub from: EntityJson,
    pub to: EntityJson,
    pub evidence: Vec<EvidenceJson>,
}

/// A place in a file.
#[derive(Serialize)]
pub struct PlaceJson {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub path: String,
}

/// Why an edge exists, in the JSON report.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EvidenceJson {
    Field(PlaceJson),
    Rbac {
        /// `rules[0] verbs=[...] ... of Role "ns/name"`.
        rule: String,
        #[serde(rename = "ruleAt")]
        rule_at: PlaceJson,
        /// `RoleBinding "ns/name"`.
        binding: String,
        #[serde(rename = "bindingAt")]
        binding_at: PlaceJson,
    },
    Vulnerability {
        id: String,
        severity: Severity,
        image: PlaceJson,
    },
    Kubernetes {
        text: &'static str,
    },
}

fn place(l: &Location) -> PlaceJson {
    PlaceJson {
        file: l.file.to_string(),
        line: l.line,
        column: l.column,
        path: l.path.to_string(),
    }
}

fn evidence_json(model: &RbacModel, e: &Evidence) -> EvidenceJson {
    match e {
        Evidence::Field(l) => EvidenceJson::Field(place(l)),
        Evidence::Grant(g) => {
            let role = model.role_of_rule(g.rule);
            let rule = model.rule(g.rule);
            let b = &model.bindings[g.binding as usize];
            let (s_pos, s_path) = b
                .subjects
                .get(g.subject as usize)
                .map_or((b.pos, "metadata.name".to_string()), |s| {
                    (s.pos, s.path.to_string())
                });
            EvidenceJson::Rbac {
                rule: format!("{} {} of {}", rule.path, rule.summary(), role.describe()),
                rule_at: PlaceJson {
                    file: role.origin.file.to_string(),
                    line: rule.pos.line,
                    column: rule.pos.column,
                    path: rule.path.to_string(),
                },
                binding: b.describe(),
                binding_at: PlaceJson {
                    file: b.origin.file.to_string(),
                    line: s_pos.line,
                    column: s_pos.column,
                    path: s_path,
                },
            }
        }
        Evidence::Vulnerability {
            id,
            severity,
            image,
        } => EvidenceJson::Vulnerability {
            id: id.to_string(),
            severity: *severity,
            image: place(image),
        },
        Evidence::Kubernetes(text) => EvidenceJson::Kubernetes { text },
    }
}

/// One piece of evidence in a line of text: `file:line:col path` or the rule and binding.
pub fn evidence_text(model: &RbacModel, e: &Evidence) -> String {
    match e {
        Evidence::Field(l) => l.to_string(),
        Evidence::Grant(g) => {
            let b = &model.bindings[g.binding as usize];
            let at = b.subjects.get(g.subject as usize).map_or(b.pos, |s| s.pos);
            format!(
                "{}, bound by {} ({})",
                model.describe_rule(g.rule),
                b.describe(),
                location(&b.origin.file, at)
            )
        }
        Evidence::Vulnerability {
            id,
            severity,
            image,
        } => format!("{id} ({severity:?}, fixed) in the image at {image}"),
        Evidence::Kubernetes(text) => text.to_string(),
    }
}

impl RiskGraph {
    fn entity_json(&self, id: EntityId) -> EntityJson {
        let e = self.entity(id);
        EntityJson {
            key: e.key(),
            class: e.class(),
            description: e.describe(),
        }
    }
}

/// The report as a serde value (for `--format json`); the first `limit` risks.
pub fn json<'a>(g: &RiskGraph, risks: &'a Risks, limit: usize) -> Report<'a> {
    Report {
        schema: SCHEMA,
        skipped_entries: risks.skipped_entries,
        risks: risks
            .risks
            .iter()
            .take(limit)
            .enumerate()
            .map(|(i, r)| RiskJson {
                id: &r.id,
                rank: i + 1,
                score: r.score,
                entry: g.entity_json(r.entry),
                impact: g.entity_json(r.impact),
                factors: &r.factors,
                steps: r
                    .steps
                    .iter()
                    .filter_map(|&e| {
                        let (from, to) = g.graph.edge_endpoints(e)?;
                        let edge = &g.graph[e];
                        Some(StepJson {
                            edge: edge.kind,
                            mitre: edge.kind.mitre(),
                            likelihood: f64::from(edge.likelihood),
                            from: g.entity_json(from),
                            to: g.entity_json(to),
                            evidence: g
                                .evidence(edge)
                                .iter()
                                .map(|v| evidence_json(&g.rbac, v))
                                .collect(),
                        })
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The first `limit` risks as text: the score and its factors, then the chain, one step per
/// line, each with its evidence (file:line:column and field path, or rule and binding).
pub fn text(g: &RiskGraph, risks: &Risks, limit: usize) -> String {
    let mut out = String::new();
    for (i, r) in risks.risks.iter().take(limit).enumerate() {
        let _ = writeln!(
            out,
            "#{} score {:.1} = 100 x exposure {:.2} x likelihood {:.3} x impact {:.2}",
            i + 1,
            r.score,
            r.factors[0].value,
            r.factors[1].value,
            r.factors[2].value
        );
        let _ = writeln!(
            out,
            "   {} -> {}",
            g.entity(r.entry).describe(),
            g.entity(r.impact).describe(),
        );
        let why: Vec<String> = r
            .factors
            .iter()
            .map(|f| format!("{} {:.3}: {}", f.name, f.value, f.reason))
            .collect();
        let _ = writeln!(out, "   why: {}", why.join("; "));
        for (n, &e) in r.steps.iter().enumerate() {
            let Some((from, to)) = g.graph.edge_endpoints(e) else {
                continue;
            };
            let edge = &g.graph[e];
            let _ = writeln!(
                out,
                "   {}. {} -[{} {:.2}]-> {}",
                n + 1,
                g.entity(from).describe(),
                edge.kind.id(),
                edge.likelihood,
                g.entity(to).describe()
            );
            for ev in g.evidence(edge) {
                let _ = writeln!(out, "        {}", evidence_text(&g.rbac, ev));
            }
        }
        out.push('\n');
    }
    if risks.risks.is_empty() {
        out.push_str("No attack path from an entry point to an impact.\n");
    }
    out
}

/// The entities of a path, in order.
fn path_entities(g: &RiskGraph, r: &Risk) -> Vec<EntityId> {
    let mut out = vec![r.entry];
    for &e in &r.steps {
        if let Some((_, to)) = g.graph.edge_endpoints(e) {
            out.push(to);
        }
    }
    out
}

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One risk's path as a Mermaid flowchart.
pub fn mermaid(g: &RiskGraph, r: &Risk) -> String {
    let mut out = String::from("flowchart LR\n");
    let nodes = path_entities(g, r);
    for (i, &n) in nodes.iter().enumerate() {
        // Mermaid labels take no double quotes inside; `#quot;` is its escape.
        let label = g.entity(n).describe().replace('"', "#quot;");
        let _ = writeln!(out, "  n{i}[\"{label}\"]");
    }
    for (i, &e) in r.steps.iter().enumerate() {
        let _ = writeln!(out, "  n{i} -->|{}| n{}", g.graph[e].kind.id(), i + 1);
    }
    out
}

/// One risk's path as Graphviz DOT.
pub fn dot(g: &RiskGraph, r: &Risk) -> String {
    let mut out = format!("digraph \"{}\" {{\n  rankdir=LR;\n", quoted(&r.id));
    let nodes = path_entities(g, r);
    for (i, &n) in nodes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\"];",
            quoted(&g.entity(n).describe())
        );
    }
    for (i, &e) in r.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "  n{i} -> n{} [label=\"{}\"];",
            i + 1,
            g.graph[e].kind.id()
        );
    }
    out.push_str("}\n");
    out
}
