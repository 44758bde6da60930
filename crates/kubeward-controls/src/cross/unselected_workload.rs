use kubeward_model::FieldPath;

use super::{considered, nsa, policies};
use crate::inventory::{CrossOut, CrossViolation, FactKind, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a workload whose pods no ingress NetworkPolicy of its namespace selects. Runs for
    /// namespaces with at least one NetworkPolicy in the scan (so the scan holds the policies).
    /// Objects without `metadata.namespace` are in the namespace the scan targets
    /// (`kubeward scan -n NAMESPACE`, `default` unless set), as `kubectl apply -n` places them.
    ///
    /// ## Why it matters
    /// A pod that no policy selects is not isolated at all: policies elsewhere in the
    /// namespace do not protect it, and it accepts connections from any pod in the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    /// ---
    /// kind: Deployment          # flagged: its pods are labelled app: worker
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: worker}}
    /// ```
    ///
    /// ## How to fix
    /// Add a default-deny policy (`podSelector: {}`), or a policy that selects this workload's
    /// pod labels.
    pub struct WorkloadNotSelected;
    id: "KW804",
    name: "workload-not-selected-by-network-policy",
    title: "Workload's pods are selected by no NetworkPolicy",
    severity: Medium,
    remediation: "Add a NetworkPolicy whose podSelector selects this workload's pods (or a default deny with podSelector: {}).",
    frameworks: frameworks(None, &[nsa::NETWORK_POLICIES], &["5.3.2"], &["T1046"]),
}

impl Control for WorkloadNotSelected {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        // Each namespace's policies, looked up once rather than once per workload.
        let mut by_namespace: std::collections::HashMap<&str, Vec<&crate::inventory::Fact>> =
            std::collections::HashMap::new();
        for w in &inv.facts {
            let (FactKind::Workload { labels }, Some(ns)) = (&w.kind, &w.namespace) else {
                continue;
            };
            let p = by_namespace
                .entry(ns.as_str())
                .or_insert_with(|| policies(inv, ns));
            if p.is_empty() {
                continue;
            }
            let selected = p.iter().any(|f| {
                matches!(&f.kind, FactKind::NetworkPolicy { selector, ingress: true, .. } if selector.matches(labels))
            });
            if !selected {
                let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push(CrossViolation {
                    at: w.at.clone(),
                    path: FieldPath::from("metadata.name"),
                    message: format!(
                        "pods of {} (labels {}) are selected by no ingress NetworkPolicy in namespace {ns:?} (considered {})",
                        w.at.object,
                        if shown.is_empty() { "none".to_string() } else { shown.join(", ") },
                        considered("NetworkPolicies", p)
                    ),
                });
            }
        }
    }
}
