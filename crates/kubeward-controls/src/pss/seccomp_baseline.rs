use std::collections::BTreeSet;

use crate::pss::{frameworks, mitre, nsa, pss, report_bad_profile_types};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

control! {
    /// ## What it does
    /// Flags seccomp profiles that disable or replace the runtime's default filter. What is
    /// read depends on the Pod Security Standards version, exactly as in Pod Security
    /// Admission's `seccompProfile_baseline` check:
    ///
    /// * **v1.0 to v1.18**: the annotations `seccomp.security.alpha.kubernetes.io/pod` and
    ///   `container.seccomp.security.alpha.kubernetes.io/<container name>` (for containers of
    ///   the pod) must be `runtime/default`, `docker/default` or `localhost/<profile>`; any
    ///   other value, the empty string included, is flagged. Fields are ignored.
    /// * **v1.19 and later**: `securityContext.seccompProfile.type` of the pod and of every
    ///   container (including init and ephemeral containers), when a `seccompProfile` is
    ///   given, must be `RuntimeDefault` or `Localhost` (case-sensitive); `Unconfined` or a
    ///   missing type is flagged. Annotations are ignored.
    ///
    /// At the `restricted` level (from v1.19) Pod Security Admission replaces this check with
    /// `seccompProfile_restricted`, which also requires a profile to be set. kubeward reports
    /// the explicitly bad profiles here, and KW207 (`seccomp-profile-missing`) reports only the
    /// containers left without any valid profile, so each problem is reported once. (PSA
    /// exempts Windows pods from the restricted check from v1.25 and so, at `restricted`,
    /// also from this one; kubeward still reports an explicit `Unconfined` there.)
    ///
    /// ## Why it matters
    /// Seccomp filters the system calls a container may make. The runtime's default profile
    /// blocks dozens of calls that are rarely needed and often used in kernel exploits
    /// (`keyctl`, `unshare`, `bpf`, ...). `Unconfined` exposes the whole kernel surface. The
    /// Pod Security Standards forbid it at the `baseline` level.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: Unconfined   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Set `seccompProfile.type: RuntimeDefault` (or `Localhost` with a profile present on
    /// every node), or remove the `Unconfined` profile; replace the deprecated annotations
    /// with the `seccompProfile` field.
    pub struct SeccompBaseline;
    id: "KW110",
    name: "seccomp-unconfined",
    title: "Seccomp profile is disabled or overridden",
    severity: High,
    remediation: "Use seccompProfile type RuntimeDefault or Localhost instead of Unconfined.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "seccompProfile_baseline", 0),
        &[nsa::HARDENING],
        &["5.7.2"],
        &[mitre::ESCAPE_TO_HOST, mitre::PRIV_ESC_EXPLOIT],
    ),
}

fn annotation_allowed(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

impl Control for SeccompBaseline {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("type"), "RuntimeDefault")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if cx.pss_minor() >= 19 {
            report_bad_profile_types(
                pod,
                cx,
                "seccompProfile",
                "securityContext.seccompProfile.type",
            );
            return;
        }
        let mut keys = vec![POD_ANNOTATION.to_string()];
        let mut seen = BTreeSet::new();
        for c in pod.containers() {
            if seen.insert(c.name) {
                keys.push(format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name));
            }
        }
        for key in keys {
            let Some(node) = pod.annotation(&key) else {
                continue;
            };
            let Some(v) = node.as_str() else { continue };
            if !annotation_allowed(v) {
                cx.report(
                    node,
                    pod.annotation_path(&key),
                    format!("forbidden annotation {key}=\"{v}\": seccomp profile must be runtime/default, docker/default or localhost/<profile>"),
                );
            }
        }
    }
}
