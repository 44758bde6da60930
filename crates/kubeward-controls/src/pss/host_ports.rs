use kubeward_model::ContainerKind;

use crate::pss::{frameworks, nsa, pss, who};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every `ports[].hostPort` other than `0` in any container (including init and
    /// ephemeral containers), at the `hostPort` field.
    ///
    /// With `hostNetwork: true` the API server defaults each unset `hostPort` of a container
    /// or init container to its `containerPort`, so Pod Security Admission sees a host port
    /// there too; kubeward reports those at the `containerPort`.
    ///
    /// ## Why it matters
    /// A host port binds the container to the node's network interfaces: it bypasses
    /// Services and NetworkPolicy, exposes the workload on every address of the node, and
    /// limits scheduling to nodes where the port is free. The Pod Security Standards forbid
    /// host ports at the `baseline` level (check `hostPorts`); there is no allowed range.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.2.3
    ///   ports:
    ///   - containerPort: 8080
    ///     hostPort: 80      # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove `hostPort` and expose the port through a Service (type `NodePort` or
    /// `LoadBalancer` if it must be reachable from outside the cluster) or an Ingress.
    pub struct HostPorts;
    id: "KW104",
    name: "host-port",
    title: "Container uses a host port",
    severity: Medium,
    remediation: "Remove ports[].hostPort and expose the port through a Service or Ingress.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "hostPorts", 0),
        &[nsa::POD_SECURITY, nsa::NETWORK_SEPARATION],
        &["5.2.13"],
        &[],
    ),
}

impl Control for HostPorts {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let host_network = pod.field("hostNetwork").and_then(|n| n.as_bool()) == Some(true);
        for c in pod.containers() {
            let Some(ports) = c.node.get("ports").filter(|n| n.is_seq()) else {
                continue;
            };
            let base = c.path.key("ports");
            for (i, port) in ports.items().enumerate().filter(|(_, p)| p.is_map()) {
                let hp = port.get("hostPort").filter(|n| !n.is_null());
                let value = match hp {
                    Some(n) => match n.as_i64() {
                        Some(v) => v,
                        None => continue, // wrong type: the shape check reports it
                    },
                    None => 0,
                };
                if let (Some(hp), true) = (hp, value != 0) {
                    cx.report(
                        hp,
                        base.index(i).key("hostPort"),
                        format!("{} must not use hostPort {value}", who(&c)),
                    );
                    continue;
                }
                // API defaulting: with hostNetwork, a hostPort of 0 becomes the containerPort
                // (containers and init containers; ephemeral containers have no ports).
                if !host_network || c.kind == ContainerKind::EphemeralContainer {
                    continue;
                }
                let Some(cp) = port.get("containerPort") else {
                    continue;
                };
                if let Some(v) = cp.as_i64().filter(|v| *v != 0) {
                    cx.report(
                        cp,
                        base.index(i).key("hostPort"),
                        format!(
                            "{} must not use hostPort {v} (with hostNetwork: true, hostPort defaults to containerPort)",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}
