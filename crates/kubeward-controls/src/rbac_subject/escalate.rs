use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that holds the `escalate` verb on `roles` or `clusterroles` (RBAC
    /// API group), and says where.
    ///
    /// ## Why it matters
    /// `escalate` lifts the API server's check that a role may only be written with permissions
    /// its author holds: with write access to a role it is bound to, the subject gives itself any
    /// permission.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: role-manager}   # escalate, update on clusterroles
    /// subjects:
    /// - kind: ServiceAccount     # flagged
    ///   name: operator
    ///   namespace: tools
    /// ```
    ///
    /// ## How to fix
    /// Let the subject write roles only with permissions it holds itself, without `escalate`.
    pub struct SubjectEscalate;
    id: "KW655",
    name: "rbac-subject-escalate",
    title: "Subject can escalate roles",
    severity: Critical,
    remediation: "Remove the escalate verb on roles and clusterroles from the subject's roles.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectEscalate {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::Escalate);
    }
}
