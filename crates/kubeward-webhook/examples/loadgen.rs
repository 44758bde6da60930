//! Load generator for `kubeward serve`: HTTPS with keep-alive over N connections (hyper +
//! rustls), in a process of its own.
//!
//! ```sh
//! cargo run --release -p kubeward-webhook --example loadgen -- \
//!     --url https://127.0.0.1:8443/validate --ca certs/ca.crt \
//!     --connections 8 --rate 1000 --duration 20 [--pid SERVER_PID] [--body review.json]
//! ```
//!
//! `--rate R` sends R requests/s in all, each connection on a fixed schedule; latency is
//! measured from when a request was *due*, so a stall counts against every request it delays
//! (no coordinated omission). `--rate 0` sends as fast as responses come back (throughput).
//! `--pid` samples the server's resident memory (VmRSS) every 100 ms and reports the peak.
//! Without `--body`, the request is a typical Deployment that passes baseline and has
//! restricted-level findings (warnings and audit annotations in the answer).

#![recursion_limit = "512"]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

struct Args {
    url: String,
    ca: String,
    connections: usize,
    rate: f64,
    duration: f64,
    warmup: f64,
    pid: Option<u32>,
    body: Option<String>,
    threads: usize,
}

fn args() -> Args {
    let mut a = Args {
        url: "https://127.0.0.1:8443/validate".into(),
        ca: "ca.crt".into(),
        connections: 8,
        rate: 1000.0,
        duration: 10.0,
        warmup: 2.0,
        pid: None,
        body: None,
        threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--url" => a.url = v,
            "--ca" => a.ca = v,
            "--connections" => a.connections = v.parse().expect("--connections N"),
            "--rate" => a.rate = v.parse().expect("--rate R"),
            "--duration" => a.duration = v.parse().expect("--duration SECONDS"),
            "--warmup" => a.warmup = v.parse().expect("--warmup SECONDS"),
            "--pid" => a.pid = Some(v.parse().expect("--pid PID")),
            "--body" => a.body = Some(v),
            "--threads" => a.threads = v.parse().expect("--threads N"),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

fn typical_deployment_review() -> String {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "3f2a1c9e-8a7b-4c1d-9e2f-0a1b2c3d4e5f",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "checkout", "namespace": "shop", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                "uid": "5c1e6b7a", "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
            "object": {
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "checkout", "namespace": "shop",
                    "labels": {"app.kubernetes.io/name": "checkout", "app.kubernetes.io/part-of": "shop", "team": "payments"},
                    "annotations": {"deployment.kubernetes.io/revision": "1"}},
                "spec": {
                    "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": "checkout", "team": "payments"},
                            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}},
                        "spec": {
                            "serviceAccountName": "checkout",
                            "terminationGracePeriodSeconds": 30,
                            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001},
                            "containers": [{
                                "name": "checkout", "image": "registry.example.com/shop/checkout:2.14.3",
                                "imagePullPolicy": "IfNotPresent",
                                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                          {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                                "env": [{"name": "LOG_LEVEL", "value": "info"},
                                        {"name": "DB_HOST", "value": "postgres.shop.svc"},
                                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "checkout-db", "key": "password"}}}],
                                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
                                "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
                                "livenessProbe": {"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 10},
                                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/checkout", "readOnly": true}],
                                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
                            }],
                            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "checkout-config"}}],
                            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"
                        }
                    }
                }
            },
            "oldObject": null, "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "argocd-controller"}
        }
    })
    .to_string()
}

fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct ConnResult {
    latencies_us: Vec<u64>,
    errors: u64,
    denied: u64,
}

