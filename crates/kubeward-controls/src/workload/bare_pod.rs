use crate::pss::{frameworks, mitre};
use crate::workload::nsa;
use crate::{control, Context, Control, ControlMeta, Target};

/// Annotations that make a Pod a deployment tool's hook (Helm tests and hooks, Argo CD
/// resource hooks): the tool runs it once, on purpose without a controller.
const HOOK_ANNOTATIONS: [&str; 2] = ["helm.sh/hook", "argocd.argoproj.io/hook"];

control! {
    /// ## What it does
    /// Flags every Pod (core `v1`) without `metadata.ownerReferences`, i.e. a pod that no
    /// controller (Deployment, StatefulSet, DaemonSet, Job...) manages. The finding points at
    /// an empty or null `ownerReferences`, else at `metadata` (or the object when it has
    /// none).
    ///
    /// Pods annotated `helm.sh/hook` (Helm tests such as `templates/tests/test-connection.yaml`,
    /// and install or upgrade hooks) or `argocd.argoproj.io/hook` are not flagged: the
    /// deployment tool runs them once and deletes them, so no controller is expected.
    ///
    /// ## Why it matters
    /// A bare pod is not rescheduled when its node fails or is drained, not rolled out or
    /// rolled back, and escapes the policies and reviews applied to controllers' templates.
    /// Unmanaged pods are also what an attacker with `create pods` leaves behind (MITRE
    /// T1610, deploy container), so in a cluster where everything is managed, they stand out.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: app       # flagged: no ownerReferences
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Run the workload as a Deployment (or StatefulSet, DaemonSet, Job) with this pod spec
    /// as its template.
    pub struct BarePod;
    id: "KW323",
    name: "bare-pod",
    title: "Pod is not managed by a controller",
    severity: Low,
    remediation: "Wrap the pod in a Deployment, StatefulSet, DaemonSet or Job.",
    frameworks: frameworks(None, &[nsa::THREAT_DETECTION], &[], &[mitre::DEPLOY_CONTAINER]),
}

impl Control for BarePod {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.group() != "" || o.kind != "Pod" {
            return;
        }
        let meta = o.metadata().filter(|m| m.is_map());
        if HOOK_ANNOTATIONS.iter().any(|k| o.annotation(k).is_some()) {
            return;
        }
        let owners_field = meta.and_then(|m| m.get("ownerReferences"));
        let owners = owners_field.filter(|n| !n.is_null());
        match owners {
            Some(n) if !n.is_seq() || !n.is_empty() => {}
            _ => cx.report(
                owners_field.or(meta).unwrap_or(o.root),
                kubeward_model::FieldPath::from("metadata.ownerReferences"),
                format!(
                    "Pod \"{}\" has no ownerReferences: no controller recreates it if its node fails",
                    o.name
                ),
            ),
        }
    }
}
