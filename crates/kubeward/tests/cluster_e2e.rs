//! `kubeward cluster` against a real API server (kube-apiserver v1.20 and its controller
//! manager, from kubeward-testkit): good and bad objects are created through the API, then the
//! real binary scans the cluster with the admin kubeconfig (findings, owners, cluster-only
//! controls, kinds the server does not serve, every output format), with the `dev-user`
//! kubeconfig (no permissions: the partial-access report), with `-n`, and across contexts one
//! of which cannot be reached.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use kubeward_testkit::{eventually, TestCluster};
use serde_json::Value;

mod browser;
mod common;

/// A namespace without Pod Security labels holding a privileged Deployment (whose ReplicaSet
/// and Pods the controller manager makes), a CronJob (batch/v1beta1 on v1.20), a Secret and a
/// wildcard Role; a second namespace that enforces restricted, with a default-deny policy and
/// a hardened Deployment.
const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata:
  name: secure
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: registry.example.com/web:1.0
        securityContext: {privileged: true}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          hostNetwork: true
          containers:
          - name: backup
            image: registry.example.com/backup:1.0
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"hunter2-in-annotation"}}'
stringData: {password: hunter2-in-data}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: everything, namespace: shop}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: secure}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: secure}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: api
        image: registry.example.com/api:1.0
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
"#;

fn run(args: &[&str]) -> Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"))
        .args(["cluster", "--no-config"])
        .args(args)
        .output()
        .unwrap()
}

fn json_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn findings<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

