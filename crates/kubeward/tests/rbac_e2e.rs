//! Differential test: kubeward's RBAC answers against the real RBAC authorizer.
//!
//! The fixtures of `crates/kubeward-rbac/fixtures/authz` (wildcards, resourceNames,
//! subresources, aggregation, namespace vs cluster scope, service account subjects,
//! non-resource URLs) are created in a real kube-apiserver v1.20 with its controller manager
//! (which fills aggregated ClusterRoles). kubeward builds its model from the same fixture files
//! plus the server's own RBAC objects (the bootstrap roles and bindings every cluster has),
//! aggregating the fixtures' ClusterRoles itself. Then:
//!
//! * every aggregated ClusterRole (the fixtures' and the server's admin/edit/view) must hold
//!   the same rules in kubeward as the controller wrote on the server;
//! * for a few thousand generated (subject, verb, resource, subresource, namespace, name)
//!   questions and non-resource URL questions, kubeward's `can` (authorize) and `who-can` must
//!   give the server's SubjectAccessReview answer. Every disagreement is listed.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams, PostParams};
use kubeward_rbac::{load, RbacModel, RbacObject, Request, SubjectKey, Target};
use kubeward_testkit::TestCluster;
use kubeward_yaml::Limits;

const FIXTURES: &[&str] = &[
    "wildcards.yaml",
    "resource-names.yaml",
    "subresources.yaml",
    "aggregation.yaml",
    "scope.yaml",
    "non-resource.yaml",
];

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../kubeward-rbac/fixtures/authz/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn objects(name: &str, text: &str) -> Vec<RbacObject> {
    let (objects, problems) = load::read_text(&Arc::from(name), text, &Limits::default());
    assert!(problems.is_empty(), "{name}: {problems:?}");
    objects
}

fn key_of(o: &RbacObject) -> (String, String, String) {
    match o {
        RbacObject::Role(r) => (r.kind().to_string(), r.namespace.clone(), r.name.clone()),
        RbacObject::Binding(b) => (b.kind().to_string(), b.namespace.clone(), b.name.clone()),
    }
}

/// The server's RBAC objects as one JSON stream that kubeward's reader takes like any input.
async fn server_rbac_text(client: &kube::Client) -> String {
    let lp = ListParams::default();
    let mut docs: Vec<String> = Vec::new();
    macro_rules! dump {
        ($t:ty, $kind:literal) => {
            for mut o in Api::<$t>::all(client.clone())
                .list(&lp)
                .await
                .unwrap()
                .items
            {
                o.metadata.managed_fields = None;
                let mut v = serde_json::to_value(&o).unwrap();
                v["apiVersion"] = "rbac.authorization.k8s.io/v1".into();
                v["kind"] = $kind.into();
                docs.push(v.to_string());
            }
        };
    }
    dump!(ClusterRole, "ClusterRole");
    dump!(Role, "Role");
    dump!(ClusterRoleBinding, "ClusterRoleBinding");
    dump!(RoleBinding, "RoleBinding");
    docs.join("\n---\n")
}

/// The rules of a role as comparable text, whatever their order.
fn rule_set<'a>(rules: impl Iterator<Item = &'a kubeward_rbac::Rule>) -> BTreeSet<String> {
    rules
        .map(|r| {
            let mut parts = Vec::new();
            for (k, v) in [
                ("verbs", &r.verbs),
                ("apiGroups", &r.api_groups),
                ("resources", &r.resources),
                ("resourceNames", &r.resource_names),
                ("nonResourceURLs", &r.non_resource_urls),
            ] {
                let mut v = v.clone();
                v.sort();
                parts.push(format!("{k}={v:?}"));
            }
            parts.join(" ")
        })
        .collect()
}

/// A small, seeded generator (xorshift): the same questions on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const SUBJECTS: &[&str] = &[
    "User:wild-root",
    "User:wild-dev",
    "Group:wild-team",
    "User:names-dev",
    "Group:subs-team",
    "User:subs-global",
    "User:agg-user",
    "User:agg-ns-user",
    "User:dana",
    "User:nr-user",
    "User:nobody",
    "ServiceAccount:scope-a:builder",
    "ServiceAccount:scope-a:other",
    "ServiceAccount:scope-b:other",
    "ServiceAccount:scope-b:robot",
    "ServiceAccount:scope-b:anyone",
    "ServiceAccount:kube-system:replicaset-controller",
    "Group:system:serviceaccounts:scope-b",
];

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "escalate",
    "bind",
];

