//! Cross-object controls (KW8xx): they look at the whole scan through the [`Inventory`].
//!
//! The rule they all follow: a finding is raised only when the scan holds the objects it needs
//! to be sure. Namespace-level checks run for namespaces whose `Namespace` object is in the
//! scan (who ships the namespace ships its policies); the workload-level NetworkPolicy check
//! runs for namespaces that have at least one NetworkPolicy in the scan. Namespaced objects
//! without a namespace (left to `helm -n` or `kubectl -n`) are placed in the namespace the scan
//! targets (`kubeward scan -n`, `default` unless set; [`crate::Settings::namespace`]), where
//! they would land. Each message says which objects were considered.

use kubeward_model::FieldPath;

use crate::inventory::{CrossOut, CrossViolation, Fact, FactKind, Inventory};
use crate::Control;

pub mod default_deny_egress;
pub mod default_deny_ingress;
pub mod limit_range;
pub mod no_network_policy;
pub mod resource_quota;
pub mod unselected_workload;

pub static CONTROLS: &[&dyn Control] = &[
    &no_network_policy::NamespaceWithoutNetworkPolicy,
    &default_deny_ingress::NoDefaultDenyIngress,
    &default_deny_egress::NoDefaultDenyEgress,
    &unselected_workload::WorkloadNotSelected,
    &resource_quota::NamespaceWithoutResourceQuota,
    &limit_range::NamespaceWithoutLimitRange,
];

pub(crate) mod nsa {
    pub const NETWORK_POLICIES: &str = "Network separation: network policies";
    pub const RESOURCE_POLICIES: &str = "Network separation: resource policies";
}

/// Namespaces that hold no workloads by design.
pub(crate) fn skipped_namespace(name: &str) -> bool {
    matches!(name, "kube-public" | "kube-node-lease")
}

pub(crate) fn policies<'a>(inv: &'a Inventory, ns: &'a str) -> Vec<&'a Fact> {
    inv.in_namespace(ns)
        .filter(|f| matches!(f.kind, FactKind::NetworkPolicy { .. }))
        .collect()
}

pub(crate) fn workloads<'a>(inv: &'a Inventory, ns: &'a str) -> Vec<&'a Fact> {
    inv.in_namespace(ns)
        .filter(|f| matches!(f.kind, FactKind::Workload { .. }))
        .collect()
}

/// `2 NetworkPolicies (deny-all, allow-web)` for messages.
pub(crate) fn considered(noun: &str, facts: &[&Fact]) -> String {
    // "NetworkPolicies" -> "NetworkPolicy", "workloads" -> "workload" for one.
    let one = noun
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .unwrap_or_else(|| noun.trim_end_matches('s').to_string());
    let noun = if facts.len() == 1 { one.as_str() } else { noun };
    let names: Vec<&str> = facts.iter().take(5).map(|f| f.name.as_str()).collect();
    let more = if facts.len() > 5 { ", ..." } else { "" };
    if facts.is_empty() {
        format!("0 {noun}")
    } else {
        format!("{} {noun} ({}{more})", facts.len(), names.join(", "))
    }
}

/// A finding on a Namespace object, at its name.
pub(crate) fn on_namespace(ns: &Fact, message: String) -> CrossViolation {
    CrossViolation {
        at: ns.at.clone(),
        path: FieldPath::from("metadata.name"),
        message,
    }
}

/// KW802/KW803: namespaces whose NetworkPolicies (at least one in the scan) include no
/// default deny for one direction, as `is_default_deny` tells.
pub(crate) fn report_missing_default_deny(
    inv: &Inventory,
    out: &mut CrossOut<'_>,
    direction: &str,
    is_default_deny: impl Fn(&FactKind) -> bool,
) {
    for ns in inv.namespaces() {
        let p = policies(inv, &ns.name);
        if skipped_namespace(&ns.name) || p.is_empty() {
            continue;
        }
        if !p.iter().any(|f| is_default_deny(&f.kind)) {
            out.push(on_namespace(
                ns,
                format!(
                    "namespace {:?} has no default-deny {direction} NetworkPolicy (considered {})",
                    ns.name,
                    considered("NetworkPolicies", &p)
                ),
            ));
        }
    }
}

/// KW805/KW806: namespaces with workloads but no object of the kind `has` recognises
/// (`what` names it in the message).
pub(crate) fn report_workload_namespaces_without(
    inv: &Inventory,
    out: &mut CrossOut<'_>,
    what: &str,
    has: impl Fn(&FactKind) -> bool,
) {
    for ns in inv.namespaces() {
        let w = workloads(inv, &ns.name);
        if skipped_namespace(&ns.name) || w.is_empty() {
            continue;
        }
        if !inv.in_namespace(&ns.name).any(|f| has(&f.kind)) {
            out.push(on_namespace(
                ns,
                format!(
                    "namespace {:?} has no {what} in this scan (considered {} in it)",
                    ns.name,
                    considered("workloads", &w)
                ),
            ));
        }
    }
}
