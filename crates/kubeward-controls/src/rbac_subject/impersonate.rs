use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may `impersonate` users, groups, service accounts, user extras
    /// or UIDs, and says where (service accounts can be impersonated per namespace).
    ///
    /// ## Why it matters
    /// Impersonating a group such as `system:masters` bypasses RBAC entirely; impersonating a
    /// user or service account gives its permissions.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: impersonator}   # impersonate users, groups
    /// subjects:
    /// - kind: ServiceAccount    # flagged
    ///   name: gateway
    ///   namespace: auth
    /// ```
    ///
    /// ## How to fix
    /// Limit impersonation with `resourceNames` to the identities needed, never groups
    /// without a limit.
    pub struct SubjectImpersonate;
    id: "KW657",
    name: "rbac-subject-impersonate",
    title: "Subject can impersonate other identities",
    severity: Critical,
    remediation: "Remove impersonate from the subject's roles, or limit it with resourceNames to the identities it must act as.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectImpersonate {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::Impersonate);
    }
}
