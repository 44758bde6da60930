use crate::pss::frameworks;
use crate::rbac::{binding, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every subject of a RoleBinding or ClusterRoleBinding that is a ServiceAccount
    /// named `default`, or the same identity written as a user,
    /// `system:serviceaccount:<namespace>:default`.
    ///
    /// ## Why it matters
    /// Every namespace has a `default` service account, and every pod that does not name
    /// another one runs as it, with its token mounted unless automounting is turned off.
    /// Permissions given to `default` are therefore given to every such pod of the
    /// namespace, including ones deployed later by anyone allowed to create pods there. The
    /// CIS Benchmark asks that default service accounts not be actively used (5.1.5).
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-writer}
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: default          # flagged
    ///   namespace: app
    /// ```
    ///
    /// ## How to fix
    /// Create a dedicated service account for the workload, bind the role to it, and set
    /// `serviceAccountName` in the pod template.
    pub struct DefaultServiceAccountBinding;
    id: "KW620",
    name: "default-service-account-bound",
    title: "Binding grants a role to a default service account",
    severity: Medium,
    remediation: "Bind the role to a dedicated service account and set serviceAccountName in the workload.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC, crate::pss::nsa::SA_TOKENS],
        &["5.1.5"],
        &[mitre::STEAL_TOKEN],
    ),
}

impl Control for DefaultServiceAccountBinding {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(b) = binding(t) else { return };
        for s in &b.subjects {
            let who = match (s.kind, s.name) {
                ("ServiceAccount", "default") => s.describe(),
                ("User", name) => match name
                    .strip_prefix("system:serviceaccount:")
                    .and_then(|rest| rest.strip_suffix(":default"))
                    .filter(|ns| !ns.is_empty() && !ns.contains(':'))
                {
                    Some(ns) => format!(
                        "{} (the default service account of namespace {ns:?})",
                        s.describe()
                    ),
                    None => continue,
                },
                _ => continue,
            };
            cx.report(
                s.at(),
                s.name_path(),
                format!(
                    "grants {} to {who}, which every pod of its namespace without a serviceAccountName runs as",
                    b.role(),
                ),
            );
        }
    }
}
