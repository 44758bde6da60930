use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may create, update, patch or delete validating or mutating
    /// webhook configurations or admission policies (and their bindings) through a
    /// ClusterRoleBinding, without a `resourceNames` limit.
    ///
    /// ## Why it matters
    /// Admission control enforces policy: who writes it can switch it off, or add a mutating
    /// webhook that sees (and changes) every object written to the cluster, Secrets included.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: webhook-admin}
    /// subjects:
    /// - kind: ServiceAccount   # flagged
    ///   name: installer
    ///   namespace: tools
    /// ```
    ///
    /// ## How to fix
    /// Limit the rule with `resourceNames` to the configurations the subject manages.
    pub struct SubjectWebhookConfigWrite;
    id: "KW661",
    name: "rbac-subject-webhook-config-write",
    title: "Subject can write admission configuration",
    severity: High,
    remediation: "Remove write verbs on admission webhook and policy configurations from the subject's roles, or limit them with resourceNames.",
    frameworks: frameworks(None, &[nsa::RBAC], &[], &[mitre::IMPAIR_DEFENSES]),
}

impl Control for SubjectWebhookConfigWrite {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::WebhookConfigWrite);
    }
}
