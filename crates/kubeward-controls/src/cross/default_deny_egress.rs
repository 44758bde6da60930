use super::{nsa, report_missing_default_deny};
use crate::inventory::{CrossOut, FactKind, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a Namespace defined in the scan that has NetworkPolicies but none that denies all
    /// egress by default (`podSelector: {}` with `Egress` in policyTypes and no egress rules).
    /// Namespaces with no policy at all are KW801's.
    ///
    /// ## Why it matters
    /// Without an egress default deny, a compromised pod can reach any address: the cluster API,
    /// cloud metadata endpoints, the internet (exfiltration, command and control).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: allow-web, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}   # selects only web: no default deny
    ///   ingress: [{from: [{podSelector: {}}]}]
    /// ```
    ///
    /// ## How to fix
    /// Add `{podSelector: {}, policyTypes: [Egress]}` and allow DNS and the egress each workload needs to the namespace.
    pub struct NoDefaultDenyEgress;
    id: "KW803",
    name: "namespace-without-default-deny-egress",
    title: "Namespace has no default-deny egress NetworkPolicy",
    severity: Low,
    remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] and no egress rules.",
    frameworks: frameworks(None, &[nsa::NETWORK_POLICIES], &["5.3.2"], &["T1041"]),
}

impl Control for NoDefaultDenyEgress {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report_missing_default_deny(
            inv,
            out,
            "egress",
            |k| matches!(k, FactKind::NetworkPolicy { selector, denies_all_egress: true, .. } if selector.is_empty()),
        );
    }
}
