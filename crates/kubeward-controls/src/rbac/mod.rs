//! RBAC in manifests (KW6xx): Roles, ClusterRoles and their bindings.
//!
//! The RBAC controls share one matcher, [`Rule::grants`], which answers "does this
//! PolicyRule let its subjects do verb V on resource R in group G" exactly as the RBAC
//! authorizer does (`k8s.io/kubernetes/pkg/apis/rbac/v1` `VerbMatches`, `APIGroupMatches`,
//! `ResourceMatches`): `*` in verbs, resources and apiGroups, `resource/subresource`, and
//! `*/subresource`. Matching is exact and case-sensitive, as in the authorizer (a rule on
//! `Secrets` grants nothing). A rule limited by `resourceNames` is narrower: it never grants
//! `create` on a top-level resource, because a create request carries no name; the controls
//! whose fix is such a limit (reading Secrets, service account tokens, writing admission
//! configuration; `bind` unless the names include `cluster-admin`, `admin` or `edit`;
//! approving for a signer unless it names a signer of API client certificates) do not
//! report a names-limited rule, the others report it and the message says so. Rules (or their fields) with the wrong types
//! are ignored. A ClusterRole's `aggregationRule` is not followed: the controller fills its
//! `rules`, and only the rules written in the manifest are checked.
//!
//! Bindings: Kubernetes' own bootstrap ClusterRoleBindings that grant to broad `system:`
//! groups (`cluster-admin` to `system:masters`, `system:discovery`, `system:basic-user` and
//! `system:public-info-viewer` to `system:authenticated` (and `system:unauthenticated`),
//! `system:service-account-issuer-discovery` to `system:serviceaccounts`) are skipped when
//! they are exactly as the API server creates them (see [`Binding::is_bootstrap_default`]).
//! Any other binding is judged, `system:` name or not: the prefix is a convention, and an
//! extra subject added to a default binding is reported.

use kubeward_model::{FieldPath, Object};
use kubeward_yaml::NodeRef;

use crate::{Context, Control, Target};

pub mod anonymous_binding;
pub mod authenticated_binding;
pub mod bind;
pub mod cluster_admin_binding;
pub mod create_persistent_volumes;
pub mod create_pods;
pub mod csr_approval;
pub mod default_service_account_binding;
pub mod escalate;
pub mod exec_attach;
pub mod impersonate;
pub mod nodes_proxy;
pub mod port_forward;
pub mod read_secrets;
pub mod service_account_token;
pub mod system_masters_binding;
pub mod webhook_config_write;
pub mod wildcard_api_groups;
pub mod wildcard_resources;
pub mod wildcard_verbs;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &wildcard_verbs::WildcardVerbs,
    &wildcard_resources::WildcardResources,
    &wildcard_api_groups::WildcardApiGroups,
    &cluster_admin_binding::ClusterAdminBinding,
    &anonymous_binding::AnonymousBinding,
    &authenticated_binding::AuthenticatedBinding,
    &read_secrets::ReadSecrets,
    &create_pods::CreatePods,
    &exec_attach::ExecAttach,
    &port_forward::PortForward,
    &escalate::Escalate,
    &bind::Bind,
    &impersonate::Impersonate,
    &nodes_proxy::NodesProxy,
    &service_account_token::ServiceAccountToken,
    &csr_approval::CsrApproval,
    &webhook_config_write::WebhookConfigWrite,
    &create_persistent_volumes::CreatePersistentVolumes,
    &system_masters_binding::SystemMastersBinding,
    &default_service_account_binding::DefaultServiceAccountBinding,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections for this family.
pub mod nsa {
    pub const RBAC: &str = "Authentication and authorization: role-based access control";
    pub const AUTHENTICATION: &str = "Authentication and authorization: authentication";
}

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    pub const VALID_ACCOUNTS: &str = "T1078";
    pub const ACCOUNT_MANIPULATION: &str = "T1098";
    pub const CONTAINER_API: &str = "T1552.007";
    pub const STEAL_TOKEN: &str = "T1528";
    pub const DEPLOY_CONTAINER: &str = "T1610";
    pub const CONTAINER_ADMIN: &str = "T1609";
    pub const ESCAPE_TO_HOST: &str = "T1611";
    pub const IMPAIR_DEFENSES: &str = "T1562.001";
}

