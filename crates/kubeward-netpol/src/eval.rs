//! The NetworkPolicy semantics of the Kubernetes API, for one connection:
//!
//! * a pod that no policy selects for a direction is not isolated in that direction: all of
//!   that direction is allowed;
//! * a pod that policies select is isolated: only what some rule of those policies allows
//!   passes (policies add up, never subtract);
//! * a connection from A to B is allowed when A's egress allows it and B's ingress allows it.
//!
//! Pods' IP addresses are unknown to a manifest, so `ipBlock` peers match only external
//! endpoints (as netpol-analyzer treats them), and pod/namespace selectors only pods.

use std::sync::OnceLock;

use kubeward_model::Labels;
use serde::Serialize;

use crate::conns::ConnSet;
use crate::ip::IpSet;
use crate::load::NAMESPACE_NAME_LABEL;
use crate::model::{Direction, Policy, PortSpec, Rule, RulePeer};
use crate::network::Network;

/// The namespace netpol-analyzer places its stand-in ingress-controller pod in.
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-controller-ns";

/// One end of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A workload, by index into [`Network::workloads`].
    Workload(usize),
    /// Addresses outside the cluster.
    External(IpSet),
    /// The ingress controller that serves Ingresses and Routes: a pod without labels in the
    /// namespace `ingress-controller-ns` (what netpol-analyzer assumes about it).
    IngressController,
}

/// A rule that allowed part of a connection.
#[derive(Clone, Debug, Serialize)]
pub struct RuleMatch {
    /// Index into [`Network::policies`].
    pub policy: u32,
    pub direction: Direction,
    /// Index of the rule in the policy's `ingress` or `egress` list.
    pub rule: usize,
    /// What this rule allows of the connection.
    pub conns: ConnSet,
}

/// One direction of a connection: the egress of the source or the ingress of the destination.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub direction: Direction,
    /// The policies that isolate this end (empty: not isolated, everything allowed).
    pub isolated_by: Vec<u32>,
    /// The rules that allow something, with what each allows.
    pub rules: Vec<RuleMatch>,
    /// What this side allows.
    pub allowed: ConnSet,
}

/// The answer for a connection: both sides and what passes both.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub egress: Side,
    pub ingress: Side,
    pub allowed: ConnSet,
}

fn ingress_controller_ns_labels() -> &'static Labels {
    static L: OnceLock<Labels> = OnceLock::new();
    L.get_or_init(|| {
        [(NAMESPACE_NAME_LABEL, INGRESS_CONTROLLER_NAMESPACE)]
            .into_iter()
            .collect()
    })
}

impl Network {
    /// Everything the policies decide about connections from `src` to `dst`.
    pub fn evaluate(&self, src: &Endpoint, dst: &Endpoint) -> Verdict {
        let egress = self.side(Direction::Egress, src, dst);
        let ingress = self.side(Direction::Ingress, src, dst);
        let allowed = egress.allowed.intersect(&ingress.allowed);
        Verdict {
            egress,
            ingress,
            allowed,
        }
    }

    /// What passes from `src` to `dst` (both directions applied).
    pub fn allowed(&self, src: &Endpoint, dst: &Endpoint) -> ConnSet {
        let egress = self.side_conns(Direction::Egress, src, dst);
        if egress.is_empty() {
            return egress;
        }
        egress.intersect(&self.side_conns(Direction::Ingress, src, dst))
    }

    /// The side without the explanation (no allocation per rule).
    fn side_conns(&self, d: Direction, src: &Endpoint, dst: &Endpoint) -> ConnSet {
        let (me, peer) = match d {
            Direction::Egress => (src, dst),
            Direction::Ingress => (dst, src),
        };
        let Endpoint::Workload(w) = me else {
            return ConnSet::all();
        };
        let isolating = self.selecting(*w, d);
        if isolating.is_empty() {
            return ConnSet::all();
        }
        let mut allowed = ConnSet::none();
        for &pi in isolating {
            let Some(p) = self.policies().get(pi as usize) else {
                continue;
            };
            for r in p.rules(d) {
                if self.rule_selects(p, r, peer) {
                    allowed.add(&self.rule_conns(r, dst));
                    if allowed.is_all() {
                        return allowed;
                    }
                }
            }
        }
        allowed
    }

