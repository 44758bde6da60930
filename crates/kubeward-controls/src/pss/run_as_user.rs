use crate::pss::{frameworks, mitre, nsa, pss, setters, user_namespace_relaxed};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags `securityContext.runAsUser: 0` on the pod and on every container (including init
    /// and ephemeral containers), one finding per field. A non-zero container value does not
    /// excuse a pod value of `0`. Applies from Pod Security Standards v1.23, the version that
    /// introduced the check; from v1.35 a pod with an explicit `hostUsers: false` (its own
    /// user namespace) is exempt, as in Pod Security Admission.
    ///
    /// ## Why it matters
    /// UID 0 in a container is root on the node's kernel unless the pod has its own user
    /// namespace. Setting it explicitly defeats `runAsNonRoot`, and any escape or writable
    /// host mount is then an escape as root. The Pod Security Standards forbid it at the
    /// `restricted` level (check `runAsUser`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 0   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Set `runAsUser` to a non-zero UID (e.g. `10001`), or remove it and let the image's
    /// `USER` apply together with `runAsNonRoot: true`.
    pub struct RunAsUser;
    id: "KW206",
    name: "run-as-root-user",
    title: "Container runs as UID 0",
    severity: High,
    remediation: "Set securityContext.runAsUser to a non-zero UID, or remove it.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "runAsUser", 23),
        &[nsa::NON_ROOT],
        &["5.2.7"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for RunAsUser {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest(
            "set runAsUser to a non-zero UID the image runs as (10000 or more avoids host UIDs)",
        )
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if user_namespace_relaxed(pod, cx) {
            return;
        }
        for s in setters(pod, "runAsUser") {
            if s.node.as_i64() == Some(0) {
                cx.report(
                    s.node,
                    s.path,
                    format!("{} must not set runAsUser=0", s.who),
                );
            }
        }
    }
}
