use crate::pss::frameworks;
use crate::rbac::{mitre, nsa, quoted, rules};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every `"*"` in the `verbs` of a Role or ClusterRole rule
    /// (`rbac.authorization.k8s.io`), resource and non-resource rules alike.
    ///
    /// ## Why it matters
    /// `*` grants every verb the API has today and every verb it gains tomorrow, including
    /// `escalate`, `bind`, `impersonate`, `deletecollection` and the subresource verbs that
    /// open shells and tokens. A rule meant to "manage" a resource rarely needs more than a
    /// handful of verbs. The CIS Benchmark asks to minimize wildcards in Roles and
    /// ClusterRoles (5.1.3).
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["*"]          # flagged
    /// ```
    ///
    /// ## How to fix
    /// List the verbs the subject needs (`get`, `list`, `watch`, `create`, `update`,
    /// `patch`, `delete`).
    pub struct WildcardVerbs;
    id: "KW601",
    name: "rbac-wildcard-verbs",
    title: "RBAC rule grants every verb",
    severity: High,
    remediation: "Replace \"*\" in verbs with the verbs the subject needs.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.3"], &[mitre::VALID_ACCOUNTS]),
}

impl Control for WildcardVerbs {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for rule in rules(t) {
            let on: Vec<&str> = rule.resources.iter().map(|r| r.value).collect();
            let urls: Vec<&str> = rule
                .node
                .get("nonResourceURLs")
                .map(|n| n.items().filter_map(|i| i.as_str()).collect())
                .unwrap_or_default();
            let target = match (on.is_empty(), urls.is_empty()) {
                (false, _) => format!("resources [{}]", quoted(&on)),
                (true, false) => format!("nonResourceURLs [{}]", quoted(&urls)),
                (true, true) => "nothing".to_string(),
            };
            for v in rule.verbs.iter().filter(|v| v.value == "*") {
                cx.report(
                    v.node,
                    rule.path.key("verbs").index(v.index),
                    format!("rule grants every verb (\"*\") on {target}"),
                );
            }
        }
    }
}
