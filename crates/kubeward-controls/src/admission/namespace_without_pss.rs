use crate::admission::{namespace_object, SYSTEM_NAMESPACES};
use crate::pss::{frameworks, mitre as pss_mitre, nsa as pss_nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a Namespace object without the label `pod-security.kubernetes.io/enforce`.
    /// `kube-system`, `kube-public` and `kube-node-lease` are skipped. The `warn` and
    /// `audit` labels do not count: they report, they do not refuse.
    ///
    /// ## Why it matters
    /// Pod Security Admission enforces a Pod Security Standard on a namespace only when the
    /// namespace says which one; without the label the cluster-wide default applies, which
    /// is `privileged` (everything allowed) unless the API server was configured otherwise.
    /// Labelling each namespace makes the intended level explicit and reviewable. The CIS
    /// Benchmark asks that every namespace have a policy control mechanism (5.2.1).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop            # flagged: no enforce label
    ///   labels:
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## How to fix
    /// Add `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where the
    /// workloads need it), optionally with `pod-security.kubernetes.io/enforce-version`.
    pub struct NamespaceWithoutPss;
    id: "KW705",
    name: "namespace-without-pod-security-labels",
    title: "Namespace does not enforce a Pod Security Standard",
    severity: Medium,
    remediation: "Label the namespace pod-security.kubernetes.io/enforce: restricted (or baseline).",
    frameworks: frameworks(
        None,
        &[pss_nsa::POD_SECURITY],
        &["5.2.1"],
        &[pss_mitre::DEPLOY_CONTAINER, pss_mitre::ESCAPE_TO_HOST],
    ),
}

const PREFIX: &str = "pod-security.kubernetes.io/";

impl Control for NamespaceWithoutPss {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(ns) = namespace_object(t) else {
            return;
        };
        if SYSTEM_NAMESPACES.contains(&ns.name) {
            return;
        }
        let meta = ns.metadata().filter(|m| m.is_map());
        let labels = meta.and_then(|m| m.get("labels")).filter(|l| !l.is_null());
        if labels.is_some_and(|l| !l.is_map()) {
            return;
        }
        if labels
            .and_then(|l| l.get("pod-security.kubernetes.io/enforce"))
            .is_some()
        {
            return;
        }
        let others: Vec<String> = labels
            .map(|l| {
                l.entries()
                    .filter_map(|(k, v)| {
                        let mode = k
                            .strip_prefix(PREFIX)
                            .filter(|m| matches!(*m, "warn" | "audit"))?;
                        v.as_str().map(|v| format!("{mode}={v}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let note = if others.is_empty() {
            String::new()
        } else {
            format!(" (it has {}, which only report)", others.join(", "))
        };
        let at = labels.or(meta).unwrap_or(ns.root);
        cx.report(
            at,
            "metadata.labels['pod-security.kubernetes.io/enforce']".into(),
            format!(
                "namespace {:?} has no pod-security.kubernetes.io/enforce label{note}: the cluster default level applies",
                ns.name
            ),
        );
    }
}
