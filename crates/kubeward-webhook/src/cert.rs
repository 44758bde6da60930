//! `kubeward cert`: a private CA and a serving certificate signed by it, for the webhook.
//!
//! The API server must trust the webhook's certificate: the CA's PEM, base64-encoded, is the
//! `caBundle` of the ValidatingWebhookConfiguration. ECDSA P-256 keys (rcgen's default, on ring).

use std::net::IpAddr;

use anyhow::{Context as _, Result};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// PEM texts: the CA certificate, and the serving certificate (followed by nothing: the
/// API server trusts the CA directly) and its private key.
pub struct Bundle {
    pub ca_cert: String,
    pub ca_key: String,
    pub cert: String,
    pub key: String,
}

impl Bundle {
    /// The `caBundle` of a webhook configuration: the CA PEM, base64-encoded.
    pub fn ca_bundle(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_cert.as_bytes())
    }
}

/// A CA and a serving certificate for these names (DNS names or IP addresses), valid `days`.
pub fn generate(names: &[String], days: u32) -> Result<Bundle> {
    anyhow::ensure!(
        !names.is_empty(),
        "at least one DNS name or IP address is needed"
    );
    let now = time::OffsetDateTime::now_utc();
    let not_before = now - time::Duration::hours(1);
    let not_after = now + time::Duration::days(i64::from(days));

    let ca_key = KeyPair::generate().context("cannot generate the CA key")?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "kubeward webhook CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = not_before;
    ca.not_after = not_after;
    let ca_cert = ca.self_signed(&ca_key).context("cannot sign the CA")?;
    let issuer = Issuer::new(ca, &ca_key);

    let key = KeyPair::generate().context("cannot generate the serving key")?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n
                .as_str()
                .try_into()
                .map(SanType::DnsName)
                .with_context(|| format!("{n:?} is not a valid DNS name")),
        })
        .collect::<Result<_>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params
        .signed_by(&key, &issuer)
        .context("cannot sign the serving certificate")?;
    Ok(Bundle {
        ca_cert: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Write `ca.crt`, `ca.key`, `tls.crt` and `tls.key` into `dir` (keys mode 0600). Each file is
/// written beside its final name and renamed, so a running server never reads half a file.
pub fn write(bundle: &Bundle, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text, secret) in [
        ("ca.crt", &bundle.ca_cert, false),
        ("ca.key", &bundle.ca_key, true),
        ("tls.crt", &bundle.cert, false),
        ("tls.key", &bundle.key, true),
    ] {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if secret { 0o600 } else { 0o644 });
        }
        let _ = secret;
        {
            use std::io::Write;
            let mut f = opts
                .open(&tmp)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            f.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
