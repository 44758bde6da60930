//! `kubeward cluster` with the cluster's own policies: Gatekeeper ConstraintTemplates and
//! constraints created through a real API server (kube-apiserver v1.20 from kubeward-testkit,
//! with Gatekeeper's CRDs), and ValidatingAdmissionPolicies from a stand-in for a newer API
//! server (v1.20 does not serve `admissionregistration.k8s.io/v1` policies: a real HTTP server
//! in the test answers as a Kubernetes 1.31 API server does for the paths `cluster` reads).

use std::convert::Infallible;
use std::process::Output;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use kubeward_testkit::{eventually, TestCluster};
use serde_json::{json, Value};

mod common;

/// Gatekeeper's ConstraintTemplate CRD, abridged from gatekeeper's
/// `charts/gatekeeper/crds/constrainttemplate-customresourcedefinition.yaml` (the same names,
/// group, scope and versions; the schema left open as `x-kubernetes-preserve-unknown-fields`,
/// which stores what the full schema accepts).
const TEMPLATE_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: constrainttemplates.templates.gatekeeper.sh
spec:
  group: templates.gatekeeper.sh
  names: {kind: ConstraintTemplate, listKind: ConstraintTemplateList, plural: constrainttemplates, singular: constrainttemplate}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

/// The CRD Gatekeeper makes for the template's constraint kind (no Gatekeeper runs here, so
/// the test makes it): group constraints.gatekeeper.sh, version v1beta1, cluster-scoped.
const CONSTRAINT_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: k8srequiredlabels.constraints.gatekeeper.sh
spec:
  group: constraints.gatekeeper.sh
  names: {kind: K8sRequiredLabels, listKind: K8sRequiredLabelsList, plural: k8srequiredlabels, singular: k8srequiredlabels}
  scope: Cluster
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

