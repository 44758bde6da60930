use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject (User, Group, ServiceAccount) that, through a ClusterRoleBinding,
    /// holds a rule allowing every verb on every resource of every API group (`*`, `*`, `*`
    /// without `resourceNames`), whatever the role is called: `cluster-admin`, a copy of it, or an
    /// aggregated ClusterRole that collects such a rule.
    ///
    /// ## Why it matters
    /// Such a subject can read every Secret, run privileged pods on any node and rewrite RBAC:
    /// it owns the cluster. KW604 flags bindings to the role named `cluster-admin`; this control
    /// follows the rules themselves, so a renamed copy or an aggregated role is caught too.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: platform}
    /// rules:
    /// - apiGroups: ["*"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ---
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: platform}
    /// subjects:
    /// - kind: ServiceAccount   # flagged
    ///   name: deployer
    ///   namespace: ci
    /// ```
    ///
    /// ## How to fix
    /// Replace the binding with one to a role that lists what the subject does; for namespaced
    /// work, a RoleBinding to `admin` or `edit` in the namespaces concerned.
    pub struct SubjectClusterAdmin;
    id: "KW650",
    name: "rbac-subject-cluster-admin",
    title: "Subject holds cluster-admin-equivalent permissions",
    severity: Critical,
    remediation: "Bind the subject to a role with only the permissions it needs; keep cluster-admin-equivalent access for break-glass identities.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.1"], &[mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectClusterAdmin {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::ClusterAdmin);
    }
}
