//! The Pod Security Standards, exactly as Pod Security Admission evaluates them.
//!
//! One control per PSA check. Where a restricted check overrides a baseline one (PSA's
//! `OverrideCheckIDs`), the two controls split the work so that running both levels reports
//! each violation once: the baseline control reports what both would, the restricted control
//! only what baseline allows (e.g. `restrictedVolumes` leaves `hostPath` to `hostPathVolumes`).
//!
//! One consequence is deliberate: PSA exempts Windows pods from `capabilities_restricted` and
//! `seccompProfile_restricted` from v1.25, and because those checks replace
//! `capabilities_baseline` and `seccompProfile_baseline` at `restricted`, a Windows pod that
//! adds e.g. `NET_RAW` or sets seccomp `Unconfined` passes PSA at `restricted` but not at
//! `baseline`. The controls do not know the level being evaluated, so KW107 and KW110 report
//! such a pod at both levels.
//!
//! Versioned behaviour lives in the controls: a control declares the first policy version of
//! its check in `pss(level, check, since)` (so [`crate::applies`] skips it below that), and
//! reads [`crate::Context::pss_minor`] for the variants a check gained later.

use kubeward_model::{Container, FieldPath, PodSpec};
use kubeward_yaml::NodeRef;

use crate::{Context, Frameworks, PssCheck, PssLevel};

pub mod allow_privilege_escalation;
pub mod apparmor_profile;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod seccomp_baseline;
pub mod seccomp_restricted;
pub mod selinux_options;
pub mod sysctls;
pub mod windows_host_process;

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections.
pub mod nsa {
    pub const NON_ROOT: &str = "Pod security: non-root containers";
    pub const IMMUTABLE_FS: &str = "Pod security: immutable container file systems";
    pub const POD_SECURITY: &str = "Pod security: pod security enforcement";
    pub const HARDENING: &str = "Pod security: hardening container environments";
    pub const SA_TOKENS: &str = "Pod security: protecting pod service account tokens";
    pub const NETWORK_SEPARATION: &str = "Network separation and hardening";
}

/// MITRE ATT&CK techniques (containers matrix).
pub mod mitre {
    pub const ESCAPE_TO_HOST: &str = "T1611";
    pub const PRIV_ESC_EXPLOIT: &str = "T1068";
    pub const NETWORK_SNIFFING: &str = "T1040";
    pub const CONTAINER_ADMIN: &str = "T1609";
    pub const DEPLOY_CONTAINER: &str = "T1610";
    pub const ABUSE_ELEVATION: &str = "T1548";
}

pub(crate) const fn pss(level: PssLevel, check: &'static str, since: u16) -> Option<PssCheck> {
    Some(PssCheck {
        level,
        check,
        since,
    })
}

pub(crate) const fn frameworks(
    pss: Option<PssCheck>,
    nsa: &'static [&'static str],
    cis: &'static [&'static str],
    mitre: &'static [&'static str],
) -> Frameworks {
    Frameworks {
        pss,
        nsa,
        cis,
        mitre,
    }
}

/// `container "web"` or `init container "setup"`.
pub(crate) fn who(c: &Container<'_>) -> String {
    c.describe()
}

/// Whether a container's `securityContext` is present with a type other than a mapping: the
/// shape check reports that, and controls that flag missing fields skip such a container.
pub(crate) fn sc_wrong_type(c: &Container<'_>) -> bool {
    c.node
        .get("securityContext")
        .is_some_and(|n| !n.is_map() && !n.is_null())
}

/// A string field as Go decodes it into a `string`: absent or null is `""`; a value of
/// another type is `None` (the shape check reports it, the controls ignore it).
pub(crate) fn go_string<'a>(parent: NodeRef<'a>, key: &str) -> Option<&'a str> {
    match parent.get(key) {
        None => Some(""),
        Some(n) if n.is_null() => Some(""),
        Some(n) => n.as_str(),
    }
}

