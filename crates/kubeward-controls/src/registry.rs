//! Every control kubeward has, in ID order.

use std::sync::LazyLock;

use crate::{
    admission, audit, cluster, cross, image, node, pss, rbac, rbac_subject, secrets, services,
    workload, Control,
};

/// The Pod Security Standards controls.
pub(crate) static PSS: &[&dyn Control] = &[
    &pss::privileged::Privileged,
    &pss::host_namespaces::HostNamespaces,
    &pss::host_path_volumes::HostPathVolumes,
    &pss::host_ports::HostPorts,
    &pss::host_probes::HostProbes,
    &pss::apparmor_profile::AppArmorProfile,
    &pss::capabilities_baseline::CapabilitiesBaseline,
    &pss::proc_mount::ProcMount,
    &pss::selinux_options::SeLinuxOptions,
    &pss::seccomp_baseline::SeccompBaseline,
    &pss::sysctls::Sysctls,
    &pss::windows_host_process::WindowsHostProcess,
    &pss::allow_privilege_escalation::AllowPrivilegeEscalation,
    &pss::capabilities_restricted::CapabilitiesRestricted,
    &pss::proc_mount_restricted::ProcMountRestricted,
    &pss::restricted_volumes::RestrictedVolumes,
    &pss::run_as_non_root::RunAsNonRoot,
    &pss::run_as_user::RunAsUser,
    &pss::seccomp_restricted::SeccompRestricted,
];

/// Each family lists its own controls, so families can grow independently.
static ALL: LazyLock<Vec<&'static dyn Control>> = LazyLock::new(|| {
    let mut all: Vec<&'static dyn Control> = [
        PSS,
        cross::CONTROLS,
        workload::CONTROLS,
        secrets::CONTROLS,
        services::CONTROLS,
        rbac::CONTROLS,
        rbac_subject::CONTROLS,
        admission::CONTROLS,
        node::CONTROLS,
        audit::CONTROLS,
        cluster::CONTROLS,
        image::CONTROLS,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    all.sort_by_key(|c| id_order(c.meta().id));
    all
});

/// IDs sort by number, so `KW1001` comes after `KW999` (a string sort would put it first).
pub fn id_order(id: &str) -> (u32, &str) {
    let digits = id.trim_start_matches(|c: char| !c.is_ascii_digit());
    (digits.parse().unwrap_or(u32::MAX), id)
}

/// All controls, in ID order.
pub fn all() -> &'static [&'static dyn Control] {
    &ALL
}

/// Find a control by its ID (`KW101`), its name (`privileged-container`) or, for PSS
/// controls, the Pod Security Admission check ID (`privileged`).
pub fn find(key: &str) -> Option<&'static dyn Control> {
    ALL.iter().copied().find(|c| {
        let m = c.meta();
        m.id.eq_ignore_ascii_case(key)
            || m.name == key
            || m.frameworks.pss.is_some_and(|p| p.check == key)
    })
}
