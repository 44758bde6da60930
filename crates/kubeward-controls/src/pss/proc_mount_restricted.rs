use crate::pss::{frameworks, mitre, nsa, pss, report_proc_mounts, user_namespace_relaxed};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags containers (including init and ephemeral containers) that set
    /// `securityContext.procMount` to anything but `Default` in pods with `hostUsers: false`.
    /// Applies from Pod Security Standards v1.35, the version that introduced the check.
    ///
    /// Pod Security Admission's `procMount_restricted` forbids a non-Default `procMount` in
    /// every pod and replaces the baseline `procMount` check at the `restricted` level. The
    /// baseline check (KW108, `unmasked-proc-mount`) already reports every pod without
    /// `hostUsers: false`; this control reports only the user-namespace pods that the
    /// baseline check exempts from v1.35, so a restricted scan reports each field once.
    ///
    /// ## Why it matters
    /// A user namespace limits what root in the container means on the host, but an unmasked
    /// `/proc` still exposes kernel interfaces that the runtime normally hides. The
    /// `restricted` level keeps `/proc` masked whatever the user namespace setting.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    ///     securityContext:
    ///       procMount: Unmasked   # flagged at restricted
    /// ```
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`.
    pub struct ProcMountRestricted;
    id: "KW203",
    name: "unmasked-proc-mount-user-namespace",
    title: "Container unmasks /proc in a user-namespace pod",
    severity: Medium,
    remediation: "Remove securityContext.procMount or set it to Default, even with hostUsers: false.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "procMount_restricted", 35),
        &[nsa::HARDENING],
        &["5.7.3"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for ProcMountRestricted {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        // Everything else is KW108's.
        if !user_namespace_relaxed(pod, cx) {
            return;
        }
        report_proc_mounts(
            pod,
            cx,
            " (hostUsers: false does not allow it at restricted)",
        );
    }
}
