//! Building the graph from the facts: one pass over each kind of fact, every cross-object
//! lookup through an index (by namespace, by name, by service account, by role), so the cost
//! is linear in the objects. Relations that would be quadratic (a permission over every pod
//! of a namespace) go through hubs ([`Hub`]).

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use crate::{Map as HashMap, Set as HashSet};
use std::sync::Arc;

use kubeward_rbac::{Grant, RbacModel, Request, RuleRef, SubjectKey};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::exposure::{port_exposures, routed_exposures, EntryKind, Exposure, ExposureFilter};
use crate::facts::{
    ContainerFact, ImageVuln, Location, ObjectKey, RiskInput, Severity, VolumeSource, WorkloadFact,
};
use crate::graph::{Edge, EdgeKind, Entity, Evidence, EvidenceTable, Evidences, Hub, Span};
use crate::rules::{self, Names};

/// The entity graph of a scan, with the RBAC model its permission edges were read from.
pub struct RiskGraph {
    pub(crate) graph: DiGraph<Entity, Edge>,
    pub(crate) rbac: RbacModel,
    /// Every edge's evidence ([`Edge`]), in one table.
    pub(crate) evidence: EvidenceTable,
}

/// An entity's index in the graph.
pub type EntityId = NodeIndex;

/// How many decoded workloads the decoding thread hands over at a time.
const DECODE_BATCH: usize = 64;

/// One edge, as [`RiskGraph::edges`] lists them.
#[derive(Clone, Copy, Debug)]
pub struct EdgeRef<'g> {
    pub from: EntityId,
    pub to: EntityId,
    pub edge: &'g Edge,
    /// What makes the edge.
    pub evidence: &'g [Evidence],
}

impl RiskGraph {
    /// Build the graph. Exposures come from [`RiskInput::set_exposures`] when given, else
    /// they are [`crate::exposure::simple_exposures`]'s, kept or not by the
    /// [`RiskInput::set_exposure_filter`] of the NetworkPolicies.
    pub fn build(input: RiskInput) -> RiskGraph {
        RiskGraph::build_with(input, None::<fn(&RiskInput) -> ExposureFilter>)
    }

    /// [`RiskGraph::build`] with the NetworkPolicies' verdict made by `filter` from the facts
    /// (kubeward's scan: the network model of its NetworkPolicies, Services and the facts'
    /// workloads), on a second thread while this one finds the exposures through Services
    /// and Ingresses.
    pub fn build_filtered(
        input: RiskInput,
        filter: impl FnOnce(&RiskInput) -> ExposureFilter + Send,
    ) -> RiskGraph {
        RiskGraph::build_with(input, Some(filter))
    }

    fn build_with(
        mut input: RiskInput,
        make_filter: Option<impl FnOnce(&RiskInput) -> ExposureFilter + Send>,
    ) -> RiskGraph {
        // Exposures through Services and Ingresses join objects and are found first; those of
        // a workload's own ports are computed as each workload is added
        // ([`port_exposures`]), so that they are never all in memory.
        let given = input.exposures.take();
        let own_ports = given.is_none();
        let rbac_objects = std::mem::take(&mut input.rbac);
        // The RBAC model is built after the filter's thread is done: the network model is
        // then gone, and their memory does not add up.
        let (exposures, made) = std::thread::scope(|scope| {
            let input = &input;
            let made = make_filter.map(|f| scope.spawn(move || f(input)));
            let exposures = given.unwrap_or_else(|| routed_exposures(input));
            let made = made.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            (exposures, made)
        });
        let rbac = RbacModel::from_objects(rbac_objects.into_iter_decoded());
        let filter = made.or_else(|| input.exposure_filter.take());
        let allowed = |e: &Exposure| filter.as_ref().is_none_or(|f| f.allows(e));
        let mut exposures_of: HashMap<ObjectKey, Vec<Exposure>> = HashMap::default();
        for e in exposures.into_iter().filter(|e| allowed(e)) {
            exposures_of.entry(e.workload.clone()).or_default().push(e);
        }
        // Each workload's facts are dropped once its entities and edges are in the graph, its
        // exposures with them: facts and graph are never both whole in memory.
        let workloads = std::mem::take(&mut input.workloads);
        let (graph, mut evidence) = {
            let mut b = Builder::new(&rbac, &input);
            // The workloads' share of the graph, sized up front: a graph grown by doubling
            // holds its old and new arrays at once (a quarter of the build's peak).
            let (nodes, edges) = workloads.iter().fold((0, 0), |(n, e), w| {
                let mounts: usize = w.containers.iter().map(|c| c.mounts.len()).sum();
                let ports: usize = w.containers.iter().map(|c| c.ports.len()).sum();
                let c = w.containers.len();
                // Its own ports' entry points, as the routed ones below are counted.
                let own = if own_ports && ports > 0 { 2 } else { 0 };
                (
                    n + 2 + 2 * c + mounts + own,
                    e + 2 + 5 * c + 2 * mounts + own,
                )
            });
            let (nodes, edges) = (
                nodes + 2 * exposures_of.len(),
                edges + 2 * exposures_of.len(),
            );
            b.g.reserve_exact_nodes(nodes);
            b.g.reserve_exact_edges(edges);
            // Workloads first: named permissions (`resourceNames`) look pods up by name.
            // Decoding a workload and finding its exposures are about a third of the build:
            // a second thread does them while this one adds the workloads before it to the
            // graph (in input order; a few batches in flight at most).
            std::thread::scope(|scope| {
                let (tx, rx) =
                    std::sync::mpsc::sync_channel::<Vec<(WorkloadFact, Vec<Exposure>)>>(4);
                let allowed = &allowed;
                scope.spawn(move || {
                    let mut exposures_of = exposures_of;
                    let mut batch = Vec::with_capacity(DECODE_BATCH);
                    for w in workloads.into_iter_decoded() {
                        let mut exposures = exposures_of.remove(&w.key).unwrap_or_default();
                        if own_ports {
                            exposures.extend(port_exposures(&w).into_iter().filter(|e| allowed(e)));
                        }
                        batch.push((w, exposures));
                        if batch.len() == DECODE_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(DECODE_BATCH));
                            if tx.send(full).is_err() {
                                return;
                            }
                        }
                    }
                    if !batch.is_empty() {
                        let _ = tx.send(batch);
                    }
                });
                for batch in rx {
                    for (w, exposures) in batch {
                        b.workload(&w, &exposures, &input.image_vulns);
                    }
                }
            });
            b.permission_sets();
            b.escalations();
            b.group_members();
            b.hub_members();
            (b.g, b.evidence)
        };
        evidence.shrink();
        RiskGraph {
            graph,
            rbac,
            evidence,
        }
    }

    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.graph[id]
    }

    pub fn entity_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn entities(&self) -> impl Iterator<Item = (EntityId, &Entity)> {
        self.graph.node_indices().map(|i| (i, &self.graph[i]))
    }

    pub fn edges(&self) -> impl Iterator<Item = EdgeRef<'_>> {
        self.graph.edge_indices().filter_map(|e| {
            let (from, to) = self.graph.edge_endpoints(e)?;
            let edge = &self.graph[e];
            Some(EdgeRef {
                from,
                to,
                edge,
                evidence: self.evidence(edge),
            })
        })
    }

    /// What makes an edge of this graph: the manifest fields, RBAC grants, vulnerabilities
    /// or the Kubernetes behaviour it rests on.
    pub fn evidence(&self, edge: &Edge) -> &[Evidence] {
        self.evidence.get(edge.evidence)
    }

    /// The edges leaving an entity.
    pub fn edges_from(&self, id: EntityId) -> impl Iterator<Item = EdgeRef<'_>> {
        use petgraph::visit::EdgeRef as _;
        self.graph.edges(id).map(move |e| EdgeRef {
            from: id,
            to: e.target(),
            edge: e.weight(),
            evidence: self.evidence(e.weight()),
        })
    }

    /// The RBAC model the permission edges come from (to resolve [`Evidence::Grant`]).
    pub fn rbac(&self) -> &RbacModel {
        &self.rbac
    }
}

