//! Unit tests: a pass and a fail fixture per edge rule, scoring, ranking, renderers, and a
//! proptest that the search ends and the ranking is a total, stable order.

use std::sync::Arc;

use proptest::prelude::*;

use crate::graph::{EdgeKind, Entity};
use crate::risk::{rank_order, RiskOptions};
use crate::{read_text, render, RiskGraph, RiskInput, Severity};

fn graph_of(yaml: &str) -> RiskGraph {
    let mut input = RiskInput::new();
    let file: Arc<str> = Arc::from("t.yaml");
    let problems = read_text(&mut input, &file, yaml, &Default::default());
    assert!(problems.is_empty(), "{problems:?}");
    RiskGraph::build(input)
}

fn kinds(g: &RiskGraph) -> Vec<EdgeKind> {
    g.edges().map(|e| e.edge.kind).collect()
}

/// A pod with `spec` lines (indented by 2) and a container with `container` lines (by 6).
fn pod(spec: &str, container: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: web\nspec:\n{spec}  containers:\n    - name: c\n      image: nginx:1\n{container}"
    )
}

const PRIV: &str = "      securityContext:\n        privileged: true\n";

fn host_mount(path: &str, read_only: bool) -> (String, String) {
    (
        format!("  volumes:\n    - name: h\n      hostPath:\n        path: {path}\n"),
        format!("      volumeMounts:\n        - name: h\n          mountPath: /h\n          readOnly: {read_only}\n"),
    )
}

/// (kind, a fixture with the edge, one without).
fn cases() -> Vec<(EdgeKind, String, String)> {
    let (v_log, m_log) = host_mount("/var/log", false);
    let (v_proc, m_proc) = host_mount("/proc/sys/kernel", false);
    let (v_ssh, m_ssh_ro) = host_mount("/root/.ssh", true);
    let (_, m_ssh_rw) = host_mount("/root/.ssh", false);
    let (v_etc, m_etc) = host_mount("/etc", false);
    let (v_tmp, m_tmp) = host_mount("/tmp/x", false);
    let (v_sock, m_sock) = host_mount("/run/containerd/containerd.sock", true);
    let (v_kubelet, m_kubelet) = host_mount("/var/lib/kubelet/pods", true);
    let (v_data, m_data) = host_mount("/data", true);
    let log_rbac = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: logs\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods/log]\n    verbs: [get]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: logs\nroleRef:\n  kind: Role\n  name: logs\nsubjects:\n  - kind: ServiceAccount\n    name: default\n";
    let ptrace = "      securityContext:\n        appArmorProfile:\n          type: Unconfined\n        capabilities:\n          add: [SYS_PTRACE, SYS_ADMIN]\n";
    let ptrace_confined =
        "      securityContext:\n        capabilities:\n          add: [SYS_PTRACE, SYS_ADMIN]\n";
    let non_root = "      securityContext:\n        runAsNonRoot: true\n";
    vec![
        (EdgeKind::CePrivMount, pod("", PRIV), pod("", "")),
        (EdgeKind::CeNsenter, pod("  hostPID: true\n", PRIV), pod("", PRIV)),
        (
            EdgeKind::CeModuleLoad,
            pod("", "      securityContext:\n        capabilities:\n          add: [CAP_SYS_MODULE]\n"),
            pod("", "      securityContext:\n        capabilities:\n          add: [NET_ADMIN]\n"),
        ),
        (EdgeKind::CeSysPtrace, pod("  hostPID: true\n", ptrace), pod("  hostPID: true\n", ptrace_confined)),
        (
            EdgeKind::CeUmhCorePattern,
            pod(&v_proc, &m_proc),
            pod(&v_proc, &format!("{m_proc}{non_root}")),
        ),
        (
            EdgeKind::CeVarLogSymlink,
            format!("{}{log_rbac}", pod(&v_log, &m_log)),
            pod(&v_log, &m_log),
        ),
        (EdgeKind::ExploitHostRead, pod(&v_ssh, &m_ssh_ro), pod(&v_data, &m_data)),
        (EdgeKind::ExploitHostWrite, pod(&v_etc, &m_etc), pod(&v_tmp, &m_tmp)),
        (EdgeKind::ExploitContainerdSock, pod(&v_sock, &m_sock), pod(&v_ssh, &m_ssh_rw)),
        (EdgeKind::ExploitHostTraverse, pod(&v_kubelet, &m_kubelet), pod(&v_ssh, &m_ssh_ro)),
        (
            EdgeKind::TokenSteal,
            pod("", ""),
            pod("  automountServiceAccountToken: false\n", ""),
        ),
        (
            EdgeKind::SharePsNamespace,
            pod("  shareProcessNamespace: true\n", "    - name: d\n      image: x\n"),
            pod("", "    - name: d\n      image: x\n"),
        ),
        (
            EdgeKind::Exposed,
            format!("{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n", pod("", "")),
            format!("{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  selector:\n    app: other\n", pod("", "")),
        ),
    ]
}

