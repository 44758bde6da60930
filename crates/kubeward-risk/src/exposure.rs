//! Network exposure: which workloads are reachable, from where, through which entry point.
//!
//! The graph takes [`Exposure`]s as input. [`simple_exposures`] finds them from the scan's
//! doors alone: Services of type LoadBalancer or NodePort and Ingress backends reach a
//! workload from the internet, `hostPort`s (and every port of a `hostNetwork` pod) from the
//! node's address, ClusterIP Services and container ports from any pod of the cluster;
//! [`allowed_by_policies`] then keeps those the NetworkPolicies let through
//! (kubeward-netpol's semantics).

use crate::Map as HashMap;

use serde::Serialize;

use crate::facts::{Location, ObjectKey, RiskInput, ServiceFact, WorkloadFact};
use crate::pack::Packed;

/// How an entry point is reached, named as KubeHound names endpoint exposure where it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A Service (KubeHound: an EndpointSlice endpoint, exposure `External`).
    Service,
    /// An Ingress backend.
    Ingress,
    /// A `hostPort` or a port of a `hostNetwork` pod (KubeHound: exposure `NodeIP`).
    HostPort,
    /// A container port reachable on the pod network (KubeHound: exposure `ClusterIP`).
    ContainerPort,
}

/// A workload reachable through an entry point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub workload: ObjectKey,
    pub entry: EntryKind,
    /// Namespace of the entry point (the workload's for ports).
    pub namespace: Box<str>,
    /// The Service or Ingress name; for ports the port's name, else `PROTOCOL::port`
    /// (KubeHound's `serviceEndpoint`).
    pub name: Box<str>,
    /// Reachable from outside the cluster (else from any pod of the cluster).
    pub from_internet: bool,
    /// The fields that make the exposure, entry point first.
    pub via: Vec<Location>,
    /// The containers reached (by name); empty: every container of the workload.
    pub containers: Vec<Box<str>>,
    /// Container ports reached; empty: unknown.
    pub ports: Vec<i64>,
}

/// Workloads by `(namespace, label key, label value)`, so that a selector is matched against
/// the few workloads that carry its rarest label, not all of them. The facts are packed
/// ([`crate::pack`]), so the index keeps a hash of each triple and the workload's position,
/// sorted (12 bytes a label); a candidate is decoded and checked whole, so a collision costs
/// only a check.
struct LabelIndex {
    by_label: Vec<(u64, u32)>,
}

fn label_hash(ns: &str, k: &str, v: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (ns, k, v).hash(&mut h);
    h.finish()
}

impl LabelIndex {
    fn new(workloads: &Packed<WorkloadFact>) -> Self {
        let mut by_label = Vec::new();
        for (i, w) in workloads.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            for (k, v) in w.labels.iter() {
                by_label.push((label_hash(&w.key.namespace, k, v), i));
            }
        }
        by_label.sort_unstable();
        LabelIndex { by_label }
    }

    fn with(&self, hash: u64) -> &[(u64, u32)] {
        let start = self.by_label.partition_point(|&(h, _)| h < hash);
        let end = self.by_label.partition_point(|&(h, _)| h <= hash);
        &self.by_label[start..end]
    }

    /// Workloads of `ns` whose labels match every pair of `selector` (non-empty), with their
    /// positions.
    fn select(
        &self,
        workloads: &Packed<WorkloadFact>,
        ns: &str,
        selector: &kubeward_model::Labels,
    ) -> Vec<(usize, WorkloadFact)> {
        let mut rarest: Option<&[(u64, u32)]> = None;
        for (k, v) in selector.iter() {
            let list = self.with(label_hash(ns, k, v));
            if list.is_empty() {
                return Vec::new();
            }
            if rarest.is_none_or(|r| list.len() < r.len()) {
                rarest = Some(list);
            }
        }
        let Some(candidates) = rarest else {
            return Vec::new();
        };
        candidates
            .iter()
            .filter_map(|&(_, i)| Some((i as usize, workloads.get(i as usize)?)))
            .filter(|(_, w)| {
                &*w.key.namespace == ns && selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
            })
            .collect()
    }
}

/// The containers and ports of `w` a Service port's `targetPort` reaches (by number or by
/// port name).
fn target_containers(w: &WorkloadFact, svc: &ServiceFact) -> (Vec<Box<str>>, Vec<i64>) {
    let mut containers = Vec::new();
    let mut ports = Vec::new();
    for (_, target) in &svc.ports {
        let number: Option<i64> = target.parse().ok();
        for c in w.containers.iter().filter(|c| c.runs_alongside()) {
            for p in &c.ports {
                if Some(p.container_port) == number || (number.is_none() && *p.name == **target) {
                    if !containers.contains(&c.name) {
                        containers.push(c.name.clone());
                    }
                    if !ports.contains(&p.container_port) {
                        ports.push(p.container_port);
                    }
                }
            }
        }
    }
    (containers, ports)
}

