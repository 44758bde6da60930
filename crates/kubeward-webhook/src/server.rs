//! The HTTPS server: accept, TLS handshake, HTTP/1.1 or HTTP/2 (ALPN), routes, timeouts,
//! graceful shutdown.
//!
//! Routes: `POST /validate` (AdmissionReview), `GET /healthz`, `GET /readyz`, `GET /metrics`.
//!
//! Every state of a connection has a deadline, so that no client can hold a file descriptor
//! for long without sending requests: the TCP connection must finish its TLS handshake within
//! the handshake timeout; then its first request header must arrive within the read timeout;
//! between requests it may stay idle for the idle timeout; a body must arrive within the read
//! timeout. Connections are capped below the open-file limit (raised to its hard limit at
//! start), so that the process keeps descriptors for its own use; at the cap, a new
//! connection takes the place of the connection idle the longest, or, when every connection
//! has a request in progress, is closed at once.
//!
//! Evaluations never run on the I/O threads: they run on a fixed set of threads
//! ([`Limits::max_evaluations`]), so `/healthz` and `/readyz` answer while they run. Request bodies are held against a byte budget ([`Limits::body_budget`]); with the
//! evaluation bound that caps the memory requests can take (docs/serve.md, "Memory").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::config::WebhookConfig;
use crate::metrics::Metrics;
use crate::policy::{Decider, NamespaceLabels, StaticNamespaces};
use crate::review;
use crate::tls::CertFiles;
use crate::MAX_BODY;

/// Where namespace labels come from.
pub enum NamespaceSource {
    /// A watch cache of the cluster's namespaces (in-cluster config or `KUBECONFIG`).
    Cluster,
    /// The config file's `namespaces` map; no cluster access.
    Static,
}

pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Certificate and key files; `None` serves plain HTTP (`--insecure-http`).
    pub tls: Option<(PathBuf, PathBuf)>,
    pub cert_reload_interval: Duration,
    pub config: WebhookConfig,
    pub namespaces: NamespaceSource,
    /// Time allowed to read a request's headers (HTTP/1) and, separately, its body.
    pub read_timeout: Duration,
    /// Time allowed for a TLS handshake.
    pub handshake_timeout: Duration,
    /// Time a connection may stay open with no request in progress after its first request.
    pub idle_timeout: Duration,
    /// Connections served at once (0: [`DEFAULT_MAX_CONNECTIONS`]); always kept below the
    /// open-file limit.
    pub max_connections: usize,
    /// Evaluations run at once (0: [`DEFAULT_MAX_EVALUATIONS`]).
    pub max_evaluations: usize,
    /// Bytes of request bodies held at once (0: [`DEFAULT_BODY_BUDGET`]).
    pub body_budget: usize,
    /// JSON values (object and oldObject) a request may have to be evaluated (0:
    /// [`crate::policy::DEFAULT_MAX_VALUES`]).
    pub max_object_values: usize,
    /// After SIGTERM: keep serving (with /readyz failing) this long, so endpoints are updated.
    pub shutdown_delay: Duration,
    /// Then wait at most this long for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Users' policies (`--policy`), judged on every evaluated request.
    pub policies: Option<std::sync::Arc<kubeward_engine::policies::Policies>>,
    /// Read the cluster's own policies too (with the `--policy` files), and again as they
    /// change; not ready until the first read.
    pub cluster_policies: Option<crate::cluster_policies::ClusterPolicyOptions>,
}

/// Connections served at once unless `--max-connections` says otherwise: an idle TLS
/// connection costs about 10 KB, so 1024 of them about 10 MB.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Evaluations at once unless `--max-evaluations` says otherwise (docs/serve.md, "Memory").
pub const DEFAULT_MAX_EVALUATIONS: usize = 2;
/// Bytes of request bodies held at once unless `--body-budget` says otherwise: three bodies of
/// the largest size (one for each evaluation, one being read); thousands of usual ones.
pub const DEFAULT_BODY_BUDGET: usize = 3 * MAX_BODY;
/// File descriptors never given to connections: the listener, standard streams, certificate
/// reloads, the namespace watch, the runtime's own.
const FD_RESERVE: usize = 64;

/// The bounds in force (after the open-file limit is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub max_evaluations: usize,
    pub body_budget: usize,
    pub max_object_values: usize,
}

