use crate::pss::frameworks;
use crate::rbac::{binding, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every subject of a RoleBinding or ClusterRoleBinding that is the user
    /// `system:anonymous` or the group `system:unauthenticated`. The one default binding
    /// Kubernetes creates for unauthenticated requests, the ClusterRoleBinding
    /// `system:public-info-viewer` (to the ClusterRole of the same name: `/healthz`,
    /// `/version`, ...), is skipped when its subjects are its default groups
    /// (`system:authenticated`, `system:unauthenticated`) only.
    ///
    /// ## Why it matters
    /// Every request that carries no credentials is `system:anonymous` in the group
    /// `system:unauthenticated` (when anonymous auth is on, the default). A binding to them
    /// hands the role's permissions to anyone who can reach the API server, without a
    /// token: this is how exposed clusters get cryptominers within hours.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - apiGroup: rbac.authorization.k8s.io
    ///   kind: Group
    ///   name: system:unauthenticated   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove the subject and bind the role to authenticated identities that need it.
    /// Consider `--anonymous-auth=false` on the API server, or an anonymous
    /// authenticator configuration limited to health endpoints.
    pub struct AnonymousBinding;
    id: "KW605",
    name: "binding-to-anonymous",
    title: "Binding grants a role to unauthenticated users",
    severity: Critical,
    remediation: "Remove system:anonymous / system:unauthenticated from the binding's subjects.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC, nsa::AUTHENTICATION],
        &[],
        &[mitre::VALID_ACCOUNTS],
    ),
}

impl Control for AnonymousBinding {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(b) = binding(t) else { return };
        if b.is_bootstrap_default() {
            return;
        }
        for s in &b.subjects {
            let anonymous = matches!(
                (s.kind, s.name),
                ("User", "system:anonymous") | ("Group", "system:unauthenticated")
            );
            if anonymous {
                cx.report(
                    s.at(),
                    s.name_path(),
                    format!(
                        "grants {} to {}: anyone who can reach the API server without credentials",
                        b.role(),
                        s.describe()
                    ),
                );
            }
        }
    }
}
