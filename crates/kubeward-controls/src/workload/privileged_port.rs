use crate::pss::{frameworks, nsa, who};
use crate::workload::container_ports;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `ports[].containerPort` below 1024 (a privileged port) of every container,
    /// init container and ephemeral container. The finding points at the port. Port 22 is
    /// also reported by KW331. This is kube-linter's `privileged-ports`.
    ///
    /// ## Why it matters
    /// Binding a port below 1024 takes root or the `NET_BIND_SERVICE` capability (unless the
    /// runtime lowers `net.ipv4.ip_unprivileged_port_start`), so an image that listens there
    /// is usually built to start as root. That conflicts with `runAsNonRoot`, with dropping
    /// all capabilities, and with a read-only, unprivileged container, and it is how a web
    /// server ends up running as root in production.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   ports:
    ///   - containerPort: 80       # flagged
    /// ```
    ///
    /// ## How to fix
    /// Listen on a port of 1024 or more inside the container (`8080`, `8443`) and map the
    /// public port in the Service (`port: 80, targetPort: 8080`).
    pub struct PrivilegedPort;
    id: "KW330",
    name: "privileged-port",
    title: "Container listens on a privileged port (below 1024)",
    severity: Low,
    remediation: "Listen on a port of 1024 or more in the container and map the public port in the Service (port: 80, targetPort: 8080).",
    frameworks: frameworks(None, &[nsa::NON_ROOT], &[], &[]),
}

impl Control for PrivilegedPort {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for (c, node, port, _, path) in container_ports(pod) {
            if (1..1024).contains(&port) {
                cx.report(
                    node,
                    path,
                    format!(
                        "{} listens on privileged port {port} (below 1024, which needs root or NET_BIND_SERVICE)",
                        who(&c)
                    ),
                );
            }
        }
    }
}
