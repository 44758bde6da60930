//! The test cluster itself, end to end: a real kube-apiserver v1.20 with RBAC, the controller
//! manager and the audit log. The first test other end-to-end tests can copy from.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, ListParams};
use kubeward_testkit::{eventually, is_served, TestCluster};

const DEPLOYMENT: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: smoke
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: smoke
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
"#;

const LET_DEVELOPERS_READ_SECRETS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: smoke}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developers-read-secrets, namespace: smoke}
subjects:
- kind: Group
  name: developers
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: secret-reader
  apiGroup: rbac.authorization.k8s.io
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_api_server_rbac_controllers_and_audit() {
    let cluster = TestCluster::start();
    eprintln!("start took {:?}", cluster.startup_time());
    let admin = cluster.kube_client().await;

    // admin (system:masters) lists namespaces.
    let names: Vec<String> = Api::<Namespace>::all(admin.clone())
        .list(&ListParams::default())
        .await
        .expect("admin lists namespaces")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for want in ["default", "kube-system", "kube-public"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }

    // A Namespace and a Deployment (privileged: accepted, the server allows privileged).
    let created = cluster.create_yaml(DEPLOYMENT).await;
    assert_eq!(created.len(), 2);
    assert!(created[1].metadata.uid.is_some(), "stored by the server");

    // dev-user has no bindings: real RBAC says 403.
    let dev = cluster.dev_client().await;
    let dev_secrets = Api::<Secret>::namespaced(dev.clone(), "smoke");
    match dev_secrets.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 403, "{s:?}"),
        other => panic!("dev-user listed secrets: {other:?}"),
    }
    // ... until a RoleBinding for its group says otherwise (the RBAC authorizer's informer
    // picks the binding up within a moment).
    cluster.create_yaml(LET_DEVELOPERS_READ_SECRETS).await;
    eventually(Duration::from_secs(10), "dev-user may list secrets", || {
        let api = dev_secrets.clone();
        async move { api.list(&ListParams::default()).await.ok() }
    })
    .await;
    // ... in that namespace only.
    let other = Api::<Secret>::namespaced(dev, "default")
        .list(&ListParams::default())
        .await;
    assert!(
        matches!(&other, Err(kube::Error::Api(s)) if s.code == 403),
        "{other:?}"
    );

    // The controller manager turns the Deployment into a ReplicaSet it owns.
    let replica_sets = Api::<ReplicaSet>::namespaced(admin.clone(), "smoke");
    let rs = eventually(
        Duration::from_secs(30),
        "the Deployment's ReplicaSet",
        || {
            let api = replica_sets.clone();
            async move {
                api.list(&ListParams::default())
                    .await
                    .ok()?
                    .items
                    .into_iter()
                    .next()
            }
        },
    )
    .await;
    let owner = &rs.metadata.owner_references.as_ref().expect("owned")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Deployment", "web")
    );
    assert_eq!(owner.uid, created[1].metadata.uid.clone().unwrap());

    // ... and the ReplicaSet controller its Pod (stored, never run: there is no kubelet), once
    // the namespace has its `default` ServiceAccount.
    cluster.wait_for_default_service_account("smoke").await;
    let pods = Api::<Pod>::namespaced(admin.clone(), "smoke");
    eventually(Duration::from_secs(30), "the ReplicaSet's Pod", || {
        let api = pods.clone();
        async move {
            api.list(&ListParams::default())
                .await
                .ok()?
                .items
                .into_iter()
                .next()
        }
    })
    .await;
    let pod = cluster
        .create_yaml(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: direct, namespace: smoke}\n\
             spec: {containers: [{name: c, image: busybox:1.36}]}\n",
        )
        .await;
    assert_eq!(pod[0].metadata.name.as_deref(), Some("direct"));

    // Every request above is in the audit log, with its user.
    let events = eventually(Duration::from_secs(10), "audit events", || {
        let events = cluster.audit_events();
        let found = events.iter().any(|e| {
            e["verb"] == "create"
                && e["objectRef"]["resource"] == "deployments"
                && e["user"]["username"] == "admin"
        }) && events.iter().any(|e| {
            e["user"]["username"] == "dev-user"
                && e["objectRef"]["resource"] == "secrets"
                && e["responseStatus"]["code"] == 403
        });
        std::future::ready(found.then_some(events))
    })
    .await;
    assert!(events.iter().all(|e| e["apiVersion"] == "audit.k8s.io/v1"));
    assert!(cluster.audit_log().is_file());
}

/// What v1.20 serves: other tests must treat the newer kinds as "not served".
#[tokio::test]
async fn v1_20_serves_old_kinds_only() {
    let cluster = TestCluster::builder().controller_manager(false).start();
    let client = cluster.kube_client().await;
    let served = |v: &'static str, k: &'static str| {
        let client = client.clone();
        async move { is_served(&client, v, k).await.unwrap() }
    };
    assert!(served("batch/v1beta1", "CronJob").await);
    assert!(!served("batch/v1", "CronJob").await);
    assert!(served("policy/v1beta1", "PodDisruptionBudget").await);
    assert!(!served("policy/v1", "PodDisruptionBudget").await);
    assert!(served("policy/v1beta1", "PodSecurityPolicy").await);
    assert!(
        served(
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration"
        )
        .await
    );
    assert!(
        !served(
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicy"
        )
        .await
    );
    assert!(
        served(
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration"
        )
        .await
    );
    assert!(served("networking.k8s.io/v1", "NetworkPolicy").await);
    assert!(served("networking.k8s.io/v1", "Ingress").await);
    assert!(!served("flowcontrol.apiserver.k8s.io/v1", "FlowSchema").await);
    assert!(!served("example.invalid/v1", "Nothing").await);

    // No `kubernetes.io/metadata.name` label on namespaces before v1.21.
    let default = Api::<Namespace>::all(client.clone())
        .get("default")
        .await
        .unwrap();
    let labels = default.metadata.labels.unwrap_or_default();
    assert!(
        !labels.contains_key("kubernetes.io/metadata.name"),
        "{labels:?}"
    );

    let err = kubeward_testkit::create_yaml(
        &client,
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n",
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("not served by this API server"),
        "{err:#}"
    );
}

/// Clusters in parallel get their own ports, directories and data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clusters_in_parallel_do_not_collide() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| TestCluster::builder().controller_manager(false).start());
        let b = s.spawn(|| TestCluster::builder().controller_manager(false).start());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.apiserver_port(), b.apiserver_port());
    assert_ne!(a.run_dir(), b.run_dir());

    a.create_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: only-in-a}\n")
        .await;
    let in_b = Api::<Namespace>::all(b.kube_client().await)
        .get_opt("only-in-a")
        .await
        .unwrap();
    assert!(in_b.is_none(), "b has its own etcd");

    // Dropping one leaves the other running.
    let a_dir = a.run_dir().to_path_buf();
    drop(a);
    assert!(!a_dir.exists(), "run dir removed");
    let names = Api::<Namespace>::all(b.kube_client().await)
        .list(&ListParams::default())
        .await
        .expect("b still serves");
    assert!(!names.items.is_empty());
}

/// Without the binaries, starting fails and says how to build them: no silent pass.
#[test]
fn missing_binaries_fail_loudly() {
    let err = TestCluster::builder()
        .bin_dir("/nonexistent/kubeward-k8s/bin")
        .try_start()
        .err()
        .expect("must not start");
    let msg = format!("{err:#}");
    assert!(msg.contains("build-apiserver.sh"), "{msg}");
    assert!(
        msg.contains("/nonexistent/kubeward-k8s/bin/kube-apiserver"),
        "{msg}"
    );
}