impl Limits {
    /// The options' bounds, defaults filled in, connections kept below `open_files` less a
    /// reserve.
    pub fn new(opts: &ServeOptions, open_files: Option<u64>) -> Limits {
        let or = |v: usize, d: usize| if v == 0 { d } else { v };
        let mut max_connections = or(opts.max_connections, DEFAULT_MAX_CONNECTIONS);
        if let Some(n) = open_files {
            let room = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .saturating_sub(FD_RESERVE);
            max_connections = max_connections.min(room.max(1));
        }
        Limits {
            max_connections,
            max_evaluations: or(opts.max_evaluations, DEFAULT_MAX_EVALUATIONS),
            // At least one body of the largest size, or nothing large could be read.
            body_budget: or(opts.body_budget, DEFAULT_BODY_BUDGET).max(MAX_BODY),
            max_object_values: or(opts.max_object_values, crate::policy::DEFAULT_MAX_VALUES),
        }
    }
}

/// Raise the soft limit on open files to the hard limit; returns the soft limit in force.
fn raise_open_file_limit() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit write and read the struct given, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return None;
        }
        if r.rlim_cur < r.rlim_max {
            let want = libc::rlimit {
                rlim_cur: r.rlim_max,
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                r.rlim_cur = r.rlim_max;
            }
        }
    }
    Some(r.rlim_cur)
}

struct State {
    decider: Decider,
    metrics: Metrics,
    read_timeout: Duration,
    stopping: AtomicBool,
    /// One permit per evaluation running.
    evaluations: Arc<Semaphore>,
    /// One permit per byte of request body held.
    bodies: Arc<Semaphore>,
    pool: Pool,
}

type Body = Full<Bytes>;

fn text(code: StatusCode, body: impl Into<String>) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = code;
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl State {
    fn reject(&self, code: StatusCode, message: String) -> hyper::Response<Body> {
        self.metrics.rejected(code.as_u16());
        let message = crate::log::clip(&message, crate::log::MAX_FIELD);
        tracing::warn!(status = code.as_u16(), error = %message, "rejected a request");
        let mut r = text(code, format!("kubeward: {message}\n"));
        if code == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from_static("1"),
            );
        }
        if matches!(
            code,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
        ) {
            // The body was not read to its end, so the connection cannot carry another request:
            // say so (RFC 9112 9.6), or a client may send its next request on a connection the
            // server is closing and see it cut off.
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
        }
        r
    }

    async fn handle(self: Arc<Self>, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
        match (req.method(), req.uri().path()) {
            (&Method::POST, "/validate") => self.admission(req).await,
            (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
            (&Method::GET, "/readyz") => {
                if self.stopping.load(Ordering::Relaxed) {
                    text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
                } else if !self.decider.policies_ready() {
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the cluster's policies not read yet\n",
                    )
                } else if !self.decider.ready() {
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "namespace cache not synced yet\n",
                    )
                } else {
                    text(StatusCode::OK, "ok\n")
                }
            }
            (&Method::GET, "/metrics") => {
                let mut r = text(StatusCode::OK, self.metrics.encode());
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    ),
                );
                r
            }
            (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => self.reject(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method {} not allowed here", req.method()),
            ),
            (_, path) => self.reject(
                StatusCode::NOT_FOUND,
                format!("no route {:?}", crate::log::clip(path, 100)),
            ),
        }
    }

    async fn admission(self: Arc<Self>, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return self.reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body over {MAX_BODY} bytes"),
            );
        }
        // The body is held until the answer is sent: its bytes (the largest size allowed when
        // no length is declared) come out of the body budget first.
        let size = declared.map_or(MAX_BODY, |n| n as usize).max(1);
        let held = match tokio::time::timeout(
            self.read_timeout,
            self.bodies.clone().acquire_many_owned(size as u32),
        )
        .await
        {
            Ok(Ok(p)) => p,
            _ => {
                return self.reject(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "overloaded: no room for a {size}-byte body within {:?}",
                        self.read_timeout
                    ),
                )
            }
        };
        let body = match tokio::time::timeout(
            self.read_timeout,
            read_body(req.into_body(), declared.unwrap_or(0) as usize),
        )
        .await
        {
            Err(_) => {
                return self.reject(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("request body not received within {:?}", self.read_timeout),
                )
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return self.reject(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over {MAX_BODY} bytes"),
                )
            }
            Ok(Err(e)) => {
                return self.reject(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {e}"),
                )
            }
            Ok(Ok(b)) => b,
        };
        let slot =
            match tokio::time::timeout(self.read_timeout, self.evaluations.clone().acquire_owned())
                .await
            {
                Ok(Ok(p)) => p,
                _ => {
                    return self.reject(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "overloaded: no evaluation slot free within {:?}",
                            self.read_timeout
                        ),
                    )
                }
            };
        // Off the I/O threads: an evaluation may take a while, health checks may not wait.
        let state = self.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.run(Box::new(move || {
            let _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit) = (slot, held);
            let _ = tx.send(state.evaluate(&body));
        }));
        match rx.await {
            Ok(Ok(out)) => {
                let mut r = hyper::Response::new(Full::new(Bytes::from(out)));
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                r
            }
            Ok(Err((code, message))) => self.reject(code, message),
            Err(_) => {
                tracing::error!("the evaluation task failed");
                self.reject(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_string(),
                )
            }
        }
    }

    /// Decode, decide, encode (on a blocking thread). A panic in the engine is answered by
    /// `onError` instead of taking the request (or the server) down.
    fn evaluate(&self, body: &[u8]) -> Result<Vec<u8>, (StatusCode, String)> {
        let start = Instant::now();
        let request = review::decode(body).map_err(|e| (StatusCode::BAD_REQUEST, e.0))?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.decider.decide(&request)
        }))
        .unwrap_or_else(|_| {
            self.decider.on_error(
                &request,
                "internal error while evaluating the object".to_string(),
                Vec::new(),
            )
        });
        let out = review::encode(&outcome.response);
        let seconds = start.elapsed().as_secs_f64();
        self.metrics
            .record(request.operation, request.dry_run, &outcome, seconds);
        crate::log::decision(&request, &outcome, seconds);
        Ok(out)
    }
}

