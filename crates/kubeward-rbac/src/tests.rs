//! The model against the fixtures in `fixtures/authz`: each authorizer rule, with the answers
//! the real API server gives (the differential test in crates/kubeward/tests/rbac_e2e.rs
//! checks the same fixtures against kube-apiserver).

use std::sync::Arc;

use kubeward_yaml::Limits;

use crate::load::read_text;
use crate::request::{parse_target, Request, Target};
use crate::subject::SubjectKey;
use crate::RbacModel;

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/authz/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn model_of(texts: &[(&str, &str)]) -> RbacModel {
    let mut objects = Vec::new();
    for (name, text) in texts {
        let (o, problems) = read_text(&Arc::from(*name), text, &Limits::default());
        assert!(problems.is_empty(), "{name}: {problems:?}");
        objects.extend(o);
    }
    RbacModel::from_objects(objects)
}

fn model(name: &str) -> RbacModel {
    let text = fixture(name);
    model_of(&[(name, &text)])
}

/// `can("User:x", "get", "pods/exec", "ns", "name")`.
fn can(m: &RbacModel, subject: &str, verb: &str, resource: &str, ns: &str, name: &str) -> bool {
    let key = SubjectKey::parse(subject).unwrap();
    let req = Request {
        verb: verb.to_string(),
        namespace: ns.to_string(),
        target: parse_target(resource, name).unwrap(),
    };
    let allowed = m.authorize(&key.identity(&[]), &req).is_some();
    // who-can must agree with authorize.
    let ids = key.identity(&[]).keys();
    let listed = m.who_can(&req).iter().any(|(k, _)| ids.contains(k));
    assert_eq!(
        allowed, listed,
        "{subject} {req}: authorize and who-can disagree"
    );
    allowed
}

#[test]
fn wildcards() {
    let m = model("wildcards.yaml");
    assert!(can(
        &m,
        "User:wild-root",
        "escalate",
        "clusterroles.rbac.authorization.k8s.io",
        "",
        ""
    ));
    assert!(can(&m, "User:wild-root", "get", "pods/exec", "any", "x"));
    // `*` resources in one group only.
    assert!(can(
        &m,
        "User:wild-dev",
        "list",
        "deployments.apps/scale",
        "wild",
        ""
    ));
    assert!(!can(&m, "User:wild-dev", "list", "pods", "wild", ""));
    assert!(!can(
        &m,
        "User:wild-dev",
        "create",
        "deployments.apps",
        "wild",
        ""
    ));
    // `*` groups: configmaps in any group, any verb.
    assert!(can(
        &m,
        "Group:wild-team",
        "deletecollection",
        "configmaps.example.com",
        "wild",
        ""
    ));
    assert!(!can(
        &m,
        "Group:wild-team",
        "get",
        "configmaps",
        "other",
        ""
    ));
    assert!(!can(&m, "Group:wild-team", "get", "configmaps", "", ""));
    // Non-resource URLs are not resources.
    let req = Request {
        verb: "get".into(),
        namespace: String::new(),
        target: Target::NonResource {
            path: "/metrics".into(),
        },
    };
    assert!(m
        .authorize(&SubjectKey::user("wild-root").identity(&[]), &req)
        .is_none());
}

#[test]
fn resource_names() {
    let m = model("resource-names.yaml");
    assert!(can(&m, "User:names-dev", "get", "secrets", "names", "db"));
    assert!(can(
        &m,
        "User:names-dev",
        "update",
        "secrets",
        "names",
        "tls"
    ));
    assert!(!can(
        &m,
        "User:names-dev",
        "get",
        "secrets",
        "names",
        "other"
    ));
    // No name: list and create never match a names-limited rule.
    assert!(!can(&m, "User:names-dev", "list", "secrets", "names", ""));
    assert!(!can(&m, "User:names-dev", "create", "secrets", "names", ""));
    assert!(can(&m, "User:names-dev", "list", "configmaps", "names", ""));
    assert!(can(
        &m,
        "User:names-dev",
        "list",
        "configmaps",
        "names",
        "any"
    ));
}

