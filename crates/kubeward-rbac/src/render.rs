//! Text and JSON for grants, risks and paths, shared by the CLI and the controls.

use serde_json::{json, Value};

use crate::analysis::{Risk, SubjectRisk};
use crate::model::{location, Grant, RbacModel, Scope};

/// A grant as JSON: the rule (with its role) and the binding subject entry, each located.
pub fn grant_json(model: &RbacModel, g: &Grant) -> Value {
    let role = model.role_of_rule(g.rule);
    let rule = model.rule(g.rule);
    let b = &model.bindings[g.binding as usize];
    let s = &b.subjects[g.subject as usize];
    json!({
        "rule": {
            "role": {"kind": role.kind(), "namespace": (!role.namespace.is_empty()).then_some(&role.namespace), "name": role.name},
            "path": rule.path,
            "file": role.origin.file,
            "line": rule.pos.line,
            "column": rule.pos.column,
            "verbs": rule.verbs,
            "apiGroups": rule.api_groups,
            "resources": rule.resources,
            "resourceNames": rule.resource_names,
            "nonResourceURLs": rule.non_resource_urls,
        },
        "binding": {
            "kind": b.kind(),
            "namespace": (!b.namespace.is_empty()).then_some(&b.namespace),
            "name": b.name,
            "subject": s.path,
            "file": b.origin.file,
            "line": s.pos.line,
            "column": s.pos.column,
        },
    })
}

/// `rules[0] verbs=[get] ... of ClusterRole "x" (roles.yaml:7:3), bound by RoleBinding "ns/y"
/// subjects[0].name (bindings.yaml:12:9)`.
pub fn grant_text(model: &RbacModel, g: &Grant) -> String {
    format!(
        "{}, bound by {}",
        model.describe_rule(g.rule),
        model.describe_grant_binding(g)
    )
}

pub fn scope_json(scope: &Scope) -> Value {
    match scope {
        Scope::Cluster => json!({"cluster": true}),
        Scope::Namespace(ns) => json!({"namespace": ns}),
    }
}

/// `cluster-wide`, `in namespace "a"`, `in namespaces "a", "b"`, `cluster-wide and in
/// namespace "a"`.
pub fn scopes_text<'a>(scopes: impl Iterator<Item = &'a Scope>) -> String {
    let mut cluster = false;
    let mut namespaces = Vec::new();
    for s in scopes {
        match s {
            Scope::Cluster => cluster = true,
            Scope::Namespace(ns) => namespaces.push(format!("{ns:?}")),
        }
    }
    let ns = match namespaces.len() {
        0 => String::new(),
        1 => format!("in namespace {}", namespaces[0]),
        _ => format!("in namespaces {}", namespaces.join(", ")),
    };
    match (cluster, ns.is_empty()) {
        (true, true) => "cluster-wide".to_string(),
        (true, false) => format!("cluster-wide and {ns}"),
        (false, _) => ns,
    }
}

impl SubjectRisk {
    /// The finding's message: who, what, where, and the rule and binding behind it.
    pub fn message(&self, model: &RbacModel) -> String {
        let grants: Vec<String> = self.evidence[0]
            .1
            .iter()
            .map(|g| grant_text(model, g))
            .collect();
        if self.risk == Risk::EscalationPath {
            let steps = model
                .analysis()
                .path_of(&self.subject)
                .map(|p| {
                    p.steps
                        .iter()
                        .map(|s| match &s.to {
                            Some(to) => format!("acts as {to}"),
                            None => "cluster-admin".to_string(),
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            return format!(
                "{} {} in {} step{}: {} -> {}; first step through {} (`kubeward rbac paths` shows every step)",
                self.subject,
                self.risk.what(),
                steps.len(),
                if steps.len() == 1 { "" } else { "s" },
                self.subject,
                steps.join(" -> "),
                grants.join("; and ")
            );
        }
        let more = self.evidence.len() - 1;
        format!(
            "{} {} {}: {}{}",
            self.subject,
            self.risk.what(),
            scopes_text(self.evidence.iter().map(|(s, _)| s)),
            grants.join("; and "),
            if more > 0 {
                format!(
                    " (and through {more} more binding scope{})",
                    if more == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        )
    }
}

/// `file:line:column` of the binding subject entry a grant comes through.
pub fn binding_location(model: &RbacModel, g: &Grant) -> String {
    let b = &model.bindings[g.binding as usize];
    location(&b.origin.file, b.subjects[g.subject as usize].pos)
}
