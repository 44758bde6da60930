use crate::admission::{namespace_object, SYSTEM_NAMESPACES};
use crate::pss::{frameworks, mitre as pss_mitre, nsa as pss_nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a Namespace object labelled `pod-security.kubernetes.io/enforce: privileged`.
    /// `kube-system`, `kube-public` and `kube-node-lease` are skipped: the control plane's
    /// own pods (CNI, kube-proxy) run in `kube-system` and need the `privileged` level.
    ///
    /// ## Why it matters
    /// The `privileged` level enforces nothing: pods in the namespace may run privileged,
    /// share the host's namespaces and mount its file system. Anyone who can create a pod
    /// (or a Deployment, Job, ...) there can take over the node it lands on. A few
    /// infrastructure namespaces (CNI, storage and monitoring agents) need it; application
    /// namespaces should not.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: privileged   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Use `restricted`, or `baseline` where the workloads need it; keep `privileged` for
    /// the namespaces of node-level infrastructure and restrict who may create pods there.
    pub struct NamespacePrivileged;
    id: "KW706",
    name: "namespace-pod-security-privileged",
    title: "Namespace enforces the privileged Pod Security Standard",
    severity: Medium,
    remediation: "Set pod-security.kubernetes.io/enforce to restricted or baseline.",
    frameworks: frameworks(
        None,
        &[pss_nsa::POD_SECURITY],
        &["5.2.1"],
        &[pss_mitre::ESCAPE_TO_HOST],
    ),
}

const LABEL: &str = "pod-security.kubernetes.io/enforce";

impl Control for NamespacePrivileged {
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
        let Some(label) = ns
            .metadata()
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get(LABEL))
        else {
            return;
        };
        if label.as_str() == Some("privileged") {
            cx.report(
                label,
                "metadata.labels['pod-security.kubernetes.io/enforce']".into(),
                format!(
                    "namespace {:?} enforces the \"privileged\" level: its pods may run privileged and use the host's namespaces and file system",
                    ns.name
                ),
            );
        }
    }
}