fn objects_of(report: &Value, id: &str) -> Vec<String> {
    common::finding_objects(report, id)
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["file"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// A kubeconfig with the admin context, the dev-user context and one whose server is a
/// loopback port nobody listens on.
fn merged_kubeconfig(cluster: &TestCluster, dir: &Path) -> PathBuf {
    let admin = std::fs::read_to_string(cluster.admin_kubeconfig()).unwrap();
    let dev = kube::config::Kubeconfig::read_from(cluster.dev_kubeconfig()).unwrap();
    let mut merged = kube::config::Kubeconfig::from_yaml(&admin)
        .unwrap()
        .merge(dev)
        .unwrap();
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut dead_cluster = merged.clusters[0].clone();
    dead_cluster.name = "nowhere".into();
    dead_cluster.cluster.as_mut().unwrap().server = Some(format!("https://127.0.0.1:{dead_port}"));
    merged.clusters.push(dead_cluster);
    let mut dead_context = merged.contexts[0].clone();
    dead_context.name = "nowhere".into();
    dead_context.context.as_mut().unwrap().cluster = "nowhere".into();
    merged.contexts.push(dead_context);
    let path = dir.join("merged.kubeconfig");
    std::fs::write(&path, serde_json::to_string(&merged).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_scan_against_a_real_api_server() {
    let cluster = TestCluster::start();
    let client = cluster.kube_client().await;
    cluster.create_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: secure\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n").await;
    cluster.wait_for_default_service_account("shop").await;
    cluster.wait_for_default_service_account("secure").await;
    let rest: Vec<&str> = OBJECTS.split("\n---\n").skip(2).collect();
    cluster.create_yaml(&rest.join("\n---\n")).await;
    // The controller manager turns the Deployment into a ReplicaSet and two Pods.
    eventually(Duration::from_secs(60), "the web Pods", || {
        let client = client.clone();
        async move {
            let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
                kube::Api::namespaced(client, "shop");
            let list = pods.list(&Default::default()).await.ok()?;
            (list
                .items
                .iter()
                .filter(|p| p.metadata.name.as_deref().unwrap_or("").starts_with("web-"))
                .count()
                == 2)
                .then_some(())
        }
    })
    .await;
    let admin = cluster.admin_kubeconfig();
    let admin = admin.to_str().unwrap();

    // --- Admin: the whole cluster, JSON.
    let out = run(&["--kubeconfig", admin, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = json_report(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings fail the run; stderr: {stderr}; errors: {}",
        report["errors"]
    );
    assert_eq!(report["errors"], serde_json::json!([]), "{stderr}");
    assert!(stderr.contains("admin@local: Kubernetes v1.20"), "{stderr}");

    // The privileged Deployment is reported once, on the Deployment: its ReplicaSet and
    // Pods carry the same template and are left to it.
    assert_eq!(objects_of(&report, "KW101"), ["Deployment/shop/web"]);
    let f = findings(&report, "KW101")[0];
    assert_eq!(
        f["location"]["file"],
        "cluster/admin@local/Deployment/shop/web"
    );
    assert_eq!(
        f["location"]["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert!(f["location"]["line"].as_u64().unwrap() > 1);
    assert!(stderr.contains("reported on their owners"), "{stderr}");
    let every_object: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !every_object.iter().any(|k| k == "ReplicaSet"),
        "no finding on an owned ReplicaSet: {every_object:?}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["object"]["kind"] == "CronJob"
                && f["object"]["apiVersion"] == "batch/v1beta1"
                && f["location"]["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("hostNetwork")),
        "the CronJob is listed as batch/v1beta1 and its hostNetwork found"
    );

    // The cross-object and RBAC controls run on the live objects.
    assert!(
        objects_of(&report, "KW801").contains(&"Namespace/shop".to_string()),
        "shop has no NetworkPolicy"
    );
    assert!(!objects_of(&report, "KW801").contains(&"Namespace/secure".to_string()));
    assert!(objects_of(&report, "KW601").contains(&"Role/shop/everything".to_string()));

    // Secrets are listed metadata only (no `type`, no data): the long-lived token Secret that
    // v1.20's token controller made for shop's default ServiceAccount is still found by its
    // annotation (KW904); the Secret made a moment ago is not past any age (KW903).
    let tokens = objects_of(&report, "KW904");
    assert!(
        tokens
            .iter()
            .any(|o| o.starts_with("Secret/shop/default-token-")),
        "{tokens:?}"
    );
    assert!(
        !objects_of(&report, "KW903").contains(&"Secret/shop/db".to_string()),
        "a new Secret is not old"
    );

    // Cluster-only controls: the v1.20 server is past its end of life; default ServiceAccounts
    // automount; the shop namespace has no Pod Security label.
    let eol = findings(&report, "KW901");
    assert_eq!(eol.len(), 1);
    assert_eq!(eol[0]["location"]["file"], "cluster/admin@local");
    assert!(
        eol[0]["message"].as_str().unwrap().contains("v1.20"),
        "{}",
        eol[0]
    );
    let sa = objects_of(&report, "KW902");
    assert!(
        sa.contains(&"ServiceAccount/shop/default".to_string()),
        "{sa:?}"
    );
    assert!(
        sa.contains(&"ServiceAccount/kube-system/default".to_string()),
        "{sa:?}"
    );
    assert!(objects_of(&report, "KW705").contains(&"Namespace/shop".to_string()));
    assert!(!objects_of(&report, "KW705").contains(&"Namespace/secure".to_string()));

    // Secrets are listed as metadata only, and the last-applied annotation is dropped: no
    // value reaches the report, and no data finding is possible.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("hunter2"),
        "a secret value leaked into the report"
    );
    assert!(findings(&report, "KW404").is_empty());

    // CronJob batch/v1 is not served by v1.20: said, not an error.
    let w = warnings(&report);
    assert!(
        w.iter().any(|w| w == "cluster/admin@local: CronJob: batch/v1 not served by this server; listed as batch/v1beta1"),
        "{w:#?}"
    );

    // Every format works on the same scan.
    let sarif = run(&["--kubeconfig", admin, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "KW901"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "cluster/admin%40local"));
    let junit = run(&["--kubeconfig", admin, "--format", "junit"]);
    assert!(String::from_utf8_lossy(&junit.stdout).contains("KW101"));
    let text = run(&[
        "--kubeconfig",
        admin,
        "--format",
        "text",
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("cluster/admin@local/Deployment/shop/web\n"),
        "{text}"
    );

    // --- -n: one namespace and its Namespace object; cluster-scoped kinds are skipped.
    let out = run(&["--kubeconfig", admin, "--format", "json", "-n", "secure"]);
    let report = json_report(&out);
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| *f == "cluster/admin@local" || f.contains("/secure")),
        "{files:?}"
    );
    assert!(warnings(&report).iter().any(
        |w| w.ends_with("ClusterRole: not scanned: cluster-scoped, and a namespace was given")
    ));

    // --- dev-user: no permissions. Every kind is "not scanned: forbidden", the rest goes on.
    let dev = cluster.dev_kubeconfig();
    let out = run(&["--kubeconfig", dev.to_str().unwrap(), "--format", "json"]);
    let report = json_report(&out);
    let w = warnings(&report);
    for kind in [
        "Namespace (v1)",
        "Deployment (apps/v1)",
        "Secret (v1)",
        "CronJob (batch/v1beta1)",
        "ClusterRole (rbac.authorization.k8s.io/v1)",
    ] {
        assert!(
            w.iter().any(|m| m.starts_with(&format!(
                "cluster/dev-user@local: {kind}: not scanned: forbidden: "
            ))),
            "{kind}: {w:#?}"
        );
    }
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "forbidden is not an input error"
    );
    // Only the version could be read: the end-of-life finding, which fails the run.
    assert_eq!(report["summary"]["objects"], 1);
    assert_eq!(
        objects_of(&report, "KW901"),
        ["ClusterVersion/dev-user@local"]
    );
    assert_eq!(out.status.code(), Some(1));
    // SARIF carries the partial access as warning notifications.
    let out = run(&["--kubeconfig", dev.to_str().unwrap(), "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["level"] == "warning"
            && n["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Secret (v1): not scanned: forbidden")),
        "{notes:#?}"
    );
    // The HTML page lists every forbidden kind under what the scan could not see, apart from
    // the other warnings (tests/browser: headless chromium).
    let html = browser::artifacts().join("cluster-dev-user.html");
    let out = run(&[
        "--kubeconfig",
        dev.to_str().unwrap(),
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let session = browser::Session::start();
    let page = session.open(&html);
    page.assert_clean();
    let tables: Vec<(String, Vec<String>)> = serde_json::from_value(page.eval(
        "[...document.querySelectorAll('#unseen table')].map(t => [t.caption.textContent, [...t.tBodies[0].rows].map(r => r.cells[1].textContent)])",
    ))
    .unwrap();
    let forbidden: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_string())
        .filter(|m| m.contains(": not scanned: forbidden: "))
        .collect();
    assert!(forbidden.len() >= 5, "{w:#?}");
    let (caption, kinds) = &tables[0];
    assert!(
        caption.starts_with("Kinds of the cluster not scanned"),
        "{tables:?}"
    );
    for m in &forbidden {
        assert!(kinds.contains(m), "{m} not in {kinds:#?}");
    }
    assert!(
        tables[1..]
            .iter()
            .all(|(_, rows)| forbidden.iter().all(|m| !rows.contains(m))),
        "{tables:#?}"
    );
    page.screenshot("cluster-forbidden", Some("#unseen"));

    // --- The shipped least-privilege identity (deploy/50-cluster-scan.yaml, without its
    // batch/v1 CronJob, which v1.20 does not serve): everything is listed but Secrets.
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/50-cluster-scan.yaml"),
    )
    .unwrap();
    let rbac: Vec<&str> = shipped
        .split("\n---\n")
        .filter(|d| !d.contains("kind: CronJob"))
        .collect();
    cluster
        .create_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeward}\n")
        .await;
    cluster.create_yaml(&rbac.join("\n---\n")).await;
    let dir = tempfile::tempdir().unwrap();
    let scanner = cluster
        .service_account_kubeconfig("kubeward", "kubeward-scanner", dir.path())
        .await;
    let out = run(&[
        "--kubeconfig",
        scanner.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = json_report(&out);
    assert_eq!(report["errors"], serde_json::json!([]));
    let forbidden: Vec<String> = warnings(&report)
        .into_iter()
        .filter(|w| w.contains("forbidden"))
        .collect();
    assert_eq!(forbidden.len(), 1, "{forbidden:#?}");
    assert!(
        forbidden[0].starts_with("cluster/kubeward-scanner: Secret (v1): not scanned: forbidden"),
        "{forbidden:#?}"
    );
    assert_eq!(objects_of(&report, "KW101"), ["Deployment/shop/web"]);

    // --- All contexts at once: a section per context; the unreachable one is an error (exit 2)
    // and the others are still scanned.
    let merged = merged_kubeconfig(&cluster, dir.path());
    let out = run(&[
        "--kubeconfig",
        merged.to_str().unwrap(),
        "--all-contexts",
        "--format",
        "json",
        "--request-timeout",
        "2s",
    ]);
    let report = json_report(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["file"], "cluster/nowhere");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the API server"),
        "{errors:#?}"
    );
    assert_eq!(objects_of(&report, "KW101"), ["Deployment/shop/web"]);
    assert_eq!(
        objects_of(&report, "KW901"),
        [
            "ClusterVersion/admin@local",
            "ClusterVersion/dev-user@local"
        ]
    );
}

#[test]
fn unreachable_cluster_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: lab\n  context: {{cluster: c, user: u}}\ncurrent-context: lab\n"
        ),
    )
    .unwrap();
    let out = run(&[
        "--kubeconfig",
        path.to_str().unwrap(),
        "--request-timeout",
        "2s",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "lab: cluster not scanned (https://127.0.0.1:{port}/): cannot reach the API server"
        )),
        "{stderr}"
    );
    let out = run(&["--kubeconfig", path.to_str().unwrap(), "--context", "other"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no context \"other\" in the kubeconfig (it has: lab)"));
}

/// What `kubectl get deploy,rs,pods,sa,ns -A -o yaml` prints (trimmed): a v1 List.
const DUMP: &str = r#"apiVersion: v1
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    uid: 0b7c4a1e-d1
  spec:
    selector:
      matchLabels:
        app: web
    template:
      metadata:
        labels:
          app: web
      spec:
        containers:
        - image: registry.example.com/web:1.0
          name: app
          securityContext:
            privileged: true
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-5d4f8
    namespace: shop
    ownerReferences:
    - apiVersion: apps/v1
      controller: true
      kind: Deployment
      name: web
      uid: 0b7c4a1e-d1
    uid: 0b7c4a1e-r1
  spec:
    template:
      spec:
        containers:
        - image: registry.example.com/web:1.0
          name: app
          securityContext:
            privileged: true
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-5d4f8-x2x9z
    namespace: shop
    ownerReferences:
    - apiVersion: apps/v1
      controller: true
      kind: ReplicaSet
      name: web-5d4f8
      uid: 0b7c4a1e-r1
  spec:
    containers:
    - image: registry.example.com/web:1.0
      name: app
      securityContext:
        privileged: true
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: shop
  spec:
    containers:
    - image: registry.example.com/tools:1.0
      name: sh
      securityContext:
        privileged: true
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: default
    namespace: shop
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
kind: List
metadata:
  resourceVersion: ""
"#;

#[test]
fn from_dump_scans_a_kubectl_list_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.yaml");
    std::fs::write(&path, DUMP).unwrap();
    let out = run(&["--from-dump", path.to_str().unwrap(), "--format", "json"]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("2 pods, ReplicaSets and Jobs are reported on their owners"));
    // Once on the Deployment, once on the Pod nobody owns; never on the ReplicaSet or its Pod.
    assert_eq!(
        objects_of(&report, "KW101"),
        ["Deployment/shop/web", "Pod/shop/debug"]
    );
    let on_deployment = findings(&report, "KW101")
        .into_iter()
        .find(|f| f["object"]["kind"] == "Deployment")
        .unwrap();
    assert_eq!(on_deployment["location"]["file"], path.to_str().unwrap());
    assert_eq!(
        on_deployment["location"]["line"], 22,
        "the `privileged` line of the dump itself"
    );
    assert_eq!(report["summary"]["objects"], 4);
    // The same controls as a live scan: the default ServiceAccount, the unlabelled namespace,
    // the namespace without a NetworkPolicy.
    assert_eq!(
        objects_of(&report, "KW902"),
        ["ServiceAccount/shop/default"]
    );
    assert_eq!(objects_of(&report, "KW705"), ["Namespace/shop"]);
    assert_eq!(objects_of(&report, "KW801"), ["Namespace/shop"]);

    // A dump that is not YAML is an input error with a location (exit 2), never a panic.
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: [}\n",
    )
    .unwrap();
    let out = run(&["--from-dump", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report = json_report(&out);
    assert_eq!(report["errors"][0]["line"], 4, "{report}");
    let out = run(&[
        "--from-dump",
        dir.path().join("missing.yaml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot read"));
}

/// A fresh API server holds only what Kubernetes creates itself (bootstrap RBAC, the
/// controllers' service accounts and tokens, the system namespaces): nothing the test wrote.
/// So every finding must be in the platform group, except what is the cluster's own
/// configuration (its end-of-life version), and the platform group must neither fail the run
/// nor lower the scores. A binding the user adds that opens cluster-admin to every
/// authenticated user stays the user's finding, even with the bootstrap label copied onto it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_cluster_reports_only_platform_findings() {
    let cluster = TestCluster::start();
    // The controller manager creates the controllers' accounts, then the namespaces' default
    // accounts and their token Secrets.
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        cluster.wait_for_default_service_account(ns).await;
    }
    let admin = cluster.admin_kubeconfig();
    let admin = admin.to_str().unwrap();

    let out = run(&["--kubeconfig", admin, "--format", "json"]);
    let report = json_report(&out);
    assert_eq!(report["errors"], serde_json::json!([]));
    let (platform, user): (Vec<&Value>, Vec<&Value>) = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|f| f["suppressed"]["by"] == "platform");
    let user_ids: Vec<&str> = user.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(
        user_ids,
        ["KW901"],
        "only the end-of-life version is the user's: {user:#?}"
    );
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["summary"]["platform"], platform.len());
    // What the group holds: the bootstrap roles (cluster-admin, admin, system:...), the
    // controllers' accounts, the system namespaces' default accounts and their tokens.
    let platform_objects = |kind: &str| {
        platform
            .iter()
            .filter(|f| f["object"]["kind"] == kind)
            .map(|f| f["object"]["name"].as_str().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(platform_objects("ClusterRole").contains("admin"));
    assert!(platform_objects("ServiceAccount").contains("replicaset-controller"));
    assert!(platform_objects("ServiceAccount").contains("default"));
    assert!(platform_objects("Secret")
        .iter()
        .any(|n| n.starts_with("default-token-")));
    assert!(platform.iter().any(|f| f["severity"] == "critical"));
    // Platform findings do not fail the run, even critical ones...
    let out = run(&["--kubeconfig", admin, "--fail-on", "critical"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Platform objects: {} findings", platform.len())),
        "{text}"
    );
    // ...unless asked: then they count like any other, and lower the scores.
    let out = run(&[
        "--kubeconfig",
        admin,
        "--format",
        "json",
        "--include-platform",
    ]);
    let all = json_report(&out);
    assert_eq!(all["summary"]["findings"], platform.len() + 1);
    assert_eq!(all["summary"]["platform"], 0);
    assert!(
        all["summary"]["frameworks"]["cis"]["score"].as_f64()
            < report["summary"]["frameworks"]["cis"]["score"].as_f64()
    );

    // SARIF marks the group as suppressed (GitHub code scanning hides them); JUnit puts it in
    // a suite of its own, as skipped cases.
    let out = run(&["--kubeconfig", admin, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let grouped = results
        .iter()
        .filter(|r| {
            r["properties"]["group"] == "platform" && r["suppressions"][0]["kind"] == "external"
        })
        .count();
    assert_eq!(grouped, platform.len());
    let out = run(&["--kubeconfig", admin, "--format", "junit"]);
    let junit = String::from_utf8_lossy(&out.stdout);
    let suite = junit
        .split("<testsuite name=\"platform objects\"")
        .nth(1)
        .expect("a platform suite");
    assert_eq!(suite.matches("<skipped").count(), platform.len());

    // No attack path in a fresh cluster: everyone gets discovery only.
    let risks = |args: &[&str]| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"))
            .args(["risks", "--no-config", "--cluster", "--kubeconfig", admin])
            .args(args)
            .output()
            .unwrap()
    };
    let out = risks(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A binding that opens cluster-admin to everyone is the user's, label or not.
    cluster
        .create_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: 'system:everyone-admin'\n  labels: {kubernetes.io/bootstrapping: rbac-defaults}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: 'system:authenticated'}\n",
        )
        .await;
    let out = run(&["--kubeconfig", admin, "--format", "json"]);
    let report = json_report(&out);
    let on_binding: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["name"] == "system:everyone-admin")
        .collect();
    assert!(!on_binding.is_empty(), "the binding is reported");
    assert!(
        on_binding.iter().all(|f| f.get("suppressed").is_none()),
        "{on_binding:#?}"
    );
    // And it is the top risk of the live cluster: every authenticated identity reaches
    // cluster-admin through it.
    let out = risks(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let top = &v["risks"][0];
    assert_eq!(
        top["entry"]["key"], "identity:Group:system:authenticated",
        "{top:#}"
    );
    assert!(
        top["impact"]["key"].as_str().unwrap().contains("admin"),
        "{top:#}"
    );
    assert!(top.to_string().contains("system:everyone-admin"), "{top:#}");
}