/// The exposures the scan shows by itself (see the module doc). Linear in the objects:
/// Services are matched through the label index, Ingresses through a Service name index.
pub fn simple_exposures(input: &RiskInput) -> Vec<Exposure> {
    let mut out = routed_exposures(input);
    for w in input.workloads.iter() {
        out.extend(port_exposures(&w));
    }
    out
}

/// The exposures through Services and Ingresses (those of [`simple_exposures`] that join
/// objects).
pub fn routed_exposures(input: &RiskInput) -> Vec<Exposure> {
    let index = LabelIndex::new(&input.workloads);
    let mut out = Vec::new();
    // Per Service (by namespace and name): its position and the workloads it selects.
    type Selected = (usize, Vec<usize>);
    let mut selected: HashMap<(Box<str>, Box<str>), Selected> = HashMap::default();
    for (si, svc) in input.services.iter().enumerate() {
        let Some((selector, sel_at)) = &svc.selector else {
            continue;
        };
        let hits = index.select(&input.workloads, &svc.namespace, selector);
        for (_, w) in &hits {
            let (containers, ports) = target_containers(w, &svc);
            out.push(Exposure {
                workload: w.key.clone(),
                entry: EntryKind::Service,
                namespace: svc.namespace.clone(),
                name: svc.name.clone(),
                from_internet: svc.external(),
                via: vec![svc.type_at.clone(), sel_at.clone()],
                containers,
                ports,
            });
        }
        let hits = hits.into_iter().map(|(i, _)| i).collect();
        selected.insert((svc.namespace.clone(), svc.name.clone()), (si, hits));
    }
    for ing in &input.ingresses {
        for (backend, at) in &ing.backends {
            let Some((si, hits)) = selected.get(&(ing.namespace.clone(), backend.clone())) else {
                continue;
            };
            let Some(svc) = input.services.get(*si) else {
                continue;
            };
            for w in hits.iter().filter_map(|&i| input.workloads.get(i)) {
                let (containers, ports) = target_containers(&w, &svc);
                let mut via = vec![at.clone()];
                via.extend(svc.selector.as_ref().map(|(_, at)| at.clone()));
                out.push(Exposure {
                    workload: w.key.clone(),
                    entry: EntryKind::Ingress,
                    namespace: ing.namespace.clone(),
                    name: ing.name.clone(),
                    from_internet: true,
                    via,
                    containers,
                    ports,
                });
            }
        }
    }
    out
}

/// The exposures of a workload's own ports: each port of a container that runs alongside the
/// others, from the node's address (a `hostPort`, or any port of a `hostNetwork` pod) or from
/// the pod network. They need no other object, so the graph computes them workload by
/// workload ([`crate::RiskGraph::build`]) rather than keeping them all.
pub fn port_exposures(w: &WorkloadFact) -> Vec<Exposure> {
    let mut out = Vec::new();
    for c in w.containers.iter().filter(|c| c.runs_alongside()) {
        for p in &c.ports {
            let on_host = p.host_port.is_some() || w.host_network.is_some();
            let name: Box<str> = if !p.name.is_empty() {
                p.name.clone()
            } else {
                format!(
                    "{}::{}",
                    p.protocol,
                    p.host_port.unwrap_or(p.container_port)
                )
                .into()
            };
            let mut via = vec![p.at.clone()];
            if p.host_port.is_none() {
                via.extend(w.host_network.clone());
            }
            out.push(Exposure {
                workload: w.key.clone(),
                entry: if on_host {
                    EntryKind::HostPort
                } else {
                    EntryKind::ContainerPort
                },
                namespace: w.key.namespace.clone(),
                name,
                from_internet: on_host,
                via,
                containers: vec![c.name.clone()],
                ports: vec![p.container_port],
            });
        }
    }
    out
}