pub(crate) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One string item of a list field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item<'a> {
    pub node: NodeRef<'a>,
    pub value: &'a str,
    pub index: usize,
}

/// The string items of `parent.key`: empty when absent or null, `None` when the field is
/// not a list. Items that are not strings are skipped.
fn string_items<'a>(parent: NodeRef<'a>, key: &str) -> Option<Vec<Item<'a>>> {
    match parent.get(key) {
        None => Some(Vec::new()),
        Some(n) if n.is_null() => Some(Vec::new()),
        Some(n) if n.is_seq() => Some(
            n.items()
                .enumerate()
                .filter_map(|(index, node)| node.as_str().map(|value| Item { node, value, index }))
                .collect(),
        ),
        Some(_) => None,
    }
}

/// `"a", "b"` for messages.
pub(crate) fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an object is a Role or ClusterRole.
pub(crate) fn is_role(o: &Object<'_>) -> bool {
    o.group() == RBAC_GROUP && matches!(o.kind, "Role" | "ClusterRole")
}

/// Whether an object is a RoleBinding or ClusterRoleBinding.
pub(crate) fn is_binding(o: &Object<'_>) -> bool {
    o.group() == RBAC_GROUP && matches!(o.kind, "RoleBinding" | "ClusterRoleBinding")
}

/// One PolicyRule of a Role or ClusterRole.
#[derive(Clone, Debug)]
pub(crate) struct Rule<'a> {
    pub node: NodeRef<'a>,
    /// `rules[2]`.
    pub path: FieldPath,
    pub verbs: Vec<Item<'a>>,
    pub api_groups: Vec<Item<'a>>,
    pub resources: Vec<Item<'a>>,
    pub resource_names: Vec<&'a str>,
}

#[cfg(test)]
use kubeward_rbac::access::wanted;
/// What a control asks about, and the kinds of access the controls share with the
/// subject-level ones (`kubeward_rbac::access`).
pub(crate) use kubeward_rbac::access::{self, Wanted};

/// What one item of a rule's `resources` grants among the wanted resources.
#[derive(Clone, Debug)]
pub(crate) struct Grant<'a> {
    /// The `resources` item (`secrets`, `*`, `*/exec`) through which the rule matches.
    pub resource: Item<'a>,
    /// The wanted resources it covers, in the order asked.
    pub covers: Vec<&'static str>,
    /// The rule's verbs that grant a wanted verb (`get`, `*`), in rule order.
    pub verbs: Vec<&'a str>,
}

/// `rules` of a Role or ClusterRole (empty for anything else). Rules that are not mappings,
/// or whose verbs, apiGroups, resources or resourceNames are not lists, are skipped.
pub(crate) fn rules<'a>(t: &Target<'a>) -> Vec<Rule<'a>> {
    if !is_role(&t.object) {
        return Vec::new();
    }
    let Some(list) = t.object.root.get("rules").filter(|n| n.is_seq()) else {
        return Vec::new();
    };
    let base = FieldPath::from("rules");
    list.items()
        .enumerate()
        .filter(|(_, n)| n.is_map())
        .filter_map(|(i, node)| {
            Some(Rule {
                node,
                path: base.index(i),
                verbs: string_items(node, "verbs")?,
                api_groups: string_items(node, "apiGroups")?,
                resources: string_items(node, "resources")?,
                resource_names: string_items(node, "resourceNames")?
                    .into_iter()
                    .map(|i| i.value)
                    .collect(),
            })
        })
        .collect()
}

/// RBAC's `ResourceMatches` for one rule item, with `res/*` standing for any subresource.
pub(crate) use kubeward_rbac::matching::resource_covers as resource_matches;

impl<'a> Rule<'a> {
    fn group_matches(&self, group: &str) -> bool {
        self.api_groups
            .iter()
            .any(|g| g.value == "*" || g.value == group)
    }