/// (group, resource, subresource)
const RESOURCES: &[(&str, &str, &str)] = &[
    ("", "pods", ""),
    ("", "pods", "exec"),
    ("", "pods", "log"),
    ("", "pods", "status"),
    ("", "pods", "*"),
    ("", "secrets", ""),
    ("", "configmaps", ""),
    ("example.com", "configmaps", ""),
    ("", "services", ""),
    ("", "services", "status"),
    ("", "nodes", ""),
    ("", "namespaces", ""),
    ("", "serviceaccounts", ""),
    ("apps", "deployments", ""),
    ("apps", "deployments", "scale"),
    ("apps", "deployments", "status"),
    ("apps", "replicasets", ""),
    ("batch", "jobs", ""),
    ("batch", "jobs", "status"),
    ("extensions", "deployments", ""),
    ("rbac.authorization.k8s.io", "clusterroles", ""),
    ("authorization.k8s.io", "selfsubjectaccessreviews", ""),
];

const NAMESPACES: &[&str] = &[
    "",
    "wild",
    "names",
    "subs",
    "agg",
    "scope-a",
    "scope-b",
    "default",
    "kube-system",
];
const NAMES: &[&str] = &["", "db", "tls", "other"];
const PATHS: &[&str] = &[
    "/healthz",
    "/healthz/etcd",
    "/healthzx",
    "/api",
    "/api/v1",
    "/apis",
    "/metrics",
    "/metrics/x",
    "/logs/a",
    "/logs",
    "/version",
    "/openapi/v2",
    "/",
];

fn question(rng: &mut Rng) -> (SubjectKey, Request) {
    let subject = SubjectKey::parse(rng.pick(SUBJECTS)).unwrap();
    let verb = rng.pick(VERBS).to_string();
    let req = if rng.next().is_multiple_of(7) {
        Request {
            verb: rng.pick(&["get", "post", "put", "delete"]).to_string(),
            namespace: String::new(),
            target: Target::NonResource {
                path: rng.pick(PATHS).to_string(),
            },
        }
    } else {
        let (group, resource, sub) = rng.pick(RESOURCES);
        Request {
            verb,
            namespace: rng.pick(NAMESPACES).to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: sub.to_string(),
                name: rng.pick(NAMES).to_string(),
            },
        }
    };
    (subject, req)
}

