use crate::pss::{frameworks, who};
use crate::services::mitre;
use crate::workload::{container_ports, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `ports[].containerPort: 22` with protocol TCP (or no protocol, which is
    /// TCP) of every container, init container and ephemeral container: the container
    /// exposes SSH. The finding points at the port. This is kube-linter's `ssh-port`.
    ///
    /// ## Why it matters
    /// An SSH server in a container is a second way in that bypasses the API server: its
    /// logins are not in the audit log, not governed by RBAC, and its keys or passwords live
    /// in the image or a volume. It is also the first port every scanner tries, and the
    /// usual sign of a container treated as a virtual machine (a shell, a package manager,
    /// long-lived credentials) rather than an immutable process.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   ports:
    ///   - containerPort: 22       # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove the SSH server from the image and use `kubectl exec` or `kubectl debug` (under
    /// RBAC and in the audit log) for interactive access. Git-over-SSH and SFTP services
    /// that must listen should use a port above 1024 and a dedicated, reviewed image.
    pub struct SshPort;
    id: "KW331",
    name: "ssh-port",
    title: "Container exposes SSH (port 22)",
    severity: Medium,
    remediation: "Remove the SSH server; use kubectl exec or kubectl debug (under RBAC and audit) for interactive access.",
    frameworks: frameworks(
        None,
        &[nsa::IMAGES],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES],
    ),
}

impl Control for SshPort {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for (c, node, port, protocol, path) in container_ports(pod) {
            if port == 22 && protocol.eq_ignore_ascii_case("TCP") {
                cx.report(node, path, format!("{} exposes SSH on port 22", who(&c)));
            }
        }
    }
}