/// Read a body of at most [`MAX_BODY`] bytes into one buffer, sized by the declared length:
/// no second copy of a large body.
async fn read_body(
    body: Incoming,
    declared: usize,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let mut body = Limited::new(body, MAX_BODY);
    let mut out = Vec::with_capacity(declared.min(MAX_BODY));
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// A job for the evaluation threads.
type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads for evaluations. Fixed, not tokio's blocking pool: each thread's
/// allocator keeps the memory it freed for its next evaluation, so the memory evaluations
/// hold, in use or cached, is bounded by the number of threads.
struct Pool {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl Pool {
    fn new(threads: usize) -> Result<Pool> {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("kubeward-eval-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A job answers through its channel; a panic drops that, and the
                        // request gets 500. The thread stays for the next one.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                })
                .context("cannot start the evaluation threads")?;
        }
        Ok(Pool {
            jobs: std::sync::Mutex::new(tx),
        })
    }

    /// Queue `job`; callers hold an evaluation slot, so a thread is free for it.
    fn run(&self, job: Job) {
        if let Ok(tx) = self.jobs.lock() {
            let _ = tx.send(job);
        }
    }
}

/// Start cluster access for namespace labels; returns the source.
async fn namespaces(
    source: &NamespaceSource,
    cfg: &WebhookConfig,
) -> Result<Arc<dyn NamespaceLabels>> {
    Ok(match source {
        NamespaceSource::Static => Arc::new(StaticNamespaces(cfg.namespaces.clone())),
        NamespaceSource::Cluster => crate::kube_ns::KubeNamespaces::start().await?,
    })
}

/// Run the server until SIGTERM or SIGINT; blocks. Errors are start-up errors.
pub fn run(opts: ServeOptions) -> Result<()> {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if opts.threads > 0 {
        rt.worker_threads(opts.threads);
    }
    rt.enable_all()
        .build()
        .context("cannot start the runtime")?
        .block_on(serve(opts, shutdown_signal()))
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
    }
}

/// Serve until `stop` resolves, then finish in-flight requests (within the deadline).
pub async fn serve(opts: ServeOptions, stop: impl std::future::Future<Output = ()>) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let open_files = raise_open_file_limit();
    let limits = Limits::new(&opts, open_files);
    let acceptor = match &opts.tls {
        Some((cert, key)) => {
            let files = CertFiles::load(cert.clone(), key.clone())?;
            let cfg = files.server_config()?;
            tokio::spawn(files.clone().watch(opts.cert_reload_interval));
            Some(tokio_rustls::TlsAcceptor::from(cfg))
        }
        None => None,
    };
    let ns = namespaces(&opts.namespaces, &opts.config).await?;
    let policy_client = match &opts.cluster_policies {
        Some(_) => Some(kube::Client::try_default().await.context(
            "cannot configure cluster access for the cluster's policies (in-cluster config or KUBECONFIG); use --no-cluster-policies to run without",
        )?),
        None => None,
    };
    let mut decider = Decider::new(opts.config, ns)
        .with_max_values(limits.max_object_values)
        .with_policies(opts.policies.clone());
    if policy_client.is_some() {
        decider = decider.with_policies_pending();
    }
    let state = Arc::new(State {
        decider,
        metrics: Metrics::new(),
        read_timeout: opts.read_timeout,
        stopping: AtomicBool::new(false),
        evaluations: Arc::new(Semaphore::new(limits.max_evaluations)),
        bodies: Arc::new(Semaphore::new(limits.body_budget)),
        pool: Pool::new(limits.max_evaluations)?,
    });
    if let (Some(client), Some(o)) = (policy_client, opts.cluster_policies.clone()) {
        let st = state.clone();
        tokio::spawn(crate::cluster_policies::run(
            client,
            move |set| st.decider.set_policies(set),
            o,
        ));
    }
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let local = listener.local_addr().unwrap_or(opts.listen);
    tracing::info!(
        address = %local,
        tls = acceptor.is_some(),
        open_files = open_files.unwrap_or(0),
        max_connections = limits.max_connections,
        max_evaluations = limits.max_evaluations,
        body_budget = limits.body_budget,
        max_object_values = limits.max_object_values,
        "kubeward serve listening"
    );

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // A second guard on HTTP/1 (the connection's own deadlines come first): hyper closes
        // a connection whose next request header does not arrive in time.
        .header_read_timeout(opts.read_timeout.max(opts.idle_timeout))
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .keep_alive_interval(Duration::from_secs(30));
    let (stop_tx, stop_rx) = watch::channel(false);
    let cx = Arc::new(Conns {
        state: state.clone(),
        builder,
        acceptor,
        timeouts: Timeouts {
            handshake: opts.handshake_timeout,
            first_request: opts.read_timeout,
            idle: opts.idle_timeout,
        },
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        live: std::sync::Mutex::new(std::collections::HashMap::new()),
        next_id: AtomicU64::new(0),
        waiting: AtomicUsize::new(0),
        stop: stop_rx,
    });
    let mut acceptor_state = AcceptLog::default();
    accept_until(&listener, &cx, &mut acceptor_state, stop).await;

    state.stopping.store(true, Ordering::Relaxed);
    if !opts.shutdown_delay.is_zero() {
        tracing::info!(delay = ?opts.shutdown_delay, "readyz now fails; still serving during the shutdown delay");
        accept_until(
            &listener,
            &cx,
            &mut acceptor_state,
            tokio::time::sleep(opts.shutdown_delay),
        )
        .await;
    }
    drop(listener);
    drop(cx);
    // Every connection holds a receiver: they all close (or the deadline passes).
    let _ = stop_tx.send(true);
    let open = stop_tx.receiver_count();
    tracing::info!(connections = open, deadline = ?opts.shutdown_timeout, "stopped accepting; finishing in-flight requests");
    match tokio::time::timeout(opts.shutdown_timeout, stop_tx.closed()).await {
        Ok(()) => tracing::info!("all connections closed; bye"),
        Err(_) => tracing::warn!("shutdown deadline passed with connections still open; exiting"),
    }
    Ok(())
}