#[test]
fn every_rule_has_a_pass_and_a_fail_fixture() {
    for (kind, pass, fail) in cases() {
        assert!(
            kinds(&graph_of(&pass)).contains(&kind),
            "{kind:?} should fire on\n{pass}"
        );
        assert!(
            !kinds(&graph_of(&fail)).contains(&kind),
            "{kind:?} should not fire on\n{fail}"
        );
    }
}

fn role(rules: &str, binding_kind: &str) -> String {
    let (role_kind, ns) = if binding_kind == "ClusterRoleBinding" {
        ("ClusterRole", "")
    } else {
        ("Role", "  namespace: default\n")
    };
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {role_kind}\nmetadata:\n  name: r\n{ns}rules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {binding_kind}\nmetadata:\n  name: b\n{ns}roleRef:\n  kind: {role_kind}\n  name: r\nsubjects:\n  - kind: User\n    name: alice\n---\n{}",
        pod("", "")
    )
}

#[test]
fn permission_rules_pass_and_fail() {
    let rule = |verbs: &str, group: &str, res: &str| {
        format!("  - apiGroups: [\"{group}\"]\n    resources: [{res}]\n    verbs: [{verbs}]\n")
    };
    let table: Vec<(EdgeKind, String, String)> = vec![
        (
            EdgeKind::PodExec,
            rule("create", "", "pods/exec"),
            rule("get", "", "pods/exec"),
        ),
        (
            EdgeKind::PodPatch,
            rule("patch", "apps", "deployments"),
            rule("get", "apps", "deployments"),
        ),
        (
            EdgeKind::PodCreate,
            rule("create", "batch", "jobs"),
            rule("create", "", "configmaps"),
        ),
        (
            EdgeKind::TokenList,
            rule("list", "", "secrets"),
            rule("get", "", "configmaps"),
        ),
        (
            EdgeKind::TokenBruteforce,
            rule("get", "", "secrets"),
            rule("list", "", "configmaps"),
        ),
        (
            EdgeKind::SecretRead,
            rule("watch", "", "secrets"),
            rule("create", "", "secrets"),
        ),
        (
            EdgeKind::IdentityImpersonate,
            rule("impersonate", "", "serviceaccounts"),
            rule("get", "", "serviceaccounts"),
        ),
    ];
    for (kind, pass, fail) in table {
        assert!(
            kinds(&graph_of(&role(&pass, "RoleBinding"))).contains(&kind),
            "{kind:?}: {pass}"
        );
        assert!(
            !kinds(&graph_of(&role(&fail, "RoleBinding"))).contains(&kind),
            "{kind:?}: {fail}"
        );
    }
    // Users are cluster-scoped: a RoleBinding cannot grant their impersonation.
    let users = rule("impersonate", "", "users");
    assert!(kinds(&graph_of(&role(&users, "ClusterRoleBinding")))
        .contains(&EdgeKind::IdentityImpersonate));
    assert!(
        !kinds(&graph_of(&role(&users, "RoleBinding"))).contains(&EdgeKind::IdentityImpersonate)
    );
    // ROLE_BIND needs create and bind on the target's role kind.
    let rb = format!(
        "{}{}",
        rule("create", "rbac.authorization.k8s.io", "rolebindings"),
        rule("bind", "rbac.authorization.k8s.io", "roles")
    );
    let no_bind = rule("create", "rbac.authorization.k8s.io", "rolebindings");
    let other = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: other\n  namespace: default\nroleRef:\n  kind: Role\n  name: r\nsubjects:\n  - kind: User\n    name: bob\n";
    assert!(
        kinds(&graph_of(&format!("{}{other}", role(&rb, "RoleBinding"))))
            .contains(&EdgeKind::RoleBind)
    );
    assert!(!kinds(&graph_of(&format!(
        "{}{other}",
        role(&no_bind, "RoleBinding")
    )))
    .contains(&EdgeKind::RoleBind));
    // PERMISSION_DISCOVER from the subject, CLUSTER_ADMIN from an escalation path.
    let admin = role(&rule("\"*\"", "*", "\"*\""), "ClusterRoleBinding");
    let g = graph_of(&admin);
    assert!(kinds(&g).contains(&EdgeKind::PermissionDiscover));
    assert!(kinds(&g).contains(&EdgeKind::ClusterAdmin));
    assert!(
        !kinds(&graph_of(&role(&rule("get", "", "pods"), "RoleBinding")))
            .contains(&EdgeKind::ClusterAdmin)
    );
}

