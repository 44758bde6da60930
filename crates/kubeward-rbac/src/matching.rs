//! The RBAC authorizer's matchers, exactly as Kubernetes writes them
//! (`k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go`): exact, case-sensitive
//! comparisons with `*` as the only wildcard.
//!
//! * verbs, apiGroups: `*` or an equal string;
//! * resources: `*`, the combined `resource/subresource`, or `*/subresource` for any
//!   resource's subresource. `pods/*` is NOT a wildcard: the authorizer compares it literally;
//! * resourceNames: an empty list allows any name; otherwise the request's name must be listed
//!   (a request without a name, such as `create` or `list`, never matches a names-limited rule);
//! * nonResourceURLs: `*`, an equal path, or a prefix written with a trailing `*` (`/api/*`,
//!   and `/healthz*` which also allows `/healthz` itself).

/// `VerbMatches`.
pub fn verb_matches(rule_verbs: &[String], verb: &str) -> bool {
    rule_verbs.iter().any(|v| v == "*" || v == verb)
}

/// `APIGroupMatches`.
pub fn api_group_matches(rule_groups: &[String], group: &str) -> bool {
    rule_groups.iter().any(|g| g == "*" || g == group)
}

/// `ResourceMatches`: `combined` is `resource` or `resource/subresource`, `subresource` is ""
/// for a request on the resource itself.
pub fn resource_matches(rule_resources: &[String], combined: &str, subresource: &str) -> bool {
    rule_resources
        .iter()
        .any(|r| resource_item_matches(r, combined, subresource))
}

/// One item of `resources` against a request.
pub fn resource_item_matches(rule_resource: &str, combined: &str, subresource: &str) -> bool {
    rule_resource == "*"
        || rule_resource == combined
        || (!subresource.is_empty() && rule_resource.strip_prefix("*/") == Some(subresource))
}

/// `ResourceNameMatches`.
pub fn resource_name_matches(rule_names: &[String], name: &str) -> bool {
    rule_names.is_empty() || rule_names.iter().any(|n| n == name)
}

/// `NonResourceURLMatches`.
pub fn non_resource_url_matches(rule_urls: &[String], path: &str) -> bool {
    rule_urls.iter().any(|u| {
        u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// For questions about a kind of access rather than one request: does the `resources` item
/// cover `wanted` (`pods/exec`, `secrets`), where a wanted `resource/*` stands for any of the
/// resource's subresources (`userextras/*`: impersonating any extra)? Otherwise exactly
/// [`resource_item_matches`].
pub fn resource_covers(rule_resource: &str, wanted: &str) -> bool {
    match wanted.split_once('/') {
        Some((resource, "*")) => {
            rule_resource == "*"
                || rule_resource.starts_with("*/")
                || rule_resource
                    .strip_prefix(resource)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
        Some((_, sub)) => resource_item_matches(rule_resource, wanted, sub),
        None => resource_item_matches(rule_resource, wanted, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn verbs_and_groups() {
        assert!(verb_matches(&v(&["get", "list"]), "list"));
        assert!(verb_matches(&v(&["*"]), "escalate"));
        assert!(!verb_matches(&v(&["Get"]), "get"));
        assert!(!verb_matches(&v(&[]), "get"));
        assert!(api_group_matches(&v(&[""]), ""));
        assert!(!api_group_matches(&v(&[""]), "apps"));
        assert!(api_group_matches(&v(&["*"]), "apps"));
        assert!(!api_group_matches(&v(&[]), ""));
    }

    #[test]
    fn resources_like_the_authorizer() {
        let r = v(&["*/exec"]);
        assert!(resource_matches(&r, "pods/exec", "exec"));
        assert!(!resource_matches(&r, "pods", ""));
        assert!(!resource_matches(&r, "pods/execute", "execute"));
        assert!(resource_matches(&v(&["*"]), "pods/log", "log"));
        assert!(resource_matches(&v(&["pods/log"]), "pods/log", "log"));
        assert!(!resource_matches(&v(&["pods"]), "pods/log", "log"));
        // `pods/*` is literal for the authorizer.
        assert!(!resource_matches(&v(&["pods/*"]), "pods/log", "log"));
        assert!(!resource_matches(&v(&["pods/*"]), "pods", ""));
    }

    #[test]
    fn names_and_urls() {
        assert!(resource_name_matches(&v(&[]), ""));
        assert!(resource_name_matches(&v(&["a"]), "a"));
        assert!(!resource_name_matches(&v(&["a"]), ""));
        assert!(non_resource_url_matches(&v(&["/api/*"]), "/api/v1"));
        assert!(!non_resource_url_matches(&v(&["/api/*"]), "/api"));
        assert!(non_resource_url_matches(&v(&["/healthz*"]), "/healthz"));
        assert!(non_resource_url_matches(
            &v(&["/healthz**"]),
            "/healthz/etcd"
        ));
        assert!(!non_resource_url_matches(
            &v(&["/healthz"]),
            "/healthz/etcd"
        ));
        assert!(non_resource_url_matches(&v(&["*"]), "/metrics"));
    }

    #[test]
    fn covers() {
        assert!(resource_covers("userextras/scopes", "userextras/*"));
        assert!(resource_covers("*/scopes", "userextras/*"));
        assert!(!resource_covers("userextras", "userextras/*"));
        assert!(!resource_covers("userextrasx/a", "userextras/*"));
        assert!(resource_covers("*/exec", "pods/exec"));
        assert!(!resource_covers("*/", "pods"));
    }
}
