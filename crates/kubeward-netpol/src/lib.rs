//! kubeward-netpol: Kubernetes NetworkPolicy and Service reachability — who can reach whom,
//! from where, and the policy and rule (with file, line and column) that decide it.
//!
//! Facts are read from located objects into a [`NetModel`] (one object at a time, so the
//! engine can feed it while it walks a scan; or from text with [`NetModel::read_text`]), then
//! indexed by [`NetModel::finish`] into a [`Network`] that answers:
//!
//! * [`Network::evaluate`] / [`Network::allowed`]: one connection, with the policies and rules
//!   behind the answer (the semantics of the Kubernetes NetworkPolicy API, see [`eval`]);
//! * [`Network::connections`]: every allowed connection, in the text format of np-guard's
//!   netpol-analyzer, checked against its upstream truth tables (tests/upstream_cases.rs);
//! * [`Network::exposure`]: for each workload, how it is exposed from outside (Services of type
//!   LoadBalancer and NodePort, Ingresses, Routes, Gateway API routes, host networking, host
//!   ports, external IPs) and whether the policies let that traffic and the cluster's pods in.

pub mod connlist;
pub mod conns;
pub mod eval;
pub mod exposure;
mod fields;
pub mod ingress;
pub mod ip;
pub mod load;
pub mod model;
pub mod network;
pub mod ranges;
mod read_policy;
mod read_service;
mod read_workload;
mod selector;

pub use connlist::Connection;
pub use conns::{ConnSet, Protocol};
pub use eval::{Endpoint, RuleMatch, Side, Verdict};
pub use ip::IpSet;
pub use load::{policy_problems, NetModel};
pub use model::{Direction, Loc, Policy, Workload};
pub use network::Network;