#[test]
fn pod_security_admission_stops_pod_create_to_nodes() {
    let create = "  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [create]\n";
    let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n";
    let to_node = |g: &RiskGraph| {
        g.edges().any(|e| {
            e.edge.kind == EdgeKind::PodCreate && matches!(g.entity(e.to), Entity::Node(None))
        })
    };
    assert!(to_node(&graph_of(&role(create, "RoleBinding"))));
    assert!(!to_node(&graph_of(&format!(
        "{}{ns}",
        role(create, "RoleBinding")
    ))));
}

const EXPOSED_PRIVILEGED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: shop/web:1\n          ports:\n            - containerPort: 8080\n          securityContext:\n            privileged: true\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n";

#[test]
fn scoring_follows_the_formula() {
    let g = graph_of(EXPOSED_PRIVILEGED);
    let risks = g.risks(&RiskOptions::default());
    let r = risks
        .risks
        .iter()
        .find(|r| r.id == "internet->node:Deployment/shop/web")
        .expect("internet to node");
    // EXPOSED 1.0 × ENDPOINT_EXPLOIT 0.3 × CE_PRIV_MOUNT 0.95 (the best escape).
    let likelihood = 0.3 * 0.95;
    assert!(
        (r.factors[1].value - likelihood).abs() < 1e-6,
        "{:?}",
        r.factors
    );
    assert_eq!(r.factors[0].value, 1.0);
    assert_eq!(r.factors[2].value, 0.9);
    assert_eq!(r.score, (1000.0_f64 * likelihood * 0.9).round() / 10.0);
    // A fixable critical vulnerability makes the exploitation likely: the score rises.
    let mut input = RiskInput::new();
    let file: Arc<str> = Arc::from("t.yaml");
    read_text(&mut input, &file, EXPOSED_PRIVILEGED, &Default::default());
    input.add_image_vuln("shop/web:1", Severity::Critical, "CVE-2024-0001", true);
    let g2 = RiskGraph::build(input);
    let r2 = g2.risks(&RiskOptions::default());
    let r2 = r2.risks.iter().find(|x| x.id == r.id).expect("same risk");
    assert!(r2.score > r.score);
    assert!(r2
        .steps
        .iter()
        .any(|&e| g2.graph[e].kind == EdgeKind::VulnerableImage));
}

