use crate::cluster::public_ip;
use crate::pss::{frameworks, nsa};
use crate::services::mitre;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `ExternalIP` entry of a Node's `status.addresses`: the node has an address
    /// outside the cluster network, so its kubelet (10250), NodePorts and host-network pods
    /// may be reachable from outside. The message says whether the address is publicly
    /// routable (not private, loopback, link-local, shared, documentation or reserved). The
    /// finding points at the address.
    ///
    /// Node objects come from a live cluster (`kubeward cluster`, which keeps only their
    /// metadata and addresses) or a dump.
    ///
    /// ## Why it matters
    /// NSA/CISA's guidance is to keep worker and control-plane nodes on an isolated network
    /// reached only through load balancers and the API server. A node with an external
    /// address exposes every port it listens on: the kubelet API (which runs commands in
    /// containers), NodePort Services and any pod with `hostNetwork`, to whoever can route
    /// to that address, and firewall rules are all that stands in the way.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Node
    /// status:
    ///   addresses:
    ///   - {type: InternalIP, address: 10.0.1.12}
    ///   - {type: ExternalIP, address: 203.0.113.40}   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Create node pools without public addresses (private nodes, e.g. GKE private clusters,
    /// EKS private subnets, AKS without node public IPs) and publish services through load
    /// balancers or an ingress; reach nodes for maintenance through a bastion or VPN.
    pub struct NodeExternalIp;
    id: "KW905",
    name: "node-external-ip",
    title: "Node has an external IP address",
    severity: Medium,
    remediation: "Run nodes without external addresses (private node pools) and publish services through load balancers; reach nodes through a bastion or VPN.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES],
    ),
}

impl Control for NodeExternalIp {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if !o.group().is_empty() || o.kind != "Node" {
            return;
        }
        let Some(list) = o
            .root
            .get_path(&["status", "addresses"])
            .filter(|l| l.is_seq())
        else {
            return;
        };
        let base = kubeward_model::FieldPath::from("status.addresses");
        for (i, a) in list.items().enumerate().filter(|(_, a)| a.is_map()) {
            if a.get("type").and_then(|n| n.as_str()) != Some("ExternalIP") {
                continue;
            }
            let Some(node) = a.get("address") else {
                continue;
            };
            let address = node.as_str().unwrap_or("").trim();
            let reach = match address.parse::<std::net::IpAddr>() {
                Ok(ip) if public_ip(ip) => "a publicly routable address",
                Ok(_) => "an address outside the cluster network (not publicly routable)",
                Err(_) => "an address outside the cluster network",
            };
            cx.report(
                node,
                base.index(i).key("address"),
                format!("Node {:?} has ExternalIP {address}, {reach}: its kubelet and NodePorts may be reachable from outside", o.name),
            );
        }
    }
}
