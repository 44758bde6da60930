//! The loader against behaviours a small real API server rarely shows: pagination over many
//! pages, 429 with `Retry-After`, 5xx that pass and 5xx that do not, an expired continue token
//! (410), a request that never completes, a 403 on one kind, and a kind served only at an
//! older version. A real HTTP server (hyper, on a loopback port) stands in for the Kubernetes
//! API server and answers with API-shaped JSON; the client is the real kube-rs client, so
//! what is tested is what talks to a real cluster.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use kubeward_cluster::{fetch, kinds, FetchOptions, KindStatus};
use serde_json::{json, Value};

/// What the server saw: every request's path and query, and the Accept header.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, String)>,
    per_path: HashMap<String, usize>,
}

type State = Arc<Mutex<Seen>>;

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn status(code: u16, reason: &str, message: &str) -> Response<Full<Bytes>> {
    reply(
        code,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message, "code": code}),
    )
}

fn list(kind: &str, items: Vec<Value>, continue_token: Option<&str>) -> Response<Full<Bytes>> {
    let mut meta = json!({"resourceVersion": "100"});
    if let Some(c) = continue_token {
        meta["continue"] = json!(c);
    }
    reply(
        200,
        json!({"kind": format!("{kind}List"), "apiVersion": "v1", "metadata": meta, "items": items}),
    )
}

fn pod(i: usize) -> Value {
    json!({"metadata": {"name": format!("p{i}"), "namespace": "ns", "uid": format!("u{i}"),
        "managedFields": [{"manager": "kubectl"}]},
        "spec": {"containers": [{"name": "c", "image": "registry.example.com/app:1", "securityContext": {"privileged": i == 3}}]},
        "status": {"phase": "Running"}})
}

