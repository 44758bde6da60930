use crate::pss::{frameworks, mitre, nsa, pss, sc_wrong_type, who, windows_exempt};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) that does not set
    /// `securityContext.allowPrivilegeEscalation: false` explicitly: `true` is flagged at the
    /// field, a missing field at the container's `securityContext` (or the container when it
    /// has none). There is no pod-level field. Applies from Pod Security Standards v1.8, the
    /// version that introduced the check; from v1.25 Windows pods (`spec.os.name: windows`)
    /// are exempt, as in Pod Security Admission.
    ///
    /// ## Why it matters
    /// Unless privilege escalation is disabled, a process in the container can gain more
    /// privileges than its parent, through setuid or setgid binaries or file capabilities, and
    /// so become root even when the container starts as a non-root user. The Pod Security
    /// Standards require `allowPrivilegeEscalation: false` at the `restricted` level (check
    /// `allowPrivilegeEscalation`).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:            # flagged: allowPrivilegeEscalation is not set
    ///     runAsNonRoot: true
    /// ```
    ///
    /// ## How to fix
    /// Add `allowPrivilegeEscalation: false` to every container's `securityContext`.
    pub struct AllowPrivilegeEscalation;
    id: "KW201",
    name: "allow-privilege-escalation",
    title: "Container allows privilege escalation",
    severity: Medium,
    remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "allowPrivilegeEscalation", 8),
        &[nsa::NON_ROOT, nsa::POD_SECURITY],
        &["5.2.6"],
        &[mitre::ABUSE_ELEVATION, mitre::PRIV_ESC_EXPLOIT],
    ),
}

impl Control for AllowPrivilegeEscalation {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("allowPrivilegeEscalation"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if windows_exempt(pod, cx) {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            let path = c.sc_path().key("allowPrivilegeEscalation");
            match c.sc("allowPrivilegeEscalation") {
                None => cx.report(
                    c.sc_anchor(),
                    path,
                    format!(
                        "{} must set securityContext.allowPrivilegeEscalation=false",
                        who(&c)
                    ),
                ),
                Some(n) => {
                    if n.as_bool() == Some(true) {
                        cx.report(
                            n,
                            path,
                            format!(
                                "{} must set securityContext.allowPrivilegeEscalation=false, not true",
                                who(&c)
                            ),
                        );
                    }
                }
            }
        }
    }
}
