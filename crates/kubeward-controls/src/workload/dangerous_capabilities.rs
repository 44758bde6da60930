use crate::pss::{frameworks, mitre as pss_mitre, nsa, who};
use crate::workload::{capability_items, mitre, normalize_capability};
use crate::{control, Context, Control, ControlMeta, Target};

/// The capabilities this control flags, each with the reason (see the documentation).
pub(crate) const DANGEROUS: [(&str, &str); 13] = [
    ("SYS_MODULE", "loads kernel modules"),
    ("SYS_RAWIO", "gives raw access to I/O ports and devices"),
    ("SYS_PTRACE", "traces and injects code into other processes"),
    (
        "DAC_READ_SEARCH",
        "bypasses file read checks (open_by_handle_at host escape)",
    ),
    ("BPF", "loads eBPF programs into the kernel"),
    ("PERFMON", "opens perf events that read kernel state"),
    ("SYS_BOOT", "reboots the node or loads a new kernel"),
    ("SYS_TIME", "sets the node's clock"),
    (
        "NET_ADMIN",
        "reconfigures interfaces, routes and firewall rules",
    ),
    ("MAC_ADMIN", "changes the AppArmor/SELinux policy"),
    ("MAC_OVERRIDE", "bypasses the AppArmor/SELinux policy"),
    ("AUDIT_CONTROL", "changes or disables kernel auditing"),
    ("SYSLOG", "reads kernel logs and addresses"),
];

control! {
    /// ## What it does
    /// Flags every item of `securityContext.capabilities.add` (in any container, including
    /// init and ephemeral containers) that grants a kernel-level power usable to escape the
    /// container, disable its confinement or affect the whole node. Names are compared
    /// case-insensitively and with or without the `CAP_` prefix, as runtimes accept them.
    /// `SYS_ADMIN` and `ALL` are KW314's.
    ///
    /// The list, and why each is on it:
    ///
    /// * `SYS_MODULE`: loads kernel modules, i.e. runs code in the node's kernel.
    /// * `SYS_RAWIO`: raw I/O ports, `/dev/mem` and raw block devices, i.e. the node's memory
    ///   and disks.
    /// * `SYS_PTRACE`: attaches to and injects code into other processes (the host's, with
    ///   `hostPID`), and lifts the ptrace restrictions of seccomp's default profile.
    /// * `DAC_READ_SEARCH`: `open_by_handle_at`, the "shocker" escape that reads any file of
    ///   the host filesystem.
    /// * `BPF` and `PERFMON`: load eBPF programs and open perf events, which read kernel
    ///   memory and have a long history of privilege-escalation bugs.
    /// * `SYS_BOOT` and `SYS_TIME`: reboot the node or change its clock; neither is
    ///   namespaced, so they affect every pod (and certificate and token validity).
    /// * `NET_ADMIN`: rewrites interfaces, routes and iptables of the pod network namespace
    ///   (of the node's with `hostNetwork`), enough to bypass a service mesh's traffic
    ///   interception or to redirect traffic.
    /// * `MAC_ADMIN` and `MAC_OVERRIDE`: change or bypass AppArmor and SELinux, removing the
    ///   confinement that stops most escapes.
    /// * `AUDIT_CONTROL`: changes or disables the kernel audit rules that detect intrusions.
    /// * `SYSLOG`: reads the kernel log and kernel addresses, defeating KASLR for a kernel
    ///   exploit.
    ///
    /// Not on the list: capabilities in the runtime's default set (`SETUID`, `SETFCAP`, ...,
    /// which are granted anyway and are KW202's concern at `restricted`), `NET_RAW` (KW107,
    /// KW316), and those that only allow local denial of service (`SYS_RESOURCE`,
    /// `SYS_NICE`, `IPC_LOCK`). KW107 reports every one of these items too, as a
    /// non-default capability; this control ranks the ones that matter most.
    ///
    /// ## Why it matters
    /// Each of these capabilities turns a compromised container into a compromised node, or
    /// removes the defences that would stop or record that.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     capabilities:
    ///       add: ["NET_ADMIN", "cap_sys_ptrace"]   # both flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove the capability. Network plugins and node agents that truly need one belong in
    /// a dedicated, privileged namespace with an admission exemption.
    pub struct DangerousCapabilities;
    id: "KW315",
    name: "dangerous-capabilities",
    title: "Container adds a dangerous capability",
    severity: High,
    remediation: "Remove the dangerous capability from securityContext.capabilities.add.",
    frameworks: frameworks(
        None,
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.9"],
        &[pss_mitre::ESCAPE_TO_HOST, mitre::IMPAIR_DEFENSES],
    ),
}

impl Control for DangerousCapabilities {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for (node, cap, path) in capability_items(&c, "add") {
                let norm = normalize_capability(cap);
                if let Some((_, why)) = DANGEROUS.iter().find(|(name, _)| *name == norm) {
                    cx.report(
                        node,
                        path,
                        format!("{} adds capability \"{cap}\", which {why}", who(&c)),
                    );
                }
            }
        }
    }
}
