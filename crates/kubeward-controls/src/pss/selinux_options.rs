use crate::pss::{frameworks, go_string, mitre, nsa, pss, setters};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Checks `securityContext.seLinuxOptions` of the pod and of every container (including
    /// init and ephemeral containers) and flags, one finding per field:
    ///
    /// * a `type` other than `container_t`, `container_init_t`, `container_kvm_t` or (from
    ///   Pod Security Standards v1.31) `container_engine_t`; an empty or missing type is fine;
    /// * any non-empty `user`;
    /// * any non-empty `role`.
    ///
    /// `level` is not checked, and comparisons are case-sensitive, as in Pod Security
    /// Admission.
    ///
    /// ## Why it matters
    /// SELinux confines containers through their process label. Choosing another type (e.g.
    /// `spc_t`, "super privileged container", or `unconfined_t`), user or role can lift that
    /// confinement entirely. The Pod Security Standards forbid custom SELinux users, roles and
    /// types at the `baseline` level (check `seLinuxOptions`).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t        # flagged
    ///     user: system_u     # flagged
    ///     level: "s0:c123,c456"
    /// ```
    ///
    /// ## How to fix
    /// Remove `seLinuxOptions.type`, `user` and `role` (set only `level` if you need an MCS
    /// label), or use one of the container types listed above.
    pub struct SeLinuxOptions;
    id: "KW109",
    name: "selinux-options",
    title: "SELinux type, user or role is overridden",
    severity: Medium,
    remediation: "Remove seLinuxOptions.type, user and role, or use container_t, container_init_t, container_kvm_t or container_engine_t.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "seLinuxOptions", 0),
        &[nsa::HARDENING],
        &["5.7.3"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for SeLinuxOptions {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let engine = cx.pss_minor() >= 31;
        for s in setters(pod, "seLinuxOptions") {
            if !s.node.is_map() {
                continue;
            }
            if let (Some(ty), Some(node)) = (go_string(s.node, "type"), s.node.get("type")) {
                let allowed = matches!(
                    ty,
                    "" | "container_t" | "container_init_t" | "container_kvm_t"
                ) || (engine && ty == "container_engine_t");
                if !allowed {
                    cx.report(
                        node,
                        s.path.key("type"),
                        format!(
                            "{} must not set securityContext.seLinuxOptions.type to \"{ty}\"",
                            s.who
                        ),
                    );
                }
            }
            for key in ["user", "role"] {
                let Some(node) = s.node.get(key) else {
                    continue;
                };
                let Some(v) = node.as_str().filter(|v| !v.is_empty()) else {
                    continue;
                };
                cx.report(
                    node,
                    s.path.key(key),
                    format!(
                        "{} must not set securityContext.seLinuxOptions.{key} (found \"{v}\"): {key} may not be set",
                        s.who
                    ),
                );
            }
        }
    }
}
