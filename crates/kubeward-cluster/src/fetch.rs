//! List what the controls need from a live API server: discovery first (which group versions
//! and resources the server serves), then every kind with pagination (`limit`/`continue`), a
//! few kinds at a time. Every request has a time limit and is retried on 429, 5xx and
//! timeouts with exponential backoff (honouring `Retry-After`, capped), a bounded number of
//! times. A 403 on one kind is that kind's status, not the scan's failure.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use http::StatusCode;
use http_body_util::BodyExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};
use k8s_openapi::apimachinery::pkg::version::Info;
use kube::api::ListParams;
use kube::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::kinds::KindSpec;
use crate::owners::{self, Owned};
use crate::render;

/// How to list.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// List namespaced kinds in this namespace only (and its Namespace object); cluster-scoped
    /// kinds are then skipped.
    pub namespace: Option<String>,
    /// Objects per page (`limit`).
    pub page_size: u32,
    /// Kinds listed at once.
    pub concurrency: usize,
    /// Time limit of one request, body included.
    pub request_timeout: Duration,
    /// Retries of one request after a 429, a 5xx, a timeout or a connection error.
    pub retries: u32,
    /// The first backoff; it doubles each retry up to `max_backoff`.
    pub min_backoff: Duration,
    /// The longest wait between two tries, `Retry-After` included.
    pub max_backoff: Duration,
    /// How each object's text is written.
    pub render: Render,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            namespace: None,
            page_size: 500,
            concurrency: 4,
            request_timeout: Duration::from_secs(30),
            retries: 4,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            render: Render::Yaml,
        }
    }
}

/// The text form of fetched objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// `kubectl get -o yaml` layout, for the engine and readable locations.
    Yaml,
    /// Compact JSON, for `serde_json::from_str`.
    Json,
}

/// One object as listed: identity, owners, and its text (stripped, see [`render::strip`]).
#[derive(Clone, Debug)]
pub struct Fetched {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub owned: Owned,
    pub text: String,
}

/// What happened to one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KindStatus {
    Listed {
        api_version: String,
        objects: usize,
        pages: usize,
    },
    /// 403: the credentials may not list it.
    Forbidden {
        api_version: String,
        message: String,
    },
    /// None of its group versions is served.
    NotServed,
    /// Not asked for: cluster-scoped while a namespace was given.
    Skipped { reason: String },
    /// Still failing after the retries, or an answer that could not be read.
    Failed { api_version: String, error: String },
}

/// One kind's outcome, and the preferred group versions the server does not serve.
#[derive(Clone, Debug)]
pub struct KindReport {
    pub kind: KindSpec,
    pub status: KindStatus,
    /// e.g. `["batch/v1"]` for CronJob on v1.20, which was then listed as batch/v1beta1.
    pub not_served: Vec<String>,
}

/// Everything listed from one cluster.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// `/version`.
    pub server_version: Option<Info>,
    /// In the order of the kinds asked for, then as the server lists them.
    pub objects: Vec<Fetched>,
    pub kinds: Vec<KindReport>,
    /// Bytes of list responses read.
    pub bytes: u64,
}

