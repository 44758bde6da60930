use crate::pss::frameworks;
use crate::workload::{mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every pod-bearing object whose pod runs as the namespace's `default`
    /// ServiceAccount: `serviceAccountName` set to `default`, or neither
    /// `serviceAccountName` nor its deprecated alias `serviceAccount` set (empty or null
    /// counts as not set, and is reported at the empty `serviceAccountName`). When
    /// `serviceAccountName` is empty and `serviceAccount` is set, `serviceAccount` is the
    /// one checked, as the API server does.
    ///
    /// ## Why it matters
    /// Every pod in a namespace that does not name an account shares `default`. A role bound
    /// to `default` for one workload is then granted to all of them, and the account cannot
    /// be audited or restricted per workload. CIS 5.1.5: default service accounts should not
    /// be actively used.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   serviceAccountName: default   # flagged (and so is leaving it out)
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Create a ServiceAccount per workload, bind it only the roles that workload needs, and
    /// set `serviceAccountName` to it. Leave `default` with no bindings and
    /// `automountServiceAccountToken: false`.
    pub struct DefaultServiceAccount;
    id: "KW311",
    name: "default-service-account",
    title: "Pod uses the default service account",
    severity: Medium,
    remediation: "Create a dedicated ServiceAccount for the workload and set serviceAccountName to it.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC],
        &["5.1.5"],
        &[mitre::VALID_ACCOUNTS],
    ),
}

impl Control for DefaultServiceAccount {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        // serviceAccountName wins; the deprecated serviceAccount is used when it is empty.
        let named = ["serviceAccountName", "serviceAccount"]
            .into_iter()
            .filter_map(|key| pod.field(key).map(|n| (key, n)))
            .find(|(_, n)| n.as_str().is_none_or(|s| !s.is_empty()));
        match named {
            Some((key, n)) => {
                if n.as_str() == Some("default") {
                    cx.report(
                        n,
                        pod.path(key),
                        format!(
                            "pod sets {key} to \"default\", the namespace's shared service account"
                        ),
                    );
                }
            }
            None => {
                // An empty or null serviceAccountName is written down: point at it.
                let written = pod.spec.and_then(|s| s.get("serviceAccountName"));
                let how = if written.and_then(|n| n.as_str()) == Some("") {
                    "sets serviceAccountName to \"\""
                } else {
                    "does not set serviceAccountName"
                };
                cx.report(
                    written.unwrap_or_else(|| pod.spec_anchor()),
                    pod.path("serviceAccountName"),
                    format!("pod {how}, so it runs as the namespace's \"default\" service account"),
                );
            }
        }
    }
}
