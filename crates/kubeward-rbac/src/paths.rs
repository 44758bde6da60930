//! Escalation paths in text, JSON, Graphviz DOT and Mermaid.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::analysis::EscalationPath;
use crate::model::RbacModel;
use crate::render::{grant_json, grant_text, scope_json};
use crate::subject::SubjectKey;

/// One path per subject, step by step, each step with its rules and bindings.
pub fn text(model: &RbacModel, paths: &[&EscalationPath]) -> String {
    let mut out = String::new();
    for p in paths {
        let n = p.steps.len();
        let _ = writeln!(
            out,
            "{} reaches cluster-admin-equivalent power in {n} step{}:",
            p.subject,
            if n == 1 { "" } else { "s" }
        );
        for (i, s) in p.steps.iter().enumerate() {
            let to = match &s.to {
                Some(k) => format!("acts as {k}"),
                None => "holds cluster-admin-equivalent power".to_string(),
            };
            let _ = writeln!(
                out,
                "  {}. {} {} ({}) -> {to}",
                i + 1,
                s.from,
                s.technique.describe(),
                s.scope.describe()
            );
            for g in &s.grants {
                let _ = writeln!(out, "     {}", grant_text(model, g));
            }
        }
        out.push('\n');
    }
    if paths.is_empty() {
        out.push_str("No subject reaches cluster-admin-equivalent power.\n");
    }
    out
}

pub fn json(model: &RbacModel, paths: &[&EscalationPath]) -> Value {
    Value::Array(
        paths
            .iter()
            .map(|p| {
                json!({
                    "subject": p.subject,
                    "steps": p.steps.iter().map(|s| json!({
                        "from": s.from,
                        "technique": s.technique,
                        "description": s.technique.describe(),
                        "scope": scope_json(&s.scope),
                        "to": s.to,
                        "grants": s.grants.iter().map(|g| grant_json(model, g)).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

const GOAL: &str = "cluster-admin-equivalent";

/// The union of the paths as a graph: subjects are nodes, each step an edge labelled with its
/// technique and the rule behind it.
fn edges(
    model: &RbacModel,
    paths: &[&EscalationPath],
) -> (Vec<String>, BTreeSet<(String, String, String)>) {
    let mut nodes: Vec<String> = vec![GOAL.to_string()];
    let mut edges = BTreeSet::new();
    let name = |k: &SubjectKey| k.to_string();
    for p in paths {
        for s in &p.steps {
            let from = name(&s.from);
            let to = s.to.as_ref().map_or(GOAL.to_string(), name);
            for n in [&from, &to] {
                if !nodes.contains(n) {
                    nodes.push(n.clone());
                }
            }
            let rule = s
                .grants
                .first()
                .map(|g| {
                    let role = model.role_of_rule(g.rule);
                    format!("{} {}", role.describe(), model.rule(g.rule).path)
                })
                .unwrap_or_default();
            let label = format!("{:?} {}\\n{}", s.technique, s.scope.describe(), rule);
            edges.insert((from, to, label));
        }
    }
    (nodes, edges)
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("\\\\n", "\\n")
}

pub fn dot(model: &RbacModel, paths: &[&EscalationPath]) -> String {
    let (nodes, edges) = edges(model, paths);
    let mut out = String::from(
        "digraph escalation {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for (i, n) in nodes.iter().enumerate() {
        let style = if i == 0 {
            ", style=filled, fillcolor=\"#f4cccc\""
        } else {
            ""
        };
        let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", dot_escape(n));
    }
    for (from, to, label) in &edges {
        let a = nodes.iter().position(|n| n == from).unwrap_or(0);
        let b = nodes.iter().position(|n| n == to).unwrap_or(0);
        let _ = writeln!(out, "  n{a} -> n{b} [label=\"{}\"];", dot_escape(label));
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;").replace("\\n", "<br/>")
}

pub fn mermaid(model: &RbacModel, paths: &[&EscalationPath]) -> String {
    let (nodes, edges) = edges(model, paths);
    let mut out = String::from("flowchart LR\n");
    for (i, n) in nodes.iter().enumerate() {
        let _ = writeln!(out, "  n{i}[\"{}\"]", mermaid_escape(n));
    }
    for (from, to, label) in &edges {
        let a = nodes.iter().position(|n| n == from).unwrap_or(0);
        let b = nodes.iter().position(|n| n == to).unwrap_or(0);
        let _ = writeln!(out, "  n{a} -->|\"{}\"| n{b}", mermaid_escape(label));
    }
    out.push_str("  style n0 fill:#f4cccc\n");
    out
}
