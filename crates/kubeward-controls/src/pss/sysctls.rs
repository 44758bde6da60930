use crate::pss::{frameworks, nsa, pss};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every `spec.securityContext.sysctls[].name` that is not in the Pod Security
    /// Standards' list of safe, namespaced sysctls for the version in force:
    ///
    /// * v1.0: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    ///   `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
    ///   `net.ipv4.ip_unprivileged_port_start`;
    /// * v1.27 adds `net.ipv4.ip_local_reserved_ports`;
    /// * v1.29 adds `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`,
    ///   `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`;
    /// * v1.32 adds `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`;
    /// * v1.37 adds `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`.
    ///
    /// The match is exact, as in Pod Security Admission: the slash form
    /// (`net/ipv4/tcp_syncookies`) is flagged.
    ///
    /// ## Why it matters
    /// Sysctls outside this list are either not namespaced (setting them changes the whole
    /// node, and so every other pod on it) or can starve the node of resources. The Pod
    /// Security Standards allow only the safe set at the `baseline` level (check `sysctls`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///     - name: net.ipv4.tcp_syncookies   # allowed
    ///       value: "1"
    ///     - name: kernel.msgmax             # flagged
    ///       value: "65536"
    /// ```
    ///
    /// ## How to fix
    /// Remove the sysctl. If the node really needs it, set it on the node (or through a
    /// privileged node agent in an exempt namespace), not from an application pod.
    pub struct Sysctls;
    id: "KW111",
    name: "unsafe-sysctls",
    title: "Pod sets an unsafe sysctl",
    severity: Medium,
    remediation: "Remove sysctls outside the Pod Security Standards' safe set from spec.securityContext.sysctls.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "sysctls", 0),
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.7.3"],
        &[],
    ),
}

/// The safe sysctls and the policy version that allowed each.
const SAFE: &[(&str, u16)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

/// Whether `name` is a safe sysctl at policy version v1.`minor`.
pub(crate) fn is_safe(name: &str, minor: u16) -> bool {
    SAFE.iter().any(|(n, since)| *n == name && *since <= minor)
}

impl Control for Sysctls {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let Some(list) = pod.psc("sysctls").filter(|n| n.is_seq()) else {
            return;
        };
        let base = pod.psc_path().key("sysctls");
        let minor = cx.pss_minor();
        for (i, item) in list.items().enumerate().filter(|(_, n)| n.is_map()) {
            // An item without a name is an empty name, which is not in the list.
            let (at, name) = match item.get("name").filter(|n| !n.is_null()) {
                Some(n) => match n.as_str() {
                    Some(s) => (n, s),
                    None => continue,
                },
                None => (item, ""),
            };
            if !is_safe(name, minor) {
                cx.report(
                    at,
                    base.index(i).key("name"),
                    format!("pod must not set forbidden sysctl \"{name}\""),
                );
            }
        }
    }
}
