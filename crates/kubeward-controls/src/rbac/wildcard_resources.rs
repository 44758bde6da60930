use crate::pss::frameworks;
use crate::rbac::{mitre, nsa, quoted, rules};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every `"*"` in the `resources` of a Role or ClusterRole rule
    /// (`rbac.authorization.k8s.io`).
    ///
    /// ## Why it matters
    /// `*` matches every resource of the rule's API groups and every subresource: in the
    /// core group that includes `secrets`, `pods/exec`, `serviceaccounts/token` and
    /// `nodes/proxy`, and it silently extends to resources added later (including custom
    /// resources in a wildcard group). The CIS Benchmark asks to minimize wildcards in
    /// Roles and ClusterRoles (5.1.3).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["*"]      # flagged
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## How to fix
    /// List the resources the subject needs. `*/scale` or `*/status` style subresource
    /// wildcards are narrower and are not flagged.
    pub struct WildcardResources;
    id: "KW602",
    name: "rbac-wildcard-resources",
    title: "RBAC rule grants every resource",
    severity: High,
    remediation: "Replace \"*\" in resources with the resources the subject needs.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.3"], &[mitre::VALID_ACCOUNTS]),
}

impl Control for WildcardResources {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for rule in rules(t) {
            let verbs: Vec<&str> = rule.verbs.iter().map(|v| v.value).collect();
            let groups: Vec<&str> = rule.api_groups.iter().map(|g| g.value).collect();
            for r in rule.resources.iter().filter(|r| r.value == "*") {
                cx.report(
                    r.node,
                    rule.path.key("resources").index(r.index),
                    format!(
                        "rule grants [{}] on every resource (\"*\") of apiGroups [{}]",
                        quoted(&verbs),
                        quoted(&groups)
                    ),
                );
            }
        }
    }
}
