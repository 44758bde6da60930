//! How each workload can be reached from outside the cluster and from its pods: what the risk
//! graph asks of this crate.
//!
//! Entry points: Services of type LoadBalancer (limited by `loadBalancerSourceRanges`) and
//! NodePort, Services with `externalIPs`, Ingresses, OpenShift Routes and Gateway API routes
//! (through the ingress controller), `hostNetwork` pods and `hostPort`s. For each, the ports of
//! the workload it reaches, where it is written, and what of it the workload's NetworkPolicies
//! let in.

use std::collections::HashMap;

use serde::Serialize;

use crate::conns::ConnSet;
use crate::eval::Endpoint;
use crate::ingress::{access_port, PortCheck};
use crate::ip::IpSet;
use crate::model::{Direction, Loc, RouteKind, ServiceType};
use crate::network::Network;

/// What kind of door an entry point is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EntryKind {
    LoadBalancer,
    NodePort,
    ExternalIP,
    /// An Ingress, Route or Gateway API route (the kind is in [`EntryPoint::via`]).
    Route(RouteKind),
    HostNetwork,
    HostPort,
}

/// One way in from outside the cluster.
#[derive(Clone, Debug, Serialize)]
pub struct EntryPoint {
    pub kind: EntryKind,
    /// The object that opens it: `Service default/web`, `Ingress shop/front`, or the workload
    /// itself for host networking and host ports.
    pub via: String,
    /// Where that object is written.
    pub loc: Loc,
    /// The workload's ports it reaches (all of them for host networking).
    pub ports: ConnSet,
    /// The addresses it accepts traffic from (`loadBalancerSourceRanges`, else everywhere).
    pub sources: String,
    /// What of `ports` the workload's NetworkPolicies let in from those sources (for routes:
    /// from the ingress controller). Host networking bypasses NetworkPolicies.
    pub allowed: ConnSet,
}

/// How one workload can be reached.
#[derive(Clone, Debug, Serialize)]
pub struct Exposure {
    /// Index into [`Network::workloads`].
    pub workload: usize,
    /// `namespace/name[Kind]`.
    pub name: String,
    pub entry_points: Vec<EntryPoint>,
    /// Whether some entry point lets something in.
    pub exposed: bool,
    /// What the workload's ingress policies let any external address open directly.
    pub from_external: ConnSet,
    /// What the workload's ingress policies let pods of the scan open (the sources' egress
    /// policies are not applied here; [`Network::allowed`] answers for one source).
    pub from_pods: ConnSet,
    /// The policies that isolate the workload for ingress (indexes into
    /// [`Network::policies`]).
    pub isolated_by: Vec<u32>,
}

