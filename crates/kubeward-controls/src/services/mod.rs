//! Network exposure of single objects (KW5xx): Service types, externalIPs, Ingress TLS,
//! NetworkPolicy rules that allow everything. Cross-object network checks (NetworkPolicy
//! coverage) live with the inventory.

use kubeward_model::{FieldPath, Object};
use kubeward_yaml::NodeRef;

use crate::{Control, Target};

pub mod external_ips;
pub mod ingress_injectable_annotation;
pub mod ingress_snippet_annotation;
pub mod ingress_without_tls;
pub mod loadbalancer_source_ranges;
pub mod network_policy_egress_all;
pub mod network_policy_ingress_all;
pub mod nodeport;
pub mod sensitive_port;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &nodeport::NodePortService,
    &loadbalancer_source_ranges::LoadBalancerSourceRanges,
    &external_ips::ExternalIps,
    &ingress_without_tls::IngressWithoutTls,
    &sensitive_port::SensitivePort,
    &network_policy_ingress_all::NetworkPolicyIngressAll,
    &network_policy_egress_all::NetworkPolicyEgressAll,
    &ingress_snippet_annotation::IngressSnippetAnnotation,
    &ingress_injectable_annotation::IngressInjectableAnnotation,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections for this family.
pub mod nsa {
    pub use crate::pss::nsa::NETWORK_SEPARATION;
    pub const NETWORK_POLICIES: &str = "Network separation: network policies";
    pub const ENCRYPTION: &str = "Network separation: encryption";
}

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    pub const EXTERNAL_REMOTE_SERVICES: &str = "T1133";
    pub const NETWORK_DISCOVERY: &str = "T1046";
    pub const SNIFFING: &str = "T1040";
    pub const ADVERSARY_IN_THE_MIDDLE: &str = "T1557";
    pub const EXPLOIT_PUBLIC_FACING: &str = "T1190";
    pub const CONTAINER_API: &str = "T1552.007";
}

/// The string-keyed annotations of an Ingress (`networking.k8s.io` or `extensions`), with
/// their value nodes; nothing for other kinds.
pub(crate) fn ingress_annotations<'a>(t: &Target<'a>) -> Vec<(&'a str, NodeRef<'a>)> {
    let o = &t.object;
    if o.kind != "Ingress" || !matches!(o.group(), "networking.k8s.io" | "extensions") {
        return Vec::new();
    }
    o.annotations()
        .filter(|a| a.is_map())
        .map(|a| a.entries().collect())
        .unwrap_or_default()
}

/// A core `v1` Service with a `spec` mapping.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Service<'a> {
    pub object: Object<'a>,
    pub spec: NodeRef<'a>,
}

pub(crate) fn service<'a>(t: &Target<'a>) -> Option<Service<'a>> {
    let o = t.object;
    if !o.group().is_empty() || o.kind != "Service" {
        return None;
    }
    let spec = o.root.get("spec").filter(|s| s.is_map())?;
    Some(Service { object: o, spec })
}

/// Annotations with which cloud providers make a LoadBalancer internal (a private address
/// in the VPC): (annotation, the values that mean internal; empty for "any but false").
const INTERNAL_LB: &[(&str, &[&str])] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", &[]),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        &["internal"],
    ),
    ("networking.gke.io/load-balancer-type", &["internal"]),
    ("cloud.google.com/load-balancer-type", &["internal"]),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        &["true"],
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        &["true"],
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        &["true"],
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        &["private"],
    ),
    (
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
        &["intranet"],
    ),
];

impl<'a> Service<'a> {
    /// `spec.type` with its node (`ClusterIP` when absent).
    pub(crate) fn type_field(&self) -> Option<(NodeRef<'a>, &'a str)> {
        let n = self.spec.get("type")?;
        Some((n, n.as_str()?))
    }

