//! `kubeward serve` behind a real API server (kube-apiserver v1.20 from kubeward-testkit).
//!
//! The real binary serves TLS on a loopback port with a certificate from `kubeward cert`, reads
//! namespace labels through its reflector with a least-privilege ServiceAccount token (get, list,
//! watch on namespaces, nothing else), and a ValidatingWebhookConfiguration registers it with the
//! API server. Everything is then driven through the API server with kube-rs, as a user would:
//! denials and their messages, admissions, warnings in the `Warning` response headers, both kinds
//! of exemption, and `failurePolicy` `Fail` versus `Ignore` once kubeward is gone.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::client::Body;
use kubeward_testkit::{eventually, TestCluster};
use serde_json::{json, Value};

const WEBHOOK: &str = "validate.kubeward.io";

/// Namespaces: enforce baseline; warn restricted; excluded by the webhook's namespaceSelector;
/// exempt in kubeward's config; and kubeward's own (excluded too).
const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: enforced, labels: {kubeward.io/enforce: baseline}}
---
apiVersion: v1
kind: Namespace
metadata: {name: warned, labels: {kubeward.io/warn: restricted}}
---
apiVersion: v1
kind: Namespace
metadata: {name: skipped, labels: {kubeward.io/enforce: baseline, kubeward.io/webhook: skip}}
---
apiVersion: v1
kind: Namespace
metadata: {name: exempted, labels: {kubeward.io/enforce: baseline}}
---
apiVersion: v1
kind: Namespace
metadata: {name: everything, labels: {kubeward.io/enforce: all}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kubeward, labels: {kubeward.io/webhook: skip}}
"#;

/// Only the namespace labels decide (defaults off), plus one namespace exempt by config.
const CONFIG: &str = r#"
defaults: {enforce: privileged, warn: privileged, audit: privileged}
exemptions:
  namespaces: [exempted]
onError: deny
"#;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubeward")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `kubeward serve` process; killed (SIGKILL) when dropped.
struct Kubeward {
    child: Option<Child>,
    log: PathBuf,
}

impl Kubeward {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Kubeward {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- kubeward serve log:\n{}", self.log());
        }
    }
}

fn privileged_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{
            "name": "app",
            "image": "registry.example.com/app:1.0",
            "securityContext": {"privileged": true}
        }]}
    }))
    .unwrap()
}

/// Passes baseline, fails restricted (no securityContext at all).
fn baseline_pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]}
    })
}

/// Passes restricted.
fn restricted_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"}
            },
            "containers": [{
                "name": "app",
                "image": "registry.example.com/app:1.0",
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    }))
    .unwrap()
}

fn privileged_deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "app",
                    "image": "registry.example.com/app:1.0",
                    "securityContext": {"privileged": true}
                }]}
            }
        }
    }))
    .unwrap()
}