impl Network {
    /// The exposure of every workload, in input order.
    pub fn exposure(&self) -> Vec<Exposure> {
        let ranges = self.external_ranges(Direction::Ingress);
        let mut by_workload: HashMap<usize, Vec<EntryPoint>> = HashMap::new();
        self.service_entries(&ranges, &mut by_workload);
        for r in self.routed(PortCheck::Any) {
            let (Some(route), Some(svc)) =
                (self.routes().get(r.route), self.services().get(r.service))
            else {
                continue;
            };
            let allowed = self
                .allowed(
                    &Endpoint::IngressController,
                    &Endpoint::Workload(r.workload),
                )
                .intersect(&r.conns);
            by_workload.entry(r.workload).or_default().push(EntryPoint {
                kind: EntryKind::Route(route.kind),
                via: format!(
                    "{} {}/{} (Service {}/{})",
                    route.kind.as_str(),
                    route.namespace,
                    route.name,
                    svc.namespace,
                    svc.name
                ),
                loc: route.loc.clone(),
                ports: r.conns,
                sources: "0.0.0.0/0 (through the ingress controller)".into(),
                allowed,
            });
        }
        let mut from_pods_cache = HashMap::new();
        self.workloads()
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut entry_points = by_workload.remove(&i).unwrap_or_default();
                if w.host_network {
                    entry_points.push(EntryPoint {
                        kind: EntryKind::HostNetwork,
                        via: w.display(),
                        loc: w.loc.clone(),
                        ports: ConnSet::all(),
                        sources: "the node's network".into(),
                        allowed: ConnSet::all(),
                    });
                }
                for &(port, proto) in &w.host_ports {
                    let ports = ConnSet::port(proto, port);
                    entry_points.push(EntryPoint {
                        kind: EntryKind::HostPort,
                        via: w.display(),
                        loc: w.loc.clone(),
                        allowed: self
                            .ingress_from_ranges(i, &ranges, &IpSet::all())
                            .intersect(&ports),
                        ports,
                        sources: "0.0.0.0/0".into(),
                    });
                }
                let from_external = self.ingress_from_ranges(i, &ranges, &IpSet::all());
                Exposure {
                    workload: i,
                    name: w.display(),
                    exposed: entry_points.iter().any(|e| !e.allowed.is_empty()),
                    entry_points,
                    from_external,
                    from_pods: self.ingress_from_pods(i, &mut from_pods_cache),
                    isolated_by: self.selecting(i, Direction::Ingress).to_vec(),
                }
            })
            .collect()
    }

    /// Entry points of Services (LoadBalancer, NodePort, externalIPs).
    fn service_entries(&self, ranges: &[IpSet], out: &mut HashMap<usize, Vec<EntryPoint>>) {
        for svc in self.services() {
            let mut kinds = Vec::new();
            match svc.kind {
                ServiceType::LoadBalancer => kinds.push(EntryKind::LoadBalancer),
                ServiceType::NodePort => kinds.push(EntryKind::NodePort),
                _ => {}
            }
            if !svc.external_ips.is_empty() {
                kinds.push(EntryKind::ExternalIP);
            }
            if kinds.is_empty() {
                continue;
            }
            let sources = if svc.has_source_ranges && svc.kind == ServiceType::LoadBalancer {
                svc.source_ranges.clone()
            } else {
                IpSet::all()
            };
            for wi in self.selected_by_service(svc) {
                let Some(w) = self.workloads().get(wi) else {
                    continue;
                };
                let mut ports = ConnSet::none();
                for sp in &svc.ports {
                    if let Some(p) = access_port(sp, w, PortCheck::Any) {
                        ports.add(&ConnSet::port(sp.protocol, p));
                    }
                }
                if ports.is_empty() {
                    continue;
                }
                let allowed = self
                    .ingress_from_ranges(wi, ranges, &sources)
                    .intersect(&ports);
                for &kind in &kinds {
                    out.entry(wi).or_default().push(EntryPoint {
                        kind,
                        via: format!("Service {}/{}", svc.namespace, svc.name),
                        loc: svc.loc.clone(),
                        ports: ports.clone(),
                        sources: if sources == IpSet::all() {
                            "0.0.0.0/0, ::/0".into()
                        } else {
                            sources.to_string()
                        },
                        allowed: allowed.clone(),
                    });
                }
            }
        }
    }

    /// What the workload's ingress lets in from any external range that meets `sources`.
    fn ingress_from_ranges(&self, w: usize, ranges: &[IpSet], sources: &IpSet) -> ConnSet {
        let mut out = ConnSet::none();
        for r in ranges {
            let part = r.intersect(sources);
            if part.is_empty() {
                continue;
            }
            out.add(&self.allowed(&Endpoint::External(part), &Endpoint::Workload(w)));
            if out.is_all() {
                break;
            }
        }
        // IPv6 sources when no rule names IPv6: one range for all of it.
        if !ranges.iter().any(|r| r.has(crate::ip::Family::V6))
            && sources.has(crate::ip::Family::V6)
        {
            let v6 = IpSet {
                v4: Default::default(),
                v6: sources.v6.clone(),
            };
            out.add(&self.allowed(&Endpoint::External(v6), &Endpoint::Workload(w)));
        }
        out
    }

    /// What the ingress policies of `w` let some pod of the scan open. Whether a rule's peers
    /// match any workload is computed once per rule (`cache`).
    fn ingress_from_pods(&self, w: usize, cache: &mut HashMap<(u32, usize), bool>) -> ConnSet {
        let isolating = self.selecting(w, Direction::Ingress);
        if isolating.is_empty() {
            return ConnSet::all();
        }
        let dst = Endpoint::Workload(w);
        let mut out = ConnSet::none();
        for &pi in isolating {
            let Some(p) = self.policies().get(pi as usize) else {
                continue;
            };
            for (ri, r) in p.ingress.iter().enumerate() {
                let any = *cache.entry((pi, ri)).or_insert_with(|| {
                    (0..self.workloads().len())
                        .any(|s| self.rule_selects(p, r, &Endpoint::Workload(s)))
                });
                if any {
                    out.add(&self.rule_conns(r, &dst));
                }
            }
        }
        out
    }
}