/// A question near one of the subject's own permissions (from the model; the server decides
/// the answer): the rule's verb, group, resource and names, with `*` filled in at random, and
/// sometimes one attribute changed to a neighbour. Random questions alone are nearly all denied.
fn near_question(rng: &mut Rng, model: &RbacModel) -> (SubjectKey, Request) {
    let (subject, random) = question(rng);
    let perms = model.permissions(&subject.identity(&[]));
    if perms.is_empty() {
        return (subject, random);
    }
    let p = &perms[(rng.next() % perms.len() as u64) as usize];
    let rule = model.rule(p.grant.rule);
    let any = |items: &[String], fallback: &str, rng: &mut Rng| -> String {
        if items.is_empty() {
            return fallback.to_string();
        }
        let v = items[(rng.next() % items.len() as u64) as usize].clone();
        if v == "*" {
            fallback.to_string()
        } else {
            v
        }
    };
    let verb = any(&rule.verbs, rng.pick(VERBS), rng);
    if !rule.non_resource_urls.is_empty() {
        let url = any(&rule.non_resource_urls, rng.pick(PATHS), rng);
        let path = match url.strip_suffix('*') {
            Some(prefix) if rng.next().is_multiple_of(2) => format!("{prefix}x"),
            Some(prefix) => prefix.to_string(),
            None => url,
        };
        return (
            subject,
            Request {
                verb,
                namespace: String::new(),
                target: Target::NonResource { path },
            },
        );
    }
    let (g, r, sub) = rng.pick(RESOURCES);
    let group = any(&rule.api_groups, g, rng);
    let resource_item = any(&rule.resources, &format!("{r}/{sub}"), rng);
    let (resource, subresource) = match resource_item.split_once('/') {
        Some(("*", s)) => (r.to_string(), s.to_string()),
        Some((r2, s)) => (r2.to_string(), s.to_string()),
        None => (resource_item.clone(), String::new()),
    };
    let name = any(&rule.resource_names, rng.pick(NAMES), rng);
    let namespace = match &p.scope {
        kubeward_rbac::Scope::Namespace(ns) => ns.clone(),
        kubeward_rbac::Scope::Cluster => rng.pick(NAMESPACES).to_string(),
    };
    let mut req = Request {
        verb,
        namespace,
        target: Target::Resource {
            group,
            resource,
            subresource,
            name,
        },
    };
    // A neighbour: one attribute changed.
    match rng.next() % 6 {
        0 => req.verb = rng.pick(VERBS).to_string(),
        1 => req.namespace = rng.pick(NAMESPACES).to_string(),
        2 => {
            if let Target::Resource { name, .. } = &mut req.target {
                *name = rng.pick(NAMES).to_string();
            }
        }
        3 => {
            if let Target::Resource { subresource, .. } = &mut req.target {
                *subresource = rng.pick(&["", "status", "exec", "*", "scale"]).to_string();
            }
        }
        _ => {}
    }
    (subject, req)
}

