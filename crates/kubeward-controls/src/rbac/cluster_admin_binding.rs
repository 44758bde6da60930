use crate::pss::frameworks;
use crate::rbac::{binding, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a ClusterRoleBinding or RoleBinding whose `roleRef` is the ClusterRole
    /// `cluster-admin`. The bootstrap ClusterRoleBinding every cluster has, `cluster-admin`
    /// to the group `system:masters` and nobody else, is skipped; any other subject added
    /// to it, and every other binding (including `kubeadm:cluster-admins` and bindings
    /// named `system:...`), is reported.
    ///
    /// ## Why it matters
    /// `cluster-admin` allows every verb on every resource: reading every Secret, creating
    /// privileged pods on any node, and rewriting RBAC itself. Through a ClusterRoleBinding
    /// it covers the whole cluster; through a RoleBinding, everything in the namespace
    /// (Secrets, workloads, RBAC). Whoever holds the subject's credentials (a user, a CI
    /// system, a pod's service account token) owns the cluster. The CIS Benchmark asks to
    /// use `cluster-admin` only where required (5.1.1).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: cluster-admin      # flagged
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: deployer
    ///   namespace: ci
    /// ```
    ///
    /// ## How to fix
    /// Bind a role with only the permissions the subject needs; for namespaced work, a
    /// RoleBinding to `admin` or `edit`, or a purpose-built Role.
    pub struct ClusterAdminBinding;
    id: "KW604",
    name: "cluster-admin-binding",
    title: "Binding grants cluster-admin",
    severity: High,
    remediation: "Bind a role with only the permissions the subject needs instead of cluster-admin.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC],
        &["5.1.1"],
        &[mitre::VALID_ACCOUNTS],
    ),
}

impl Control for ClusterAdminBinding {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(b) = binding(t) else { return };
        if b.role_kind != "ClusterRole" || b.role_name != "cluster-admin" {
            return;
        }
        if b.is_bootstrap_default() {
            return;
        }
        let Some(role_ref) = b.role_ref else { return };
        let at = role_ref.get("name").unwrap_or(role_ref);
        let who: Vec<String> = b.subjects.iter().map(|s| s.describe()).collect();
        let who = if who.is_empty() {
            "no subjects yet".to_string()
        } else {
            who.join(", ")
        };
        let scope = if t.object.kind == "RoleBinding" {
            "in its namespace"
        } else {
            "cluster-wide"
        };
        cx.report(
            at,
            "roleRef.name".into(),
            format!(
                "{} grants ClusterRole \"cluster-admin\" {scope} to {who}",
                t.object.kind
            ),
        );
    }
}