/// A template whose Rego does not parse.
const BROKEN_TEMPLATE: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: broken}
spec:
  crd: {spec: {names: {kind: Broken}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package broken
      violation[{"msg": m}] { m := }
"#;

/// A v1.20 API server with Gatekeeper's ConstraintTemplate CRD and the K8sRequiredLabels
/// constraint CRD, both served.
async fn gatekeeper_cluster() -> (TestCluster, kube::Client) {
    let cluster = TestCluster::builder().controller_manager(false).start();
    cluster.create_yaml(TEMPLATE_CRD).await;
    cluster.create_yaml(CONSTRAINT_CRD).await;
    // A CRD's kind is served a moment after the CRD is created.
    let client = cluster.kube_client().await;
    for (api, kind) in [
        ("templates.gatekeeper.sh/v1", "ConstraintTemplate"),
        ("constraints.gatekeeper.sh/v1beta1", "K8sRequiredLabels"),
    ] {
        eventually(Duration::from_secs(30), kind, || {
            let client = client.clone();
            async move {
                kubeward_testkit::is_served(&client, api, kind)
                    .await
                    .ok()
                    .filter(|s| *s)
            }
        })
        .await;
    }
    (cluster, client)
}

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

fn library(path: &str) -> String {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kubeward-policy/tests/data/gatekeeper-library/"
    );
    std::fs::read_to_string(format!("{root}{path}")).unwrap()
}

/// The library's requiredlabels template and its sample constraint (every Namespace must
/// have an `owner` label matching `^[a-zA-Z]+.agilebank.demo$`), created in the cluster.
async fn create_required_labels(cluster: &TestCluster) {
    cluster
        .create_yaml(&library("general/requiredlabels/template.yaml"))
        .await;
    cluster
        .create_yaml(&library(
            "general/requiredlabels/samples/all-must-have-owner/constraint.yaml",
        ))
        .await;
}

/// Objects named by `kind/name` (or `kind/namespace/name`) with a finding of `id`.
fn on(report: &Value, id: &str) -> Vec<String> {
    let mut v = common::finding_objects(report, id);
    v.dedup();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatekeeper_policies_are_read_from_the_cluster() {
    let (cluster, _) = gatekeeper_cluster().await;
    // The library's template and its sample constraint (every Namespace must have an `owner`
    // label matching `^[a-zA-Z]+.agilebank.demo$`); its suite's disallowed example is a
    // Namespace without the label, its allowed one a Namespace with a matching one.
    create_required_labels(&cluster).await;
    cluster
        .create_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: unowned}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: owned\n  labels: {owner: alice.agilebank.demo}\n",
        )
        .await;
    let admin = cluster.admin_kubeconfig();
    let out = run(&["--kubeconfig", admin.to_str().unwrap(), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = json_report(&out);
    assert_eq!(report["errors"], json!([]), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Every Namespace without the label, the system ones included (Gatekeeper's audit would
    // list them too); not the owned one.
    let unowned = [
        "Namespace/default",
        "Namespace/kube-node-lease",
        "Namespace/kube-public",
        "Namespace/kube-system",
        "Namespace/unowned",
    ];
    assert_eq!(
        on(&report, "K8sRequiredLabels/all-must-have-owner"),
        unowned,
        "{stderr}"
    );
    // The template's K8sNativeValidation code (which Gatekeeper runs when a template has
    // both): both of its validations fail on a Namespace without the label.
    let on_unowned: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["id"] == "K8sRequiredLabels/all-must-have-owner" && f["object"]["name"] == "unowned"
        })
        .collect();
    let mut messages: Vec<&str> = on_unowned
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "missing required label, requires all of: owner",
            "regex mismatch"
        ]
    );
    let f = on_unowned[0];
    assert_eq!(
        f["location"]["file"],
        "cluster/admin@local/Namespace/unowned"
    );
    assert_eq!(
        f["severity"], "high",
        "enforcementAction deny (the default)"
    );
    assert!(
        stderr.contains("1 ConstraintTemplate, 1 constraint"),
        "{stderr}"
    );
    // v1.20 serves no ValidatingAdmissionPolicies: said once, and the scan goes on.
    assert_eq!(
        stderr.matches("ValidatingAdmissionPolicies: admissionregistration.k8s.io/v1 validatingadmissionpolicies is not served").count(),
        1,
        "{stderr}"
    );

    // --no-cluster-policies: the cluster's policies are not read.
    let out = run(&[
        "--kubeconfig",
        admin.to_str().unwrap(),
        "--format",
        "json",
        "--no-cluster-policies",
    ]);
    let report = json_report(&out);
    assert!(on(&report, "K8sRequiredLabels/all-must-have-owner").is_empty());

    // A constraint whose template is not in the cluster: an error located at the constraint
    // (kind/name, there is no file), exit 2, and the rest of the scan still reported.
    cluster.create_yaml(BROKEN_TEMPLATE).await;
    let out = run(&["--kubeconfig", admin.to_str().unwrap(), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("cluster/admin@local/ConstraintTemplate/broken"),
        "{errors}"
    );
    assert_eq!(
        on(&report, "K8sRequiredLabels/all-must-have-owner"),
        unowned
    );
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn list(kind: &str, items: Vec<Value>) -> Response<Full<Bytes>> {
    reply(
        200,
        json!({"kind": format!("{kind}List"), "apiVersion": "v1", "metadata": {"resourceVersion": "7"}, "items": items}),
    )
}

/// What a Kubernetes 1.31 API server answers to the paths `cluster` reads (shapes as in
/// its discovery and list responses): apps/v1 and admissionregistration.k8s.io/v1 with
/// ValidatingAdmissionPolicies, one Deployment with 5 replicas, a policy allowing at most 3
/// and its binding (Deny). Everything else is a 404, as for a kind not served.
async fn newer_api_server(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let resources = |gv: &str, names: &[(&str, &str, bool)]| json!({"kind": "APIResourceList", "groupVersion": gv, "resources": names.iter().map(|(n, k, ns)| json!({"name": n, "singularName": "", "namespaced": ns, "kind": k, "verbs": ["get", "list", "watch"]})).collect::<Vec<_>>()});
    Ok(match req.uri().path() {
        "/version" => reply(
            200,
            json!({"major": "1", "minor": "31", "gitVersion": "v1.31.0", "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "", "platform": "linux/amd64"}),
        ),
        "/apis" => reply(
            200,
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}], "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
                {"name": "admissionregistration.k8s.io", "versions": [{"groupVersion": "admissionregistration.k8s.io/v1", "version": "v1"}], "preferredVersion": {"groupVersion": "admissionregistration.k8s.io/v1", "version": "v1"}},
            ]}),
        ),
        "/api/v1" => reply(200, resources("v1", &[("namespaces", "Namespace", false)])),
        "/apis/apps/v1" => reply(
            200,
            resources("apps/v1", &[("deployments", "Deployment", true)]),
        ),
        "/apis/admissionregistration.k8s.io/v1" => reply(
            200,
            resources(
                "admissionregistration.k8s.io/v1",
                &[
                    (
                        "validatingwebhookconfigurations",
                        "ValidatingWebhookConfiguration",
                        false,
                    ),
                    (
                        "mutatingwebhookconfigurations",
                        "MutatingWebhookConfiguration",
                        false,
                    ),
                    (
                        "validatingadmissionpolicies",
                        "ValidatingAdmissionPolicy",
                        false,
                    ),
                    (
                        "validatingadmissionpolicies/status",
                        "ValidatingAdmissionPolicy",
                        false,
                    ),
                    (
                        "validatingadmissionpolicybindings",
                        "ValidatingAdmissionPolicyBinding",
                        false,
                    ),
                ],
            ),
        ),
        "/api/v1/namespaces" => list(
            "Namespace",
            vec![json!({"metadata": {"name": "shop", "resourceVersion": "1"}})],
        ),
        "/apis/apps/v1/deployments" => list(
            "Deployment",
            vec![json!({
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "2"},
            "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1"}]}}}})],
        ),
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations" => {
            list("ValidatingWebhookConfiguration", vec![])
        }
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations" => {
            list("MutatingWebhookConfiguration", vec![])
        }
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies" => list(
            "ValidatingAdmissionPolicy",
            vec![json!({
            "metadata": {"name": "max-replicas", "resourceVersion": "3"},
            "spec": {"failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["deployments"]}]},
                "validations": [{"expression": "object.spec.replicas <= 3", "message": "at most 3 replicas"}]},
            "status": {"typeChecking": {}}})],
        ),
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings" => list(
            "ValidatingAdmissionPolicyBinding",
            vec![json!({
            "metadata": {"name": "max-replicas-binding", "resourceVersion": "4"},
            "spec": {"policyName": "max-replicas", "validationActions": ["Deny"]}})],
        ),
        _ => reply(
            404,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "message": "the server could not find the requested resource", "code": 404}),
        ),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validating_admission_policies_are_read_from_a_newer_api_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(newer_api_server);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: new\n  cluster: {{server: \"{url}\"}}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: new\n  context: {{cluster: new, user: u}}\ncurrent-context: new\n"),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        run(&[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = json_report(&out);
    assert_eq!(report["errors"], json!([]), "{stderr}");
    let id = "ValidatingAdmissionPolicy/max-replicas/max-replicas-binding";
    assert_eq!(on(&report, id), ["Deployment/shop/web"], "{stderr}");
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap();
    assert_eq!(f["message"], "at most 3 replicas");
    assert_eq!(f["location"]["file"], "cluster/new/Deployment/shop/web");
    assert!(
        stderr.contains("1 ValidatingAdmissionPolicy, 1 binding"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("validatingadmissionpolicies is not served"),
        "{stderr}"
    );
}

/// The AdmissionReview the API server sends to ask whether `object` may be created by user
/// alice: its group, version and kind are the object's, its name and namespace those of its
/// metadata; `resource` is the plural the API server names it by.
fn create_review(resource: &str, object: Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let mut request = json!({"uid": "u1",
        "kind": {"group": group, "version": version, "kind": object["kind"]},
        "resource": {"group": group, "version": version, "resource": resource},
        "name": object["metadata"]["name"], "operation": "CREATE",
        "userInfo": {"username": "alice"}});
    if let Some(namespace) = object["metadata"].get("namespace") {
        request["namespace"] = namespace.clone();
    }
    request["object"] = object;
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

/// A `kubeward serve` on a free loopback port (plain HTTP) with the cluster's admin
/// credentials, re-reading the cluster every 200 ms; ready when started, killed when dropped.
struct Serve {
    child: std::process::Child,
    log: std::path::PathBuf,
    base: String,
    _dir: tempfile::TempDir,
}

impl Serve {
    async fn start(cluster: &TestCluster, extra: &[&std::ffi::OsStr]) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"))
            .args([
                "serve",
                "--insecure-http",
                &format!("--listen=127.0.0.1:{port}"),
                "--cluster-policies-interval",
                "200ms",
            ])
            .args(extra)
            .env("KUBECONFIG", cluster.admin_kubeconfig())
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let serve = Serve {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let http = reqwest::Client::new();
        eventually(Duration::from_secs(30), "serve ready", || {
            let r = http.get(format!("{}/readyz", serve.base)).send();
            async move { (r.await.ok()?.status() == 200).then_some(()) }
        })
        .await;
        serve
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `response` of an AdmissionReview sent to `/validate`.
    async fn review(&self, body: &Value) -> Value {
        let r: Value = reqwest::Client::new()
            .post(format!("{}/validate", self.base))
            .json(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["response"].clone()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` reads the same policies from the cluster, re-reads them as they change, and keeps
/// the last good set when a changed one does not compile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reads_the_clusters_policies_and_follows_changes() {
    let (cluster, client) = gatekeeper_cluster().await;
    create_required_labels(&cluster).await;
    let serve = Serve::start(&cluster, &[]).await;
    let log = || serve.log();
    let admit = |name: &'static str| {
        let serve = &serve;
        async move {
            let namespace =
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            serve.review(&create_review("namespaces", namespace)).await
        }
    };
    // The cluster's constraint denies a Namespace without an owner label.
    let r = admit("unowned").await;
    assert_eq!(r["allowed"], false, "{r}\n{}", log());
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("[all-must-have-owner] missing required label, requires all of: owner"),
        "{r}"
    );
    // A template that does not compile joins: the last good set stays, and it is logged.
    cluster.create_yaml(BROKEN_TEMPLATE).await;
    let log_now = eventually(Duration::from_secs(20), "the broken set logged", || {
        let l = log();
        async move { l.contains("keeping the last good set").then_some(l) }
    })
    .await;
    assert!(
        log_now.contains("cluster/ConstraintTemplate/broken"),
        "{log_now}"
    );
    assert_eq!(admit("unowned").await["allowed"], false);
    // The constraint and the broken template deleted: the new set is used.
    let delete = |api: &'static str, kind: &'static str, name: &'static str| {
        let client = client.clone();
        async move {
            let api = kubeward_testkit::dynamic_api(&client, api, kind, None)
                .await
                .unwrap();
            api.delete(name, &Default::default()).await.unwrap();
        }
    };
    delete("templates.gatekeeper.sh/v1", "ConstraintTemplate", "broken").await;
    delete(
        "constraints.gatekeeper.sh/v1beta1",
        "K8sRequiredLabels",
        "all-must-have-owner",
    )
    .await;
    eventually(Duration::from_secs(20), "the Namespace admitted", || {
        let a = admit("unowned");
        async move { (a.await["allowed"] == true).then_some(()) }
    })
    .await;
}

/// `serve` syncs from the cluster the objects its referential policies read: the library's
/// unique-ingress-host template (from a `--policy` file) names Ingresses in its
/// `requires-sync-data`; an Ingress created in the real API server is listed into
/// `data.inventory`, so a new Ingress with the same host is denied, and deleting the cluster's
/// Ingress lets it in (the sync follows changes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_syncs_the_inventory_its_referential_policies_need() {
    let cluster = TestCluster::builder().controller_manager(false).start();
    cluster
        .create_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: front, namespace: shop}\nspec:\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: front, port: {number: 80}}}\n",
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("unique-host.yaml");
    std::fs::write(
        &policy,
        format!(
            "{}\n---\n{}",
            library("general/uniqueingresshost/template.yaml"),
            library("general/uniqueingresshost/samples/unique-ingress-host/constraint.yaml")
        ),
    )
    .unwrap();
    let serve = Serve::start(&cluster, &["--policy".as_ref(), policy.as_os_str()]).await;
    let log = || serve.log();
    let admit = |name: &'static str, host: &'static str| {
        let serve = &serve;
        async move {
            let ingress = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": name, "namespace": "other"},
                "spec": {"rules": [{"host": host}]}});
            serve.review(&create_review("ingresses", ingress)).await
        }
    };
    let r = admit("copy", "shop.example.com").await;
    assert_eq!(r["allowed"], false, "{r}\n{}", log());
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("ingress host conflicts with an existing ingress <shop.example.com>"),
        "{r}"
    );
    assert_eq!(admit("own", "own.example.com").await["allowed"], true);
    assert!(log().contains("inventory synced"), "{}", log());
    // The cluster's Ingress deleted: the next sync empties the inventory.
    let client = cluster.kube_client().await;
    let api =
        kubeward_testkit::dynamic_api(&client, "networking.k8s.io/v1", "Ingress", Some("shop"))
            .await
            .unwrap();
    api.delete("front", &Default::default()).await.unwrap();
    eventually(Duration::from_secs(20), "the copy admitted", || {
        let a = admit("copy", "shop.example.com");
        async move { (a.await["allowed"] == true).then_some(()) }
    })
    .await;
}
