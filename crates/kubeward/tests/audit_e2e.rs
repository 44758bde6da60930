//! `kubeward audit` on the audit log of a real API server (kube-apiserver v1.20 from
//! kubeward-testkit) running the policy `kubeward audit policy` prints.
//!
//! Attack-like actions are driven through the server with kube-rs as the users the testkit
//! provides (`admin`, `dev-user`, an impersonating admin, an anonymous client): failed secret
//! reads in a burst, impersonation, a cluster-admin ClusterRoleBinding, secret reads with it,
//! a privileged pod, an exec request (the server fails it without a kubelet, and logs it), a
//! ServiceAccount token request, a nodes/proxy request, a webhook configuration created and
//! deleted, events deleted, and an anonymous read allowed by a careless binding. Then the real
//! `kubeward audit` binary reads the server's log and each action must be found, attributed
//! to the right user, at the right line.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kubeward_testkit::{eventually, TestCluster};
use serde_json::Value;

const NS: &str = "audit-e2e";

fn kubeward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
}

/// A raw request through the client (subresources kube-rs has no typed call for here).
async fn raw(client: &kube::Client, method: &str, uri: &str, body: &str) -> String {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("Content-Type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    match client.request_text(req).await {
        Ok(t) => t,
        Err(e) => format!("{e}"),
    }
}