/// Per role, the first rule that grants each capability the edge rules look for.
#[derive(Clone, Default)]
struct Caps {
    exec: Option<(RuleRef, Names)>,
    patch: Option<(RuleRef, Names)>,
    create: Option<RuleRef>,
    list_secrets: Option<RuleRef>,
    get_secrets: Option<RuleRef>,
    read_secrets: Option<(RuleRef, Names)>,
    impersonate_users: Option<(RuleRef, Names)>,
    impersonate_groups: Option<(RuleRef, Names)>,
    impersonate_sas: Option<(RuleRef, Names)>,
    create_crb: Option<RuleRef>,
    create_rb: Option<RuleRef>,
    bind_cr: Option<(RuleRef, Names)>,
    bind_r: Option<(RuleRef, Names)>,
}

/// Keep the widest grant: every name beats some names; names of several rules add up.
fn widen(slot: &mut Option<(RuleRef, Names)>, r: RuleRef, n: Option<Names>) {
    let Some(n) = n else { return };
    match (slot.as_mut(), n) {
        (None, n) => *slot = Some((r, n)),
        (Some((_, Names::All)), _) => {}
        (Some(s), Names::All) => *s = (r, Names::All),
        (Some((_, Names::Only(have))), Names::Only(more)) => {
            for m in more {
                if !have.contains(&m) {
                    have.push(m);
                }
            }
        }
    }
}

fn first(slot: &mut Option<RuleRef>, r: RuleRef, yes: bool) {
    if yes && slot.is_none() {
        *slot = Some(r);
    }
}

fn caps_of(model: &RbacModel, role: usize) -> Caps {
    let mut c = Caps::default();
    for &r in model.effective_rules(role) {
        let rule = model.rule(r);
        widen(&mut c.exec, r, rules::pod_exec(rule));
        widen(&mut c.patch, r, rules::pod_patch(rule));
        first(&mut c.create, r, rules::pod_create(rule));
        first(&mut c.list_secrets, r, rules::token_list(rule));
        first(&mut c.get_secrets, r, rules::token_bruteforce(rule));
        widen(&mut c.read_secrets, r, rules::secret_read(rule));
        widen(
            &mut c.impersonate_users,
            r,
            rules::identity_impersonate(rule, "users"),
        );
        widen(
            &mut c.impersonate_groups,
            r,
            rules::identity_impersonate(rule, "groups"),
        );
        widen(
            &mut c.impersonate_sas,
            r,
            rules::identity_impersonate(rule, "serviceaccounts"),
        );
        first(&mut c.create_crb, r, rules::create_bindings(rule, true));
        first(&mut c.create_rb, r, rules::create_bindings(rule, false));
        widen(&mut c.bind_cr, r, rules::bind_roles(rule, true));
        widen(&mut c.bind_r, r, rules::bind_roles(rule, false));
    }
    c
}

/// Entities with their namespace.
type Scoped<'a> = Vec<(&'a str, NodeIndex)>;

/// A container's entity and its facts, while its workload is being added.
struct ContainerRef<'w> {
    id: NodeIndex,
    fact: &'w ContainerFact,
}

struct Builder<'a> {
    g: DiGraph<Entity, Edge>,
    /// The edges' evidence ([`RiskGraph::evidence`]).
    evidence: EvidenceTable,
    /// Where each static slice of evidence is in `evidence` (by address and length): the
    /// structural edges share one run.
    statics: HashMap<(usize, usize), Span>,
    model: &'a RbacModel,
    /// The identities' entities, found by their subject without a second copy of it
    /// ([`Builder::identity_of`]).
    identities: hashbrown::HashTable<NodeIndex>,
    identity_hash: foldhash::fast::RandomState,
    hubs: BTreeMap<Hub, NodeIndex>,
    secrets: HashMap<(Box<str>, Box<str>), NodeIndex>,
    entries: HashMap<(EntryKind, Box<str>, Box<str>), NodeIndex>,
    /// (Source, entry point) and (entry point, container) pairs with their edge already.
    exposed: HashSet<(NodeIndex, NodeIndex)>,
    /// The workloads added (the same object twice: the first one stands).
    workloads: HashSet<Arc<ObjectKey>>,
    pods_by_ns: BTreeMap<Box<str>, Vec<NodeIndex>>,
    /// Workload name → its workloads (of any namespace; the entity has the namespace), made
    /// when a permission first names pods ([`Builder::pods_named`]).
    pods_by_name: Option<HashMap<Box<str>, Vec<NodeIndex>>>,
    /// Secret name → its entities (any namespace).
    secrets_by_name: HashMap<Box<str>, Vec<NodeIndex>>,
    /// Per binding, its permission set.
    permission_sets: Vec<Option<NodeIndex>>,
    cluster_permsets_by_role: HashMap<Box<str>, Vec<NodeIndex>>,
    /// (role is a ClusterRole, role name) → (namespace, permission set) of RoleBindings.
    ns_permsets_by_role: HashMap<(bool, Box<str>), Scoped<'a>>,
    sa_automount: HashMap<(&'a str, &'a str), bool>,
    /// The identity of group system:nodes.
    nodes_group: Option<NodeIndex>,
    /// Namespaces whose Pod Security Admission enforces baseline or restricted.
    psa_enforced: HashMap<&'a str, &'a Location>,
    any_node: Option<NodeIndex>,
    cluster: Option<NodeIndex>,
    internet: Option<NodeIndex>,
    cluster_admin: Option<NodeIndex>,
}

