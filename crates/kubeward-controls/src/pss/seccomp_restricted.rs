use crate::pss::{
    frameworks, mitre, nsa, profile_type_valid, pss, sc_wrong_type, who, windows_exempt,
};
use crate::{control, Context, Control, ControlMeta, Fix, FixAction, FixEdit, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) that has no valid
    /// seccomp profile: neither its own `securityContext.seccompProfile` nor the pod's
    /// `spec.securityContext.seccompProfile` has type `RuntimeDefault` or `Localhost`.
    /// The finding points at the container's `securityContext` (or the container when it has
    /// none). Applies from Pod Security Standards v1.19, the version that introduced the
    /// check; from v1.25 Windows pods (`spec.os.name: windows`) are exempt, as in Pod Security
    /// Admission. Annotations are not consulted.
    ///
    /// Pod Security Admission's `seccompProfile_restricted` check also forbids explicitly bad
    /// types (`Unconfined`) and replaces `seccompProfile_baseline` at the `restricted` level.
    /// kubeward reports explicitly bad types with KW110 (`seccomp-unconfined`), whose v1.19+
    /// variant flags exactly those, so this control reports only the missing profiles and each
    /// problem is reported once. A container whose own profile is bad is KW110's; a container
    /// with no profile in a pod whose profile is bad is reported here.
    ///
    /// ## Why it matters
    /// Without a profile, many runtimes run containers `Unconfined`, exposing the whole
    /// system-call surface of the node's kernel. The `restricted` level of the Pod Security
    /// Standards requires the runtime's default filter or a stricter one on every container.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app             # flagged: no seccomp profile from pod or container
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext` (it applies
    /// to every container), or in each container's.
    pub struct SeccompRestricted;
    id: "KW207",
    name: "seccomp-profile-missing",
    title: "Container has no seccomp profile",
    severity: Medium,
    remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or each container).",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "seccompProfile_restricted", 19),
        &[nsa::HARDENING],
        &["5.7.2"],
        &[mitre::ESCAPE_TO_HOST, mitre::PRIV_ESC_EXPLOIT],
    ),
}

impl Control for SeccompRestricted {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Edit(FixEdit {
            field: Some("seccompProfile"),
            action: FixAction::Set {
                under: &["type"],
                value: "RuntimeDefault",
            },
        })
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if windows_exempt(pod, cx) {
            return;
        }
        let pod_valid = pod.psc("seccompProfile").and_then(profile_type_valid) == Some(true);
        if pod_valid {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            // A container profile that is set is either valid, KW110's (bad type), or of the
            // wrong type (the shape check's).
            if c.sc("seccompProfile").is_some() {
                continue;
            }
            cx.report(
                c.sc_anchor(),
                c.sc_path().key("seccompProfile"),
                format!(
                    "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                    who(&c)
                ),
            );
        }
    }
}
