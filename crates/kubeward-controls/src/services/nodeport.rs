use crate::services::{mitre, nsa, service};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a Service of `type: NodePort`. The finding points at `spec.type` and names the
    /// node ports that are fixed in the manifest.
    ///
    /// A `type: LoadBalancer` Service also allocates node ports (unless
    /// `allocateLoadBalancerNodePorts: false`), but it is not flagged here: its node ports
    /// exist for the cloud load balancer to reach, and KW502 reports its exposure (and
    /// KW505 sensitive ports on either type), so a load balancer is not reported twice for
    /// the same reachability.
    ///
    /// ## Why it matters
    /// A NodePort Service listens on every node of the cluster, on every node address: the
    /// service is reachable by anything that can reach a node, usually a far larger network
    /// than its intended clients, guarded only by whatever firewall protects the nodes.
    /// Nodes are rarely meant to be an entry point, and node ports are easily forgotten.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   type: NodePort          # flagged
    ///   ports:
    ///   - port: 80
    ///     nodePort: 30080
    /// ```
    ///
    /// ## How to fix
    /// Use `type: ClusterIP` and publish the service through an Ingress or Gateway, or a
    /// LoadBalancer with `loadBalancerSourceRanges`.
    pub struct NodePortService;
    id: "KW501",
    name: "nodeport-service",
    title: "Service is exposed on every node (NodePort)",
    severity: Medium,
    remediation: "Use type ClusterIP behind an Ingress or Gateway, or a LoadBalancer restricted with loadBalancerSourceRanges.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES],
    ),
}

impl Control for NodePortService {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(svc) = service(t) else { return };
        let Some((node, "NodePort")) = svc.type_field() else {
            return;
        };
        let ports: Vec<String> = svc
            .spec
            .get("ports")
            .map(|l| {
                l.items()
                    .filter_map(|p| {
                        let port = p.get("port")?.as_i64()?;
                        Some(match p.get("nodePort").and_then(|n| n.as_i64()) {
                            Some(np) => format!("{port} on node port {np}"),
                            None => format!("{port}"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let what = if ports.is_empty() {
            String::new()
        } else {
            format!(" (port {})", ports.join(", "))
        };
        cx.report(
            node,
            "spec.type".into(),
            format!("Service type NodePort opens its ports{what} on every node of the cluster"),
        );
    }
}
