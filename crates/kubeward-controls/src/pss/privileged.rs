use crate::pss::{frameworks, mitre, nsa, pss, who};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags containers (including init and ephemeral containers) that set
    /// `securityContext.privileged: true`.
    ///
    /// ## Why it matters
    /// A privileged container runs with every capability and every device of the host, and
    /// without seccomp, AppArmor or SELinux confinement. Escaping to the node is trivial: mount
    /// the host disk, load a kernel module, or write to `/proc/sys`. The Pod Security Standards
    /// forbid it at the `baseline` level (check `privileged`).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     privileged: true   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove `privileged: true` (or set it to `false`). If the workload needs one specific
    /// power, grant only that capability, or move the work to a node-level component.
    pub struct Privileged;
    id: "KW101",
    name: "privileged-container",
    title: "Container runs privileged",
    severity: Critical,
    remediation: "Remove securityContext.privileged: true (or set it to false); grant only the capability the container needs.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "privileged", 0),
        &[nsa::NON_ROOT, nsa::POD_SECURITY],
        &["5.2.2"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for Privileged {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("privileged"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            if let Some(p) = c.sc("privileged") {
                if p.as_bool() == Some(true) {
                    cx.report(
                        p,
                        c.sc_path().key("privileged"),
                        format!("{} must not set securityContext.privileged=true", who(&c)),
                    );
                }
            }
        }
    }
}