/// The workloads of the facts as kubeward-netpol's model takes them
/// ([`NetModel::push_workload`](kubeward_netpol::NetModel::push_workload)), named as the
/// graph names them: labels, the
/// ports of the regular containers (init containers have exited; a port whose number or
/// protocol the API server would refuse is left out, as kubeward-netpol's reader leaves it),
/// host ports and host networking.
pub fn network_workloads(
    input: &RiskInput,
) -> impl Iterator<Item = kubeward_netpol::Workload> + '_ {
    use kubeward_netpol::model::ContainerPort;
    use kubeward_netpol::Protocol;
    input.workloads.iter().map(|w| {
        let mut ports = Vec::new();
        let mut host_ports = Vec::new();
        for c in w.containers.iter().filter(|c| c.list == "containers") {
            for p in c.ports.iter() {
                let Some(protocol) = Protocol::parse(&p.protocol) else {
                    continue;
                };
                if let Some(h) = p.host_port.and_then(|h| u16::try_from(h).ok()) {
                    host_ports.push((h, protocol));
                }
                let Ok(port) = u16::try_from(p.container_port) else {
                    continue;
                };
                if port == 0 {
                    continue;
                }
                ports.push(ContainerPort {
                    name: (!p.name.is_empty()).then(|| p.name.clone()),
                    port,
                    protocol,
                });
            }
        }
        kubeward_netpol::Workload {
            namespace: w.key.namespace.to_string(),
            name: w.key.name.to_string(),
            kind: w.key.kind.to_string(),
            labels: w.labels,
            ports,
            host_network: w.host_network.is_some(),
            host_ports,
            service_account: w.service_account.to_string(),
            virtual_machine: false,
            loc: kubeward_netpol::Loc {
                file: w.at.file.clone(),
                pos: kubeward_yaml::Pos {
                    line: w.at.line,
                    column: w.at.column,
                },
            },
        }
    })
}

/// What a workload's NetworkPolicies let in, as [`ExposureFilter`] keeps it.
#[derive(Debug)]
struct Reach {
    from_external: kubeward_netpol::conns::ConnSet,
    from_pods: kubeward_netpol::conns::ConnSet,
    entry_points: Box<[kubeward_netpol::conns::ConnSet]>,
}

/// Which exposures the scan's NetworkPolicies let through (kubeward-netpol's exact semantics):
/// a path through a Service, an Ingress or a container port exists only if the workload's
/// ingress policies let in something on its ports, from outside the cluster for internet
/// exposure (through its entry points, e.g. a LoadBalancer's source ranges, or directly), from
/// the scan's pods otherwise. Host ports stay: host networking bypasses NetworkPolicies, and
/// whether a CNI applies them to host ports varies. A workload the network model does not know
/// keeps its exposures (nothing is dropped on a guess).
///
/// Owned, so that the network model can be dropped before the graph is built; a workload that
/// its policies leave open both ways (most of them) is kept as one byte, not as port sets.
#[derive(Debug)]
pub struct ExposureFilter {
    reach: HashMap<ObjectKey, Option<Box<Reach>>>,
    /// Every port of every protocol.
    all: kubeward_netpol::conns::ConnSet,
}

impl ExposureFilter {
    pub fn new(network: &kubeward_netpol::Network) -> ExposureFilter {
        use kubeward_netpol::conns::ConnSet;
        let all = ConnSet::all();
        let reach = network
            .exposure()
            .into_iter()
            .filter_map(|x| {
                let w = network.workloads().get(x.workload)?;
                let key = ObjectKey::new(&w.kind, &w.namespace, &w.name);
                let open = x.from_external == all
                    && x.from_pods == all
                    && x.entry_points.iter().all(|ep| ep.allowed == all);
                let reach = (!open).then(|| {
                    Box::new(Reach {
                        from_external: x.from_external,
                        from_pods: x.from_pods,
                        entry_points: x.entry_points.into_iter().map(|ep| ep.allowed).collect(),
                    })
                });
                Some((key, reach))
            })
            .collect();
        ExposureFilter { reach, all }
    }

    /// The policies let this exposure through.
    pub fn allows(&self, e: &Exposure) -> bool {
        use kubeward_netpol::conns::{ConnSet, Protocol};
        if e.entry == EntryKind::HostPort {
            return true;
        }
        let Some(reach) = self.reach.get(&e.workload) else {
            return true;
        };
        // Whether `set` lets in one of `ports` (any port when unknown).
        let opens = |set: &ConnSet, ports: &[i64]| {
            if ports.is_empty() {
                return !set.is_empty();
            }
            ports.iter().any(|&p| {
                u16::try_from(p)
                    .is_ok_and(|p| Protocol::ALL.iter().any(|&proto| set.contains(proto, p)))
            })
        };
        let Some(x) = reach else {
            // Open both ways: what an everything-set lets in.
            return opens(&self.all, &e.ports);
        };
        if e.from_internet {
            opens(&x.from_external, &e.ports) || x.entry_points.iter().any(|ep| opens(ep, &e.ports))
        } else {
            opens(&x.from_pods, &e.ports)
        }
    }
}

/// The exposures that the scan's NetworkPolicies let through ([`ExposureFilter`]).
pub fn allowed_by_policies(
    exposures: Vec<Exposure>,
    network: &kubeward_netpol::Network,
) -> Vec<Exposure> {
    let filter = ExposureFilter::new(network);
    exposures.into_iter().filter(|e| filter.allows(e)).collect()
}