/// One place a pod-or-container securityContext field is set: the pod's
/// `spec.securityContext.<key>` or a container's `securityContext.<key>`.
pub(crate) struct Setter<'a> {
    /// `pod` or `container "app"`, for messages.
    pub who: String,
    /// The field's (non-null) value.
    pub node: NodeRef<'a>,
    pub path: FieldPath,
}

/// Every non-null `securityContext.<key>` of the pod and of its containers (all three lists),
/// pod first.
pub(crate) fn setters<'a>(pod: &PodSpec<'a>, key: &str) -> Vec<Setter<'a>> {
    let mut out = Vec::new();
    if let Some(node) = pod.psc(key) {
        out.push(Setter {
            who: "pod".to_string(),
            node,
            path: pod.psc_path().key(key),
        });
    }
    for c in pod.containers() {
        if let Some(node) = c.sc(key) {
            out.push(Setter {
                who: who(&c),
                node,
                path: c.sc_path().key(key),
            });
        }
    }
    out
}

/// The profile types PSA accepts for `seccompProfile.type` and `appArmorProfile.type`.
pub(crate) fn valid_profile_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// Report a `seccompProfile` / `appArmorProfile` object (a mapping) whose `type` is not
/// `RuntimeDefault` or `Localhost`; a missing type is `""` and is reported at the profile.
/// Returns whether the profile is valid; `None` when it cannot be judged (wrong types).
pub(crate) fn profile_type_valid(profile: NodeRef<'_>) -> Option<bool> {
    if !profile.is_map() {
        return None;
    }
    go_string(profile, "type").map(valid_profile_type)
}

/// Report each profile setter with a bad type. `field` is `seccompProfile` or `appArmorProfile`;
/// `what` names it in messages.
pub(crate) fn report_bad_profile_types(
    pod: &PodSpec<'_>,
    cx: &mut Context<'_>,
    field: &str,
    what: &str,
) {
    for s in setters(pod, field) {
        if profile_type_valid(s.node) != Some(false) {
            continue;
        }
        let t = go_string(s.node, "type").unwrap_or("");
        let at = s.node.get("type").unwrap_or(s.node);
        cx.report(
            at,
            s.path.key("type"),
            format!("{} must not set {what} to \"{t}\"", s.who),
        );
    }
}

/// PSA exempts Windows pods (`spec.os.name: windows`) from allowPrivilegeEscalation,
/// capabilities_restricted and seccompProfile_restricted from v1.25.
pub(crate) fn windows_exempt(pod: &PodSpec<'_>, cx: &Context<'_>) -> bool {
    cx.pss_minor() >= 25 && pod.is_windows()
}

/// From v1.35 PSA relaxes runAsNonRoot, runAsUser and (baseline) procMount for pods with an
/// explicit `hostUsers: false`.
pub(crate) fn user_namespace_relaxed(pod: &PodSpec<'_>, cx: &Context<'_>) -> bool {
    cx.pss_minor() >= 35 && pod.host_users_false()
}

/// The capabilities `capabilities_baseline` allows in `securityContext.capabilities.add`.
pub(crate) const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Each string item of a container's `securityContext.capabilities.add`, with its path.
pub(crate) fn added_capabilities<'a>(c: &Container<'a>) -> Vec<(NodeRef<'a>, &'a str, FieldPath)> {
    let Some(add) = c.sc("capabilities").and_then(|caps| caps.get("add")) else {
        return Vec::new();
    };
    let base = c.sc_path().key("capabilities").key("add");
    add.items()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (n, s, base.index(i))))
        .collect()
}

/// Each non-Default `securityContext.procMount`, with its container.
pub(crate) fn report_proc_mounts(pod: &PodSpec<'_>, cx: &mut Context<'_>, note: &str) {
    for c in pod.containers() {
        let Some(n) = c.sc("procMount") else { continue };
        let Some(v) = n.as_str() else { continue };
        if v != "Default" {
            cx.report(
                n,
                c.sc_path().key("procMount"),
                format!(
                    "{} must not set securityContext.procMount to \"{v}\"{note}",
                    who(&c)
                ),
            );
        }
    }
}
