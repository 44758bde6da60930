//! The list of allowed connections, in np-guard netpol-analyzer's text format:
//!
//! ```text
//! backend/checkout[Deployment] => payments/gateway[Deployment] : TCP 8080
//! 0.0.0.0-255.255.255.255[External] => default/frontend[Deployment] : All Connections
//! {ingress-controller} => frontend/webapp[Deployment] : TCP 8080
//! ```
//!
//! Peers are the workloads and the external address ranges: the address space cut at every
//! edge of the `ipBlock`s of ingress rules (for sources) and of egress rules (for
//! destinations), so that each range is treated alike by every policy. A workload's connections
//! to itself are left out, as are empty ones.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::conns::ConnSet;
use crate::eval::Endpoint;
use crate::ingress::PortCheck;
use crate::ip::{partition, Family, IpSet};
use crate::model::{Direction, RulePeer};
use crate::network::Network;

/// One line of the connection list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Connection {
    pub src: String,
    pub dst: String,
    pub conns: String,
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {} : {}", self.src, self.dst, self.conns)
    }
}

/// How an external range is named: `0.0.0.0-255.255.255.255[External]`.
pub fn external_name(set: &IpSet) -> String {
    format!("{set}[External]")
}

/// The name of the ingress controller peer.
pub const INGRESS_CONTROLLER: &str = "{ingress-controller}";

impl Network {
    /// The `ipBlock`s of every rule of direction `d` (each contiguous range on its own).
    pub fn ip_blocks(&self, d: Direction) -> Vec<IpSet> {
        let mut out = Vec::new();
        for p in self.policies() {
            for r in p.rules(d) {
                for peer in &r.peers {
                    if let RulePeer::IpBlock { block, .. } = peer {
                        out.extend(block.split());
                    }
                }
            }
        }
        out
    }

    /// The external address ranges for direction `d` (see the module doc): all of IPv4, and
    /// all of IPv6 when some rule of that direction names IPv6 addresses.
    pub fn external_ranges(&self, d: Direction) -> Vec<IpSet> {
        let blocks = self.ip_blocks(d);
        let mut universe = IpSet::all_v4();
        if blocks.iter().any(|b| b.has(Family::V6)) {
            universe = IpSet::all();
        }
        partition(&blocks, &universe)
    }

    /// Every allowed connection, sorted by source then destination.
    pub fn connections(&self) -> Vec<Connection> {
        if self.workloads().is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = self.workloads().iter().map(|w| w.display()).collect();
        let mut out = Vec::new();
        let mut push = |src: String, dst: String, c: ConnSet| {
            if !c.is_empty() {
                out.push(Connection {
                    src,
                    dst,
                    conns: c.to_string(),
                });
            }
        };
        for range in self.external_ranges(Direction::Ingress) {
            let label = external_name(&range);
            let src = Endpoint::External(range);
            for (j, name) in names.iter().enumerate() {
                push(
                    label.clone(),
                    name.clone(),
                    self.allowed(&src, &Endpoint::Workload(j)),
                );
            }
        }
        let dst_ranges: Vec<(String, Endpoint)> = self
            .external_ranges(Direction::Egress)
            .into_iter()
            .map(|r| (external_name(&r), Endpoint::External(r)))
            .collect();
        for (i, src_name) in names.iter().enumerate() {
            let src = Endpoint::Workload(i);
            for (label, dst) in &dst_ranges {
                push(src_name.clone(), label.clone(), self.allowed(&src, dst));
            }
            for (j, dst_name) in names.iter().enumerate() {
                // A workload to itself (its own replicas) is not listed.
                if dst_name != src_name {
                    push(
                        src_name.clone(),
                        dst_name.clone(),
                        self.allowed(&src, &Endpoint::Workload(j)),
                    );
                }
            }
        }
        for (w, routed) in self.ingress_controller_reach(PortCheck::Declared) {
            if let Some(name) = names.get(w) {
                push(INGRESS_CONTROLLER.to_string(), name.clone(), routed);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// What the ingress controller may open to each workload: the TCP ports routes send to,
    /// as far as the workload's policies let the controller in.
    pub fn ingress_controller_reach(&self, check: PortCheck) -> BTreeMap<usize, ConnSet> {
        let mut per: BTreeMap<usize, ConnSet> = BTreeMap::new();
        for r in self.routed(check) {
            per.entry(r.workload).or_default().add(&r.conns);
        }
        per.into_iter()
            .map(|(w, c)| {
                let allowed = self.allowed(&Endpoint::IngressController, &Endpoint::Workload(w));
                (w, c.intersect(&allowed))
            })
            .filter(|(_, c)| !c.is_empty())
            .collect()
    }
}
