use kubeward_model::FieldPath;
use kubeward_yaml::NodeRef;

use crate::cluster::{public_ip, CLUSTER_VERSION_API, CLUSTER_VERSION_KIND};
use crate::pss::{frameworks, nsa};
use crate::services::mitre;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags an API server endpoint on a publicly routable IP address (not private,
    /// loopback, link-local, shared, documentation or reserved):
    /// * the server URL `kubeward cluster` connected to (the kubeconfig's `server`, in the
    ///   `ClusterVersion` object it writes), when its host is an IP address (a host name is
    ///   not resolved);
    /// * the addresses of the `kubernetes` Service's endpoints in the `default` namespace
    ///   (`Endpoints` or `EndpointSlice` objects, e.g. from a dump), which are the API
    ///   servers' own addresses.
    ///
    /// The finding points at the address.
    ///
    /// ## Why it matters
    /// An API server reachable from the Internet is attacked from the Internet: credential
    /// stuffing against its authentication, anonymous requests to whatever
    /// `system:unauthenticated` may do, and every future API server vulnerability on the day
    /// it is published. NSA/CISA recommend keeping the control plane on a private network,
    /// reached through a VPN, a bastion or an allow-listed endpoint.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata: {name: kubernetes, namespace: default}
    /// endpoints:
    /// - addresses: ["203.0.113.10"]     # flagged
    /// ```
    ///
    /// ## How to fix
    /// Make the API server endpoint private (EKS private endpoint, GKE private cluster with
    /// authorized networks, AKS private cluster) or restrict it to known source ranges, and
    /// reach it through a VPN or bastion.
    pub struct ApiServerPublic;
    id: "KW906",
    name: "api-server-public-endpoint",
    title: "API server endpoint on a publicly routable address",
    severity: High,
    remediation: "Make the API server endpoint private or restrict it to known source ranges; reach it through a VPN or bastion.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES, super::mitre::EXPLOIT_PUBLIC_APP],
    ),
}

/// The host of a URL (`https://[2001:db8::1]:6443/x` gives `2001:db8::1`) as an IP address.
fn url_ip(url: &str) -> Option<std::net::IpAddr> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => host_port.split(':').next()?,
    };
    host.parse().ok()
}

fn report_public(cx: &mut Context<'_>, node: NodeRef<'_>, path: FieldPath, what: &str) {
    let Some(ip) = node.as_str().and_then(|s| s.trim().parse().ok()) else {
        return;
    };
    if public_ip(ip) {
        cx.report(
            node,
            path,
            format!("{what} {ip} is publicly routable: the API server is reachable from the Internet unless a firewall says otherwise"),
        );
    }
}

impl Control for ApiServerPublic {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.api_version == CLUSTER_VERSION_API && o.kind == CLUSTER_VERSION_KIND {
            let Some(node) = o.root.get("server") else {
                return;
            };
            if let Some(ip) = node.as_str().and_then(url_ip) {
                if public_ip(ip) {
                    cx.report(
                        node,
                        FieldPath::from("server"),
                        format!("the API server URL names {ip}, a publicly routable address: the API server is reachable from the Internet unless a firewall says otherwise"),
                    );
                }
            }
            return;
        }
        if o.name != "kubernetes" || o.namespace != Some("default") {
            return;
        }
        match (o.group(), o.kind) {
            ("", "Endpoints") => {
                let Some(subsets) = o.root.get("subsets").filter(|s| s.is_seq()) else {
                    return;
                };
                for (i, s) in subsets.items().enumerate() {
                    let Some(list) = s.get("addresses").filter(|l| l.is_seq()) else {
                        continue;
                    };
                    for (j, a) in list.items().enumerate() {
                        if let Some(ip) = a.get("ip") {
                            let path = FieldPath::from("subsets")
                                .index(i)
                                .key("addresses")
                                .index(j)
                                .key("ip");
                            report_public(cx, ip, path, "the kubernetes Service's endpoint");
                        }
                    }
                }
            }
            ("discovery.k8s.io", "EndpointSlice") => {
                let Some(endpoints) = o.root.get("endpoints").filter(|s| s.is_seq()) else {
                    return;
                };
                for (i, e) in endpoints.items().enumerate() {
                    let Some(list) = e.get("addresses").filter(|l| l.is_seq()) else {
                        continue;
                    };
                    for (j, a) in list.items().enumerate() {
                        let path = FieldPath::from("endpoints")
                            .index(i)
                            .key("addresses")
                            .index(j);
                        report_public(cx, a, path, "the kubernetes Service's endpoint");
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_ip;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_ip("https://203.0.113.5:6443"),
            "203.0.113.5".parse().ok()
        );
        assert_eq!(
            url_ip("https://[2001:db8::1]:6443/p"),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(url_ip("https://10.0.0.1"), "10.0.0.1".parse().ok());
        assert_eq!(url_ip("https://api.example.com:6443"), None);
    }
}
