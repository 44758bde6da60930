//! kubeward-webhook: kubeward as a validating admission webhook.
//!
//! One job: an `admission.k8s.io/v1` AdmissionReview in, a decision out, with the same engine
//! and controls as `kubeward scan`. [`review`] decodes and encodes the envelope, [`policy`]
//! decides (levels per mode, exemptions, failure mode), [`config`] reads the webhook's config
//! file, [`server`] serves it over HTTPS with certificate reload ([`tls`]), metrics
//! ([`metrics`]) and graceful shutdown; [`cert`] makes a CA and serving certificate.

pub mod cert;
pub mod cluster_policies;
pub mod config;
pub mod kube_ns;
pub mod log;
pub mod metrics;
pub mod policy;
pub mod review;
pub mod server;
pub mod tls;

pub use config::{OnError, WebhookConfig};
pub use policy::{Decider, Level, Levels, Mode, NamespaceLabels, Outcome, StaticNamespaces};
pub use server::{serve, NamespaceSource, ServeOptions};

/// The largest request body accepted (the API server's own limit on an object is 3 MiB, plus
/// the envelope): larger gets 413.
pub const MAX_BODY: usize = 3 << 20;

/// JSON logs on standard error, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests;
