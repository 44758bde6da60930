use crate::pss::{frameworks, mitre, nsa, who};
use crate::workload::{capability_items, normalize_capability};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every item of `securityContext.capabilities.add` (in any container, including
    /// init and ephemeral containers) that is `SYS_ADMIN` or `ALL`. Names are compared as
    /// container runtimes accept them: case-insensitively and with or without the `CAP_`
    /// prefix, so `cap_sys_admin` and `all` are flagged too.
    ///
    /// KW107 (`non-default-capabilities`) also reports these items, as it reports every
    /// capability outside the runtime's default set; this control singles out the two that
    /// amount to root on the node.
    ///
    /// ## Why it matters
    /// `CAP_SYS_ADMIN` is "the new root": it allows `mount`, `unshare`, BPF, namespace and
    /// device operations, and the classic escapes (mounting the host's disk, the cgroup v1
    /// `release_agent` trick) need nothing else. `ALL` grants it along with every other
    /// capability. Either makes escaping to the node straightforward.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     capabilities:
    ///       add: ["SYS_ADMIN"]   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove `SYS_ADMIN` and `ALL` from `capabilities.add`. Find the narrow capability the
    /// workload needs (or a device plugin, a CSI driver, a FUSE sidecar) instead.
    pub struct SysAdminCapability;
    id: "KW314",
    name: "sys-admin-capability",
    title: "Container adds SYS_ADMIN or ALL capabilities",
    severity: Critical,
    remediation: "Remove SYS_ADMIN and ALL from securityContext.capabilities.add.",
    frameworks: frameworks(
        None,
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.9"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for SysAdminCapability {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for (node, cap, path) in capability_items(&c, "add") {
                let norm = normalize_capability(cap);
                if norm == "SYS_ADMIN" || norm == "ALL" {
                    cx.report(
                        node,
                        path,
                        format!(
                            "{} adds capability \"{cap}\" in securityContext.capabilities.add",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}
