use crate::pss::{frameworks, mitre, nsa, pss};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags pods that set `hostNetwork`, `hostPID` or `hostIPC` to `true`, one finding per
    /// field.
    ///
    /// ## Why it matters
    /// Sharing the node's namespaces removes the isolation between the pod and the host: with
    /// `hostPID` a container sees (and, with enough privilege, can ptrace or signal) every
    /// process on the node; with `hostIPC` it can read other processes' shared memory; with
    /// `hostNetwork` it binds to the node's interfaces, reaches services listening on
    /// localhost and bypasses NetworkPolicy. The Pod Security Standards forbid all three at the
    /// `baseline` level (check `hostNamespaces`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true   # flagged
    ///   hostPID: true       # flagged
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Remove the fields (they default to `false`). Expose network services through a Service
    /// instead of the host network; node agents that truly need the host's namespaces belong
    /// in a namespace exempted from the Pod Security Standards.
    pub struct HostNamespaces;
    id: "KW102",
    name: "host-namespaces",
    title: "Pod shares the host's network, PID or IPC namespace",
    severity: High,
    remediation: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "hostNamespaces", 0),
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.3", "5.2.4", "5.2.5"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for HostNamespaces {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(None, "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if let Some(n) = pod.field(key) {
                if n.as_bool() == Some(true) {
                    cx.report(n, pod.path(key), format!("pod must not set {key}=true"));
                }
            }
        }
    }
}
