use crate::pss::{frameworks, mitre, nsa, pss, report_bad_profile_types};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

/// The prefix of the (deprecated) per-container AppArmor annotations.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

control! {
    /// ## What it does
    /// Flags AppArmor profiles other than the runtime default or a profile loaded on the node:
    ///
    /// * `securityContext.appArmorProfile.type` of the pod or of any container (including init
    ///   and ephemeral containers) that is not exactly `RuntimeDefault` or `Localhost`, e.g.
    ///   `Unconfined`, or missing from an `appArmorProfile` object;
    /// * every annotation `container.apparmor.security.beta.kubernetes.io/<name>` whose value
    ///   is not empty, `runtime/default` or `localhost/<profile>`, e.g. `unconfined`.
    ///
    /// Comparisons are case-sensitive, as in Pod Security Admission. Each bad field or
    /// annotation is one finding.
    ///
    /// ## Why it matters
    /// AppArmor confines what a container may do to files, mounts and the network even when it
    /// runs as root. `Unconfined` removes that layer, so a compromised process meets only the
    /// kernel's own checks. The Pod Security Standards forbid overriding or disabling the
    /// default profile at the `baseline` level (check `appArmorProfile`).
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     container.apparmor.security.beta.kubernetes.io/app: unconfined   # flagged
    /// spec:
    ///   securityContext:
    ///     appArmorProfile:
    ///       type: Unconfined   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove the annotation and the field (the container runtime's default profile applies),
    /// or set `appArmorProfile.type: RuntimeDefault`, or `Localhost` with a
    /// `localhostProfile` loaded on every node.
    pub struct AppArmorProfile;
    id: "KW106",
    name: "apparmor-profile",
    title: "AppArmor profile is disabled or overridden",
    severity: High,
    remediation: "Remove the Unconfined AppArmor profile; use RuntimeDefault or a Localhost profile.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "appArmorProfile", 0),
        &[nsa::HARDENING],
        &["5.7.3"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for AppArmorProfile {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        report_bad_profile_types(pod, cx, "appArmorProfile", "AppArmor profile type");
        let Some(annotations) = pod.annotations() else {
            return;
        };
        for (key, value) in annotations.entries() {
            if !key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            let Some(v) = value.as_str() else { continue };
            if v.is_empty() || v == "runtime/default" || v.starts_with("localhost/") {
                continue;
            }
            cx.report(
                value,
                pod.annotation_path(key),
                format!("annotation \"{key}\" must not set AppArmor profile to \"{v}\""),
            );
        }
    }
}
