//! TLS: one rustls `ServerConfig` (ring provider) whose certificate comes from a resolver
//! holding the current certificate and key in an [`ArcSwap`]. A background task re-reads the
//! files every interval and swaps in a new pair when their contents change: handshakes after
//! the swap get the new certificate, connections already open keep theirs, and no request is
//! dropped. A pair that does not load (half written, key not matching) is logged and the
//! previous one stays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parse a certificate chain and key from PEM bytes.
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("bad certificate PEM: {e}"))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in the certificate file");
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| anyhow::anyhow!("bad private key PEM: {e}"))?;
    CertifiedKey::from_der(certs, key, &provider())
        .map_err(|e| anyhow::anyhow!("certificate and key do not go together: {e}"))
}

#[derive(Debug)]
pub struct Resolver {
    current: ArcSwap<CertifiedKey>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The certificate files and what was last loaded from them.
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub resolver: Arc<Resolver>,
    last: std::sync::Mutex<(Vec<u8>, Vec<u8>)>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

impl CertFiles {
    /// Load the pair once; an error here stops the server from starting.
    pub fn load(cert: PathBuf, key: PathBuf) -> Result<Arc<CertFiles>> {
        let (c, k) = (read(&cert)?, read(&key)?);
        let ck = certified_key(&c, &k)
            .with_context(|| format!("{} and {}", cert.display(), key.display()))?;
        Ok(Arc::new(CertFiles {
            cert,
            key,
            resolver: Arc::new(Resolver {
                current: ArcSwap::from_pointee(ck),
            }),
            last: std::sync::Mutex::new((c, k)),
        }))
    }

    /// Re-read the files; swap the certificate in if they changed and load. Returns whether it
    /// swapped.
    pub fn reload(&self) -> Result<bool> {
        let (c, k) = (read(&self.cert)?, read(&self.key)?);
        let mut last = self
            .last
            .lock()
            .map_err(|_| anyhow::anyhow!("certificate state poisoned"))?;
        if last.0 == c && last.1 == k {
            return Ok(false);
        }
        let ck = certified_key(&c, &k)?;
        self.resolver.current.store(Arc::new(ck));
        *last = (c, k);
        Ok(true)
    }

    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.resolver.clone());
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }

    /// Poll the files every `every` until the process ends.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let me = self.clone();
            match tokio::task::spawn_blocking(move || me.reload()).await {
                Ok(Ok(true)) => tracing::info!(
                    cert = %self.cert.display(),
                    key = %self.key.display(),
                    "reloaded the serving certificate"
                ),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "cannot reload the serving certificate; keeping the current one"
                ),
                Err(e) => tracing::warn!(error = %e, "certificate reload task failed"),
            }
        }
    }
}