#[test]
fn subresources() {
    let m = model("subresources.yaml");
    assert!(can(
        &m,
        "Group:subs-team",
        "update",
        "pods/status",
        "subs",
        "p"
    ));
    assert!(can(
        &m,
        "Group:subs-team",
        "get",
        "deployments.apps/status",
        "subs",
        ""
    ));
    assert!(!can(
        &m,
        "Group:subs-team",
        "get",
        "jobs.batch/status",
        "subs",
        ""
    ));
    assert!(!can(&m, "Group:subs-team", "get", "pods", "subs", ""));
    assert!(can(
        &m,
        "Group:subs-team",
        "create",
        "pods/exec",
        "subs",
        "p"
    ));
    // `pods/*` is literal.
    assert!(!can(&m, "Group:subs-team", "get", "pods/log", "subs", "p"));
    assert!(can(&m, "Group:subs-team", "get", "pods/*", "subs", "p"));
    assert!(can(
        &m,
        "Group:subs-team",
        "patch",
        "deployments.apps/scale",
        "subs",
        "d"
    ));
    assert!(!can(
        &m,
        "Group:subs-team",
        "patch",
        "deployments.apps",
        "subs",
        "d"
    ));
    // A RoleBinding to a ClusterRole grants in its namespace only.
    assert!(!can(&m, "Group:subs-team", "create", "pods/exec", "", ""));
    assert!(!can(
        &m,
        "Group:subs-team",
        "create",
        "pods/exec",
        "default",
        ""
    ));
    assert!(can(&m, "User:subs-global", "get", "pods/log", "any", "p"));
    assert!(can(&m, "User:subs-global", "get", "pods/log", "", ""));
    assert!(!can(&m, "User:subs-global", "get", "pods/exec", "any", "p"));
}

#[test]
fn aggregation() {
    let m = model("aggregation.yaml");
    // matchLabels, In, and the nested aggregated role's own aggregated rules.
    assert!(can(&m, "User:agg-user", "get", "configmaps", "x", ""));
    assert!(can(&m, "User:agg-user", "list", "services", "", ""));
    assert!(can(&m, "User:agg-user", "watch", "secrets", "x", ""));
    assert!(!can(&m, "User:agg-user", "delete", "pods", "x", ""));
    // Written rules of an aggregated role are replaced.
    assert!(!can(&m, "User:agg-user", "delete", "nodes", "", "n"));
    // NotIn gold, DoesNotExist parent, family=yes: only agg-child-c, in namespace agg.
    assert!(can(&m, "User:agg-ns-user", "delete", "pods", "agg", "p"));
    assert!(!can(&m, "User:agg-ns-user", "list", "services", "agg", ""));
    assert!(!can(&m, "User:agg-ns-user", "delete", "pods", "other", "p"));
}

#[test]
fn scope_and_service_accounts() {
    let m = model("scope.yaml");
    for sa in [
        "ServiceAccount:scope-a:builder",
        "ServiceAccount:scope-b:other",
        "ServiceAccount:scope-b:robot",
        // Through the group system:serviceaccounts:scope-b.
        "ServiceAccount:scope-b:anyone",
    ] {
        assert!(can(&m, sa, "list", "secrets", "scope-a", ""), "{sa}");
        assert!(!can(&m, sa, "list", "secrets", "scope-b", ""), "{sa}");
        assert!(!can(&m, sa, "list", "secrets", "", ""), "{sa}");
        // system:serviceaccounts, cluster-wide.
        assert!(can(&m, sa, "list", "configmaps", "", ""), "{sa}");
    }
    assert!(!can(
        &m,
        "ServiceAccount:scope-a:other",
        "list",
        "secrets",
        "scope-a",
        ""
    ));
    assert!(!can(
        &m,
        "ServiceAccount:scope-c:builder",
        "get",
        "pods",
        "scope-a",
        ""
    ));
    assert!(!can(&m, "User:dana", "list", "configmaps", "", ""));
    assert!(can(
        &m,
        "User:dana",
        "update",
        "deployments",
        "scope-b",
        "web"
    ));
    assert!(!can(
        &m,
        "User:dana",
        "update",
        "deployments",
        "scope-a",
        "web"
    ));
    // A binding to a missing role grants nothing and says so.
    assert!(m.notes.iter().any(|n| n
        .message
        .contains("Role \"scope-b/ghost\", which is not in the input")));
}

#[test]
fn non_resource_urls() {
    let m = model("non-resource.yaml");
    let ask = |verb: &str, path: &str| {
        let req = Request {
            verb: verb.into(),
            namespace: String::new(),
            target: Target::NonResource { path: path.into() },
        };
        m.authorize(&SubjectKey::user("nr-user").identity(&[]), &req)
            .is_some()
    };
    assert!(ask("get", "/healthz"));
    assert!(ask("get", "/healthz/etcd"));
    assert!(ask("get", "/healthzfoo"));
    assert!(ask("get", "/api/v1"));
    assert!(!ask("get", "/api"));
    assert!(ask("get", "/metrics"));
    assert!(!ask("get", "/metrics/cadvisor"));
    assert!(!ask("post", "/metrics"));
    assert!(ask("post", "/logs/kube"));
}