/// The deadlines of a connection's states.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    /// TCP accepted to TLS handshake done.
    handshake: Duration,
    /// Connection ready to its first request header complete.
    first_request: Duration,
    /// Between requests.
    idle: Duration,
}

/// What serving a connection needs.
struct Conns {
    state: Arc<State>,
    builder: auto::Builder<TokioExecutor>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    timeouts: Timeouts,
    /// One permit per open connection.
    slots: Arc<Semaphore>,
    /// Connections past their handshake, to find an idle one to close when all slots are
    /// taken.
    live: std::sync::Mutex<std::collections::HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    /// New connections waiting for the slot of an idle one being closed.
    waiting: AtomicUsize,
    /// Becomes `true` at shutdown.
    stop: watch::Receiver<bool>,
}

/// Warnings of the accept loop, at most one a second (the rest are counted).
#[derive(Default)]
struct AcceptLog {
    last: Option<Instant>,
    quiet: u64,
    /// Backoff after a failed accept (out of file descriptors and the like).
    backoff: Duration,
}

impl AcceptLog {
    fn warn(&mut self, what: &str, error: Option<&std::io::Error>) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            self.quiet += 1;
            return;
        }
        match error {
            Some(e) => tracing::warn!(error = %e, suppressed = self.quiet, "{what}"),
            None => tracing::warn!(suppressed = self.quiet, "{what}"),
        }
        self.last = Some(now);
        self.quiet = 0;
    }
}

