use crate::pss::frameworks;
use crate::rbac::{binding, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every subject of a RoleBinding or ClusterRoleBinding that is the group
    /// `system:authenticated` (every authenticated user and service account) or
    /// `system:serviceaccounts` (every service account of every namespace). Kubernetes'
    /// own bootstrap ClusterRoleBindings are skipped when they are exactly as the API
    /// server creates them: `system:basic-user`, `system:discovery` and
    /// `system:public-info-viewer` to `system:authenticated`,
    /// `system:service-account-issuer-discovery` to `system:serviceaccounts`, each to the
    /// ClusterRole of the same name with no other subject. Other bindings are judged
    /// whatever their name: `system:` is a naming convention, not a guarantee.
    ///
    /// ## Why it matters
    /// "Authenticated" is a much larger set than it sounds: every pod's service account
    /// token, every node, and on some managed platforms any account of the cloud provider
    /// (GKE treated any Google account as authenticated). A role bound to this group is in
    /// practice granted to everything that runs in the cluster, so one compromised pod
    /// inherits it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
    /// subjects:
    /// - apiGroup: rbac.authorization.k8s.io
    ///   kind: Group
    ///   name: system:authenticated   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Bind the role to the specific users, groups or service accounts that need it.
    pub struct AuthenticatedBinding;
    id: "KW606",
    name: "binding-to-all-authenticated",
    title: "Binding grants a role to every authenticated identity",
    severity: High,
    remediation: "Bind the role to specific users, groups or service accounts instead of system:authenticated.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC, nsa::AUTHENTICATION],
        &[],
        &[mitre::VALID_ACCOUNTS],
    ),
}

impl Control for AuthenticatedBinding {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(b) = binding(t) else { return };
        if b.is_bootstrap_default() {
            return;
        }
        for s in &b.subjects {
            let everyone = match (s.kind, s.name) {
                ("Group", "system:authenticated") => "every authenticated user and service account",
                ("Group", "system:serviceaccounts") => "every service account of every namespace",
                _ => continue,
            };
            cx.report(
                s.at(),
                s.name_path(),
                format!("grants {} to {} ({everyone})", b.role(), s.describe()),
            );
        }
    }
}