#[test]
fn renderers_show_every_step_with_its_location() {
    let g = graph_of(EXPOSED_PRIVILEGED);
    let risks = g.risks(&RiskOptions::default());
    let text = render::text(&g, &risks, 1);
    assert!(text.contains("-[EXPOSED 1.00]->"), "{text}");
    assert!(
        text.contains("why: exposure 1.000: reachable from the internet"),
        "{text}"
    );
    assert!(text.contains("t.yaml:"), "{text}");
    let json = serde_json::to_value(render::json(&g, &risks, 10)).expect("json");
    assert_eq!(json["schema"], render::SCHEMA);
    assert_eq!(json["risks"][0]["rank"], 1);
    let r = &risks.risks[0];
    assert!(render::mermaid(&g, r).starts_with("flowchart LR\n"));
    assert!(render::dot(&g, r).contains("->"));
}

#[test]
fn bad_input_never_panics() {
    for yaml in [
        "apiVersion: v1\nkind: Pod\nspec: 3\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: x\n  volumes: [1, {name: 2}]\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: [], ports: 5}\n",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [{http: {paths: [{backend: 3}]}}]}\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nsubjects: []\n",
    ] {
        let g = graph_of(yaml);
        let _ = g.risks(&RiskOptions::default());
    }
}

#[test]
fn secrets_values_never_reach_the_graph() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c2VjcmV0LXZhbHVl\n";
    let g = graph_of(yaml);
    for (_, e) in g.entities() {
        assert!(!format!("{e:?}").contains("c2VjcmV0"));
    }
}

proptest! {
    #[test]
    fn search_ends_and_ranking_is_a_total_stable_order(
        edges in proptest::collection::vec((0usize..12, 0usize..12, 0usize..4), 0..60)
    ) {
        // Random graphs: 12 workloads in 3 namespaces, random privileged flags, services and
        // exec permissions, so that paths cross hubs and cycles.
        let mut yaml = String::new();
        for i in 0..12 {
            let ns = ["a", "b", "c"][i % 3];
            let privileged = edges.iter().any(|(a, _, k)| *a == i && *k == 0);
            yaml.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: {ns}\n  labels:\n    app: a{i}\nspec:\n  serviceAccountName: sa{i}\n  containers:\n    - name: c\n      image: x\n      ports: [{{containerPort: 80}}]\n      securityContext: {{privileged: {privileged}}}\n"
            ));
        }
        for (n, (a, b, k)) in edges.iter().enumerate() {
            let ns = ["a", "b", "c"][b % 3];
            match k {
                1 => yaml.push_str(&format!("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{n}\n  namespace: {ns}\nspec:\n  type: NodePort\n  selector:\n    app: a{b}\n")),
                2 | 3 => yaml.push_str(&format!(
                    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r{n}\n  namespace: {ns}\nrules:\n  - apiGroups: [\"\"]\n    resources: [{}]\n    verbs: [create, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b{n}\n  namespace: {ns}\nroleRef:\n  kind: Role\n  name: r{n}\nsubjects:\n  - kind: ServiceAccount\n    name: sa{a}\n    namespace: {}\n  - kind: User\n    name: u{a}\n",
                    if *k == 2 { "pods/exec" } else { "secrets" },
                    ["a", "b", "c"][a % 3]
                )),
                _ => {}
            }
        }
        let g = graph_of(&yaml);
        let risks = g.risks(&RiskOptions::default());
        let list = &risks.risks;
        for w in list.windows(2) {
            prop_assert_ne!(rank_order(&w[0], &w[1]), std::cmp::Ordering::Greater);
            prop_assert_ne!(&w[0].id, &w[1].id);
        }
        // Total and stable: sorting a reversed copy gives the same order.
        let mut rev = list.clone();
        rev.reverse();
        rev.sort_by(rank_order);
        prop_assert_eq!(
            rev.iter().map(|r| &r.id).collect::<Vec<_>>(),
            list.iter().map(|r| &r.id).collect::<Vec<_>>()
        );
        for r in list {
            prop_assert!(r.score >= 0.0 && r.score <= 100.0);
        }
    }
}
