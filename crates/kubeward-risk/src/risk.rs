//! Risks: the best-scored path from each entry point to each impact, scored and ranked.
//!
//! The search is Dijkstra's algorithm per entry point on edge costs `-ln(likelihood)` (an
//! integer in millionths, so ties are exact and the order deterministic): the cheapest path
//! is the one with the highest product of likelihoods. Each entity is settled once per entry,
//! so one search costs O((V + E) log V) and the whole search O(entries × (V + E) log V); no
//! path is ever enumerated, so nothing is exponential, and the number of entries is bounded
//! ([`RiskOptions::max_identity_entries`]). Keeping one best path per (entry, impact) pair is
//! safe because every factor of the score but the path's likelihood depends only on the
//! pair: the best-likelihood path is the best-scored one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use kubeward_rbac::SubjectKey;
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef as _;
use serde::Serialize;

use crate::build::{EntityId, RiskGraph};
use crate::facts::VolumeSource;
use crate::graph::{Entity, Hub};

/// What the search may start from and how far.
#[derive(Clone, Debug)]
pub struct RiskOptions {
    /// Users and groups taken as entry points (beyond the internet and the pod network),
    /// the first ones in key order; the rest are counted in [`Risks::skipped_entries`].
    pub max_identity_entries: usize,
}

impl Default for RiskOptions {
    fn default() -> Self {
        RiskOptions {
            max_identity_entries: 256,
        }
    }
}

/// One factor of a score, for the machine-readable explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    /// `exposure`, `likelihood` or `impact`.
    pub name: &'static str,
    pub value: f64,
    /// Why it has this value.
    pub reason: String,
}

/// A path from an entry point to an impact, scored.
#[derive(Clone, Debug)]
pub struct Risk {
    /// `entry-key->impact-key`: stable across runs.
    pub id: String,
    pub entry: EntityId,
    pub impact: EntityId,
    /// The edges of the path, in order.
    pub steps: Vec<EdgeIndex>,
    /// `100 × exposure × likelihood × impact`, rounded to 0.1.
    pub score: f64,
    pub factors: [Factor; 3],
}

/// The ranked risks of a graph.
#[derive(Clone, Debug, Default)]
pub struct Risks {
    pub risks: Vec<Risk>,
    /// Users and groups not searched from (over [`RiskOptions::max_identity_entries`]).
    pub skipped_entries: usize,
}