/// The evidence of a structural edge: how Kubernetes behaves, one static slice per sentence
/// ([`Evidences`]).
macro_rules! implicit {
    ($why:expr $(,)?) => {{
        const WHY: &[Evidence] = &[Evidence::Kubernetes($why)];
        Evidences::Borrowed(WHY)
    }};
}

impl<'a> Builder<'a> {
    fn new(model: &'a RbacModel, input: &'a RiskInput) -> Self {
        let mut b = Builder {
            g: DiGraph::new(),
            evidence: EvidenceTable::default(),
            statics: HashMap::default(),
            model,
            identities: hashbrown::HashTable::new(),
            identity_hash: foldhash::fast::RandomState::default(),
            hubs: BTreeMap::new(),
            secrets: HashMap::default(),
            entries: HashMap::default(),
            exposed: HashSet::default(),
            workloads: HashSet::default(),
            pods_by_ns: BTreeMap::new(),
            pods_by_name: None,
            secrets_by_name: HashMap::default(),
            permission_sets: Vec::new(),
            cluster_permsets_by_role: HashMap::default(),
            ns_permsets_by_role: HashMap::default(),
            sa_automount: input
                .service_accounts
                .iter()
                .filter_map(|s| Some(((&*s.namespace, &*s.name), s.automount?)))
                .collect(),
            psa_enforced: input
                .namespaces
                .iter()
                .filter_map(|n| {
                    let (level, at) = n.enforce.as_ref()?;
                    matches!(&**level, "baseline" | "restricted").then_some((&*n.name, at))
                })
                .collect(),
            nodes_group: None,
            any_node: None,
            cluster: None,
            internet: None,
            cluster_admin: None,
        };
        for s in &input.service_accounts {
            b.identity(SubjectKey::service_account(&s.namespace, &s.name));
        }
        for s in &input.secrets {
            b.secret(&s.namespace, &s.name);
        }
        b
    }

    fn edge(&mut self, from: NodeIndex, kind: EdgeKind, to: NodeIndex, evidence: Evidences) {
        self.edge_likely(from, kind, kind.likelihood() as f32, to, evidence);
    }

    fn edge_likely(
        &mut self,
        from: NodeIndex,
        kind: EdgeKind,
        likelihood: f32,
        to: NodeIndex,
        evidence: Evidences,
    ) {
        // A self-loop is no attack (ROLE_BIND of a permission set to itself).
        if from == to {
            return;
        }
        let span = match evidence {
            Evidences::Borrowed(slice) => {
                let key = (slice.as_ptr() as usize, slice.len());
                match self.statics.get(&key) {
                    Some(&span) => span,
                    None => {
                        let span = self.evidence.push(Evidences::Borrowed(slice));
                        self.statics.insert(key, span);
                        span
                    }
                }
            }
            other => self.evidence.push(other),
        };
        self.g.add_edge(
            from,
            to,
            Edge {
                kind,
                likelihood,
                evidence: span,
            },
        );
    }

    fn identity(&mut self, subject: SubjectKey) -> NodeIndex {
        self.identity_of(SubjectRef::of(&subject))
    }

    /// The identity's entity, added the first time; the subject is copied only then.
    fn identity_of(&mut self, subject: SubjectRef<'_>) -> NodeIndex {
        if let Some(i) = self.find_identity(subject) {
            return i;
        }
        let subject = subject.to_key();
        let bound = !self.model.bindings_of(&subject).is_empty();
        let hash = self.identity_hash.hash_one(SubjectRef::of(&subject));
        let i = self.g.add_node(Entity::Identity { subject, bound });
        let (g, hasher) = (&self.g, &self.identity_hash);
        self.identities.insert_unique(hash, i, |&j| {
            subject_of(g, j).map_or(0, |s| hasher.hash_one(s))
        });
        i
    }

    fn find_identity(&self, subject: SubjectRef<'_>) -> Option<NodeIndex> {
        let hash = self.identity_hash.hash_one(subject);
        self.identities
            .find(hash, |&i| subject_of(&self.g, i) == Some(subject))
            .copied()
    }

