use super::{considered, nsa, on_namespace, policies, skipped_namespace, workloads};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a Namespace defined in the scan that no NetworkPolicy in the scan applies to.
    /// Runs only for namespaces whose `Namespace` object is part of the scan.
    ///
    /// ## Why it matters
    /// Without a NetworkPolicy every pod accepts traffic from every other pod in the cluster,
    /// so one compromised workload can reach all the others. The NSA/CISA guidance and CIS
    /// 5.3.2 ask for policies in every namespace.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop        # flagged: no NetworkPolicy with namespace: shop in the scan
    /// ```
    ///
    /// ## How to fix
    /// Add a default-deny NetworkPolicy to the namespace, then policies that allow only the
    /// traffic each workload needs.
    pub struct NamespaceWithoutNetworkPolicy;
    id: "KW801",
    name: "namespace-without-network-policy",
    title: "Namespace has no NetworkPolicy",
    severity: Medium,
    remediation: "Add a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress, Egress]) and allow only needed traffic.",
    frameworks: frameworks(None, &[nsa::NETWORK_POLICIES], &["5.3.2"], &["T1046"]),
}

impl Control for NamespaceWithoutNetworkPolicy {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        for ns in inv.namespaces() {
            if skipped_namespace(&ns.name) || !policies(inv, &ns.name).is_empty() {
                continue;
            }
            let w = workloads(inv, &ns.name);
            out.push(on_namespace(
                ns,
                format!(
                    "namespace {:?} has no NetworkPolicy in this scan, so its pods accept traffic from anywhere (considered {} in it)",
                    ns.name,
                    considered("workloads", &w)
                ),
            ));
        }
    }
}