/// The exposure factor of an entry point, with its reason; `None` for entities that are no
/// entry point.
pub fn exposure(e: &Entity) -> Option<(f64, &'static str)> {
    Some(match e {
        Entity::Internet => (1.0, "reachable from the internet"),
        Entity::Cluster => (0.5, "needs a foothold in some pod of the cluster"),
        Entity::Identity {
            subject,
            bound: true,
        } => match subject {
            SubjectKey::User { name } if name == "system:anonymous" => {
                (1.0, "anonymous requests: anyone who reaches the API server")
            }
            SubjectKey::Group { name } if name == "system:unauthenticated" => (
                1.0,
                "unauthenticated requests: anyone who reaches the API server",
            ),
            SubjectKey::Group { name } if name == "system:authenticated" => {
                (0.6, "any authenticated identity of the cluster")
            }
            SubjectKey::User { name } | SubjectKey::Group { name }
                if !name.starts_with("system:") =>
            {
                (0.3, "needs the credentials of this user or group")
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// The impact factor of an entity, with its reason; `None` for entities that are no impact.
pub fn impact(e: &Entity) -> Option<(f64, &'static str)> {
    Some(match e {
        Entity::ClusterAdmin => (1.0, "cluster-admin-equivalent power: the whole cluster"),
        Entity::Node(_) => (
            0.9,
            "node takeover: every pod, token and secret on the node",
        ),
        Entity::Hub(Hub::AllSecrets) => (0.8, "reads every Secret of the cluster"),
        Entity::Hub(Hub::SecretsIn(_)) => (0.7, "reads every Secret of a namespace"),
        Entity::Secret { .. } => (0.6, "reads a Secret"),
        Entity::Volume {
            source: VolumeSource::Pvc(_),
            ..
        } => (0.5, "reads and writes a data volume"),
        _ => return None,
    })
}

/// Costs in millionths of `-ln(likelihood)`.
fn cost(likelihood: f32) -> u64 {
    let l = f64::from(likelihood).clamp(1e-6, 1.0);
    (-l.ln() * 1e6).round() as u64
}

/// The order of [`Risks::risks`]: score descending, then id; a total order (ids are unique).
pub fn rank_order(a: &Risk, b: &Risk) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id))
}

impl RiskGraph {
    /// Every risk of the graph, ranked (see the crate documentation for the formula).
    pub fn risks(&self, opts: &RiskOptions) -> Risks {
        let g = &self.graph;
        let mut entries: Vec<(String, EntityId)> = g
            .node_indices()
            .filter(|&i| exposure(&g[i]).is_some())
            .map(|i| (g[i].key(), i))
            .collect();
        entries.sort();
        let mut skipped = 0;
        let mut identities = 0;
        entries.retain(|(_, i)| {
            if matches!(g[*i], Entity::Identity { .. }) {
                identities += 1;
                if identities > opts.max_identity_entries {
                    skipped += 1;
                    return false;
                }
            }
            true
        });
        let n = g.node_count();
        let mut dist = vec![u64::MAX; n];
        let mut hops = vec![u32::MAX; n];
        let mut pred: Vec<Option<EdgeIndex>> = vec![None; n];
        let mut touched: Vec<usize> = Vec::new();
        let mut risks = Vec::new();
        for (entry_key, entry) in &entries {
            for &t in &touched {
                dist[t] = u64::MAX;
                hops[t] = u32::MAX;
                pred[t] = None;
            }
            touched.clear();
            let mut heap = BinaryHeap::new();
            dist[entry.index()] = 0;
            hops[entry.index()] = 0;
            touched.push(entry.index());
            heap.push(Reverse((0u64, 0u32, entry.index())));
            while let Some(Reverse((d, h, u))) = heap.pop() {
                if (d, h) > (dist[u], hops[u]) {
                    continue;
                }
                let ui = EntityId::new(u);
                if ui != *entry {
                    if let Some(r) = self.risk_at(entry_key, *entry, ui, &pred) {
                        risks.push(r);
                    }
                }
                for e in g.edges(ui) {
                    let v = e.target().index();
                    let nd = d.saturating_add(cost(e.weight().likelihood));
                    let nh = h.saturating_add(1);
                    if (nd, nh) < (dist[v], hops[v]) {
                        if dist[v] == u64::MAX {
                            touched.push(v);
                        }
                        dist[v] = nd;
                        hops[v] = nh;
                        pred[v] = Some(e.id());
                        heap.push(Reverse((nd, nh, v)));
                    }
                }
            }
        }
        risks.sort_by(rank_order);
        Risks {
            risks,
            skipped_entries: skipped,
        }
    }

    /// The risk of reaching `at` from `entry`, if `at` is an impact. A Secret reached through a
    /// hub of Secrets is the hub's risk already.
    fn risk_at(
        &self,
        entry_key: &str,
        entry: EntityId,
        at: EntityId,
        pred: &[Option<EdgeIndex>],
    ) -> Option<Risk> {
        let g = &self.graph;
        let (impact, impact_reason) = impact(&g[at])?;
        let mut steps = Vec::new();
        let mut cur = at;
        // Bounded by the number of entities: a predecessor chain has no cycle.
        while cur != entry && steps.len() <= g.node_count() {
            let e = pred[cur.index()]?;
            steps.push(e);
            cur = g.edge_endpoints(e)?.0;
        }
        steps.reverse();
        if matches!(g[at], Entity::Secret { .. }) {
            let last = *steps.last()?;
            if matches!(g[g.edge_endpoints(last)?.0], Entity::Hub(_)) {
                return None;
            }
        }
        let (exposure, exposure_reason) = exposure(&g[entry])?;
        let likelihood: f64 = steps.iter().map(|&e| f64::from(g[e].likelihood)).product();
        let score = (1000.0 * exposure * likelihood * impact).round() / 10.0;
        Some(Risk {
            id: format!("{entry_key}->{}", g[at].key()),
            entry,
            impact: at,
            steps,
            score,
            factors: [
                Factor {
                    name: "exposure",
                    value: exposure,
                    reason: exposure_reason.to_string(),
                },
                Factor {
                    name: "likelihood",
                    value: likelihood,
                    reason: "product of the likelihoods of the steps".to_string(),
                },
                Factor {
                    name: "impact",
                    value: impact,
                    reason: impact_reason.to_string(),
                },
            ],
        })
    }
}