#[test]
fn built_in_cluster_admin_and_permissions() {
    let m = model_of(&[(
        "b.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects:\n- {kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}\n",
    )]);
    assert!(can(&m, "Group:ops", "delete", "nodes", "", "n"));
    let perms = m.permissions(&SubjectKey::group("ops").identity(&[]));
    assert_eq!(perms.len(), 2);
    assert!(m.describe_rule(perms[0].grant.rule).contains("<built-in>"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn subject_parsing_never_panics_and_round_trips(text in ".{0,40}", ns in "[a-z][a-z0-9-]{0,10}", name in "[a-z][a-z0-9-]{0,10}") {
            let _ = SubjectKey::parse(&text);
            for key in [SubjectKey::user(&name), SubjectKey::group(&format!("g:{name}")), SubjectKey::service_account(&ns, &name)] {
                prop_assert_eq!(SubjectKey::parse(&key.spec()).unwrap(), key);
            }
        }

        #[test]
        fn resource_parsing_never_panics_and_keeps_the_parts(text in ".{0,40}", res in "[a-z]{1,12}", group in "[a-z]{1,8}\\.[a-z]{2,5}", sub in "[a-z]{0,6}") {
            let _ = parse_target(&text, "");
            let spec = if sub.is_empty() { format!("{res}.{group}") } else { format!("{res}.{group}/{sub}") };
            match parse_target(&spec, "n").unwrap() {
                Target::Resource { group: g, resource, subresource, name } => {
                    prop_assert_eq!(g, group);
                    prop_assert_eq!(resource, res);
                    prop_assert_eq!(subresource, sub);
                    prop_assert_eq!(name, "n");
                }
                t => prop_assert!(false, "{:?}", t),
            }
        }

        /// Whatever the YAML, reading RBAC objects never panics.
        #[test]
        fn reading_any_yaml_never_panics(text in "(apiVersion: rbac.authorization.k8s.io/v1\nkind: (Role|ClusterRole|RoleBinding|ClusterRoleBinding)\n)?[ -~\n]{0,300}") {
            let (objects, _) = crate::load::read_text(&Arc::from("p.yaml"), &text, &Limits::default());
            let m = RbacModel::from_objects(objects);
            let _ = m.analysis();
        }

        /// On random models, `authorize`, `who-can` and `permissions` tell the same story.
        #[test]
        fn queries_agree(
            rules in proptest::collection::vec((0usize..3, 0usize..4, 0usize..3, proptest::bool::ANY), 1..6),
            bindings in proptest::collection::vec((proptest::bool::ANY, 0usize..6, 0usize..3, 0usize..3), 1..8),
            asks in proptest::collection::vec((0usize..3, 0usize..4, 0usize..4, 0usize..3, 0usize..2), 1..20),
        ) {
            const VERBS: [&str; 3] = ["get", "create", "*"];
            const RES: [&str; 4] = ["pods", "pods/exec", "*/exec", "*"];
            const NS: [&str; 3] = ["a", "b", ""];
            const SUBJECTS: [&str; 3] = ["- {kind: User, name: u}", "- {kind: Group, name: g}", "- {kind: ServiceAccount, name: s, namespace: a}"];
            let mut text = String::new();
            for (i, (v, r, role_ns, named)) in rules.iter().enumerate() {
                let names = if *named { "\n  resourceNames: [x]" } else { "" };
                let rule = format!("rules:\n- apiGroups: [\"\"]\n  resources: [\"{}\"]\n  verbs: [\"{}\"]{names}\n", RES[*r], VERBS[*v]);
                if *role_ns == 2 {
                    text.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r{i}}}\n{rule}"));
                } else {
                    text.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r{i}, namespace: {}}}\n{rule}", NS[*role_ns]));
                }
            }
            for (i, (cluster, role, ns, subject)) in bindings.iter().enumerate() {
                let role = role % rules.len();
                let role_kind = if rules[role].2 == 2 { "ClusterRole" } else { "Role" };
                let meta = if *cluster { format!("kind: ClusterRoleBinding\nmetadata: {{name: b{i}}}") } else { format!("kind: RoleBinding\nmetadata: {{name: b{i}, namespace: {}}}", NS[ns % 2]) };
                text.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\n{meta}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: r{role}}}\nsubjects:\n{}\n", SUBJECTS[*subject]));
            }
            let m = model_of(&[("m.yaml", &text)]);
            for (v, r, s, ns, named) in asks {
                let key = match s { 0 => SubjectKey::user("u"), 1 => SubjectKey::group("g"), 2 => SubjectKey::service_account("a", "s"), _ => SubjectKey::user("nobody") };
                let id = key.identity(&[]);
                let resource = ["pods", "pods/exec", "pods/log"][r % 3];
                let req = Request { verb: ["get", "create", "delete"][v].into(), namespace: NS[ns].into(), target: parse_target(resource, if named == 1 { "x" } else { "" }).unwrap() };
                let grant = m.authorize(&id, &req);
                let keys = id.keys();
                let listed = m.who_can(&req).iter().any(|(k, _)| keys.contains(k));
                prop_assert_eq!(grant.is_some(), listed, "{} {}\n{}", key, req, text);
                // The grant is one of the identity's permissions, in the request's scope.
                if let Some(g) = grant {
                    let perms = m.permissions(&id);
                    prop_assert!(perms.iter().any(|p| p.grant.rule == g.rule && p.grant.binding == g.binding));
                    prop_assert!(RbacModel::rule_allows(m.rule(g.rule), &req));
                }
            }
        }
    }
}
