use super::{nsa, report_missing_default_deny};
use crate::inventory::{CrossOut, FactKind, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a Namespace defined in the scan that has NetworkPolicies but none that denies all
    /// ingress by default (`podSelector: {}` with `Ingress` in policyTypes and no ingress rules).
    /// Namespaces with no policy at all are KW801's.
    ///
    /// ## Why it matters
    /// Allow-list policies only protect the pods they select. A default deny makes every new
    /// workload closed until a policy opens it, instead of open until someone remembers.
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
    /// Add `{podSelector: {}, policyTypes: [Ingress]}` to the namespace.
    pub struct NoDefaultDenyIngress;
    id: "KW802",
    name: "namespace-without-default-deny-ingress",
    title: "Namespace has no default-deny ingress NetworkPolicy",
    severity: Medium,
    remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress rules.",
    frameworks: frameworks(None, &[nsa::NETWORK_POLICIES], &["5.3.2"], &["T1046"]),
}

impl Control for NoDefaultDenyIngress {
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
            "ingress",
            |k| matches!(k, FactKind::NetworkPolicy { selector, denies_all_ingress: true, .. } if selector.is_empty()),
        );
    }
}
