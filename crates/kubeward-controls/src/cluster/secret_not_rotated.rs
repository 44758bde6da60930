use kubeward_model::FieldPath;

use crate::pss::frameworks;
use crate::secrets::{mitre as secrets_mitre, nsa};
use crate::workload::mitre;
use crate::{control, Context, Control, ControlMeta, Target};

/// The Secret types that hold credentials a person or a system chose, and must rotate:
/// generic (`Opaque`, also when `type` is absent), basic-auth, ssh-auth and TLS.
const CREDENTIAL_TYPES: &[&str] = &[
    "Opaque",
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/tls",
];

/// Annotations of Secrets that a controller renews in place (the object, and so its
/// creationTimestamp, stays while the credential changes).
const RENEWED_IN_PLACE: &[&str] = &["cert-manager.io/certificate-name"];

control! {
    /// ## What it does
    /// Flags a credential Secret (`type` Opaque or absent, `kubernetes.io/basic-auth`,
    /// `kubernetes.io/ssh-auth` or `kubernetes.io/tls`) whose `metadata.creationTimestamp` is
    /// older than the maximum age: 90 days, or `secretMaxAgeDays` in the config file. Only
    /// the metadata is read, never the data. The finding points at `creationTimestamp`.
    ///
    /// Objects from a live cluster or a `kubectl get -o yaml` dump carry a creationTimestamp;
    /// manifests usually do not, and are then not judged. `kubeward cluster` lists Secrets as
    /// metadata only (it never holds their values), so their `type` is not known there: such a
    /// Secret is judged unless its metadata shows it is a service account token (KW904), a Helm
    /// release record or a bootstrap token. Secrets that cert-manager renews in
    /// place (annotated `cert-manager.io/certificate-name`) are skipped. A Secret whose data
    /// is rotated in place keeps its creationTimestamp: replace it (a new object) or suppress
    /// the finding with the reason (`kubeward.io/ignore: "KW903: rotated in place by X"`).
    ///
    /// ## Why it matters
    /// Credentials leak: into logs, backups, laptops, former colleagues' shells, CI caches.
    /// A credential that never changes stays valid for whoever copied it, for as long as it
    /// exists. NSA/CISA and the CIS Benchmark ask for regular rotation, so that a leaked
    /// secret expires on its own and rotation is a routine, not an emergency.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: db-password
    ///   creationTimestamp: "2025-01-10T08:00:00Z"   # flagged when older than 90 days
    /// type: Opaque
    /// ```
    ///
    /// ## How to fix
    /// Rotate the credential at its source and replace the Secret, or let an operator do it
    /// (External Secrets with a refresh interval, a Vault dynamic secret, cert-manager for
    /// certificates).
    pub struct SecretNotRotated;
    id: "KW903",
    name: "secret-not-rotated",
    title: "Credential Secret older than the maximum age",
    severity: Low,
    remediation: "Rotate the credential and replace the Secret, or manage it with an operator that rotates it (External Secrets, Vault, cert-manager).",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[],
        &[secrets_mitre::CONTAINER_API, mitre::VALID_ACCOUNTS],
    ),
}

/// Seconds since the epoch of an RFC 3339 time (`2026-01-10T08:00:00Z`).
pub(crate) fn unix_time(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Secrets whose metadata shows what they are when their type is not known: service account
/// tokens (KW904's), Helm release records, bootstrap tokens (which expire).
fn not_a_chosen_credential(o: &kubeward_model::Object<'_>) -> bool {
    let label = |key: &str| super::label(o, key);
    o.annotation("kubernetes.io/service-account.name").is_some()
        || (label("owner") == Some("helm") && o.name.starts_with("sh.helm.release."))
        || o.name.starts_with("bootstrap-token-")
}

impl Control for SecretNotRotated {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(o) = super::secret(t) else { return };
        let o = &o;
        let kind = match o.root.get("type").filter(|n| !n.is_null()) {
            Some(n) => match n.as_str() {
                Some(s) => s,
                None => return,
            },
            // A manifest without `type` is Opaque; a Secret listed metadata-only by
            // `kubeward cluster` (no type, no data) may be any type: judged unless its
            // metadata shows it is not a credential someone chose.
            None if o.root.get("data").is_some() || o.root.get("stringData").is_some() => "Opaque",
            None if not_a_chosen_credential(o) => return,
            None => "credential",
        };
        if kind != "credential" && !CREDENTIAL_TYPES.contains(&kind) {
            return;
        }
        if RENEWED_IN_PLACE.iter().any(|a| o.annotation(a).is_some()) {
            return;
        }
        let Some(node) = o.metadata().and_then(|m| m.get("creationTimestamp")) else {
            return;
        };
        let Some(created) = node.as_str().and_then(unix_time) else {
            return;
        };
        let days = (cx.settings.now_unix() - created).div_euclid(86_400);
        let max = i64::from(cx.settings.secret_max_age_days);
        if days <= max {
            return;
        }
        let date = node.as_str().unwrap_or("").get(..10).unwrap_or("");
        cx.report(
            node,
            FieldPath::from("metadata.creationTimestamp"),
            if kind == "credential" {
                format!(
                    "Secret {:?} (type not listed: Secrets are read as metadata only) was created {days} days ago ({date}), more than the {max} allowed: rotate its credential",
                    o.name
                )
            } else {
                format!(
                    "{kind} Secret {:?} was created {days} days ago ({date}), more than the {max} allowed: rotate its credential",
                    o.name
                )
            },
        );
    }
}
