use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that holds the `bind` verb on `roles` or `clusterroles`, unlimited or
    /// limited to names that include `cluster-admin`, `admin` or `edit`, and says where.
    ///
    /// ## Why it matters
    /// `bind` lifts the check that a binding may only grant permissions its author holds: with
    /// write access to bindings, the subject binds `cluster-admin` (cluster-wide) or `admin` (in a
    /// namespace) to itself.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: team-admin, namespace: team}
    /// roleRef: {kind: ClusterRole, name: binder}   # bind on clusterroles, create rolebindings
    /// subjects:
    /// - kind: User     # flagged
    ///   name: lead
    /// ```
    ///
    /// ## How to fix
    /// Limit `bind` with `resourceNames` to the narrow roles the subject hands out.
    pub struct SubjectBind;
    id: "KW656",
    name: "rbac-subject-bind",
    title: "Subject can bind roles it does not hold",
    severity: Critical,
    remediation: "Remove the bind verb on roles and clusterroles from the subject's roles, or limit it with resourceNames to the roles it may hand out.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectBind {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::Bind);
    }
}