fn query(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn handle(req: Request<Incoming>, state: State) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let q = query(&req);
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let n = {
        let mut s = state.lock().unwrap();
        s.requests.push((
            format!("{path}?{}", req.uri().query().unwrap_or("")),
            accept.clone(),
        ));
        let n = s.per_path.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let resources = |names: &[&str]| json!({"kind": "APIResourceList", "groupVersion": "x", "resources": names.iter().map(|n| json!({"name": n, "singularName": "", "namespaced": true, "kind": "X", "verbs": ["list"]})).collect::<Vec<_>>()});
    Ok(match path.as_str() {
        "/version" => reply(200, json!({"major": "1", "minor": "20", "gitVersion": "v1.20.2", "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "", "platform": "linux/amd64"})),
        "/apis" => reply(200, json!({"kind": "APIGroupList", "groups": [
            {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}], "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
            {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}, {"groupVersion": "batch/v1beta1", "version": "v1beta1"}], "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}},
        ]})),
        "/api/v1" => reply(200, resources(&["pods", "pods/status", "namespaces", "secrets", "configmaps", "services", "serviceaccounts"])),
        "/apis/apps/v1" => reply(200, resources(&["deployments", "daemonsets"])),
        // batch/v1 is served, but without cronjobs (v1.20): CronJob falls back to v1beta1.
        "/apis/batch/v1" => reply(200, resources(&["jobs"])),
        "/apis/batch/v1beta1" => reply(200, resources(&["cronjobs"])),
        // Five pods in pages of `limit`, the continue token being the next index.
        "/api/v1/pods" => {
            let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(500);
            let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
            let end = (start + limit).min(5);
            let next = (end < 5).then(|| end.to_string());
            list("Pod", (start..end).map(pod).collect(), next.as_deref())
        }
        // 429 with Retry-After: 1 on the first try.
        "/apis/apps/v1/deployments" if n == 1 => {
            let mut r = status(429, "TooManyRequests", "the server has received too many requests");
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
            r
        }
        "/apis/apps/v1/deployments" => list("Deployment", vec![json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": {}})], None),
        // 503, then 502, then an answer.
        "/api/v1/configmaps" if n <= 2 => status(if n == 1 { 503 } else { 502 }, "ServiceUnavailable", "etcd leader changed"),
        "/api/v1/configmaps" => list("ConfigMap", vec![json!({"metadata": {"name": "cm", "namespace": "ns"}, "data": {"k": "v"}})], None),
        // Always 500: the kind fails after the retries, the rest goes on.
        "/api/v1/services" => status(500, "InternalError", "etcdserver: request timed out"),
        "/api/v1/namespaces" => status(403, "Forbidden", "namespaces is forbidden: User \"dev\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"),
        // Metadata only: anything else in Accept is refused, and no data is ever sent.
        "/api/v1/secrets" if accept.contains("as=PartialObjectMetadataList") => reply(200, json!({
            "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "db", "namespace": "ns",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}}}]})),
        "/api/v1/secrets" => status(406, "NotAcceptable", "expected a metadata-only request"),
        // The continue token expires after the first page once: the list starts over.
        "/apis/batch/v1beta1/cronjobs" => {
            let expired = q.contains_key("continue") && n == 2;
            if expired {
                status(410, "Expired", "The provided continue parameter is too old")
            } else if q.contains_key("continue") {
                list("CronJob", vec![json!({"metadata": {"name": "b", "namespace": "ns"}, "spec": {}})], None)
            } else {
                list("CronJob", vec![json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {}})], Some("tok"))
            }
        }
        // Never completes within the time limit.
        "/apis/apps/v1/daemonsets" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            list("DaemonSet", vec![], None)
        }
        "/api/v1/serviceaccounts" => reply(200, json!({"kind": "ServiceAccountList", "metadata": {}, "items": null})),
        _ => status(404, "NotFound", "the server could not find the requested resource"),
    })
}

async fn serve() -> (String, State) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = State::default();
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(req, s.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, state)
}

fn client(url: &str) -> kube::Client {
    let mut config = kube::Config::new(url.parse().unwrap());
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_retries_and_partial_access() {
    let (url, state) = serve().await;
    let client = client(&url);
    let wanted = kinds::only(&[
        "Namespace",
        "Deployment",
        "DaemonSet",
        "CronJob",
        "Pod",
        "Service",
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "Role",
    ]);
    let opts = FetchOptions {
        page_size: 2,
        request_timeout: Duration::from_millis(500),
        retries: 3,
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(2),
        ..FetchOptions::default()
    };
    let started = Instant::now();
    let snapshot = fetch(&client, &wanted, &opts).await.unwrap();
    let took = started.elapsed();
    let status: HashMap<&str, &KindStatus> = snapshot
        .kinds
        .iter()
        .map(|k| (k.kind.kind, &k.status))
        .collect();
    let listed = |kind: &str| match status[kind] {
        KindStatus::Listed { objects, pages, .. } => (*objects, *pages),
        other => panic!("{kind}: {other:?}"),
    };

    // Pagination: five pods in three pages of two, every page asked with limit and the
    // previous page's continue token.
    assert_eq!(listed("Pod"), (5, 3));
    let pod_requests: Vec<String> = state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/pods"))
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        pod_requests,
        [
            "/api/v1/pods?&limit=2",
            "/api/v1/pods?&limit=2&continue=2",
            "/api/v1/pods?&limit=2&continue=4"
        ]
    );
    let names: Vec<&str> = snapshot
        .objects
        .iter()
        .filter(|o| o.kind == "Pod")
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
    // Items of a list carry no kind: they get the listed one; managedFields and status go.
    let p3 = snapshot.objects.iter().find(|o| o.name == "p3").unwrap();
    assert!(
        p3.text.starts_with("apiVersion: v1\nkind: Pod\n"),
        "{}",
        p3.text
    );
    assert!(
        !p3.text.contains("managedFields") && !p3.text.contains("Running"),
        "{}",
        p3.text
    );

    // 429 with Retry-After: 1 is waited for, then the list succeeds.
    assert_eq!(listed("Deployment"), (1, 1));
    assert_eq!(
        state.lock().unwrap().per_path["/apis/apps/v1/deployments"],
        2
    );
    assert!(
        took >= Duration::from_secs(1),
        "Retry-After honoured: {took:?}"
    );
    // 503 then 502 are retried.
    assert_eq!(listed("ConfigMap"), (1, 1));
    assert_eq!(state.lock().unwrap().per_path["/api/v1/configmaps"], 3);
    // A 500 that does not pass fails that kind only, after 1 + 3 tries.
    match status["Service"] {
        KindStatus::Failed { error, .. } => assert!(
            error.contains("500") && error.contains("etcdserver: request timed out"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(state.lock().unwrap().per_path["/api/v1/services"], 4);
    // A request that never completes is cut at the time limit, retried, then reported.
    match status["DaemonSet"] {
        KindStatus::Failed { error, .. } => {
            assert!(error.contains("no complete answer within 500ms"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        state.lock().unwrap().per_path["/apis/apps/v1/daemonsets"],
        4
    );
    assert!(took < Duration::from_secs(8), "bounded: {took:?}");
    // 403 is the kind's status, not the scan's failure.
    match status["Namespace"] {
        KindStatus::Forbidden { message, .. } => {
            assert!(message.starts_with("namespaces is forbidden"))
        }
        other => panic!("{other:?}"),
    }
    // Secrets: asked as metadata only; the last-applied annotation (holding the data) dropped.
    assert_eq!(listed("Secret"), (1, 1));
    let secret = snapshot
        .objects
        .iter()
        .find(|o| o.kind == "Secret")
        .unwrap();
    assert_eq!(
        secret.text,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ns\n"
    );
    // An expired continue token restarts the list: objects are not doubled.
    assert_eq!(listed("CronJob"), (2, 2));
    let cron = snapshot
        .kinds
        .iter()
        .find(|k| k.kind.kind == "CronJob")
        .unwrap();
    assert_eq!(cron.not_served, ["batch/v1"]);
    assert!(
        matches!(&cron.status, KindStatus::Listed { api_version, .. } if api_version == "batch/v1beta1")
    );
    // `items: null` is an empty list; a group version not offered at all is "not served".
    assert_eq!(listed("ServiceAccount"), (0, 1));
    assert_eq!(status["Role"], &KindStatus::NotServed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_there_is_an_error_within_bounds() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(&format!("http://127.0.0.1:{port}"));
    let opts = FetchOptions {
        retries: 2,
        min_backoff: Duration::from_millis(10),
        ..FetchOptions::default()
    };
    let started = Instant::now();
    let err = fetch(&client, kinds::SCAN, &opts).await.unwrap_err();
    assert!(
        err.to_string().starts_with("cannot reach the API server: "),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