/// The admin's kubeconfig with `as: dev-user` (kubectl --as).
async fn impersonating_client(admin_kubeconfig: &Path) -> kube::Client {
    let mut kc = Kubeconfig::read_from(admin_kubeconfig).unwrap();
    for named in &mut kc.auth_infos {
        if let Some(a) = named.auth_info.as_mut() {
            a.impersonate = Some("dev-user".to_string());
        }
    }
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_attacks_in_a_real_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    let printed = kubeward().args(["audit", "policy"]).output().unwrap();
    assert!(printed.status.success());
    std::fs::write(&policy, &printed.stdout).unwrap();
    // The API server refuses to start with a policy it cannot load: starting is the check.
    let cluster = TestCluster::builder().audit_policy(&policy).start();
    let dev = cluster.dev_client().await;

    cluster
        .create_yaml(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {{name: db-password, namespace: {NS}}}\nstringData: {{password: hunter2}}\n"
        ))
        .await;
    cluster.wait_for_default_service_account(NS).await;

    // dev-user has no rights: ten forbidden secret reads in a row are a burst (KW1009).
    let dev_secrets: Api<Secret> = Api::namespaced(dev.clone(), NS);
    for _ in 0..10 {
        assert!(dev_secrets.get("db-password").await.is_err());
    }
    // The admin impersonating dev-user (KW1008), reading secrets as it (KW1004).
    let as_dev = impersonating_client(&cluster.admin_kubeconfig()).await;
    let _ = Api::<Secret>::namespaced(as_dev, NS)
        .list(&ListParams::default())
        .await;
    // Persistence: dev-user bound to cluster-admin (KW1006), then reading secrets (KW1004).
    cluster
        .create_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: backdoor}\n\
             roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
             subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dev-user}]\n",
        )
        .await;
    eventually(Duration::from_secs(10), "dev-user reading secrets", || {
        let api = dev_secrets.clone();
        async move { api.get("db-password").await.ok() }
    })
    .await;
    // A privileged pod sharing the host PID namespace (KW1005), created by dev-user.
    kubeward_testkit::create_yaml(
        &dev,
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: root-shell, namespace: {NS}}}\n\
             spec:\n  hostPID: true\n  containers:\n  - name: c\n    image: alpine\n    securityContext: {{privileged: true}}\n"
        ),
    )
    .await
    .unwrap();
    // exec into it (KW1002): no kubelet, so the server fails the request, and logs it.
    raw(
        &dev,
        "POST",
        &format!("/api/v1/namespaces/{NS}/pods/root-shell/exec?command=sh&stdin=true&stdout=true"),
        "",
    )
    .await;
    // A token for the namespace's default ServiceAccount (KW1007).
    raw(
        &dev,
        "POST",
        &format!("/api/v1/namespaces/{NS}/serviceaccounts/default/token"),
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["api"]}}"#,
    )
    .await;
    // The kubelet API through nodes/proxy (KW1011): no such node, logged all the same.
    raw(&dev, "GET", "/api/v1/nodes/node-1/proxy/runningpods/", "").await;
    // A webhook configuration created and removed (KW1010 twice).
    kubeward_testkit::create_yaml(
        &dev,
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: shadow}\n\
         webhooks:\n- name: shadow.example.com\n  clientConfig: {url: \"https://127.0.0.1:1/validate\"}\n\
         \x20 rules: [{operations: [DELETE], apiGroups: [\"example.com\"], apiVersions: [v1], resources: [things]}]\n\
         \x20 failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n",
    )
    .await
    .unwrap();
    raw(
        &dev,
        "DELETE",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/shadow",
        "",
    )
    .await;
    // Covering tracks: the namespace's events deleted (KW1013).
    raw(
        &dev,
        "DELETE",
        &format!("/api/v1/namespaces/{NS}/events"),
        "",
    )
    .await;
    // A careless binding lets anonymous users list pods (KW1001 for the anonymous read).
    cluster
        .create_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: anonymous-view}\n\
             roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n\
             subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: \"system:unauthenticated\"}]\n",
        )
        .await;
    let ca = std::fs::read(cluster.ca_cert()).unwrap();
    let url = format!("{}/api/v1/namespaces/{NS}/pods", cluster.server_url());
    // The RBAC authorizer sees a new binding through its informer, a moment after the create
    // returns: read until the binding takes effect (a 403 first is that race, not the answer).
    let anonymous_status = eventually(
        Duration::from_secs(20),
        "the anonymous read allowed by the new binding",
        || {
            let (ca, url) = (ca.clone(), url.clone());
            async move {
                let status = tokio::task::spawn_blocking(move || {
                    let client = reqwest::blocking::Client::builder()
                        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
                        .build()
                        .unwrap();
                    client.get(url).send().map(|r| r.status().as_u16())
                })
                .await
                .unwrap()
                .unwrap();
                (status == 200).then_some(status)
            }
        },
    )
    .await;
    assert_eq!(anonymous_status, 200, "the anonymous read is allowed");

    // The last request is in the log once its final stage is.
    let log = cluster.audit_log();
    eventually(
        Duration::from_secs(20),
        "the anonymous read in the audit log",
        || {
            let found = cluster.audit_events().into_iter().find(|e| {
                e["user"]["username"] == "system:anonymous"
                    && e["stage"] == "ResponseComplete"
                    && e["objectRef"]["resource"] == "pods"
            });
            std::future::ready(found)
        },
    )
    .await;

    let out = kubeward()
        .args(["audit", "--no-config", "--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings, no input error: {stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let find = |id: &str, user: &str, what: &dyn Fn(&Value) -> bool| -> Value {
        findings
            .iter()
            .find(|f| f["id"] == id && f["event"]["user"] == user && what(f))
            .unwrap_or_else(|| {
                let ids: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{} {} {}", f["id"], f["event"]["user"], f["message"]))
                    .collect();
                panic!("no {id} by {user}; found:\n{}", ids.join("\n"))
            })
            .clone()
    };
    let on =
        |resource: &'static str| move |f: &Value| f["event"]["objectRef"]["resource"] == resource;
    let sub = |s: &'static str| move |f: &Value| f["event"]["objectRef"]["subresource"] == s;

    let burst = find("KW1009", "dev-user", &|f| {
        f["message"].as_str().unwrap().contains("for user dev-user")
    });
    assert_eq!(burst["event"]["responseCode"], 403);
    let imp = find("KW1008", "admin", &|f| {
        f["event"]["impersonatedUser"] == "dev-user"
    });
    assert_eq!(imp["location"]["path"], "impersonatedUser.username");
    find("KW1004", "admin", &on("secrets"));
    let allowed_read = find("KW1004", "dev-user", &|f| f["event"]["responseCode"] == 200);
    assert_eq!(allowed_read["severity"], "medium");
    let binding = find("KW1006", "admin", &|f| {
        f["message"].as_str().unwrap().contains("KW604")
    });
    assert_eq!(binding["location"]["path"], "requestObject.roleRef.name");
    assert_eq!(binding["event"]["level"], "RequestResponse");
    let privileged = find("KW1005", "dev-user", &|f| {
        f["location"]["path"] == "requestObject.spec.containers[0].securityContext.privileged"
    });
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["event"]["level"], "Request");
    find("KW1005", "dev-user", &|f| {
        f["location"]["path"] == "requestObject.spec.hostPID"
    });
    let exec = find("KW1002", "dev-user", &sub("exec"));
    assert!(exec["event"]["requestURI"]
        .as_str()
        .unwrap()
        .contains("command=sh"));
    find("KW1007", "dev-user", &sub("token"));
    find("KW1011", "dev-user", &sub("proxy"));
    find("KW1010", "dev-user", &|f| f["event"]["verb"] == "create");
    find("KW1010", "dev-user", &|f| f["event"]["verb"] == "delete");
    find("KW1013", "dev-user", &on("events"));
    find("KW1001", "system:anonymous", &on("pods"));
    // Secrets are logged at Metadata: the log never holds the value, nor does the report.
    assert!(!text.contains("hunter2") && !text.contains("aHVudGVyMg"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
    // Every finding points at its event's line, and the line is the event it names.
    for f in findings {
        let line = f["location"]["line"].as_u64().unwrap() as usize;
        let event: Value = serde_json::from_str(lines[line - 1]).unwrap();
        assert_eq!(event["auditID"], f["event"]["auditID"], "{f}");
    }
    // Nothing from Kubernetes' own components (controller manager, API server) is reported.
    for f in findings {
        let user = f["event"]["user"].as_str().unwrap();
        assert!(
            !user.starts_with("system:kube-") && user != "system:apiserver",
            "{f}"
        );
    }
    assert_eq!(report["summary"]["errors"], 0);
    assert!(report["timeline"].as_array().unwrap().len() >= 14);
}
