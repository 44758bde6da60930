use crate::pss::frameworks;
use crate::rbac::{binding, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every subject of a RoleBinding or ClusterRoleBinding that is the group
    /// `system:masters`. The bootstrap ClusterRoleBinding `cluster-admin` (ClusterRole
    /// `cluster-admin` to `system:masters` and nobody else), which every cluster has, is
    /// skipped.
    ///
    /// ## Why it matters
    /// Members of `system:masters` bypass RBAC entirely: the API server allows every request
    /// of that group before any authorizer runs, and membership comes from credentials
    /// (the `O=system:masters` field of a client certificate) that cannot be revoked short
    /// of rotating the cluster CA. A manifest that refers to the group is a sign that such
    /// credentials are in use or planned. The CIS Benchmark asks to avoid `system:masters`
    /// (5.1.7).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - kind: Group
    ///   name: system:masters   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Give administrators a group of your own bound to the role they need (revocable via
    /// RBAC), and do not issue certificates with `O=system:masters` beyond break-glass use.
    pub struct SystemMastersBinding;
    id: "KW619",
    name: "system-masters-binding",
    title: "Binding refers to the system:masters group",
    severity: Critical,
    remediation: "Bind roles to a revocable group of your own instead of system:masters.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC, nsa::AUTHENTICATION],
        &["5.1.7"],
        &[mitre::VALID_ACCOUNTS],
    ),
}

impl Control for SystemMastersBinding {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(b) = binding(t) else { return };
        if b.is_bootstrap_default() {
            return;
        }
        for s in &b.subjects {
            if s.kind == "Group" && s.name == "system:masters" {
                cx.report(
                    s.at(),
                    s.name_path(),
                    format!(
                        "grants {} to Group \"system:masters\", whose members bypass RBAC and cannot be revoked",
                        b.role()
                    ),
                );
            }
        }
    }
}