    /// Whether the rule grants `verb` on `requested` (resourceNames aside, except that a
    /// names-limited rule never grants `create` on a top-level resource).
    fn verb_granted(&self, verb: &str, requested: &str) -> bool {
        if verb == "create" && !self.resource_names.is_empty() && !requested.contains('/') {
            return false;
        }
        self.verbs.iter().any(|v| v.value == "*" || v.value == verb)
    }

    /// What the rule grants of `verbs` (empty: any verb) on the `wanted` resources, one
    /// [`Grant`] per `resources` item, in rule order.
    pub(crate) fn grants(&self, verbs: &[&str], wanted: &[Wanted]) -> Vec<Grant<'a>> {
        let mut out: Vec<Grant<'a>> = Vec::new();
        for w in wanted {
            if !self.group_matches(w.group) {
                continue;
            }
            // The authorizer stops at the first item that matches.
            let Some(item) = self
                .resources
                .iter()
                .find(|r| resource_matches(r.value, w.resource))
            else {
                continue;
            };
            let rule_verbs: Vec<&'a str> = self
                .verbs
                .iter()
                .filter(|v| {
                    if verbs.is_empty() {
                        !(v.value == "create"
                            && !self.resource_names.is_empty()
                            && !w.resource.contains('/'))
                    } else {
                        verbs.iter().any(|want| {
                            (v.value == "*" || v.value == *want)
                                && self.verb_granted(want, w.resource)
                        })
                    }
                })
                .map(|v| v.value)
                .collect();
            if rule_verbs.is_empty() {
                continue;
            }
            match out.iter_mut().find(|g| g.resource.index == item.index) {
                Some(g) => {
                    if !g.covers.contains(&w.resource) {
                        g.covers.push(w.resource);
                    }
                    for v in rule_verbs {
                        if !g.verbs.contains(&v) {
                            g.verbs.push(v);
                        }
                    }
                }
                None => out.push(Grant {
                    resource: *item,
                    covers: vec![w.resource],
                    verbs: rule_verbs,
                }),
            }
        }
        out.sort_by_key(|g| g.resource.index);
        for g in &mut out {
            let order: Vec<&str> = self.verbs.iter().map(|v| v.value).collect();
            g.verbs
                .sort_by_key(|v| order.iter().position(|o| o == v).unwrap_or(usize::MAX));
        }
        out
    }

    /// `rule grants "get", "list" on "*" (which includes secrets), limited to resourceNames
    /// ["a"]`.
    pub(crate) fn describe(&self, g: &Grant<'_>) -> String {
        let mut s = format!("rule grants {} on {:?}", quoted(&g.verbs), g.resource.value);
        // A wanted `res/*` matched by `res/sub` or `*/sub` is shown as `res/sub`.
        let sub = g.resource.value.split_once('/').map(|(_, sub)| sub);
        let covers: Vec<String> = g
            .covers
            .iter()
            .map(|c| match (c.strip_suffix("/*"), sub) {
                (Some(res), Some(sub)) => format!("{res}/{sub}"),
                _ => c.to_string(),
            })
            .filter(|c| c != g.resource.value)
            .collect();
        if !covers.is_empty() {
            s.push_str(&format!(" (which includes {})", covers.join(", ")));
        }
        if !self.resource_names.is_empty() {
            s.push_str(&format!(
                ", limited to resourceNames [{}]",
                quoted(&self.resource_names)
            ));
        }
        s
    }
}

/// Report every grant of `verbs` (empty: any) on `wanted` at the `resources` item, with
/// `consequence` after the description of the grant.
pub(crate) fn report_grants(
    t: &Target<'_>,
    cx: &mut Context<'_>,
    verbs: &[&str],
    wanted: &[Wanted],
    consequence: &str,
) {
    report_grants_where(t, cx, verbs, wanted, consequence, |_| true);
}

/// [`report_grants`] for controls whose remedy is a `resourceNames` limit: rules limited by
/// `resourceNames` are not reported.
pub(crate) fn report_unlimited_grants(
    t: &Target<'_>,
    cx: &mut Context<'_>,
    verbs: &[&str],
    wanted: &[Wanted],
    consequence: &str,
) {
    report_grants_where(t, cx, verbs, wanted, consequence, |r| {
        r.resource_names.is_empty()
    });
}