fn review(subject: &SubjectKey, req: &Request) -> SubjectAccessReview {
    let identity = subject.identity(&[]);
    let mut spec = SubjectAccessReviewSpec {
        user: identity.user.clone(),
        groups: Some(identity.groups.clone()),
        ..Default::default()
    };
    match &req.target {
        Target::NonResource { path } => {
            spec.non_resource_attributes = Some(NonResourceAttributes {
                path: Some(path.clone()),
                verb: Some(req.verb.clone()),
            })
        }
        Target::Resource {
            group,
            resource,
            subresource,
            name,
        } => {
            spec.resource_attributes = Some(ResourceAttributes {
                group: Some(group.clone()),
                resource: Some(resource.clone()),
                subresource: Some(subresource.clone()),
                name: Some(name.clone()),
                namespace: Some(req.namespace.clone()),
                verb: Some(req.verb.clone()),
                ..Default::default()
            })
        }
    }
    SubjectAccessReview {
        spec,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeward_answers_like_the_rbac_authorizer() {
    let cluster = TestCluster::start();
    let client = cluster.kube_client().await;
    let mut fixture_objects = Vec::new();
    for name in FIXTURES {
        let text = fixture(name);
        cluster.create_yaml(&text).await;
        fixture_objects.extend(objects(name, &text));
    }
    let ours: HashSet<(String, String, String)> = fixture_objects.iter().map(key_of).collect();

    // Wait until the controller has aggregated every ClusterRole as kubeward does.
    let deadline = Instant::now() + Duration::from_secs(60);
    let model = loop {
        let server_text = server_rbac_text(&client).await;
        let server_objects: Vec<RbacObject> = objects("server", &server_text)
            .into_iter()
            .filter(|o| !ours.contains(&key_of(o)))
            .collect();
        let model = RbacModel::from_objects(
            fixture_objects
                .iter()
                .cloned()
                .chain(server_objects.clone()),
        );
        let server_model = RbacModel::from_objects(objects("server", &server_text));
        let mut mismatches = Vec::new();
        for (i, role) in model.roles.iter().enumerate() {
            if role.aggregation.is_none() {
                continue;
            }
            let mine = rule_set(model.effective_rules(i).iter().map(|r| model.rule(*r)));
            let on_server = server_model
                .roles
                .iter()
                .find(|r| r.cluster && r.name == role.name)
                .map(|r| rule_set(r.rules.iter()))
                .unwrap_or_default();
            if mine != on_server {
                mismatches.push(format!(
                    "ClusterRole {}:\n  kubeward: {mine:?}\n  server:   {on_server:?}",
                    role.name
                ));
            }
        }
        if mismatches.is_empty() {
            break model;
        }
        assert!(
            Instant::now() < deadline,
            "aggregated ClusterRoles differ from the controller's after 60s:\n{}",
            mismatches.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    let reviews: Api<SubjectAccessReview> = Api::all(client.clone());
    let mut rng = Rng(0x5eed_cafe_f00d_u64);
    let questions: Vec<(SubjectKey, Request)> = (0..3000)
        .map(|i| {
            if i % 2 == 0 {
                question(&mut rng)
            } else {
                near_question(&mut rng, &model)
            }
        })
        .collect();
    let mut disagreements = Vec::new();
    let mut allowed_count = 0;
    for batch in questions.chunks(25) {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (subject, req)) in batch.iter().enumerate() {
            let reviews = reviews.clone();
            let sar = review(subject, req);
            tasks.spawn(async move {
                let r = reviews.create(&PostParams::default(), &sar).await;
                (i, r)
            });
        }
        let mut answers = vec![None; batch.len()];
        while let Some(done) = tasks.join_next().await {
            let (i, r) = done.unwrap();
            let status = r.unwrap_or_else(|e| panic!("SubjectAccessReview failed: {e}"));
            answers[i] = Some(status.status.map(|s| s.allowed).unwrap_or(false));
        }
        for ((subject, req), server) in batch.iter().zip(answers) {
            let server = server.unwrap();
            let identity = subject.identity(&[]);
            let grant = model.authorize(&identity, req);
            let keys = identity.keys();
            let listed = model.who_can(req).iter().any(|(k, _)| keys.contains(k));
            allowed_count += usize::from(server);
            if grant.is_some() != server || listed != server {
                disagreements.push(format!(
                    "{subject} {req}: server {}, kubeward can {}, who-can {}{}",
                    if server { "allows" } else { "denies" },
                    grant.is_some(),
                    listed,
                    grant
                        .map(|g| format!(" ({})", kubeward_rbac::render::grant_text(&model, &g)))
                        .unwrap_or_default()
                ));
            }
        }
    }
    eprintln!(
        "rbac_e2e: {} questions, {} allowed by the server, {} disagreements",
        questions.len(),
        allowed_count,
        disagreements.len()
    );
    // The questions must exercise both answers, or the comparison proves little.
    assert!(
        allowed_count > 600,
        "only {allowed_count} questions were allowed"
    );
    assert!(allowed_count < questions.len() - 600);
    live_cluster_input(&cluster).await;
    assert!(
        disagreements.is_empty(),
        "{} disagreements with the RBAC authorizer:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `kubeward rbac` reading a live cluster (--kubeconfig) through the loader of `kubeward
/// cluster`: the real binary finds a binding made on the server, answers `can` like the
/// server, and with a user that may not list RBAC objects says so and exits 2.
async fn live_cluster_input(cluster: &TestCluster) {
    cluster
        .create_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: live-secret-reader}\n\
             rules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [get]\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: live-alice}\n\
             roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: live-secret-reader}\n\
             subjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: live-alice}\n",
        )
        .await;
    let admin = cluster.admin_kubeconfig();
    let run = |args: &[&str], kubeconfig: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kubeward"))
            .arg("rbac")
            .args(args)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .output()
            .expect("run kubeward")
    };
    let out = run(&["who-can", "get", "secrets", "-n", "default"], &admin);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("live-alice"), "{stdout}");
    assert!(
        stdout.contains("ClusterRoleBinding/live-alice"),
        "the grant names its binding: {stdout}"
    );
    let yes = run(
        &["can", "User:live-alice", "get", "secrets", "-n", "default"],
        &admin,
    );
    assert_eq!(
        yes.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&yes.stderr)
    );
    let no = run(
        &[
            "can",
            "User:live-alice",
            "delete",
            "secrets",
            "-n",
            "default",
        ],
        &admin,
    );
    assert_eq!(
        no.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&no.stderr)
    );

    let denied = run(&["who-can", "get", "secrets"], &cluster.dev_kubeconfig());
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert_eq!(denied.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ClusterRoleBinding: not read: forbidden"),
        "{stderr}"
    );
}
