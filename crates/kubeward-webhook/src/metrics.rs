//! Prometheus metrics (prometheus-client, text exposition at `/metrics`).
//!
//! * `kubeward_admission_requests_total{operation,decision}`: decision is `allow` or `deny`.
//! * `kubeward_admission_evaluations_total{path}`: how each request was decided: `evaluated`,
//!   `exempt`, `not-evaluated` (DELETE, CONNECT, other subresources), `privileged`,
//!   `unchanged-pod-spec`, `error` (answered by `onError`).
//! * `kubeward_admission_violations_total{control,mode}`: violations reported per control
//!   and mode (dry-run requests are not counted: they change nothing in the cluster).
//! * `kubeward_admission_policy_failures_total{policy,outcome}`: users' policies that could
//!   not be evaluated (or compiled), by policy (its control ID) and what its failurePolicy
//!   (`onError` for a Gatekeeper constraint) made of it: `deny` or `allow`.
//! * `kubeward_admission_duration_seconds`: time from the body read to the answer encoded.
//! * `kubeward_http_rejected_total{code}`: requests answered 400, 404, 405, 408, 413, 500,
//!   503 (overloaded).
//! * `kubeward_connections_open`: connections open now.
//! * `kubeward_connections_refused_total`: connections closed at once because the connection
//!   limit was reached.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::policy::{Mode, Outcome};
use crate::review::Operation;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PathLabels {
    path: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ViolationLabels {
    control: &'static str,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyFailureLabels {
    policy: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: u16,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    paths: Family<PathLabels, Counter>,
    violations: Family<ViolationLabels, Counter>,
    policy_failures: Family<PolicyFailureLabels, Counter>,
    rejected: Family<CodeLabels, Counter>,
    duration: Histogram,
    open: Gauge,
    refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kubeward");
        let requests = Family::<RequestLabels, Counter>::default();
        let paths = Family::<PathLabels, Counter>::default();
        let violations = Family::<ViolationLabels, Counter>::default();
        let rejected = Family::<CodeLabels, Counter>::default();
        let policy_failures = Family::<PolicyFailureLabels, Counter>::default();
        // 50 µs .. ~0.8 s
        let duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 15));
        registry.register(
            "admission_requests",
            "Admission requests answered, by operation and decision",
            requests.clone(),
        );
        registry.register(
            "admission_evaluations",
            "How admission requests were decided",
            paths.clone(),
        );
        registry.register(
            "admission_violations",
            "Violations reported, by control and mode (dry-run requests excluded)",
            violations.clone(),
        );
        registry.register(
            "admission_policy_failures",
            "Users' policies that could not be evaluated, by policy and the outcome its failurePolicy gave",
            policy_failures.clone(),
        );
        registry.register(
            "http_rejected",
            "Requests rejected before admission, by HTTP status",
            rejected.clone(),
        );
        registry.register(
            "admission_duration_seconds",
            "Time to decide an admission request",
            duration.clone(),
        );
        let open = Gauge::default();
        let refused = Counter::default();
        registry.register("connections_open", "Connections open now", open.clone());
        registry.register(
            "connections_refused",
            "Connections closed at once because the connection limit was reached",
            refused.clone(),
        );
        Metrics {
            open,
            refused,
            registry,
            requests,
            paths,
            violations,
            policy_failures,
            rejected,
            duration,
        }
    }

    pub fn record(&self, op: Operation, dry_run: bool, outcome: &Outcome, seconds: f64) {
        let decision = if outcome.response.allowed {
            "allow"
        } else {
            "deny"
        };
        self.requests
            .get_or_create(&RequestLabels {
                operation: op.as_str(),
                decision,
            })
            .inc();
        self.paths
            .get_or_create(&PathLabels {
                path: outcome.path.as_str(),
            })
            .inc();
        if !dry_run {
            for &(control, mode) in &outcome.violations {
                self.violations
                    .get_or_create(&ViolationLabels {
                        control,
                        mode: Mode::as_str(mode),
                    })
                    .inc();
            }
        }
        for &(policy, outcome) in &outcome.policy_failures {
            self.policy_failures
                .get_or_create(&PolicyFailureLabels { policy, outcome })
                .inc();
        }
        self.duration.observe(seconds);
    }

    pub fn connection_opened(&self) {
        self.open.inc();
    }

    pub fn connection_closed(&self) {
        self.open.dec();
    }

    pub fn connection_refused(&self) {
        self.refused.inc();
    }

    pub fn rejected(&self, code: u16) {
        self.rejected.get_or_create(&CodeLabels { code }).inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