/// [`report_grants`] for the rules `keep` selects.
pub(crate) fn report_grants_where(
    t: &Target<'_>,
    cx: &mut Context<'_>,
    verbs: &[&str],
    wanted: &[Wanted],
    consequence: &str,
    keep: impl Fn(&Rule<'_>) -> bool,
) {
    for rule in rules(t).iter().filter(|r| keep(r)) {
        for g in rule.grants(verbs, wanted) {
            cx.report(
                g.resource.node,
                rule.path.key("resources").index(g.resource.index),
                format!("{}: {consequence}", rule.describe(&g)),
            );
        }
    }
}

/// One subject of a RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub(crate) struct Subject<'a> {
    pub node: NodeRef<'a>,
    /// `subjects[1]`.
    pub path: FieldPath,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
}

impl Subject<'_> {
    /// `User "alice"`, `ServiceAccount "ns/name"` for messages.
    pub(crate) fn describe(&self) -> String {
        if self.kind == "ServiceAccount" && !self.namespace.is_empty() {
            format!("{} \"{}/{}\"", self.kind, self.namespace, self.name)
        } else {
            format!("{} {:?}", self.kind, self.name)
        }
    }

    /// Where to point: the `name` field.
    pub(crate) fn at(&self) -> NodeRef<'_> {
        self.node.get("name").unwrap_or(self.node)
    }

    pub(crate) fn name_path(&self) -> FieldPath {
        self.path.key("name")
    }
}

/// Kubernetes' bootstrap ClusterRoleBindings to broad groups
/// (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy`, `clusterRoleBindings`): the binding
/// and its ClusterRole share the name; the groups are its subjects.
const BOOTSTRAP_BINDINGS: &[(&str, &[&str])] = &[
    ("cluster-admin", &["system:masters"]),
    ("system:discovery", &["system:authenticated"]),
    ("system:basic-user", &["system:authenticated"]),
    (
        "system:public-info-viewer",
        &["system:authenticated", "system:unauthenticated"],
    ),
    (
        "system:service-account-issuer-discovery",
        &["system:serviceaccounts"],
    ),
];

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub(crate) struct Binding<'a> {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'a str,
    pub name: &'a str,
    /// `roleRef` (a mapping), if present.
    pub role_ref: Option<NodeRef<'a>>,
    pub role_kind: &'a str,
    pub role_name: &'a str,
    pub subjects: Vec<Subject<'a>>,
}