/// Why a cluster could not be scanned at all.
#[derive(Debug)]
pub struct FetchError(pub String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

/// A final answer: status and body.
struct Reply {
    status: StatusCode,
    body: Bytes,
}

impl Reply {
    /// The `message` of a Kubernetes Status body, else the body's start.
    fn message(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&self.body);
                text.chars()
                    .take(200)
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
    }

    fn describe(&self) -> String {
        let m = self.message();
        if m.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {}: {m}", self.status)
        }
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// Send a request, retrying 429, 5xx, timeouts and connection errors. Returns the last reply
/// (which may still be a 5xx once retries run out), or the last connection error.
async fn send(
    client: &Client,
    make: &(dyn Fn() -> http::Request<Vec<u8>> + Sync),
    opts: &FetchOptions,
) -> Result<Reply, String> {
    let mut backoff = opts.min_backoff;
    let mut attempt = 0;
    loop {
        let request = make().map(kube::client::Body::from);
        let outcome = tokio::time::timeout(opts.request_timeout, async {
            let response = client.send(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading the response: {e}"))?
                .to_bytes();
            Ok::<_, String>((Reply { status, body }, retry_after))
        })
        .await;
        let (wait, last) = match outcome {
            Ok(Ok((reply, retry_after))) if retryable(reply.status) => {
                (retry_after.unwrap_or(backoff), Ok(reply))
            }
            Ok(Ok((reply, _))) => return Ok(reply),
            Ok(Err(e)) => (backoff, Err(e)),
            Err(_) => (
                backoff,
                Err(format!(
                    "no complete answer within {:?}",
                    opts.request_timeout
                )),
            ),
        };
        if attempt >= opts.retries {
            return last;
        }
        attempt += 1;
        tokio::time::sleep(wait.min(opts.max_backoff)).await;
        backoff = (backoff * 2).min(opts.max_backoff);
    }
}

fn get(path: &str) -> http::Request<Vec<u8>> {
    let mut r = http::Request::new(Vec::new());
    *r.uri_mut() = path.parse().unwrap_or_default();
    r
}

/// GET `path` and decode it; a non-success status is an error with the server's message.
pub(crate) async fn get_json<T: for<'de> Deserialize<'de>>(
    client: &Client,
    path: &str,
    opts: &FetchOptions,
) -> Result<T, (Option<StatusCode>, String)> {
    let reply = send(client, &|| get(path), opts)
        .await
        .map_err(|e| (None, e))?;
    if !reply.status.is_success() {
        return Err((Some(reply.status), reply.describe()));
    }
    serde_json::from_slice(&reply.body).map_err(|e| {
        (
            Some(reply.status),
            format!(
                "{path}: the answer is not what the Kubernetes API returns: {}",
                kubeward_engine::json_error::with_position(&e)
            ),
        )
    })
}

/// What the server serves: group version -> resource names.
type Served = HashMap<String, HashSet<String>>;

async fn discover(
    client: &Client,
    kinds: &[KindSpec],
    opts: &FetchOptions,
) -> Result<Served, FetchError> {
    let groups: APIGroupList = get_json(client, "/apis", opts)
        .await
        .map_err(|(_, e)| FetchError(format!("discovery (/apis) failed: {e}")))?;
    let mut offered: HashSet<String> = groups
        .groups
        .iter()
        .flat_map(|g| g.versions.iter().map(|v| v.group_version.clone()))
        .collect();
    offered.insert("v1".to_string());
    let wanted: Vec<String> = kinds
        .iter()
        .flat_map(|k| k.served_as.iter())
        .map(|(g, v)| KindSpec::api_version(g, v))
        .filter(|gv| offered.contains(gv))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let lists = stream::iter(wanted)
        .map(|gv| async move {
            let path = if gv == "v1" {
                "/api/v1".to_string()
            } else {
                format!("/apis/{gv}")
            };
            let list: Result<APIResourceList, _> = get_json(client, &path, opts).await;
            (gv, list)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut served = Served::new();
    for (gv, list) in lists {
        match list {
            Ok(list) => {
                served.insert(
                    gv,
                    list.resources
                        .into_iter()
                        .filter(|r| !r.name.contains('/'))
                        .map(|r| r.name)
                        .collect(),
                );
            }
            // A group version that stops answering (an aggregated API down) only affects
            // its kinds: they will fail when listed.
            Err((_, _)) => {
                served.insert(gv, HashSet::new());
            }
        }
    }
    Ok(served)
}

/// What [`list_kind`] needs of a kind: a [`KindSpec`], or a kind found by discovery (the
/// constraint kinds of Gatekeeper's templates).
pub(crate) struct Listing<'a> {
    pub kind: &'a str,
    pub plural: &'a str,
    pub namespaced: bool,
    pub metadata_only: bool,
}

impl<'a> From<&'a KindSpec> for Listing<'a> {
    fn from(k: &'a KindSpec) -> Self {
        Listing {
            kind: k.kind,
            plural: k.plural,
            namespaced: k.namespaced,
            metadata_only: k.metadata_only,
        }
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: Option<PageMeta>,
    /// `null` in an empty metadata-only list.
    #[serde(default)]
    items: Option<Vec<Value>>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

/// List one kind, every page; objects are rendered as they arrive, so at most one page of
/// parsed JSON is held. A kind that fails part way yields no objects: half a kind would make
/// the cross-object controls judge namespaces on objects that are not all there.
pub(crate) async fn list_kind(
    client: &Client,
    spec: &Listing<'_>,
    api_version: &str,
    opts: &FetchOptions,
) -> (KindStatus, Vec<Fetched>, u64) {
    let prefix = if api_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{api_version}")
    };
    let mut params = ListParams::default().limit(opts.page_size);
    let path = match (&opts.namespace, spec.namespaced) {
        (Some(ns), true) => format!("{prefix}/namespaces/{ns}/{}", spec.plural),
        (Some(ns), false) => {
            // Only the namespace being scanned, so its labels and policies are checked.
            params = params.fields(&format!("metadata.name={ns}"));
            format!("{prefix}/{}", spec.plural)
        }
        (None, _) => format!("{prefix}/{}", spec.plural),
    };
    let request = kube::core::Request::new(path);
    let mut objects = Vec::new();
    let mut bytes = 0u64;
    let mut pages = 0;
    let mut restarts = 0;
    let mut continue_token: Option<String> = None;
    loop {
        let mut lp = params.clone();
        lp.continue_token = continue_token.clone();
        let make = || {
            let built = if spec.metadata_only {
                request.list_metadata(&lp)
            } else {
                request.list(&lp)
            };
            built.unwrap_or_else(|_| get("/"))
        };
        let reply = match send(client, &make, opts).await {
            Ok(r) => r,
            Err(e) => {
                let status = KindStatus::Failed {
                    api_version: api_version.to_string(),
                    error: e,
                };
                return (status, Vec::new(), bytes);
            }
        };
        bytes += reply.body.len() as u64;
        match reply.status {
            s if s.is_success() => {}
            StatusCode::FORBIDDEN => {
                let status = KindStatus::Forbidden {
                    api_version: api_version.to_string(),
                    message: reply.message(),
                };
                return (status, Vec::new(), bytes);
            }
            // The continue token expired (the list took longer than etcd keeps history):
            // start the kind again, a bounded number of times.
            StatusCode::GONE if continue_token.is_some() && restarts < 2 => {
                restarts += 1;
                objects.clear();
                pages = 0;
                continue_token = None;
                continue;
            }
            _ => {
                let status = KindStatus::Failed {
                    api_version: api_version.to_string(),
                    error: reply.describe(),
                };
                return (status, Vec::new(), bytes);
            }
        }
        let page: Page = match serde_json::from_slice(&reply.body) {
            Ok(p) => p,
            Err(e) => {
                let status = KindStatus::Failed {
                    api_version: api_version.to_string(),
                    error: format!(
                        "the list answer is not a Kubernetes list: {}",
                        kubeward_engine::json_error::with_position(&e)
                    ),
                };
                return (status, Vec::new(), bytes);
            }
        };
        pages += 1;
        for mut item in page.items.unwrap_or_default() {
            if !item.is_object() {
                continue;
            }
            if spec.metadata_only {
                render::metadata_only(&mut item);
            }
            // List items do not always carry their kind (metadata lists call every item
            // PartialObjectMetadata): name them as the kind they were listed as.
            item["apiVersion"] = Value::String(api_version.to_string());
            item["kind"] = Value::String(spec.kind.to_string());
            render::strip(&mut item);
            objects.push(fetched(item, opts.render));
        }
        match page
            .metadata
            .and_then(|m| m.continue_)
            .filter(|c| !c.is_empty())
        {
            Some(c) => continue_token = Some(c),
            None => break,
        }
    }
    let status = KindStatus::Listed {
        api_version: api_version.to_string(),
        objects: objects.len(),
        pages,
    };
    (status, objects, bytes)
}

fn fetched(item: Value, how: Render) -> Fetched {
    let owned = owners::from_json(&item);
    let text = match how {
        Render::Yaml => render::to_yaml(&item),
        Render::Json => item.to_string(),
    };
    Fetched {
        api_version: item["apiVersion"].as_str().unwrap_or("").to_string(),
        kind: owned.kind.clone(),
        namespace: owned.namespace.clone(),
        name: owned.name.clone(),
        owned,
        text,
    }
}

/// Fetch the server version and every kind in `kinds`. An error means the cluster could not
/// be scanned at all (unreachable, credentials refused, discovery failing); anything that
/// affects single kinds is in [`Snapshot::kinds`].
pub async fn fetch(
    client: &Client,
    kinds: &[KindSpec],
    opts: &FetchOptions,
) -> Result<Snapshot, FetchError> {
    let version: Info =
        get_json(client, "/version", opts)
            .await
            .map_err(|(status, e)| match status {
                Some(StatusCode::UNAUTHORIZED) => FetchError(format!(
                    "the API server refused the credentials ({e}); check the kubeconfig's user"
                )),
                Some(_) => FetchError(format!("the API server answered /version with {e}")),
                None => FetchError(format!("cannot reach the API server: {e}")),
            })?;
    let served = discover(client, kinds, opts).await?;
    let results = stream::iter(kinds.iter())
        .map(|spec| {
            let served = &served;
            async move {
                let mut not_served = Vec::new();
                let mut chosen = None;
                for (g, v) in spec.served_as {
                    let gv = KindSpec::api_version(g, v);
                    if served.get(&gv).is_some_and(|r| r.contains(spec.plural)) {
                        chosen = Some(gv);
                        break;
                    }
                    not_served.push(gv);
                }
                let skipped =
                    opts.namespace.is_some() && !spec.namespaced && spec.kind != "Namespace";
                let (status, objects, bytes) = match chosen {
                    None => (KindStatus::NotServed, Vec::new(), 0),
                    Some(_) if skipped => (
                        KindStatus::Skipped {
                            reason: "cluster-scoped, and a namespace was given".to_string(),
                        },
                        Vec::new(),
                        0,
                    ),
                    Some(gv) => list_kind(client, &Listing::from(spec), &gv, opts).await,
                };
                let report = KindReport {
                    kind: spec.clone(),
                    status,
                    not_served,
                };
                (report, objects, bytes)
            }
        })
        .buffered(opts.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut snapshot = Snapshot {
        server_version: Some(version),
        ..Snapshot::default()
    };
    for (report, objects, bytes) in results {
        snapshot.kinds.push(report);
        snapshot.objects.extend(objects);
        snapshot.bytes += bytes;
    }
    Ok(snapshot)
}
