use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may `create` `serviceaccounts/token` without a `resourceNames`
    /// limit, and says where.
    ///
    /// ## Why it matters
    /// A token request returns a working token for any service account in scope: the subject
    /// acts as each of them, for as long as the token lives.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: tokens, namespace: ci}
    /// roleRef: {kind: ClusterRole, name: token-maker}
    /// subjects:
    /// - kind: ServiceAccount    # flagged
    ///   name: runner
    /// ```
    ///
    /// ## How to fix
    /// Limit the rule with `resourceNames` to the service accounts the subject must act as.
    pub struct SubjectServiceAccountToken;
    id: "KW659",
    name: "rbac-subject-service-account-token",
    title: "Subject can create service account tokens",
    severity: High,
    remediation: "Remove create on serviceaccounts/token from the subject's roles, or limit it with resourceNames to the service accounts concerned.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.13"], &[mitre::STEAL_TOKEN, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectServiceAccountToken {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::ServiceAccountToken);
    }
}