/// Accept connections until `stop` resolves; each is served on its own task, while the
/// connection cap allows.
async fn accept_until(
    listener: &TcpListener,
    cx: &Arc<Conns>,
    log: &mut AcceptLog,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    log.backoff = Duration::ZERO;
                    let _ = tcp.set_nodelay(true);
                    match cx.slots.clone().try_acquire_owned() {
                        Ok(slot) => {
                            tokio::spawn(serve_connection(cx.clone(), tcp, peer, slot));
                        }
                        // All slots taken: the connection idle the longest makes room (a
                        // health probe must not lose to a crowd of idle connections) ...
                        Err(_) if cx.waiting.load(Ordering::SeqCst) < FD_RESERVE / 2
                            && cx.evict_idle() =>
                        {
                            cx.waiting.fetch_add(1, Ordering::SeqCst);
                            let cx = cx.clone();
                            tokio::spawn(async move {
                                let slot = tokio::time::timeout(
                                    CLOSE_GRACE * 2,
                                    cx.slots.clone().acquire_owned(),
                                )
                                .await;
                                cx.waiting.fetch_sub(1, Ordering::SeqCst);
                                match slot {
                                    Ok(Ok(slot)) => serve_connection(cx, tcp, peer, slot).await,
                                    _ => cx.state.metrics.connection_refused(),
                                }
                            });
                        }
                        // ... and when every connection is busy, a new one is closed at once:
                        // the client sees the connection end, not a hang.
                        Err(_) => {
                            drop(tcp);
                            cx.state.metrics.connection_refused();
                            log.warn("connection limit reached: closed a new connection", None);
                        }
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    log.warn("accept failed", Some(&e));
                    log.backoff = (log.backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                    tokio::time::sleep(log.backoff).await;
                }
            },
            _ = &mut stop => return,
        }
    }
}

impl Conns {
    /// Ask the connection idle the longest (no request in progress) to close; whether there
    /// was one.
    fn evict_idle(&self) -> bool {
        let Ok(live) = self.live.lock() else {
            return false;
        };
        let victim = live
            .values()
            .filter(|a| {
                a.in_flight.load(Ordering::SeqCst) == 0 && !a.evicted.load(Ordering::SeqCst)
            })
            .min_by_key(|a| a.idle_since_instant());
        match victim {
            Some(a) => {
                a.evicted.store(true, Ordering::SeqCst);
                a.changed.notify_one();
                true
            }
            None => false,
        }
    }

    /// Register a connection past its handshake; it is forgotten when the guard drops.
    fn register(self: &Arc<Self>, activity: &Arc<Activity>) -> impl Drop {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut live) = self.live.lock() {
            live.insert(id, activity.clone());
        }
        let me = self.clone();
        scopeguard(move || {
            if let Ok(mut live) = me.live.lock() {
                live.remove(&id);
            }
        })
    }
}

/// What a connection is doing, for its deadlines: requests in progress, when the last one
/// ended.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    served: AtomicU64,
    /// Milliseconds from `start` to the end of the last request.
    idle_since: AtomicU64,
    /// Asked to close to make room for a new connection.
    evicted: AtomicBool,
    changed: Notify,
}

