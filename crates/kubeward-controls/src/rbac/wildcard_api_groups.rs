use crate::pss::frameworks;
use crate::rbac::{mitre, nsa, quoted, rules};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every `"*"` in the `apiGroups` of a Role or ClusterRole rule
    /// (`rbac.authorization.k8s.io`).
    ///
    /// ## Why it matters
    /// `*` makes the rule's resources match in every API group, today's and those added
    /// later by CustomResourceDefinitions or aggregated APIs. A rule on `deployments` in
    /// `*` also covers any third-party `deployments` resource. The CIS Benchmark asks to
    /// minimize wildcards in Roles and ClusterRoles (5.1.3).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["*"]      # flagged
    ///   resources: ["deployments"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## How to fix
    /// List the API groups the resources belong to (`""` for the core group, `apps`,
    /// `batch`, ...).
    pub struct WildcardApiGroups;
    id: "KW603",
    name: "rbac-wildcard-api-groups",
    title: "RBAC rule applies to every API group",
    severity: Medium,
    remediation: "Replace \"*\" in apiGroups with the API groups of the resources the subject needs.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.3"], &[mitre::VALID_ACCOUNTS]),
}

impl Control for WildcardApiGroups {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for rule in rules(t) {
            let resources: Vec<&str> = rule.resources.iter().map(|r| r.value).collect();
            for g in rule.api_groups.iter().filter(|g| g.value == "*") {
                cx.report(
                    g.node,
                    rule.path.key("apiGroups").index(g.index),
                    format!(
                        "rule applies to every API group (\"*\") for resources [{}]",
                        quoted(&resources)
                    ),
                );
            }
        }
    }
}
