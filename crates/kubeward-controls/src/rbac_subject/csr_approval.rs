use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that holds both halves of CSR approval through ClusterRoleBindings:
    /// `update` or `patch` on `certificatesigningrequests/approval` and `approve` on `signers`
    /// (unlimited, or limited to a signer of API client certificates). The halves may come from
    /// different roles and bindings: KW616 sees them only when one role holds both.
    ///
    /// ## Why it matters
    /// An approved request for the `kubernetes.io/kube-apiserver-client` signer is a client
    /// certificate for any user or group, `system:masters` included, that cannot be revoked.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: csr-approver}     # update .../approval
    /// subjects:
    /// - {kind: User, name: carol}   # flagged, with:
    /// ---
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: signer-approver}  # approve signers
    /// subjects:
    /// - {kind: User, name: carol}
    /// ```
    ///
    /// ## How to fix
    /// Keep approval for the controllers that need it, and limit `approve` on `signers` to the
    /// signers they handle.
    pub struct SubjectCsrApproval;
    id: "KW660",
    name: "rbac-subject-csr-approval",
    title: "Subject can approve client certificate requests",
    severity: High,
    remediation: "Remove update/patch on certificatesigningrequests/approval or approve on signers from the subject's roles, or limit signers with resourceNames.",
    frameworks: frameworks(None, &[nsa::RBAC, nsa::AUTHENTICATION], &["5.1.11"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectCsrApproval {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::CsrApproval);
    }
}