    pub(crate) fn type_name(&self) -> &'a str {
        match self.spec.get("type") {
            None => "ClusterIP",
            Some(n) if n.is_null() => "ClusterIP",
            Some(n) => n.as_str().unwrap_or(""),
        }
    }

    /// Whether an annotation makes the load balancer internal to the provider's network.
    pub(crate) fn internal_lb(&self) -> Option<&'static str> {
        INTERNAL_LB.iter().find_map(|(key, values)| {
            let v = self.object.annotation(key)?.trim();
            let internal = if values.is_empty() {
                !v.is_empty() && !v.eq_ignore_ascii_case("false")
            } else {
                values.iter().any(|x| v.eq_ignore_ascii_case(x))
            };
            internal.then_some(*key)
        })
    }

    /// The string items of `spec.externalIPs` with their indexes.
    pub(crate) fn external_ips(&self) -> Vec<(usize, NodeRef<'a>, &'a str)> {
        self.spec
            .get("externalIPs")
            .map(|l| {
                l.items()
                    .enumerate()
                    .filter_map(|(i, n)| n.as_str().map(|s| (i, n, s)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How the Service is reachable from outside the cluster, if it is: `type NodePort`,
    /// `type LoadBalancer` (not internal), `externalIPs`.
    pub(crate) fn exposure(&self) -> Option<String> {
        match self.type_name() {
            "NodePort" => return Some("type NodePort".to_string()),
            "LoadBalancer" if self.internal_lb().is_none() => {
                return Some("type LoadBalancer".to_string())
            }
            _ => {}
        }
        let ips: Vec<&str> = self.external_ips().into_iter().map(|(_, _, s)| s).collect();
        (!ips.is_empty()).then(|| format!("externalIPs {}", ips.join(", ")))
    }
}

/// Whether a CIDR is the whole IPv4 or IPv6 address space.
pub(crate) fn is_all_cidr(cidr: &str) -> bool {
    let cidr = cidr.trim();
    let Some((addr, bits)) = cidr.split_once('/') else {
        return false;
    };
    if bits.trim() != "0" {
        return false;
    }
    match addr.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_unspecified(),
        Err(_) => false,
    }
}

/// A NetworkPolicy rule (or part of one) that allows every peer on every port.
pub(crate) struct OpenRule<'a> {
    pub at: NodeRef<'a>,
    pub path: FieldPath,
    /// Why: `the rule is empty`, `"from" is empty`, `peer {}`, `ipBlock 0.0.0.0/0`.
    pub why: String,
}

/// The rules of a NetworkPolicy's `ingress` (`egress`) that let traffic from (to) every
/// address on every port: an empty rule, a rule without peers and ports, or a rule without
/// ports whose peers include an empty peer `{}` or an ipBlock of the whole address space
/// without `except`. Rules that list ports are left alone: admitting everyone on a
/// published port is how a public service is opened. Rules are skipped when `policyTypes`
/// is a non-empty list without the direction (Kubernetes then ignores them; an empty list
/// is defaulted like an absent one). NetworkPolicies of `networking.k8s.io` and of the
/// old `extensions/v1beta1` are read alike.
pub(crate) fn open_rules<'a>(t: &Target<'a>, egress: bool) -> Vec<OpenRule<'a>> {
    let o = &t.object;
    let mut out = Vec::new();
    if !matches!(o.group(), "networking.k8s.io" | "extensions") || o.kind != "NetworkPolicy" {
        return out;
    }
    let Some(spec) = o.root.get("spec").filter(|s| s.is_map()) else {
        return out;
    };
    let (field, peers, policy_type) = if egress {
        ("egress", "to", "Egress")
    } else {
        ("ingress", "from", "Ingress")
    };
    // An empty list is defaulted by the API server like an absent one (Ingress, plus Egress
    // when there are egress rules), so only a non-empty list can leave a direction out.
    if let Some(types) = spec
        .get("policyTypes")
        .filter(|p| p.is_seq() && !p.is_empty())
    {
        if !types.items().any(|t| t.as_str() == Some(policy_type)) {
            return out;
        }
    }
    let Some(rules) = spec.get(field).filter(|r| r.is_seq()) else {
        return out;
    };
    let base = FieldPath::from("spec").key(field);
    for (i, rule) in rules.items().enumerate() {
        let path = base.index(i);
        if rule.is_null() || (rule.is_map() && rule.is_empty()) {
            out.push(OpenRule {
                at: rule,
                path,
                why: "the rule is empty".to_string(),
            });
            continue;
        }
        if !rule.is_map() {
            continue;
        }
        let ports = rule.get("ports").filter(|p| !p.is_null());
        match ports {
            Some(p) if p.is_seq() && p.is_empty() => {}
            Some(_) => continue,
            None => {}
        }
        let list = rule.get(peers).filter(|p| !p.is_null());
        let Some(list) = list else {
            out.push(OpenRule {
                at: rule,
                path,
                why: format!("the rule has no {peers:?} and no \"ports\""),
            });
            continue;
        };
        if !list.is_seq() {
            continue;
        }
        if list.is_empty() {
            out.push(OpenRule {
                at: list,
                path: path.key(peers),
                why: format!("{peers:?} is empty"),
            });
            continue;
        }
        for (j, peer) in list.items().enumerate() {
            let ppath = path.key(peers).index(j);
            if peer.is_map() && peer.is_empty() {
                out.push(OpenRule {
                    at: peer,
                    path: ppath,
                    why: "it has an empty peer {}".to_string(),
                });
                continue;
            }
            let Some(block) = peer.get("ipBlock").filter(|b| b.is_map()) else {
                continue;
            };
            let Some(cidr) = block.get("cidr") else {
                continue;
            };
            let Some(c) = cidr.as_str().filter(|c| is_all_cidr(c)) else {
                continue;
            };
            let except = block
                .get("except")
                .is_some_and(|e| e.is_seq() && !e.is_empty());
            if !except {
                out.push(OpenRule {
                    at: cidr,
                    path: ppath.key("ipBlock").key("cidr"),
                    why: format!("it allows ipBlock {c} without except"),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_all_cidr;

    #[test]
    fn all_cidrs() {
        assert!(is_all_cidr("0.0.0.0/0"));
        assert!(is_all_cidr("::/0"));
        assert!(is_all_cidr("0::0/0"));
        assert!(!is_all_cidr("10.0.0.0/8"));
        assert!(!is_all_cidr("0.0.0.0/1"));
        assert!(!is_all_cidr("0.0.0.0"));
        assert!(!is_all_cidr("any"));
    }
}