/// The API server's answer to a denied request.
fn api_error(r: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match r {
        Err(kube::Error::Api(s)) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_behind_a_real_api_server() {
    let t0 = Instant::now();
    let mut phase = Instant::now();
    let mut lap = |what: &str| {
        eprintln!("serve_e2e: {what} in {:.1}s", phase.elapsed().as_secs_f64());
        phase = Instant::now();
    };

    let cluster = TestCluster::start();
    let client = cluster.kube_client().await;
    cluster.create_yaml(NAMESPACES).await;
    // The RBAC the project ships (deploy/10-rbac.yaml): what kubeward runs with.
    let rbac = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/10-rbac.yaml"),
    )
    .unwrap();
    cluster.create_yaml(&rbac).await;
    lap("cluster started, namespaces and RBAC created");

    // ---- kubeward serve: `kubeward cert` for 127.0.0.1, TLS, the ServiceAccount's kubeconfig.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["cert", "--name", "127.0.0.1", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ca_bundle = String::from_utf8(out.stdout).unwrap().trim().to_string();
    std::fs::write(dir.path().join("serve.yaml"), CONFIG).unwrap();
    let kubeconfig = cluster
        .service_account_kubeconfig("kubeward", "kubeward", dir.path())
        .await;

    // The ServiceAccount may read namespaces and nothing else.
    let sa_client = kubeward_testkit::client_from_kubeconfig(&kubeconfig)
        .await
        .unwrap();
    let denied = Api::<Pod>::namespaced(sa_client, "enforced")
        .list(&Default::default())
        .await;
    assert_eq!(api_error(denied).code, 403);

    let port = free_port();
    let log = dir.path().join("kubeward.log");
    let child = Command::new(bin())
        .arg("serve")
        .arg(format!("--listen=127.0.0.1:{port}"))
        .arg("--config")
        .arg(dir.path().join("serve.yaml"))
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "info,kubeward_webhook=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut kubeward = Kubeward {
        child: Some(child),
        log,
    };
    let https = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.crt")).unwrap())
                .unwrap(),
        )
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let readyz = format!("https://127.0.0.1:{port}/readyz");
    eventually(Duration::from_secs(30), "kubeward's /readyz", || {
        let (https, readyz) = (https.clone(), readyz.clone());
        let exited = kubeward.child.as_mut().unwrap().try_wait().unwrap();
        if let Some(status) = exited {
            panic!("kubeward serve exited with {status}:\n{}", kubeward.log());
        }
        async move {
            let r = https.get(&readyz).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;
    assert!(
        kubeward.log().contains("namespace cache synced"),
        "{}",
        kubeward.log()
    );
    lap("kubeward serve ready (namespace cache synced)");

    // ---- Register the webhook, as deploy/40-webhook.yaml does but with a URL.
    cluster
        .create_yaml(&format!(
            r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: kubeward}}
webhooks:
- name: {WEBHOOK}
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Fail
  matchPolicy: Equivalent
  timeoutSeconds: 5
  clientConfig:
    url: https://127.0.0.1:{port}/validate
    caBundle: {ca_bundle}
  namespaceSelector:
    matchExpressions:
    - {{key: kubeward.io/webhook, operator: NotIn, values: [skip]}}
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["pods", "pods/ephemeralcontainers"]
    scope: "Namespaced"
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
    scope: "Namespaced"
  - apiGroups: ["rbac.authorization.k8s.io"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["roles", "rolebindings"]
    scope: "Namespaced"
"#
        ))
        .await;
    for ns in ["enforced", "warned", "skipped", "exempted"] {
        cluster.wait_for_default_service_account(ns).await;
    }
    let pods = |ns: &str| Api::<Pod>::namespaced(client.clone(), ns);
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };
    // The API server loads webhook configurations asynchronously: probe (dry run, nothing is
    // stored; kubeward is called for dry runs as it has no side effects) until kubeward denies.
    eventually(
        Duration::from_secs(30),
        "the API server to call kubeward",
        || {
            let api = pods("enforced");
            let pp = dry_run.clone();
            async move {
                match api.create(&pp, &privileged_pod("probe")).await {
                    Err(kube::Error::Api(s)) if s.message.contains("kubeward") => Some(()),
                    _ => None,
                }
            }
        },
    )
    .await;
    lap("webhook registered and called");

    // ---- enforce baseline: a privileged Pod is denied with kubeward's message.
    let s = api_error(
        pods("enforced")
            .create(&PostParams::default(), &privileged_pod("privileged"))
            .await,
    );
    eprintln!("serve_e2e: privileged Pod denied: {s:?}");
    assert_eq!(s.code, 403, "{s:?}");
    assert!(
        s.message.contains(&format!(
            "admission webhook \"{WEBHOOK}\" denied the request"
        )),
        "{s:?}"
    );
    assert!(
        s.message
            .contains("violates the enforce level \"baseline\""),
        "{s:?}"
    );
    assert!(s.message.contains("KW101"), "{s:?}");
    assert!(
        s.message
            .contains("spec.containers[0].securityContext.privileged"),
        "{s:?}"
    );
    assert!(pods("enforced")
        .get_opt("privileged")
        .await
        .unwrap()
        .is_none());

    // ... and so is a Deployment whose template is privileged, at the template's field path.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "enforced");
    let s = api_error(
        deployments
            .create(&PostParams::default(), &privileged_deployment("privileged"))
            .await,
    );
    eprintln!("serve_e2e: privileged Deployment denied: {s:?}");
    assert_eq!(s.code, 403, "{s:?}");
    assert!(s.message.contains("KW101"), "{s:?}");
    assert!(
        s.message
            .contains("spec.template.spec.containers[0].securityContext.privileged"),
        "{s:?}"
    );

    // ... a restricted Pod is admitted and stored.
    pods("enforced")
        .create(&PostParams::default(), &restricted_pod("restricted"))
        .await
        .expect("a restricted Pod is admitted under enforce: baseline");

    // ... and controllers pass too: a restricted Deployment becomes a ReplicaSet and a Pod,
    // both created by the controller manager through the webhook.
    let mut ok: Value = serde_json::to_value(privileged_deployment("ok")).unwrap();
    ok["spec"]["template"]["spec"] = serde_json::to_value(restricted_pod("x").spec).unwrap();
    deployments
        .create(&PostParams::default(), &serde_json::from_value(ok).unwrap())
        .await
        .expect("a restricted Deployment is admitted");
    eventually(
        Duration::from_secs(30),
        "the controller manager to create the restricted Deployment's Pod",
        || {
            let api = pods("enforced");
            async move {
                let list = api
                    .list(&kube::api::ListParams::default().labels("app=ok"))
                    .await
                    .ok()?;
                (!list.items.is_empty()).then_some(())
            }
        },
    )
    .await;

    // ---- enforce all: RBAC objects are judged too (a Role granting every API group).
    let role = kubeward_testkit::dynamic_api(
        &client,
        "rbac.authorization.k8s.io/v1",
        "Role",
        Some("everything"),
    )
    .await
    .unwrap();
    let wildcard: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "wildcard", "namespace": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["configmaps"], "verbs": ["get"]}]
    }))
    .unwrap();
    let s = api_error(role.create(&PostParams::default(), &wildcard).await);
    eprintln!("serve_e2e: wildcard Role denied: {s:?}");
    assert_eq!(s.code, 403, "{s:?}");
    assert!(
        s.message.contains("violates the enforce level \"all\""),
        "{s:?}"
    );
    assert!(s.message.contains("KW603"), "{s:?}");

    // ---- warn restricted: a baseline Pod is admitted, and the warnings reach the client as
    // `Warning` headers (kube-rs does not surface them, so send the request by hand).
    let body = serde_json::to_vec(&baseline_pod("baseline")).unwrap();
    let req = kube::core::Request::new("/api/v1/namespaces/warned/pods")
        .create(&PostParams::default(), body)
        .unwrap()
        .map(Body::from);
    let resp = client.send(req).await.unwrap();
    let warnings: Vec<String> = resp
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect_bytes().await.unwrap_or_default();
    eprintln!("serve_e2e: baseline Pod admitted with warnings: {warnings:#?}");
    assert_eq!(
        status,
        201,
        "{warnings:?} {}",
        String::from_utf8_lossy(&body)
    );
    for id in ["KW201", "KW202", "KW205", "KW207"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("299 - ") && w.contains(id)),
            "no warning for {id}: {warnings:?}"
        );
    }
    assert!(pods("warned").get_opt("baseline").await.unwrap().is_some());

    // ---- exemptions: the namespaceSelector keeps the request from kubeward; the config's
    // exempt namespaces are sent but allowed. Both namespaces are labelled enforce: baseline.
    pods("skipped")
        .create(&PostParams::default(), &privileged_pod("privileged"))
        .await
        .expect("the namespaceSelector excludes `skipped`");
    pods("exempted")
        .create(&PostParams::default(), &privileged_pod("privileged"))
        .await
        .expect("`exempted` is in the config's exempt namespaces");
    // kubeward was asked and said why it allowed: the API server records the audit annotation.
    let event = eventually(
        Duration::from_secs(10),
        "the audit event of the exempt Pod",
        || {
            std::future::ready(cluster.audit_events().into_iter().find(|e| {
                e["verb"] == "create"
                    && e["objectRef"]["resource"] == "pods"
                    && e["objectRef"]["namespace"] == "exempted"
                    && e["stage"] == "ResponseComplete"
            }))
        },
    )
    .await;
    assert_eq!(
        event["annotations"][format!("{WEBHOOK}/exempt")],
        "namespace",
        "{event:#}"
    );
    let metrics = https
        .get(format!("https://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("kubeward_admission_evaluations_total{path=\"exempt\"} 1"),
        "{metrics}"
    );
    // The dry-run probes are not counted as violations: only the Pod and the Deployment.
    assert!(
        metrics
            .contains("kubeward_admission_violations_total{control=\"KW101\",mode=\"enforce\"} 2"),
        "{metrics}"
    );
    lap("denials, admissions, warnings and exemptions checked");

    // ---- kubeward down: failurePolicy Fail refuses ...
    kubeward.kill();
    let s = api_error(
        pods("enforced")
            .create(&PostParams::default(), &restricted_pod("while-down"))
            .await,
    );
    eprintln!("serve_e2e: with kubeward down (Fail): {s:?}");
    assert_eq!(s.code, 500, "{s:?}");
    assert!(
        s.message
            .contains(&format!("failed calling webhook \"{WEBHOOK}\"")),
        "{s:?}"
    );
    assert!(pods("enforced")
        .get_opt("while-down")
        .await
        .unwrap()
        .is_none());
    // ... but namespaces the selector excludes are unaffected.
    pods("skipped")
        .create(&PostParams::default(), &privileged_pod("while-down"))
        .await
        .expect("the namespaceSelector excludes `skipped` even with kubeward down");

    // ---- ... and failurePolicy Ignore admits, unchecked (even a privileged Pod).
    let webhooks = kubeward_testkit::dynamic_api(
        &client,
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        None,
    )
    .await
    .unwrap();
    webhooks
        .patch(
            "kubeward",
            &PatchParams::default(),
            &Patch::Strategic(json!({"webhooks": [{"name": WEBHOOK, "failurePolicy": "Ignore"}]})),
        )
        .await
        .unwrap();
    let stored: DynamicObject = webhooks.get("kubeward").await.unwrap();
    assert_eq!(stored.data["webhooks"][0]["failurePolicy"], "Ignore");
    eventually(
        Duration::from_secs(30),
        "the API server to apply failurePolicy: Ignore",
        || {
            let api = pods("enforced");
            async move {
                api.create(&PostParams::default(), &privileged_pod("fail-open"))
                    .await
                    .ok()
            }
        },
    )
    .await;
    lap("failurePolicy Fail and Ignore checked");
    eprintln!(
        "serve_e2e: total {:.1}s (cluster start {:.1}s)",
        t0.elapsed().as_secs_f64(),
        cluster.startup_time().as_secs_f64()
    );
}