    fn side(&self, d: Direction, src: &Endpoint, dst: &Endpoint) -> Side {
        let (me, peer) = match d {
            Direction::Egress => (src, dst),
            Direction::Ingress => (dst, src),
        };
        let mut side = Side {
            direction: d,
            isolated_by: Vec::new(),
            rules: Vec::new(),
            allowed: ConnSet::all(),
        };
        let Endpoint::Workload(w) = me else {
            return side;
        };
        side.isolated_by = self.selecting(*w, d).to_vec();
        if side.isolated_by.is_empty() {
            return side;
        }
        side.allowed = ConnSet::none();
        for &pi in &side.isolated_by {
            let Some(p) = self.policies().get(pi as usize) else {
                continue;
            };
            for (ri, r) in p.rules(d).iter().enumerate() {
                if !self.rule_selects(p, r, peer) {
                    continue;
                }
                let conns = self.rule_conns(r, dst);
                if conns.is_empty() {
                    continue;
                }
                side.allowed.add(&conns);
                side.rules.push(RuleMatch {
                    policy: pi,
                    direction: d,
                    rule: ri,
                    conns,
                });
            }
        }
        side
    }

    /// Whether a rule's `from`/`to` matches `peer`.
    pub fn rule_selects(&self, policy: &Policy, rule: &Rule, peer: &Endpoint) -> bool {
        rule.all_peers
            || rule
                .peers
                .iter()
                .any(|rp| self.peer_matches(policy, rp, peer))
    }

    fn peer_matches(&self, policy: &Policy, rp: &RulePeer, peer: &Endpoint) -> bool {
        match rp {
            RulePeer::Nothing => false,
            RulePeer::IpBlock { block, .. } => match peer {
                Endpoint::External(set) => !set.is_empty() && set.is_subset(block),
                _ => false,
            },
            RulePeer::Selectors {
                namespaces, pods, ..
            } => {
                let empty = Labels::default();
                let (ns_name, ns_labels, pod_labels) = match peer {
                    Endpoint::External(_) => return false,
                    Endpoint::IngressController => (
                        INGRESS_CONTROLLER_NAMESPACE,
                        ingress_controller_ns_labels(),
                        &empty,
                    ),
                    Endpoint::Workload(w) => {
                        let Some(w) = self.workloads().get(*w) else {
                            return false;
                        };
                        let ns_labels = self.namespace(&w.namespace).map_or(&empty, |n| &n.labels);
                        (w.namespace.as_str(), ns_labels, &w.labels)
                    }
                };
                let ns_ok = match namespaces {
                    None => ns_name == policy.namespace,
                    Some(sel) => sel.matches(ns_labels),
                };
                ns_ok && pods.as_ref().is_none_or(|sel| sel.matches(pod_labels))
            }
        }
    }

    /// What a rule's `ports` allow towards `dst` (named ports resolve on `dst`'s containers;
    /// towards anything but a workload they match nothing).
    pub fn rule_conns(&self, rule: &Rule, dst: &Endpoint) -> ConnSet {
        if rule.all_ports {
            return ConnSet::all();
        }
        let mut out = ConnSet::none();
        for p in &rule.ports {
            let c = match &p.port {
                PortSpec::All => ConnSet::of(p.protocol, crate::conns::all_ports()),
                PortSpec::Range(a, b) => {
                    ConnSet::of(p.protocol, crate::ranges::Ranges::range(*a, *b))
                }
                PortSpec::Named(name) => match dst {
                    Endpoint::Workload(w) => self
                        .workloads()
                        .get(*w)
                        .and_then(|w| w.named_port(name))
                        .filter(|&(_, proto)| proto == p.protocol)
                        .map_or_else(ConnSet::none, |(n, proto)| ConnSet::port(proto, n)),
                    _ => ConnSet::none(),
                },
            };
            out.add(&c);
        }
        out
    }
}
