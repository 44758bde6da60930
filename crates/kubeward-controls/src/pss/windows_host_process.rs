use crate::pss::{frameworks, mitre, nsa, pss, setters};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags `securityContext.windowsOptions.hostProcess: true` on the pod or on any container
    /// (including init and ephemeral containers). It applies to every pod, whatever its
    /// `spec.os`, as in Pod Security Admission.
    ///
    /// ## Why it matters
    /// A Windows HostProcess container runs directly on the node as a host process, with
    /// access to the node's file system, network and processes: it is the Windows equivalent
    /// of a privileged container with every host namespace. The Pod Security Standards
    /// forbid it at the `baseline` level (check `windowsHostProcess`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true   # flagged
    ///   hostNetwork: true
    /// ```
    ///
    /// ## How to fix
    /// Remove `hostProcess: true`. Node management tasks that need it belong in a namespace
    /// exempted from the Pod Security Standards.
    pub struct WindowsHostProcess;
    id: "KW112",
    name: "windows-host-process",
    title: "Windows HostProcess container",
    severity: Critical,
    remediation: "Remove securityContext.windowsOptions.hostProcess: true.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "windowsHostProcess", 0),
        &[nsa::POD_SECURITY, nsa::NON_ROOT],
        &["5.2.11"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for WindowsHostProcess {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("hostProcess"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for s in setters(pod, "windowsOptions") {
            let Some(hp) = s.node.get("hostProcess") else {
                continue;
            };
            if hp.as_bool() == Some(true) {
                cx.report(
                    hp,
                    s.path.key("hostProcess"),
                    format!(
                        "{} must not set securityContext.windowsOptions.hostProcess=true",
                        s.who
                    ),
                );
            }
        }
    }
}
