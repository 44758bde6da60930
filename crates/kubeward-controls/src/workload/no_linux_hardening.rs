use kubeward_model::{Container, PodSpec};
use kubeward_yaml::NodeRef;

use crate::pss::{frameworks, mitre, nsa, sc_wrong_type, who};
use crate::workload::normalize_capability;
use crate::{control, Context, Control, ControlMeta, Target};

const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

control! {
    /// ## What it does
    /// Flags each container (init and ephemeral containers too) that has none of the four
    /// Linux hardening mechanisms, Polaris' `linuxHardening`:
    /// * a seccomp profile: `securityContext.seccompProfile.type` of the container, or else
    ///   of the pod, set and not `Unconfined` (a container's `Unconfined` overrides the pod's
    ///   profile);
    /// * an AppArmor profile: `appArmorProfile.type` of the container, or else of the pod, set
    ///   and not `Unconfined`, or the `container.apparmor.security.beta.kubernetes.io/<name>`
    ///   annotation of the pod template with a value other than `unconfined`;
    /// * SELinux options: a non-empty `seLinuxOptions` of the container or the pod;
    /// * dropped capabilities: a non-empty `capabilities.drop` while `capabilities.add` does
    ///   not hold `ALL`.
    ///
    /// The finding points at the container's `securityContext` (or the container). Windows
    /// pods are skipped, and so are containers whose `securityContext` has the wrong type.
    /// The controls for each mechanism (KW110 and KW207 seccomp, KW325 AppArmor, KW202
    /// capabilities) say what is missing in detail; this one finds the containers with no
    /// confinement at all, the worst of them.
    ///
    /// ## Why it matters
    /// Each mechanism removes kernel attack surface from a compromised process: seccomp
    /// filters system calls, AppArmor and SELinux confine files and operations, dropped
    /// capabilities take away root's special powers. A container with none of them meets
    /// the kernel with everything the runtime allows by default, which is what most container
    /// escapes exploit (CVE-2022-0185 needed `unshare`, CVE-2022-0492 cgroups `release_agent`).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app                 # flagged: no seccomp, AppArmor, SELinux or dropped caps
    ///   image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod spec and
    /// `capabilities: {drop: [ALL]}` in each container (what PSS `restricted` requires).
    pub struct NoLinuxHardening;
    id: "KW332",
    name: "no-linux-hardening",
    title: "Container has no Linux hardening (seccomp, AppArmor, SELinux or dropped capabilities)",
    severity: Medium,
    remediation: "Set seccompProfile.type: RuntimeDefault in the pod securityContext and capabilities.drop: [ALL] in each container.",
    frameworks: frameworks(None, &[nsa::HARDENING], &["5.7.2"], &[mitre::ESCAPE_TO_HOST]),
}

/// A profile type of the container, or else of the pod, that is set and not `Unconfined`.
fn profile_confines<'a>(pod: &PodSpec<'a>, c: &Container<'a>, key: &str) -> bool {
    fn type_of(n: NodeRef<'_>) -> &str {
        n.get("type").and_then(|t| t.as_str()).unwrap_or("")
    }
    let effective = c
        .sc(key)
        .or_else(|| pod.psc(key))
        .map(type_of)
        .unwrap_or("");
    !effective.is_empty() && effective != "Unconfined"
}

/// Whether a mapping is present and has at least one entry.
fn non_empty_map(n: Option<NodeRef<'_>>) -> bool {
    n.is_some_and(|n| n.is_map() && !n.is_empty())
}

fn hardened(pod: &PodSpec<'_>, c: &Container<'_>) -> bool {
    let apparmor_annotation = pod
        .annotation(&format!("{APPARMOR_ANNOTATION}{}", c.name))
        .and_then(|n| n.as_str())
        .is_some_and(|v| !v.is_empty() && v != "unconfined");
    let caps = c.sc("capabilities");
    let list = |key: &str| caps.and_then(|caps| caps.get(key)).filter(|l| l.is_seq());
    let drops = list("drop").is_some_and(|l| !l.is_empty());
    let adds_all = list("add").is_some_and(|l| {
        l.items()
            .filter_map(|n| n.as_str())
            .any(|s| normalize_capability(s) == "ALL")
    });
    profile_confines(pod, c, "seccompProfile")
        || profile_confines(pod, c, "appArmorProfile")
        || apparmor_annotation
        || non_empty_map(c.sc("seLinuxOptions"))
        || non_empty_map(pod.psc("seLinuxOptions"))
        || (drops && !adds_all)
}

impl Control for NoLinuxHardening {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if pod.is_windows() {
            return;
        }
        // A pod securityContext of the wrong type is the shape check's to report.
        if pod.field("securityContext").is_some_and(|n| !n.is_map()) {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) || hardened(pod, &c) {
                continue;
            }
            cx.report(
                c.sc_anchor(),
                c.sc_path(),
                format!(
                    "{} has no Linux hardening: no seccomp or AppArmor profile (or Unconfined), no SELinux options and no dropped capabilities",
                    who(&c)
                ),
            );
        }
    }
}
