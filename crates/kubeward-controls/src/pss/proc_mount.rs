use crate::pss::{frameworks, mitre, nsa, pss, report_proc_mounts, user_namespace_relaxed};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) whose
    /// `securityContext.procMount` is set to anything but `Default`, e.g. `Unmasked`.
    ///
    /// From Pod Security Standards v1.35 a pod with an explicit `hostUsers: false` (it runs in
    /// its own user namespace) is exempt, as in Pod Security Admission's v1.35 variant of the
    /// check. Below v1.35 there is no exemption.
    ///
    /// At the `restricted` level (from v1.35) Pod Security Admission replaces this check with
    /// `procMount_restricted`, which has no `hostUsers: false` exemption. kubeward reports
    /// everything the baseline check forbids here, and KW203
    /// (`unmasked-proc-mount-user-namespace`) reports only the `hostUsers: false` case this
    /// control lets through, so each field is reported once.
    ///
    /// ## Why it matters
    /// The container runtime masks and makes read-only the parts of `/proc` that expose or
    /// change the host kernel (`/proc/sys`, `/proc/kcore`, `/proc/sysrq-trigger`, ...).
    /// `Unmasked` removes that protection. The Pod Security Standards forbid it at the
    /// `baseline` level (check `procMount`).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     procMount: Unmasked   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`.
    pub struct ProcMount;
    id: "KW108",
    name: "unmasked-proc-mount",
    title: "Container unmasks /proc",
    severity: High,
    remediation: "Remove securityContext.procMount or set it to Default.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "procMount", 0),
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.7.3"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for ProcMount {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if user_namespace_relaxed(pod, cx) {
            return;
        }
        report_proc_mounts(pod, cx, "");
    }
}