    /// The identities, with their subjects.
    fn identities(&self) -> impl Iterator<Item = (&SubjectKey, NodeIndex)> + '_ {
        self.identities.iter().filter_map(|&i| match &self.g[i] {
            Entity::Identity { subject, .. } => Some((subject, i)),
            _ => None,
        })
    }

    fn hub(&mut self, h: Hub) -> NodeIndex {
        if let Some(&i) = self.hubs.get(&h) {
            return i;
        }
        let i = self.g.add_node(Entity::Hub(h.clone()));
        self.hubs.insert(h, i);
        i
    }

    fn secret(&mut self, ns: &str, name: &str) -> NodeIndex {
        let key: (Box<str>, Box<str>) = (ns.into(), name.into());
        if let Some(&i) = self.secrets.get(&key) {
            return i;
        }
        let i = self.g.add_node(Entity::Secret {
            namespace: key.0.clone(),
            name: key.1.clone(),
        });
        self.secrets_by_name
            .entry(key.1.clone())
            .or_default()
            .push(i);
        self.secrets.insert(key, i);
        i
    }

    fn singleton(
        slot: &mut Option<NodeIndex>,
        g: &mut DiGraph<Entity, Edge>,
        e: Entity,
    ) -> NodeIndex {
        *slot.get_or_insert_with(|| g.add_node(e))
    }

    fn any_node(&mut self) -> NodeIndex {
        Self::singleton(&mut self.any_node, &mut self.g, Entity::Node(None))
    }

    fn cluster_admin(&mut self) -> NodeIndex {
        Self::singleton(&mut self.cluster_admin, &mut self.g, Entity::ClusterAdmin)
    }

    /// A permission set per binding whose role is in the input, its PERMISSION_DISCOVER edges
    /// from the subjects, then the edges its rules make.
    fn permission_sets(&mut self) {
        let model = self.model;
        self.permission_sets = vec![None; model.bindings.len()];
        for (bi, b) in model.bindings.iter().enumerate() {
            let Some(role) = model.role_of_binding(bi) else {
                continue;
            };
            let r = &model.roles[role];
            let p = self.g.add_node(Entity::PermissionSet {
                binding: bi as u32,
                name: format!("{}::{}", r.name, b.name).into(),
                namespace: b.namespace.as_str().into(),
                cluster_role: r.cluster,
            });
            self.permission_sets[bi] = Some(p);
            if b.cluster {
                self.cluster_permsets_by_role
                    .entry(r.name.as_str().into())
                    .or_default()
                    .push(p);
            } else {
                self.ns_permsets_by_role
                    .entry((r.cluster, r.name.as_str().into()))
                    .or_default()
                    .push((b.namespace.as_str(), p));
            }
            for s in &b.subjects {
                let Some(key) = SubjectKey::of_binding_subject(&s.kind, &s.name, &s.namespace)
                else {
                    continue;
                };
                let id = self.identity(key);
                let at = Location::new(&b.origin.file, s.pos, s.path.clone());
                self.edge(
                    id,
                    EdgeKind::PermissionDiscover,
                    p,
                    Evidences::One(Evidence::Field(at)),
                );
            }
        }
        let mut caps: HashMap<usize, Caps> = HashMap::default();
        for (bi, b) in model.bindings.iter().enumerate() {
            let (Some(p), Some(role)) = (self.permission_sets[bi], model.role_of_binding(bi))
            else {
                continue;
            };
            // Nobody holds a binding without subjects (and a grant names a subject entry).
            if b.subjects.is_empty() {
                continue;
            }
            let c = caps
                .entry(role)
                .or_insert_with(|| caps_of(model, role))
                .clone();
            let ns = (!b.cluster).then_some(b.namespace.as_str());
            let grant = |rule: RuleRef| {
                Evidence::Grant(Grant {
                    binding: bi as u32,
                    subject: 0,
                    rule,
                })
            };
            self.permission_edges(p, ns, &c, &grant);
            self.role_bind(p, ns, &c, &grant);
        }
    }

    /// The pods of a scope (`ns`: a namespace, or every namespace), all or by name.
    fn pods_target(&mut self, ns: Option<&str>, names: &Names) -> Vec<NodeIndex> {
        match (names, ns) {
            (Names::All, Some(ns)) => vec![self.hub(Hub::PodsIn(ns.into()))],
            (Names::All, None) => vec![self.hub(Hub::AllPods)],
            (Names::Only(names), _) => self.pods_named(ns, names),
        }
    }

    /// The workloads named `names` in namespace `ns` (or any), sorted, once.
    fn pods_named(&mut self, ns: Option<&str>, names: &[String]) -> Vec<NodeIndex> {
        let g = &self.g;
        let by_name = self.pods_by_name.get_or_insert_with(|| {
            let mut by_name: HashMap<Box<str>, Vec<NodeIndex>> = HashMap::default();
            for i in g.node_indices() {
                if let Entity::Workload(key) = &g[i] {
                    by_name.entry(key.name.clone()).or_default().push(i);
                }
            }
            by_name
        });
        let mut out: Vec<NodeIndex> = names
            .iter()
            .filter_map(|n| by_name.get(n.as_str()))
            .flatten()
            .copied()
            .filter(|&i| match (&g[i], ns) {
                (Entity::Workload(key), Some(ns)) => &*key.namespace == ns,
                _ => true,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn sas_target(&mut self, ns: Option<&str>) -> NodeIndex {
        match ns {
            Some(ns) => self.hub(Hub::ServiceAccountsIn(ns.into())),
            None => self.hub(Hub::AllServiceAccounts),
        }
    }

    /// POD_EXEC, POD_PATCH, POD_CREATE, TOKEN_LIST, TOKEN_BRUTEFORCE, SECRET_READ and
    /// IDENTITY_IMPERSONATE from one permission set (see the rule functions in [`rules`]).
    fn permission_edges(
        &mut self,
        p: NodeIndex,
        ns: Option<&str>,
        c: &Caps,
        grant: &dyn Fn(RuleRef) -> Evidence,
    ) {
        for (slot, kind) in [(&c.exec, EdgeKind::PodExec), (&c.patch, EdgeKind::PodPatch)] {
            if let Some((r, names)) = slot {
                for t in self.pods_target(ns, names) {
                    self.edge(p, kind, t, Evidences::One(grant(*r)));
                }
            }
        }
        if let Some(r) = c.create {
            let enforced = ns.and_then(|n| self.psa_enforced.get(n).copied());
            if enforced.is_none() {
                let node = self.any_node();
                self.edge(p, EdgeKind::PodCreate, node, Evidences::One(grant(r)));
            }
            let sas = self.sas_target(ns);
            self.edge(p, EdgeKind::PodCreate, sas, Evidences::One(grant(r)));
        }
        if let Some(r) = c.list_secrets {
            let sas = self.sas_target(ns);
            self.edge(p, EdgeKind::TokenList, sas, Evidences::One(grant(r)));
        }
        if let Some(r) = c.get_secrets {
            let sas = self.sas_target(ns);
            self.edge(p, EdgeKind::TokenBruteforce, sas, Evidences::One(grant(r)));
        }
        if let Some((r, names)) = &c.read_secrets {
            let targets = match (names, ns) {
                (Names::All, Some(ns)) => vec![self.hub(Hub::SecretsIn(ns.into()))],
                (Names::All, None) => vec![self.hub(Hub::AllSecrets)],
                (Names::Only(list), Some(ns)) => list.iter().map(|n| self.secret(ns, n)).collect(),
                (Names::Only(list), None) => {
                    let mut out: Vec<NodeIndex> = list
                        .iter()
                        .flat_map(|n| {
                            self.secrets_by_name
                                .get(n.as_str())
                                .cloned()
                                .unwrap_or_default()
                        })
                        .collect();
                    out.sort();
                    out.dedup();
                    out
                }
            };
            for t in targets {
                self.edge(p, EdgeKind::SecretRead, t, Evidences::One(grant(*r)));
            }
        }
        // Users and groups are cluster-scoped: only a ClusterRoleBinding lets impersonate them.
        if ns.is_none() {
            if let Some((r, names)) = &c.impersonate_users {
                let targets = match names {
                    Names::All => vec![self.hub(Hub::Users)],
                    Names::Only(list) => list
                        .iter()
                        .map(|n| self.identity(SubjectKey::user(n)))
                        .collect(),
                };
                for t in targets {
                    self.edge(
                        p,
                        EdgeKind::IdentityImpersonate,
                        t,
                        Evidences::One(grant(*r)),
                    );
                }
            }
            if let Some((r, names)) = &c.impersonate_groups {
                let masters = match names {
                    Names::All => true,
                    Names::Only(list) => list.iter().any(|n| n == "system:masters"),
                };
                let targets = match names {
                    Names::All => vec![self.hub(Hub::Groups)],
                    Names::Only(list) => list
                        .iter()
                        .map(|n| self.identity(SubjectKey::group(n)))
                        .collect(),
                };
                for t in targets {
                    self.edge(
                        p,
                        EdgeKind::IdentityImpersonate,
                        t,
                        Evidences::One(grant(*r)),
                    );
                }
                if masters {
                    // system:masters bypasses RBAC altogether.
                    let admin = self.cluster_admin();
                    self.edge(
                        p,
                        EdgeKind::IdentityImpersonate,
                        admin,
                        Evidences::One(grant(*r)),
                    );
                }
            }
        }
        if let Some((r, names)) = &c.impersonate_sas {
            let targets = match names {
                Names::All => vec![self.sas_target(ns)],
                Names::Only(list) => match ns {
                    Some(ns) => list
                        .iter()
                        .map(|n| self.identity(SubjectKey::service_account(ns, n)))
                        .collect(),
                    None => Vec::new(),
                },
            };
            for t in targets {
                self.edge(
                    p,
                    EdgeKind::IdentityImpersonate,
                    t,
                    Evidences::One(grant(*r)),
                );
            }
        }
    }

    /// ROLE_BIND (T1078, permission set → permission sets): whoever may create a binding and
    /// `bind` a role gets the role's permissions by binding it to themselves. The API server
    /// allows the binding when the creator may `bind` the referenced role: `roles` for a
    /// Role, `clusterroles` for a ClusterRole (in the binding's namespace for a RoleBinding).
    /// Targets, per KubeHound's cases:
    /// * a ClusterRoleBinding's permissions (a ClusterRole, cluster-wide): with cluster-wide
    ///   `create clusterrolebindings`, or (KubeHound's case 2 approximation) cluster-wide
    ///   `create rolebindings`, which binds the ClusterRole in every namespace, plus
    ///   `bind clusterroles`;
    /// * a RoleBinding's permissions in namespace N: `create rolebindings` in N (or
    ///   cluster-wide) and `bind` on the role's kind in N (or cluster-wide); a ClusterRole bound
    ///   cluster-wide also covers every namespace.
    ///
    /// KubeHound's namespaced rule checks `bind roles` only and reaches RoleBindings to
    /// ClusterRoles too; kubeward follows the API server (docs/risks.md lists the difference).
    /// Create and bind are looked for in one permission set, as KubeHound does.
    fn role_bind(
        &mut self,
        p: NodeIndex,
        ns: Option<&str>,
        c: &Caps,
        grant: &dyn Fn(RuleRef) -> Evidence,
    ) {
        let ev = |create: RuleRef, bind: RuleRef| -> Evidences {
            Evidences::Owned(vec![grant(create), grant(bind)])
        };
        match ns {
            None => {
                if let Some((bind, names)) = &c.bind_cr {
                    if let Some(create) = c.create_crb.or(c.create_rb) {
                        let targets: Vec<NodeIndex> = match names {
                            Names::All => vec![
                                self.hub(Hub::ClusterPermissionSets),
                                self.hub(Hub::AllNamespacePermissionSets(true)),
                            ],
                            Names::Only(list) => list
                                .iter()
                                .flat_map(|n| {
                                    self.cluster_permsets_by_role
                                        .get(n.as_str())
                                        .cloned()
                                        .unwrap_or_default()
                                })
                                .chain(self.ns_permsets_named(None, true, list))
                                .collect(),
                        };
                        for t in targets {
                            self.edge(p, EdgeKind::RoleBind, t, ev(create, *bind));
                        }
                    }
                }
                if let (Some(create), Some((bind, names))) = (c.create_rb, &c.bind_r) {
                    let targets = match names {
                        Names::All => vec![self.hub(Hub::AllNamespacePermissionSets(false))],
                        Names::Only(list) => self.ns_permsets_named(None, false, list),
                    };
                    for t in targets {
                        self.edge(p, EdgeKind::RoleBind, t, ev(create, *bind));
                    }
                }
            }
            Some(ns) => {
                let Some(create) = c.create_rb else { return };
                for (slot, cluster_role) in [(&c.bind_cr, true), (&c.bind_r, false)] {
                    let Some((bind, names)) = slot else { continue };
                    let targets = match names {
                        Names::All => {
                            vec![self.hub(Hub::NamespacePermissionSets(ns.into(), cluster_role))]
                        }
                        Names::Only(list) => self.ns_permsets_named(Some(ns), cluster_role, list),
                    };
                    for t in targets {
                        self.edge(p, EdgeKind::RoleBind, t, ev(create, *bind));
                    }
                }
            }
        }
    }

    /// Permission sets of RoleBindings (in `ns`, or anywhere) to roles of the given kind and names.
    fn ns_permsets_named(
        &self,
        ns: Option<&str>,
        cluster_role: bool,
        names: &[String],
    ) -> Vec<NodeIndex> {
        scoped(
            names.iter().filter_map(|n| {
                self.ns_permsets_by_role
                    .get(&(cluster_role, n.as_str().into()))
            }),
            ns,
        )
    }
}

/// The entities of these (namespace, entity) lists that are in `ns` (or any), sorted, once.
fn scoped<'x, 'a: 'x>(
    lists: impl Iterator<Item = &'x Scoped<'a>>,
    ns: Option<&str>,
) -> Vec<NodeIndex> {
    let mut out: Vec<NodeIndex> = lists
        .flat_map(|v| {
            v.iter()
                .filter(|(n, _)| ns.is_none_or(|ns| *n == ns))
                .map(|(_, i)| *i)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A subject by borrowed names: how the builder looks identities up without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SubjectRef<'s> {
    User(&'s str),
    Group(&'s str),
    ServiceAccount(&'s str, &'s str),
}

impl<'s> SubjectRef<'s> {
    fn of(k: &'s SubjectKey) -> Self {
        match k {
            SubjectKey::User { name } => SubjectRef::User(name),
            SubjectKey::Group { name } => SubjectRef::Group(name),
            SubjectKey::ServiceAccount { namespace, name } => {
                SubjectRef::ServiceAccount(namespace, name)
            }
        }
    }

    fn to_key(self) -> SubjectKey {
        match self {
            SubjectRef::User(name) => SubjectKey::User { name: name.into() },
            SubjectRef::Group(name) => SubjectKey::group(name),
            SubjectRef::ServiceAccount(ns, name) => SubjectKey::service_account(ns, name),
        }
    }
}

/// The subject of an identity entity.
fn subject_of(g: &DiGraph<Entity, Edge>, i: NodeIndex) -> Option<SubjectRef<'_>> {
    match g.node_weight(i)? {
        Entity::Identity { subject, .. } => Some(SubjectRef::of(subject)),
        _ => None,
    }
}

/// The groups system:nodes identity every node's kubelet credential carries.
const NODES_GROUP: &str = "system:nodes";

impl<'a> Builder<'a> {
    /// A workload: its node, its containers and their escapes, volumes, tokens and identity,
    /// and the `exposures` that reach it.
    fn workload(
        &mut self,
        w: &WorkloadFact,
        exposures: &[Exposure],
        vulns: &HashMap<Box<str>, Vec<ImageVuln>>,
    ) {
        if self.workloads.contains(&w.key) {
            // The same object twice (two files): the first one stands.
            return;
        }
        let key = Arc::new(w.key.clone());
        self.workloads.insert(key.clone());
        let ns: &str = &w.key.namespace;
        let wl = self.g.add_node(Entity::Workload(key.clone()));
        let node = self.g.add_node(Entity::Node(Some(key.clone())));
        self.edge(
            node,
            EdgeKind::PodAttach,
            wl,
            implicit!("every pod runs on a node, whose owner can attach to it"),
        );
        let nodes = match self.nodes_group {
            Some(i) => i,
            None => {
                let i = self.identity(SubjectKey::group(NODES_GROUP));
                *self.nodes_group.insert(i)
            }
        };
        self.edge(
            node,
            EdgeKind::IdentityAssume,
            nodes,
            implicit!("the kubelet's credentials (group system:nodes) are on every node"),
        );
        match self.pods_by_ns.get_mut(ns) {
            Some(list) => list.push(wl),
            None => {
                self.pods_by_ns.insert(ns.into(), vec![wl]);
            }
        }
        let sa = self.identity_of(SubjectRef::ServiceAccount(ns, &w.service_account));
        let sa_evidence: Evidences = match &w.service_account_at {
            Some(at) => Evidences::One(Evidence::Field(at.clone())),
            None => implicit!("a pod that names no service account runs as \"default\""),
        };
        let automount = match &w.automount {
            Some((b, _)) => *b,
            None => self
                .sa_automount
                .get(&(ns, &*w.service_account))
                .copied()
                .unwrap_or(true),
        };
        let has_host_paths = w
            .volumes
            .iter()
            .any(|v| matches!(v.source, VolumeSource::HostPath(_)));
        let log_grant = if has_host_paths {
            let identity = SubjectKey::service_account(ns, &w.service_account).identity(&[]);
            let mut req = Request::resource("get", "", "pods", ns);
            if let kubeward_rbac::Target::Resource { subresource, .. } = &mut req.target {
                *subresource = "log".to_string();
            }
            self.model.authorize(&identity, &req).map(Evidence::Grant)
        } else {
            None
        };
        let mut containers = Vec::with_capacity(w.containers.len());
        let mut token_volumes = Vec::new();
        let mut traverse_volumes = Vec::new();
        for c in &w.containers {
            let ci = self.g.add_node(Entity::Container {
                workload: key.clone(),
                name: c.name.clone(),
            });
            self.edge(
                wl,
                EdgeKind::ContainerAttach,
                ci,
                Evidences::One(Evidence::Field(c.at.clone())),
            );
            self.escapes(w, c, ci, node, log_grant.clone());
            let mut token = false;
            if automount {
                token = true;
                let v = self.volume(&key, c, "kube-api-access", VolumeSource::AutomountedToken, true, ci, node, implicit!("the service account token is mounted in every container unless automountServiceAccountToken is false"));
                let ev = match &w.automount {
                    Some((_, at)) => Evidences::One(Evidence::Field(at.clone())) as Evidences,
                    None => implicit!(
                        "automountServiceAccountToken is not false: Kubernetes mounts the token",
                    ),
                };
                self.edge(v, EdgeKind::TokenSteal, sa, ev);
                token_volumes.push(v);
            }
            for m in &c.mounts {
                let Some(vol) = w.volumes.iter().find(|v| v.name == m.volume) else {
                    continue;
                };
                if vol.source == VolumeSource::Other {
                    continue;
                }
                let v = self.volume(
                    &key,
                    c,
                    &vol.name,
                    vol.source.clone(),
                    m.read_only,
                    ci,
                    node,
                    Evidences::One(Evidence::Field(m.at.clone())),
                );
                match &vol.source {
                    VolumeSource::ProjectedToken => {
                        token = true;
                        token_volumes.push(v);
                        self.edge(
                            v,
                            EdgeKind::TokenSteal,
                            sa,
                            Evidences::One(Evidence::Field(vol.at.clone())),
                        );
                    }
                    VolumeSource::Secret(name) => {
                        let s = self.secret(ns, name);
                        self.edge(
                            v,
                            EdgeKind::SecretRead,
                            s,
                            Evidences::One(Evidence::Field(vol.at.clone())),
                        );
                    }
                    VolumeSource::HostPath(_) => {
                        let rules: [(EdgeKind, Option<Vec<Evidence>>); 3] = [
                            (EdgeKind::ExploitHostRead, rules::exploit_host_read(vol, m)),
                            (
                                EdgeKind::ExploitHostWrite,
                                rules::exploit_host_write(vol, m),
                            ),
                            (
                                EdgeKind::ExploitContainerdSock,
                                rules::exploit_containerd_sock(vol),
                            ),
                        ];
                        for (kind, ev) in rules {
                            if let Some(ev) = ev {
                                self.edge(v, kind, node, ev.into());
                            }
                        }
                        if let Some(ev) = rules::exploit_host_traverse(vol) {
                            traverse_volumes.push((v, ev));
                        }
                    }
                    _ => {}
                }
            }
            if token {
                self.edge(ci, EdgeKind::IdentityAssume, sa, sa_evidence.clone());
            }
            containers.push(ContainerRef { id: ci, fact: c });
        }
        for (v, ev) in traverse_volumes {
            for &t in &token_volumes {
                self.edge(v, EdgeKind::ExploitHostTraverse, t, ev.clone().into());
            }
        }
        if let Some(ev) = rules::share_ps_namespace(w) {
            // Bounded: a pod's containers are few; past 64 the pairs are not worth their cost.
            let alongside: Vec<NodeIndex> = w
                .containers
                .iter()
                .zip(&containers)
                .filter(|(c, _)| c.runs_alongside())
                .map(|(_, r)| r.id)
                .take(64)
                .collect();
            for &a in &alongside {
                for &b in &alongside {
                    self.edge(a, EdgeKind::SharePsNamespace, b, ev.clone().into());
                }
            }
        }
        for e in exposures {
            self.expose(e, &containers, vulns);
        }
    }

    /// A volume as mounted in a container: VOLUME_DISCOVER from the container, VOLUME_ACCESS
    /// from the node.
    #[allow(clippy::too_many_arguments)]
    fn volume(
        &mut self,
        workload: &Arc<ObjectKey>,
        c: &ContainerFact,
        name: &str,
        source: VolumeSource,
        read_only: bool,
        container: NodeIndex,
        node: NodeIndex,
        mount: Evidences,
    ) -> NodeIndex {
        let v = self.g.add_node(Entity::Volume {
            workload: workload.clone(),
            container: c.name.clone(),
            name: name.into(),
            source,
            read_only,
        });
        self.edge(container, EdgeKind::VolumeDiscover, v, mount);
        self.edge(
            node,
            EdgeKind::VolumeAccess,
            v,
            implicit!("a volume mounted in a pod is on its node's filesystem"),
        );
        v
    }

    /// The container escapes (CE_*) of one container.
    fn escapes(
        &mut self,
        w: &WorkloadFact,
        c: &ContainerFact,
        ci: NodeIndex,
        node: NodeIndex,
        log_grant: Option<Evidence>,
    ) {
        let found: [(EdgeKind, Option<Vec<Evidence>>); 6] = [
            (EdgeKind::CePrivMount, rules::ce_priv_mount(c)),
            (EdgeKind::CeNsenter, rules::ce_nsenter(w, c)),
            (EdgeKind::CeModuleLoad, rules::ce_module_load(c)),
            (EdgeKind::CeSysPtrace, rules::ce_sys_ptrace(w, c)),
            (EdgeKind::CeUmhCorePattern, rules::ce_umh_core_pattern(w, c)),
            (
                EdgeKind::CeVarLogSymlink,
                rules::ce_var_log_symlink(w, c, log_grant),
            ),
        ];
        for (kind, ev) in found {
            if let Some(ev) = ev {
                self.edge(ci, kind, node, ev.into());
            }
        }
    }

    /// EXPOSED edges from the internet or the pod network to entry points, and
    /// ENDPOINT_EXPLOIT (T1210, entry point → container: a network endpoint exposed by a
    /// container can be attacked) and VULNERABLE_IMAGE (the container's image has a critical
    /// or high vulnerability with a fix) from entry points to the containers they reach.
    fn expose(
        &mut self,
        e: &Exposure,
        containers: &[ContainerRef<'_>],
        vulns: &HashMap<Box<str>, Vec<ImageVuln>>,
    ) {
        let targets: Vec<(NodeIndex, Option<Evidence>)> = containers
            .iter()
            .filter(|c| e.containers.is_empty() || e.containers.contains(&c.fact.name))
            .map(|c| {
                let f = c.fact;
                (c.id, worst_vuln(vulns.get(&f.image), &f.image_at))
            })
            .collect();
        let src = if e.from_internet {
            Self::singleton(&mut self.internet, &mut self.g, Entity::Internet)
        } else {
            Self::singleton(&mut self.cluster, &mut self.g, Entity::Cluster)
        };
        let key = (e.entry, e.namespace.clone(), e.name.clone());
        let entry = match self.entries.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.g.add_node(Entity::EntryPoint {
                    kind: e.entry,
                    namespace: e.namespace.clone(),
                    name: e.name.clone(),
                });
                self.entries.insert(key, i);
                i
            }
        };
        let via: Evidences = e.via.iter().cloned().map(Evidence::Field).collect();
        if self.exposed.insert((src, entry)) {
            let first: Evidences = e.via.iter().take(1).cloned().map(Evidence::Field).collect();
            self.edge(src, EdgeKind::Exposed, entry, first);
        }
        for (c, vuln) in targets {
            if !self.exposed.insert((entry, c)) {
                continue;
            }
            self.edge(entry, EdgeKind::EndpointExploit, c, via.clone());
            if let Some(v) = vuln {
                let likelihood = match &v {
                    Evidence::Vulnerability {
                        severity: Severity::Critical,
                        ..
                    } => 0.9,
                    _ => 0.7,
                };
                self.edge_likely(
                    entry,
                    EdgeKind::VulnerableImage,
                    likelihood,
                    c,
                    Evidences::One(v),
                );
            }
        }
    }

    /// CLUSTER_ADMIN (T1078, identity → cluster-admin): kubeward-rbac's shortest escalation
    /// path of the identity (which may combine several of its bindings), every step's grants
    /// as evidence.
    fn escalations(&mut self) {
        let model = self.model;
        for path in &model.analysis().paths {
            let id = self.identity_of(SubjectRef::of(&path.subject));
            let admin = self.cluster_admin();
            let evidence: Evidences = path
                .steps
                .iter()
                .flat_map(|s| s.grants.iter().map(|g| Evidence::Grant(*g)))
                .collect();
            self.edge(id, EdgeKind::ClusterAdmin, admin, evidence);
        }
    }

    /// GROUP_MEMBER: service accounts and users are in the implicit groups Kubernetes gives
    /// them (system:serviceaccounts, system:serviceaccounts:<ns>, system:authenticated), where
    /// a binding names the group.
    fn group_members(&mut self) {
        let mut members: Vec<(NodeIndex, NodeIndex)> = Vec::new();
        for (key, i) in self.identities() {
            if let SubjectKey::Group { .. } = key {
                continue;
            }
            for g in key.identity(&[]).groups {
                if let Some(gi) = self.find_identity(SubjectRef::Group(&g)) {
                    members.push((i, gi));
                }
            }
        }
        members.sort();
        for (i, g) in members {
            self.edge(
                i,
                EdgeKind::GroupMember,
                g,
                implicit!(
                    "Kubernetes puts every service account and authenticated user in these groups",
                ),
            );
        }
    }

    /// MEMBER edges from each hub to what it stands for. Hubs of every namespace create the
    /// per-namespace hubs they need, so the work list grows; each hub is handled once.
    fn hub_members(&mut self) {
        let mut queue: Vec<Hub> = self.hubs.keys().cloned().collect();
        let mut done: HashSet<Hub> = HashSet::default();
        let mut sas_by_ns: BTreeMap<Box<str>, Vec<NodeIndex>> = BTreeMap::new();
        let mut users = Vec::new();
        let mut groups = Vec::new();
        for (k, i) in self.identities() {
            match k {
                SubjectKey::ServiceAccount { namespace, .. } => sas_by_ns
                    .entry(namespace.as_str().into())
                    .or_default()
                    .push(i),
                SubjectKey::User { .. } => users.push(i),
                SubjectKey::Group { .. } => groups.push(i),
            }
        }
        let mut secrets_by_ns: BTreeMap<Box<str>, Vec<NodeIndex>> = BTreeMap::new();
        for ((ns, _), &i) in &self.secrets {
            secrets_by_ns.entry(ns.clone()).or_default().push(i);
        }
        let mut ns_permsets: BTreeMap<(Box<str>, bool), Vec<NodeIndex>> = BTreeMap::new();
        for ((cr, _), list) in &self.ns_permsets_by_role {
            for (ns, p) in list {
                ns_permsets.entry(((*ns).into(), *cr)).or_default().push(*p);
            }
        }
        let cluster_permsets: Vec<NodeIndex> = self
            .cluster_permsets_by_role
            .values()
            .flatten()
            .copied()
            .collect();
        while let Some(h) = queue.pop() {
            if !done.insert(h.clone()) {
                continue;
            }
            let mut members: Vec<NodeIndex> = match &h {
                Hub::PodsIn(ns) => self.pods_by_ns.get(ns).cloned().unwrap_or_default(),
                Hub::AllPods => {
                    let hubs = self
                        .pods_by_ns
                        .keys()
                        .map(|ns| Hub::PodsIn(ns.clone()))
                        .collect();
                    self.sub_hubs(hubs, &mut queue)
                }
                Hub::ServiceAccountsIn(ns) => sas_by_ns.get(ns).cloned().unwrap_or_default(),
                Hub::AllServiceAccounts => {
                    let hubs = sas_by_ns
                        .keys()
                        .map(|ns| Hub::ServiceAccountsIn(ns.clone()))
                        .collect();
                    self.sub_hubs(hubs, &mut queue)
                }
                Hub::SecretsIn(ns) => secrets_by_ns.get(ns).cloned().unwrap_or_default(),
                Hub::AllSecrets => {
                    let hubs = secrets_by_ns
                        .keys()
                        .map(|ns| Hub::SecretsIn(ns.clone()))
                        .collect();
                    self.sub_hubs(hubs, &mut queue)
                }
                Hub::Users => users.clone(),
                Hub::Groups => groups.clone(),
                Hub::ClusterPermissionSets => cluster_permsets.clone(),
                Hub::NamespacePermissionSets(ns, cr) => ns_permsets
                    .get(&(ns.clone(), *cr))
                    .cloned()
                    .unwrap_or_default(),
                Hub::AllNamespacePermissionSets(cr) => {
                    let hubs = ns_permsets
                        .keys()
                        .filter(|(_, c)| c == cr)
                        .map(|(ns, c)| Hub::NamespacePermissionSets(ns.clone(), *c))
                        .collect();
                    self.sub_hubs(hubs, &mut queue)
                }
            };
            members.sort();
            let from = self.hub(h);
            for m in members {
                self.edge(from, EdgeKind::Member, m, Evidences::Borrowed(&[]));
            }
        }
    }
}

impl Builder<'_> {
    /// The hubs a hub of every namespace stands for, queued for their own members.
    fn sub_hubs(&mut self, hubs: Vec<Hub>, queue: &mut Vec<Hub>) -> Vec<NodeIndex> {
        hubs.into_iter()
            .map(|s| {
                queue.push(s.clone());
                self.hub(s)
            })
            .collect()
    }
}

/// The most severe fixable critical or high vulnerability of an image, as evidence.
fn worst_vuln(vulns: Option<&Vec<ImageVuln>>, image_at: &Location) -> Option<Evidence> {
    let v = vulns?
        .iter()
        .filter(|v| v.fixed && v.severity >= Severity::High)
        .max_by(|a, b| a.severity.cmp(&b.severity).then_with(|| b.id.cmp(&a.id)))?;
    Some(Evidence::Vulnerability {
        id: v.id.clone(),
        severity: v.severity,
        image: image_at.clone(),
    })
}
