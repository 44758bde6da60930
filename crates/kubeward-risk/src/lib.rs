//! kubeward-risk: the entity graph of a scan and its ranked attack paths.
//!
//! * [`RiskInput`] collects compact facts from located objects ([`RiskInput::add_object`], as
//!   the engine walks them, or [`read_text`]), image vulnerabilities
//!   ([`RiskInput::add_image_vuln`]) and network exposure ([`RiskInput::set_exposures`], or the
//!   simple exposure of [`exposure::simple_exposures`]).
//! * [`RiskGraph::build`] turns them into a graph (petgraph) of entities (the internet, the pod
//!   network, Services, Ingresses and ports, workloads, containers, nodes, identities,
//!   permission sets, Secrets, volumes) and attack edges, each with a stable kind
//!   ([`EdgeKind`], KubeHound's names where they correspond) and its evidence: the manifest
//!   field (file, line, column, field path) or the RBAC rule and binding.
//! * [`RiskGraph::risks`] finds, for each entry point (the internet, any pod of the cluster,
//!   users and groups) and each impact (cluster-admin, a node, Secrets, a data volume), the
//!   best-scored path, and ranks them. [`render`] writes them as text, JSON, Mermaid or DOT.
//!
//! # Score
//!
//! ```text
//! score = 100 × exposure × likelihood × impact          (rounded to 0.1; 0 to 100)
//! likelihood = product of the likelihoods of the path's edges
//! ```
//!
//! * exposure (the entry point): the internet 1.0; anonymous or unauthenticated API access
//!   1.0; any authenticated identity 0.6; any pod of the cluster 0.5; a user or group 0.3;
//! * likelihood (each edge, [`EdgeKind::likelihood`]): 1.0 for what takes no exploit (a
//!   mounted token, a permission, a network route), down to 0.2 for guessing token Secret
//!   names; ENDPOINT_EXPLOIT 0.3, VULNERABLE_IMAGE 0.9 (critical) or 0.7 (high);
//! * impact (the target, [`risk::impact`]): cluster-admin 1.0, node takeover 0.9, every
//!   Secret of the cluster 0.8, of a namespace 0.7, one Secret 0.6, a data volume 0.5.
//!
//! Each risk carries the three factors with their values and reasons, and each step its edge
//! with its likelihood and evidence ([`render::json`]). Risks are ranked by score, then by
//! their id (`entry->impact`): a total, stable order. `docs/risks.md` has the details and the
//! comparison with KubeHound.

pub mod build;
pub mod exposure;
pub mod facts;
pub mod graph;
pub mod pack;
mod pack_netpol;
mod pack_rbac;
pub mod render;
pub mod risk;
pub mod rules;

pub use build::{EdgeRef, EntityId, RiskGraph};
pub use exposure::{EntryKind, Exposure};
pub use facts::{read_text, Location, ObjectKey, RiskInput, Severity};
pub use graph::{Edge, EdgeKind, Entity, Evidence, Hub};
pub use risk::{Factor, Risk, RiskOptions, Risks};

/// The maps of the facts and of the graph's build, keyed by the input's names and
/// positions. foldhash, seeded per process: SipHash (the standard library's) was a tenth of
/// the build of a large graph, and the random seed still keeps names crafted to collide
/// from turning a map's lookups quadratic.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`Map`].
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

#[cfg(test)]
mod tests;