/// A request in progress on a connection (dropped when it is answered).
struct Busy(Arc<Activity>);

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
            changed: Notify::new(),
        })
    }

    fn idle_since_instant(&self) -> Instant {
        self.start + Duration::from_millis(self.idle_since.load(Ordering::SeqCst))
    }

    fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// When the connection must be closed if nothing happens; `None` while a request is in
    /// progress.
    fn deadline(&self, t: &Timeouts) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        if self.evicted.load(Ordering::SeqCst) {
            return Some(self.start);
        }
        let since = self.idle_since_instant();
        Some(
            since
                + if self.served.load(Ordering::SeqCst) == 0 {
                    t.first_request
                } else {
                    t.idle
                },
        )
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let a = &self.0;
        a.served.fetch_add(1, Ordering::SeqCst);
        let ms = a.start.elapsed().as_millis() as u64;
        a.idle_since.store(ms, Ordering::SeqCst);
        a.in_flight.fetch_sub(1, Ordering::SeqCst);
        a.changed.notify_one();
    }
}

/// How long a connection closed for idleness may take to say goodbye (HTTP/2 GOAWAY).
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serve one connection within its deadlines: closed when idle too long (before its first
/// request or between requests), shut down gracefully when the server stops.
async fn drive<C>(
    conn: C,
    activity: &Activity,
    t: &Timeouts,
    mut stop: watch::Receiver<bool>,
    peer: SocketAddr,
) -> Result<(), C::Error>
where
    C: GracefulConnection,
{
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    let mut closing_since: Option<Instant> = None;
    loop {
        let wake = match closing_since {
            Some(t0) => t0 + CLOSE_GRACE,
            None => activity
                .deadline(t)
                .unwrap_or_else(|| Instant::now() + t.idle.max(t.first_request)),
        };
        tokio::select! {
            r = conn.as_mut() => return r,
            _ = activity.changed.notified() => {
                if closing_since.is_none()
                    && activity.evicted.load(Ordering::SeqCst)
                    && activity.in_flight.load(Ordering::SeqCst) == 0
                {
                    tracing::debug!(peer = %peer, "closing an idle connection to make room");
                    conn.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
            }
            changed = stop.changed(), if !stopping => {
                let _ = changed;
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                if closing_since.is_some() {
                    tracing::debug!(peer = %peer, "an idle connection did not close in time: dropped");
                    return Ok(());
                }
                if activity.deadline(t).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(
                        peer = %peer,
                        requests = activity.served.load(Ordering::Relaxed),
                        "closing an idle connection"
                    );
                    conn.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
            }
        }
    }
}

async fn serve_connection(
    cx: Arc<Conns>,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
) {
    let metrics_state = cx.state.clone();
    metrics_state.metrics.connection_opened();
    let _closed = scopeguard(move || metrics_state.metrics.connection_closed());
    let stop = cx.stop.clone();
    let state = cx.state.clone();
    let result = match &cx.acceptor {
        Some(acceptor) => {
            let tls = match tokio::time::timeout(cx.timeouts.handshake, acceptor.accept(tcp)).await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(peer = %peer, "TLS handshake timed out");
                    return;
                }
            };
            let activity = Activity::new();
            let _registered = cx.register(&activity);
            let conn = cx
                .builder
                .serve_connection(TokioIo::new(tls), service(state, activity.clone()));
            drive(conn, &activity, &cx.timeouts, stop, peer).await
        }
        None => {
            let activity = Activity::new();
            let _registered = cx.register(&activity);
            let conn = cx
                .builder
                .serve_connection(TokioIo::new(tcp), service(state, activity.clone()));
            drive(conn, &activity, &cx.timeouts, stop, peer).await
        }
    };
    if let Err(e) = result {
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}

/// The routes, with each request counted on its connection's activity.
fn service(
    state: Arc<State>,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<Body>,
    Error = std::convert::Infallible,
    Future = impl std::future::Future<
        Output = Result<hyper::Response<Body>, std::convert::Infallible>,
    > + Send,
> + Clone {
    hyper::service::service_fn(move |req| {
        let state = state.clone();
        let busy = activity.busy();
        async move {
            let r = state.handle(req).await;
            drop(busy);
            Ok::<_, std::convert::Infallible>(r)
        }
    })
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
