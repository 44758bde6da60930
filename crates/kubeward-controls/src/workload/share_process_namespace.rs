use crate::pss::{frameworks, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every pod-bearing object whose pod spec sets `shareProcessNamespace: true`.
    ///
    /// ## Why it matters
    /// With a shared process namespace, every container of the pod sees and can signal the
    /// others' processes, and reads their environment (`/proc/<pid>/environ`) and root
    /// filesystem (`/proc/<pid>/root`) where permissions allow. A compromised sidecar then
    /// reaches the main container's secrets, and the pause process no longer shields PID 1.
    /// Container isolation inside the pod is gone.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   shareProcessNamespace: true   # flagged
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Remove `shareProcessNamespace` (it defaults to `false`). For debugging, attach an
    /// ephemeral container with `kubectl debug --target=<container>` instead.
    pub struct ShareProcessNamespace;
    id: "KW320",
    name: "share-process-namespace",
    title: "Pod shares one process namespace between containers",
    severity: Medium,
    remediation: "Remove shareProcessNamespace: true; use kubectl debug --target for troubleshooting.",
    frameworks: frameworks(None, &[nsa::HARDENING], &["5.7.3"], &[]),
}

impl Control for ShareProcessNamespace {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("shareProcessNamespace"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if let Some(n) = pod.field("shareProcessNamespace") {
            if n.as_bool() == Some(true) {
                cx.report(
                    n,
                    pod.path("shareProcessNamespace"),
                    "pod sets shareProcessNamespace=true: its containers see each other's processes and files",
                );
            }
        }
    }
}
