use kubeward_model::FieldPath;

use crate::pss::{frameworks, nsa as pss_nsa};
use crate::workload::mitre;
use crate::{control, Context, Control, ControlMeta, Target};

/// The label the API server puts on a legacy token Secret when the token is used (v1.26+).
const LAST_USED: &str = "kubernetes.io/legacy-token-last-used";
/// The label the legacy token cleaner puts on a token it invalidated (v1.28+).
const INVALID_SINCE: &str = "kubernetes.io/legacy-token-invalid-since";

control! {
    /// ## What it does
    /// Flags a `kubernetes.io/service-account-token` Secret: a long-lived, never-expiring
    /// token of the ServiceAccount its `kubernetes.io/service-account.name` annotation
    /// names. The message gives the date the API server last saw the token used (the
    /// `kubernetes.io/legacy-token-last-used` label, Kubernetes 1.26 and later) when there is
    /// one. Tokens the API server already invalidated (the
    /// `kubernetes.io/legacy-token-invalid-since` label) are not flagged. The finding points
    /// at `type` or, for a Secret listed metadata only by `kubeward cluster` (no `type`), at
    /// the annotation; only metadata is read, never the token.
    ///
    /// ## Why it matters
    /// Since Kubernetes 1.24 pods get short-lived, audience-bound tokens that the kubelet
    /// rotates. A token Secret is the old kind: valid until the Secret is deleted, readable
    /// by everyone who may read Secrets in the namespace, copied into CI systems and
    /// kubeconfigs, and still valid after the person who copied it leaves.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: ci-deployer-token
    ///   annotations:
    ///     kubernetes.io/service-account.name: ci-deployer
    /// type: kubernetes.io/service-account-token       # flagged
    /// ```
    ///
    /// ## How to fix
    /// Use short-lived tokens: projected service account tokens in pods, `kubectl create
    /// token` (the TokenRequest API) for clients outside the cluster, or workload identity
    /// federation for CI. Then delete the Secret, which revokes the token.
    pub struct LegacyTokenSecret;
    id: "KW904",
    name: "legacy-service-account-token-secret",
    title: "Long-lived service account token Secret",
    severity: Medium,
    remediation: "Use short-lived tokens (projected tokens, kubectl create token, workload identity) and delete the token Secret.",
    frameworks: frameworks(
        None,
        &[pss_nsa::SA_TOKENS],
        &["5.1.6"],
        &[mitre::STEAL_APP_TOKEN, mitre::VALID_ACCOUNTS],
    ),
}

impl Control for LegacyTokenSecret {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(o) = super::secret(t) else { return };
        // `kubeward cluster` lists Secrets as metadata only: without `type`, the annotation
        // that only token Secrets carry tells.
        let type_node = o.root.get("type").filter(|n| !n.is_null());
        let token = match type_node {
            Some(n) => n.as_str() == Some("kubernetes.io/service-account-token"),
            None => {
                o.root.get("data").is_none()
                    && o.annotation("kubernetes.io/service-account.name").is_some()
            }
        };
        if !token {
            return;
        }
        let (node, path) = match type_node {
            Some(n) => (n, FieldPath::from("type")),
            None => (
                o.annotations()
                    .and_then(|a| a.get("kubernetes.io/service-account.name"))
                    .unwrap_or(o.root),
                FieldPath::from("metadata")
                    .key("annotations")
                    .key("kubernetes.io/service-account.name"),
            ),
        };
        let label = |key: &str| super::label(&o, key);
        if label(INVALID_SINCE).is_some() {
            return;
        }
        let account = o
            .annotation("kubernetes.io/service-account.name")
            .unwrap_or("(no kubernetes.io/service-account.name)");
        let used = match label(LAST_USED) {
            Some(date) => format!(", last used {date}"),
            None => String::new(),
        };
        cx.report(
            node,
            path,
            format!(
                "Secret {:?} holds a long-lived token of ServiceAccount {account:?} that never expires{used}",
                o.name
            ),
        );
    }
}
