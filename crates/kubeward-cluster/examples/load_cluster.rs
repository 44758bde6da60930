//! Fill a (test) cluster for the `kubeward cluster` benchmark (bench/cluster.sh): NAMESPACES
//! namespaces of 100 objects each, a mix of what real namespaces hold (Deployments, bare
//! Pods, Services, ConfigMaps, ServiceAccounts, Secrets, Roles, RoleBindings, NetworkPolicies,
//! CronJobs, a ResourceQuota and a LimitRange), about half of them with something to find.
//!
//!   cargo run --release -p kubeward-cluster --example load_cluster -- KUBECONFIG [NAMESPACES]
//!
//! Objects are created with POSTs through the real kube-rs client, 16 at a time; the
//! namespace must not exist yet. Pods need the API server's ServiceAccount admission plugin
//! off, or a controller manager that makes `default` ServiceAccounts.

use futures_util::stream::{self, StreamExt};
use kube::api::PostParams;
use serde_json::{json, Value};

fn pod_spec(i: usize) -> Value {
    let hardened = i.is_multiple_of(2);
    let sc = if hardened {
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
               "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "runAsUser": 10001})
    } else {
        json!({"privileged": i % 6 == 1})
    };
    json!({
        "serviceAccountName": format!("sa-{}", i % 10),
        "automountServiceAccountToken": false,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app",
            "image": format!("registry.example.com/team/app-{i}:1.{i}.0"),
            "ports": [{"containerPort": 8080, "name": "http"}],
            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "securityContext": sc,
        }],
    })
}

/// The 100 objects of namespace `ns`, each as (API path to POST to, body).
fn namespace_objects(ns: &str) -> Vec<(String, Value)> {
    let core = |plural: &str| format!("/api/v1/namespaces/{ns}/{plural}");
    let group = |gv: &str, plural: &str| format!("/apis/{gv}/namespaces/{ns}/{plural}");
    let meta = |name: String| json!({"name": name, "namespace": ns, "labels": {"app": name, "team": "bench"}});
    let mut out = Vec::new();
    for i in 0..15 {
        let labels = json!({"app": format!("web-{i}")});
        out.push((
            group("apps/v1", "deployments"),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(format!("web-{i}")),
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod_spec(i)}}}),
        ));
        out.push((core("pods"), json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(format!("job-{i}")), "spec": pod_spec(i + 1)})));
        out.push((
            core("services"),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(format!("web-{i}")),
            "spec": {"type": if i % 5 == 0 { "NodePort" } else { "ClusterIP" }, "selector": labels,
                     "ports": [{"port": 80, "targetPort": 8080}]}}),
        ));
        out.push((core("configmaps"), json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(format!("config-{i}")),
            "data": {"settings.yaml": format!("replicas: {i}\nfeature: on\n"), "DB_PASSWORD": if i % 7 == 0 { "hunter2" } else { "" }}})));
    }
    for i in 0..10 {
        out.push((core("serviceaccounts"), json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(format!("sa-{i}")),
            "automountServiceAccountToken": i % 2 == 0})));
        out.push((
            core("secrets"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(format!("secret-{i}")),
            "stringData": {"password": format!("not-a-real-password-{i}")}}),
        ));
    }
    for i in 0..5 {
        out.push((group("rbac.authorization.k8s.io/v1", "roles"), json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": meta(format!("role-{i}")),
            "rules": [{"apiGroups": [""], "resources": if i == 0 { json!(["*"]) } else { json!(["configmaps"]) }, "verbs": ["get", "list"]}]})));
        out.push((group("rbac.authorization.k8s.io/v1", "rolebindings"), json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta(format!("binding-{i}")),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{i}")},
            "subjects": [{"kind": "ServiceAccount", "name": format!("sa-{i}"), "namespace": ns}]})));
        out.push((group("networking.k8s.io/v1", "networkpolicies"), json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta(format!("policy-{i}")),
            "spec": {"podSelector": if i == 0 { json!({}) } else { json!({"matchLabels": {"app": format!("web-{i}")}}) },
                     "policyTypes": ["Ingress"], "ingress": if i == 0 { json!([]) } else { json!([{"from": [{"podSelector": {}}]}]) }}})));
    }
    for i in 0..2 {
        out.push((group("batch/v1beta1", "cronjobs"), json!({"apiVersion": "batch/v1beta1", "kind": "CronJob",
            "metadata": meta(format!("report-{i}")),
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": pod_spec(i)["containers"].clone()}}}}}})));
    }
    out.push((
        core("resourcequotas"),
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("quota".into()),
        "spec": {"hard": {"pods": "50", "requests.cpu": "10"}}}),
    ));
    out.push((
        core("limitranges"),
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": meta("limits".into()),
        "spec": {"limits": [{"type": "Container", "default": {"memory": "256Mi"}}]}}),
    ));
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let kubeconfig = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: load_cluster KUBECONFIG [NAMESPACES]"))?;
    let namespaces: usize = args.next().map_or(Ok(100), |n| n.parse())?;
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&kubeconfig)?,
        &kube::config::KubeConfigOptions::default(),
    )
    .await?;
    let client = kube::Client::try_from(config)?;
    let started = std::time::Instant::now();
    let names: Vec<String> = (0..namespaces).map(|i| format!("bench-{i:03}")).collect();
    let create = |path: String, body: Value| {
        let client = client.clone();
        async move {
            let req = kube::core::Request::new(path.clone())
                .create(&PostParams::default(), serde_json::to_vec(&body)?)?;
            client
                .request::<Value>(req)
                .await
                .map_err(|e| anyhow::anyhow!("{path} {}: {e}", body["metadata"]["name"]))?;
            Ok::<_, anyhow::Error>(())
        }
    };
    // Namespaces first (1 each), then their 99 other objects.
    let namespace_posts = names.iter().map(|ns| {
        create(
            "/api/v1/namespaces".into(),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        )
    });
    let results: Vec<_> = stream::iter(namespace_posts)
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let objects: Vec<(String, Value)> = names.iter().flat_map(|ns| namespace_objects(ns)).collect();
    let total = objects.len() + names.len();
    let results: Vec<_> = stream::iter(objects.into_iter().map(|(p, b)| create(p, b)))
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "created {total} objects in {namespaces} namespaces in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