async fn connection(
    a: Arc<Args>,
    tls: tokio_rustls::TlsConnector,
    body: Bytes,
    index: usize,
    start: Instant,
    warm_until: Instant,
    end: Instant,
) -> ConnResult {
    let url: hyper::Uri = a.url.parse().expect("--url");
    let host = url.host().unwrap_or("127.0.0.1").to_string();
    let port = url.port_u16().unwrap_or(443);
    let mut out = ConnResult {
        latencies_us: Vec::new(),
        errors: 0,
        denied: 0,
    };
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .expect("connect");
    tcp.set_nodelay(true).ok();
    let name = ServerName::try_from(host.clone()).expect("server name");
    let stream = tls.connect(name, tcp).await.expect("TLS handshake");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(conn);
    // Fixed rate: this connection's share, offset so connections interleave.
    let interval = (a.rate > 0.0).then(|| Duration::from_secs_f64(a.connections as f64 / a.rate));
    let mut due = start
        + interval.map_or(Duration::ZERO, |i| {
            i.mul_f64(index as f64 / a.connections as f64)
        });
    loop {
        if let Some(i) = interval {
            let now = Instant::now();
            if due > now {
                tokio::time::sleep_until(due.into()).await;
            }
            due += i;
        } else {
            due = Instant::now();
        }
        if due >= end {
            break;
        }
        let req = hyper::Request::post(url.path())
            .header("host", host.as_str())
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .expect("request");
        let result = async {
            let resp = sender.send_request(req).await?;
            let ok = resp.status() == 200;
            let b = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((ok, b))
        }
        .await;
        let latency = due.elapsed();
        match result {
            Ok((true, b)) => {
                if due >= warm_until {
                    out.latencies_us.push(latency.as_micros() as u64);
                    if memchr(b"\"allowed\":false", &b) {
                        out.denied += 1;
                    }
                }
            }
            _ => out.errors += 1,
        }
    }
    out
}

fn memchr(needle: &[u8], hay: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn main() {
    let a = Arc::new(args());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&a.ca).expect("--ca PEM") {
            roots.add(c.expect("CA certificate")).expect("CA certificate");
        }
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg));
        let body = Bytes::from(match &a.body {
            Some(p) => std::fs::read(p).expect("--body"),
            None => typical_deployment_review().into_bytes(),
        });
        let start = Instant::now() + Duration::from_millis(200);
        let warm_until = start + Duration::from_secs_f64(a.warmup);
        let end = warm_until + Duration::from_secs_f64(a.duration);
        let sampler = a.pid.map(|pid| {
            tokio::spawn(async move {
                let mut peak = 0;
                while Instant::now() < end {
                    if Instant::now() >= warm_until {
                        peak = peak.max(rss_kb(pid).unwrap_or(0));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                peak
            })
        });
        let tasks: Vec<_> = (0..a.connections)
            .map(|i| {
                tokio::spawn(connection(
                    a.clone(),
                    tls.clone(),
                    body.clone(),
                    i,
                    start,
                    warm_until,
                    end,
                ))
            })
            .collect();
        let mut lat = Vec::new();
        let (mut errors, mut denied) = (0, 0);
        for t in tasks {
            let r = t.await.expect("connection task");
            lat.extend(r.latencies_us);
            errors += r.errors;
            denied += r.denied;
        }
        lat.sort_unstable();
        let q = |p: f64| -> f64 {
            if lat.is_empty() {
                return 0.0;
            }
            let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
            lat[i] as f64 / 1000.0
        };
        let n = lat.len();
        println!(
            "mode={} connections={} body={}B duration={}s requests={} errors={} denied={} achieved={:.0} req/s",
            if a.rate > 0.0 { format!("fixed {} req/s", a.rate) } else { "max".to_string() },
            a.connections,
            body.len(),
            a.duration,
            n,
            errors,
            denied,
            n as f64 / a.duration
        );
        println!(
            "latency ms: p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
            q(0.50),
            q(0.90),
            q(0.99),
            q(0.999),
            q(1.0)
        );
        if let Some(s) = sampler {
            let peak = s.await.unwrap_or(0);
            println!("server peak RSS under load: {:.1} MB", peak as f64 / 1024.0);
        }
    });
}
