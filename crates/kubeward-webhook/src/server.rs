//! The HTTPS server: accept, TLS handshake, HTTP/1.1 or HTTP/2 (ALPN), routes, timeouts,
//! graceful shutdown.
//!
//! Routes: `POST /validate` (AdmissionReview), `GET /healthz`, `GET /readyz`, `GET /metrics`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

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
    /// After SIGTERM: keep serving (with /readyz failing) this long, so endpoints are updated.
    pub shutdown_delay: Duration,
    /// Then wait at most this long for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

struct State {
    decider: Decider,
    metrics: Metrics,
    read_timeout: Duration,
    stopping: AtomicBool,
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
        tracing::warn!(status = code.as_u16(), error = %message, "rejected a request");
        text(code, format!("kubeward: {message}\n"))
    }

    async fn handle(self: Arc<Self>, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
        match (req.method(), req.uri().path()) {
            (&Method::POST, "/validate") => self.admission(req).await,
            (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
            (&Method::GET, "/readyz") => {
                if self.stopping.load(Ordering::Relaxed) {
                    text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
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
            (_, path) => self.reject(StatusCode::NOT_FOUND, format!("no route {path:?}")),
        }
    }

    async fn admission(&self, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
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
        let body = Limited::new(req.into_body(), MAX_BODY);
        let body = match tokio::time::timeout(self.read_timeout, body.collect()).await {
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
            Ok(Ok(b)) => b.to_bytes(),
        };
        let start = Instant::now();
        let request = match review::decode(&body) {
            Ok(r) => r,
            Err(e) => return self.reject(StatusCode::BAD_REQUEST, e.0),
        };
        let outcome = self.decider.decide(&request);
        let out = review::encode(&outcome.response);
        let seconds = start.elapsed().as_secs_f64();
        self.metrics
            .record(request.operation, request.dry_run, &outcome, seconds);
        log(&request, &outcome, seconds);
        let mut r = hyper::Response::new(Full::new(Bytes::from(out)));
        r.headers_mut().insert(
            CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        r
    }
}

/// One line per decision: denials, warnings, audits and errors at info (errors at warn),
/// plain allows at debug.
fn log(req: &review::Request<'_>, o: &crate::policy::Outcome, seconds: f64) {
    let noteworthy = !o.response.allowed
        || !o.response.warnings.is_empty()
        || !o.violations.is_empty()
        || !o.errors.is_empty();
    macro_rules! line {
        ($lvl:ident) => {
            tracing::$lvl!(
                uid = %req.uid,
                operation = req.operation.as_str(),
                kind = %req.kind.kind,
                namespace = %req.namespace,
                name = %req.name,
                subresource = %req.sub_resource,
                user = %req.user_info.username,
                dry_run = req.dry_run,
                allowed = o.response.allowed,
                path = o.path.as_str(),
                enforce = o.levels.map(|l| l.enforce.as_str()).unwrap_or(""),
                warn = o.levels.map(|l| l.warn.as_str()).unwrap_or(""),
                audit = o.levels.map(|l| l.audit.as_str()).unwrap_or(""),
                violations = %o.violations.iter().map(|(c, m)| format!("{c}:{}", m.as_str())).collect::<Vec<_>>().join(","),
                errors = %o.errors.join("; "),
                micros = (seconds * 1e6) as u64,
                "admission"
            )
        };
    }
    if !o.errors.is_empty() {
        line!(warn);
    } else if noteworthy {
        line!(info);
    } else {
        line!(debug);
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
    let state = Arc::new(State {
        decider: Decider::new(opts.config, ns),
        metrics: Metrics::new(),
        read_timeout: opts.read_timeout,
        stopping: AtomicBool::new(false),
    });
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let local = listener.local_addr().unwrap_or(opts.listen);
    tracing::info!(
        address = %local,
        tls = acceptor.is_some(),
        "kubeward serve listening"
    );

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.read_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30));
    let cx = Arc::new(Conns {
        state: state.clone(),
        builder,
        acceptor,
        handshake_timeout: opts.handshake_timeout,
    });
    let graceful = GracefulShutdown::new();
    accept_until(&listener, &cx, &graceful, stop).await;

    state.stopping.store(true, Ordering::Relaxed);
    if !opts.shutdown_delay.is_zero() {
        tracing::info!(delay = ?opts.shutdown_delay, "readyz now fails; still serving during the shutdown delay");
        accept_until(
            &listener,
            &cx,
            &graceful,
            tokio::time::sleep(opts.shutdown_delay),
        )
        .await;
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(connections = open, deadline = ?opts.shutdown_timeout, "stopped accepting; finishing in-flight requests");
    match tokio::time::timeout(opts.shutdown_timeout, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all connections closed; bye"),
        Err(_) => tracing::warn!("shutdown deadline passed with connections still open; exiting"),
    }
    Ok(())
}

/// What serving a connection needs.
struct Conns {
    state: Arc<State>,
    builder: auto::Builder<TokioExecutor>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    handshake_timeout: Duration,
}

/// Accept connections until `stop` resolves; each is served on its own task and watched for
/// graceful shutdown.
async fn accept_until(
    listener: &TcpListener,
    cx: &Arc<Conns>,
    graceful: &GracefulShutdown,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(serve_connection(cx.clone(), tcp, peer, graceful.watcher()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = &mut stop => return,
        }
    }
}

async fn serve_connection(
    cx: Arc<Conns>,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let state = cx.state.clone();
    let svc = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(state.handle(req).await) }
    });
    let result = match &cx.acceptor {
        Some(acceptor) => {
            let tls = match tokio::time::timeout(cx.handshake_timeout, acceptor.accept(tcp)).await {
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
            let conn = cx.builder.serve_connection(TokioIo::new(tls), svc);
            watcher.watch(conn.into_owned()).await
        }
        None => {
            let conn = cx.builder.serve_connection(TokioIo::new(tcp), svc);
            watcher.watch(conn.into_owned()).await
        }
    };
    if let Err(e) = result {
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}
