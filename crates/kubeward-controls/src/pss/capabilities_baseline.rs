use crate::pss::{added_capabilities, frameworks, mitre, nsa, pss, who, BASELINE_CAPABILITIES};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every item of `securityContext.capabilities.add` (in any container, including
    /// init and ephemeral containers) that is not one of the capabilities a container runtime
    /// grants by default: `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`,
    /// `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`.
    ///
    /// The match is exact and case-sensitive, as in Pod Security Admission: `chown` and
    /// `CAP_CHOWN` are not `CHOWN` and are flagged.
    ///
    /// At the `restricted` level (from v1.22) Pod Security Admission replaces this check with
    /// `capabilities_restricted`, which forbids every added capability except
    /// `NET_BIND_SERVICE`. kubeward reports the capabilities outside the default set here
    /// whatever the level, and KW202 (`capabilities-not-dropped`) reports only the default
    /// ones other than `NET_BIND_SERVICE`, so each added capability is reported once. (PSA
    /// exempts Windows pods from the restricted check from v1.25 and so, at `restricted`,
    /// also from this one; kubeward still reports a non-default capability there.)
    ///
    /// ## Why it matters
    /// Capabilities such as `SYS_ADMIN`, `SYS_PTRACE`, `SYS_MODULE` or `NET_ADMIN` give a
    /// container powers that make escaping to the node straightforward; `NET_RAW` allows
    /// packet spoofing and sniffing on the pod network. The Pod Security Standards forbid
    /// adding anything beyond the default set at the `baseline` level (check
    /// `capabilities_baseline`).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     capabilities:
    ///       add: ["NET_ADMIN", "CHOWN"]   # NET_ADMIN flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove the capability from `capabilities.add`. Use the upper-case name without the
    /// `CAP_` prefix for the capabilities that are allowed.
    pub struct CapabilitiesBaseline;
    id: "KW107",
    name: "non-default-capabilities",
    title: "Container adds a non-default capability",
    severity: High,
    remediation: "Remove capabilities outside the runtime's default set from securityContext.capabilities.add.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "capabilities_baseline", 0),
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.8", "5.2.9"],
        &[mitre::ESCAPE_TO_HOST, mitre::NETWORK_SNIFFING],
    ),
}

impl Control for CapabilitiesBaseline {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for (node, cap, path) in added_capabilities(&c) {
                if !BASELINE_CAPABILITIES.contains(&cap) {
                    cx.report(
                        node,
                        path,
                        format!(
                            "{} must not include \"{cap}\" in securityContext.capabilities.add",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}