/// The binding, if the object is one. Subjects that are not mappings or whose kind or name
/// is not a string are skipped.
pub(crate) fn binding<'a>(t: &Target<'a>) -> Option<Binding<'a>> {
    if !is_binding(&t.object) {
        return None;
    }
    let root = t.object.root;
    let role_ref = root.get("roleRef").filter(|n| n.is_map());
    let s = |n: Option<NodeRef<'a>>, key: &str| {
        n.and_then(|n| n.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("")
    };
    let base = FieldPath::from("subjects");
    let subjects = root
        .get("subjects")
        .filter(|n| n.is_seq())
        .map(|list| {
            list.items()
                .enumerate()
                .filter(|(_, n)| n.is_map())
                .filter_map(|(i, node)| {
                    Some(Subject {
                        node,
                        path: base.index(i),
                        kind: node.get("kind")?.as_str()?,
                        name: node.get("name")?.as_str()?,
                        namespace: s(Some(node), "namespace"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Binding {
        kind: t.object.kind,
        name: t.object.name,
        role_ref,
        role_kind: s(role_ref, "kind"),
        role_name: s(role_ref, "name"),
        subjects,
    })
}

impl Binding<'_> {
    /// One of Kubernetes' own bootstrap ClusterRoleBindings to broad groups, exactly as the
    /// API server creates it: the name, a ClusterRole of the same name, and subjects among
    /// the bootstrap groups only (a binding with no subjects is not one).
    pub(crate) fn is_bootstrap_default(&self) -> bool {
        self.kind == "ClusterRoleBinding"
            && self.role_kind == "ClusterRole"
            && self.role_name == self.name
            && !self.subjects.is_empty()
            && BOOTSTRAP_BINDINGS
                .iter()
                .find(|(name, _)| *name == self.name)
                .is_some_and(|(_, groups)| {
                    self.subjects
                        .iter()
                        .all(|s| s.kind == "Group" && groups.contains(&s.name))
                })
    }

    /// `ClusterRole "view"` for messages.
    pub(crate) fn role(&self) -> String {
        format!("{} {:?}", self.role_kind, self.role_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::{objects_in, Item as ModelItem};
    use kubeward_yaml::{parse_str, Limits};

    /// The grants of the first rule of a ClusterRole whose rules are `rules_yaml`.
    fn grants_of(rules_yaml: &str, verbs: &[&str], w: &[Wanted]) -> Vec<(String, String)> {
        let text = format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules:\n{rules_yaml}"
        );
        let parsed = parse_str(&text, &Limits::default());
        let doc = &parsed.documents[0];
        let mut out = Vec::new();
        for item in objects_in(doc) {
            let ModelItem::Object(object) = item else {
                panic!("not an object")
            };
            let t = Target { pod: None, object };
            for rule in rules(&t) {
                for g in rule.grants(verbs, w) {
                    out.push((g.resource.value.to_string(), rule.describe(&g)));
                }
            }
        }
        out
    }

    const SECRETS: &[Wanted] = &[wanted("", "secrets")];
    const READ: &[&str] = &["get", "list", "watch"];

    #[test]
    fn exact_match() {
        let g = grants_of(
            "- apiGroups: [\"\"]\n  resources: [configmaps, secrets]\n  verbs: [get, create]\n",
            READ,
            SECRETS,
        );
        assert_eq!(
            g,
            vec![(
                "secrets".to_string(),
                "rule grants \"get\" on \"secrets\"".to_string()
            )]
        );
    }

    #[test]
    fn wildcards() {
        let g = grants_of(
            "- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n",
            READ,
            SECRETS,
        );
        assert_eq!(
            g[0].1,
            "rule grants \"*\" on \"*\" (which includes secrets)"
        );
    }

    #[test]
    fn wrong_group_case_or_verb() {
        for rules in [
            "- apiGroups: [apps]\n  resources: [secrets]\n  verbs: [get]\n",
            "- apiGroups: [\"\"]\n  resources: [Secrets]\n  verbs: [get]\n",
            "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [create, update, Get]\n",
            "- resources: [secrets]\n  verbs: [get]\n",
            "- apiGroups: [\"\"]\n  resources: [secrets/status]\n  verbs: [get]\n",
            "- nonResourceURLs: ['*']\n  verbs: [get]\n",
        ] {
            assert!(grants_of(rules, READ, SECRETS).is_empty(), "{rules}");
        }
    }

    #[test]
    fn wrong_types_are_ignored() {
        for rules in [
            "- apiGroups: \"\"\n  resources: [secrets]\n  verbs: [get]\n",
            "- apiGroups: [\"\"]\n  resources: secrets\n  verbs: [get]\n",
            "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: get\n",
            "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get]\n  resourceNames: a\n",
            "- [get]\n",
            "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [1, true]\n",
        ] {
            assert!(grants_of(rules, READ, SECRETS).is_empty(), "{rules}");
        }
    }

    #[test]
    fn subresources() {
        let exec = &[wanted("", "pods/exec")];
        let verbs = &["create", "get"];
        for (rules, expect) in [
            (
                "- apiGroups: ['']\n  resources: [pods/exec]\n  verbs: [create]\n",
                true,
            ),
            (
                "- apiGroups: ['']\n  resources: ['*/exec']\n  verbs: [get]\n",
                true,
            ),
            (
                "- apiGroups: ['']\n  resources: ['*']\n  verbs: [create]\n",
                true,
            ),
            (
                "- apiGroups: ['']\n  resources: [pods]\n  verbs: ['*']\n",
                false,
            ),
            (
                "- apiGroups: ['']\n  resources: ['pods/*']\n  verbs: ['*']\n",
                false,
            ),
            (
                "- apiGroups: ['']\n  resources: ['*/execute']\n  verbs: ['*']\n",
                false,
            ),
            (
                "- apiGroups: ['']\n  resources: [pods/exec]\n  verbs: [list]\n",
                false,
            ),
        ] {
            assert_eq!(!grants_of(rules, verbs, exec).is_empty(), expect, "{rules}");
        }
        // `res/*` asks for any subresource.
        let extras = &[wanted("authentication.k8s.io", "userextras/*")];
        for (rules, expect) in [
            (
                "- apiGroups: [authentication.k8s.io]\n  resources: [userextras/scopes]\n  verbs: [impersonate]\n",
                true,
            ),
            (
                "- apiGroups: [authentication.k8s.io]\n  resources: ['*/scopes']\n  verbs: [impersonate]\n",
                true,
            ),
            (
                "- apiGroups: [authentication.k8s.io]\n  resources: [userextras]\n  verbs: [impersonate]\n",
                false,
            ),
            (
                "- apiGroups: [authentication.k8s.io]\n  resources: [userextrasx/a]\n  verbs: [impersonate]\n",
                false,
            ),
        ] {
            assert_eq!(
                !grants_of(rules, &["impersonate"], extras).is_empty(),
                expect,
                "{rules}"
            );
        }
    }

    #[test]
    fn resource_names_narrow() {
        let g = grants_of(
            "- apiGroups: ['']\n  resources: [secrets]\n  resourceNames: [tls, db]\n  verbs: [get, watch]\n",
            READ,
            SECRETS,
        );
        assert_eq!(
            g[0].1,
            "rule grants \"get\", \"watch\" on \"secrets\", limited to resourceNames [\"tls\", \"db\"]"
        );
        // A create request has no name: a names-limited rule cannot grant it...
        let pods = &[wanted("", "pods")];
        assert!(grants_of(
            "- apiGroups: ['']\n  resources: [pods]\n  resourceNames: [a]\n  verbs: ['*']\n",
            &["create"],
            pods
        )
        .is_empty());
        // ... but a subresource request names its object.
        let g = grants_of(
            "- apiGroups: ['']\n  resources: [pods/exec]\n  resourceNames: [a]\n  verbs: [create]\n",
            &["create"],
            &[wanted("", "pods/exec")],
        );
        assert_eq!(g.len(), 1);
        // Any verb: create is still not granted by a names-limited rule.
        assert!(grants_of(
            "- apiGroups: ['']\n  resources: [pods]\n  resourceNames: [a]\n  verbs: [create]\n",
            &[],
            pods
        )
        .is_empty());
    }

    #[test]
    fn one_grant_per_resource_item() {
        let w = &[
            wanted("", "pods"),
            wanted("apps", "deployments"),
            wanted("batch", "jobs"),
        ];
        let g = grants_of(
            "- apiGroups: ['*']\n  resources: ['*', deployments]\n  verbs: [create, '*']\n",
            &["create"],
            w,
        );
        assert_eq!(
            g,
            vec![(
                "*".to_string(),
                "rule grants \"create\", \"*\" on \"*\" (which includes pods, deployments, jobs)"
                    .to_string()
            )]
        );
        let g = grants_of(
            "- apiGroups: ['', apps]\n  resources: [deployments, pods, jobs]\n  verbs: [create]\n",
            &["create"],
            w,
        );
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].0, "deployments");
        assert_eq!(g[1].0, "pods");
    }

    #[test]
    fn resource_matches_like_the_authorizer() {
        assert!(resource_matches("*", "pods/exec"));
        assert!(resource_matches("pods/exec", "pods/exec"));
        assert!(resource_matches("*/exec", "pods/exec"));
        assert!(!resource_matches("*/exec", "pods"));
        assert!(!resource_matches("pods", "pods/exec"));
        assert!(!resource_matches("*/", "pods"));
        assert!(resource_matches("userextras/a", "userextras/*"));
        assert!(!resource_matches("userextras", "userextras/*"));
    }
}
