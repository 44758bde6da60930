//! Per subject: the risky kinds of access it holds once all its bindings and roles are put
//! together (the subject-level controls), and its shortest escalation path to
//! cluster-admin-equivalent power.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::access::{self, Access, BROAD_ROLES, CLIENT_SIGNERS};
use crate::model::{Grant, RbacModel, RuleRef, Scope};
use crate::subject::{SubjectKey, ALL_SERVICE_ACCOUNTS, AUTHENTICATED};

/// Kinds of access the analysis tracks, per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    ClusterAdmin,
    Wildcard,
    ReadSecrets,
    CreateWorkloads,
    ExecAttach,
    PortForward,
    Escalate,
    EscalateClusterRoles,
    Bind,
    BindClusterRoles,
    Impersonate,
    ImpersonateUsers,
    ImpersonateGroups,
    ImpersonateServiceAccounts,
    NodesProxy,
    ServiceAccountToken,
    CsrApproval,
    ApproveSigners,
    CreateCsr,
    WebhookConfigWrite,
    CreatePersistentVolumes,
    WriteRoleBindings,
    WriteClusterRoleBindings,
    UpdateRoles,
    UpdateClusterRoles,
}

const PROBES: &[(Probe, Access)] = &[
    (Probe::ReadSecrets, access::READ_SECRETS),
    (Probe::CreateWorkloads, access::CREATE_WORKLOADS),
    (Probe::ExecAttach, access::EXEC_ATTACH),
    (Probe::PortForward, access::PORT_FORWARD),
    (Probe::Escalate, access::ESCALATE),
    (Probe::EscalateClusterRoles, access::ESCALATE_CLUSTER_ROLES),
    (Probe::Bind, access::BIND),
    (Probe::BindClusterRoles, access::BIND_CLUSTER_ROLES),
    (Probe::Impersonate, access::IMPERSONATE),
    (Probe::ImpersonateUsers, access::IMPERSONATE_USERS),
    (Probe::ImpersonateGroups, access::IMPERSONATE_GROUPS),
    (
        Probe::ImpersonateServiceAccounts,
        access::IMPERSONATE_SERVICE_ACCOUNTS,
    ),
    (Probe::NodesProxy, access::NODES_PROXY),
    (Probe::ServiceAccountToken, access::SERVICE_ACCOUNT_TOKEN),
    (Probe::CsrApproval, access::CSR_APPROVAL),
    (Probe::ApproveSigners, access::APPROVE_SIGNERS),
    (Probe::CreateCsr, access::CREATE_CSR),
    (Probe::WebhookConfigWrite, access::WEBHOOK_CONFIG_WRITE),
    (
        Probe::CreatePersistentVolumes,
        access::CREATE_PERSISTENT_VOLUMES,
    ),
    (Probe::WriteRoleBindings, access::WRITE_ROLE_BINDINGS),
    (
        Probe::WriteClusterRoleBindings,
        access::WRITE_CLUSTER_ROLE_BINDINGS,
    ),
    (Probe::UpdateRoles, access::UPDATE_ROLES),
    (Probe::UpdateClusterRoles, access::UPDATE_CLUSTER_ROLES),
];

fn cluster_scoped(p: Probe) -> bool {
    match p {
        Probe::ClusterAdmin | Probe::Wildcard => false,
        _ => PROBES
            .iter()
            .find(|(q, _)| *q == p)
            .is_some_and(|(_, a)| a.cluster_scoped),
    }
}

/// One probe a subject holds: where, and the grant behind it.
#[derive(Clone, Debug)]
pub struct Atom {
    pub probe: Probe,
    /// False for Kubernetes' own grants to its own identities, which are no finding.
    pub reportable: bool,
    pub scope: Scope,
    pub grant: Grant,
}

/// The subject-level risks, one control each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    ClusterAdmin,
    EscalationPath,
    ReadSecrets,
    CreatePods,
    ExecAttachPortForward,
    Escalate,
    Bind,
    Impersonate,
    NodesProxy,
    ServiceAccountToken,
    CsrApproval,
    WebhookConfigWrite,
    CreatePersistentVolumes,
    Wildcard,
}

impl Risk {
    pub const ALL: [Risk; 14] = [
        Risk::ClusterAdmin,
        Risk::EscalationPath,
        Risk::ReadSecrets,
        Risk::CreatePods,
        Risk::ExecAttachPortForward,
        Risk::Escalate,
        Risk::Bind,
        Risk::Impersonate,
        Risk::NodesProxy,
        Risk::ServiceAccountToken,
        Risk::CsrApproval,
        Risk::WebhookConfigWrite,
        Risk::CreatePersistentVolumes,
        Risk::Wildcard,
    ];

    /// What the subject can do, for messages: `can read Secrets`.
    pub fn what(self) -> &'static str {
        match self {
            Risk::ClusterAdmin => "holds cluster-admin-equivalent permissions (every verb on every resource)",
            Risk::EscalationPath => "can escalate to cluster-admin-equivalent power",
            Risk::ReadSecrets => "can read Secrets",
            Risk::CreatePods => "can create pods (and so run as any service account of the namespace)",
            Risk::ExecAttachPortForward => "can exec into, attach to or port-forward to pods",
            Risk::Escalate => "can escalate roles (write roles with permissions it does not hold)",
            Risk::Bind => "can bind roles with permissions it does not hold",
            Risk::Impersonate => "can impersonate other identities",
            Risk::NodesProxy => "can reach the kubelet API through nodes/proxy",
            Risk::ServiceAccountToken => "can create service account tokens",
            Risk::CsrApproval => "can approve certificate signing requests for client certificates (any user or group, system:masters included)",
            Risk::WebhookConfigWrite => "can write admission webhook and policy configurations",
            Risk::CreatePersistentVolumes => "can create PersistentVolumes (hostPath volumes on any node)",
            Risk::Wildcard => "holds a wildcard (*) permission",
        }
    }
}

/// A risk one subject holds, with the grants behind it per scope (cluster-wide first).
#[derive(Clone, Debug)]
pub struct SubjectRisk {
    pub subject: SubjectKey,
    pub risk: Risk,
    /// Per scope, the grants that make it (two for compound risks such as CSR approval).
    pub evidence: Vec<(Scope, Vec<Grant>)>,
}

impl SubjectRisk {
    /// Where the finding goes: the binding subject entry of the first grant.
    pub fn anchor(&self) -> Grant {
        self.evidence[0].1[0]
    }
}

/// How one step of an escalation path works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technique {
    ClusterAdmin,
    ImpersonateMasters,
    ImpersonateGroup,
    ImpersonateUser,
    ImpersonateServiceAccount,
    CreatePods,
    Exec,
    ReadTokenSecrets,
    CreateToken,
    NodesProxy,
    BindClusterAdmin,
    BindInNamespace,
    EscalateClusterRole,
    EscalateRole,
    CsrClientCertificate,
}

impl Technique {
    pub fn describe(self) -> &'static str {
        match self {
            Technique::ClusterAdmin => "holds every verb on every resource",
            Technique::ImpersonateMasters => "may impersonate the group system:masters, which bypasses RBAC",
            Technique::ImpersonateGroup => "may impersonate the group",
            Technique::ImpersonateUser => "may impersonate the user",
            Technique::ImpersonateServiceAccount => "may impersonate the service account",
            Technique::CreatePods => "may create pods, which run as any service account of their namespace",
            Technique::Exec => "may exec into pods, and use the service account token mounted in them",
            Technique::ReadTokenSecrets => "may read Secrets, including service account token Secrets (created automatically before v1.24, and by hand since)",
            Technique::CreateToken => "may create tokens for the service account",
            Technique::NodesProxy => "may use nodes/proxy, which runs commands in any pod through the kubelet",
            Technique::BindClusterAdmin => "may bind ClusterRole cluster-admin to itself with a ClusterRoleBinding",
            Technique::BindInNamespace => "may bind ClusterRole admin (or any role) to itself in the namespace, which allows creating pods there",
            Technique::EscalateClusterRole => "may add any permission to a ClusterRole it is bound to cluster-wide",
            Technique::EscalateRole => "may add any permission to a Role it is bound to, which allows creating pods there",
            Technique::CsrClientCertificate => "may request and approve a client certificate for the group system:masters",
        }
    }
}

/// One step of a path: `from` uses `technique` (in `scope`, through `grants`) and so acts as
/// `to` (`None`: holds cluster-admin-equivalent power).
#[derive(Clone, Debug)]
pub struct Step {
    pub from: SubjectKey,
    pub technique: Technique,
    pub scope: Scope,
    pub grants: Vec<Grant>,
    pub to: Option<SubjectKey>,
}

/// A subject's shortest way to cluster-admin-equivalent power.
#[derive(Clone, Debug)]
pub struct EscalationPath {
    pub subject: SubjectKey,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Node {
    Goal,
    Subject(SubjectKey),
    /// Every service account of a namespace (and the groups they are all in).
    ServiceAccountsIn(String),
    AllServiceAccounts,
    AllUsers,
}

struct Edge {
    to: usize,
    step: Option<(Technique, Scope, Vec<Grant>)>,
}

/// Everything computed once per model.
#[derive(Debug, Default)]
pub struct Analysis {
    pub risks: Vec<SubjectRisk>,
    pub paths: Vec<EscalationPath>,
}

/// The probes each role's rules hold.
fn role_probes(model: &RbacModel) -> Vec<Vec<(Probe, RuleRef)>> {
    (0..model.roles.len())
        .map(|role| {
            let mut out = Vec::new();
            for &r in model.effective_rules(role) {
                let rule = model.rule(r);
                if access::is_cluster_admin_rule(rule) {
                    out.push((Probe::ClusterAdmin, r));
                }
                if access::has_wildcard(rule) {
                    out.push((Probe::Wildcard, r));
                }
                for (p, a) in PROBES {
                    if a.granted_by(rule) {
                        out.push((*p, r));
                    }
                }
            }
            out
        })
        .collect()
}

/// The atoms of one subject key's own bindings.
fn key_atoms(model: &RbacModel, probes: &[Vec<(Probe, RuleRef)>], key: &SubjectKey) -> Vec<Atom> {
    let mut out = Vec::new();
    for &(b, s) in model.bindings_of(key) {
        let binding = &model.bindings[b as usize];
        let reportable = !(key.is_system() && binding.is_kubernetes_default());
        let Some(role) = model.role_of_binding(b as usize) else {
            continue;
        };
        let scope = model.scope_of(b as usize);
        for &(probe, rule) in &probes[role] {
            if cluster_scoped(probe) && scope != Scope::Cluster {
                continue;
            }
            out.push(Atom {
                probe,
                reportable,
                scope: scope.clone(),
                grant: Grant {
                    binding: b,
                    subject: s,
                    rule,
                },
            });
        }
    }
    out
}

fn names<'m>(model: &'m RbacModel, a: &Atom) -> &'m [String] {
    &model.rule(a.grant.rule).resource_names
}

/// Whether the atom's rule is unlimited, or limited to names that include one of `any`.
fn names_include(model: &RbacModel, a: &Atom, any: &[&str]) -> bool {
    let n = names(model, a);
    n.is_empty() || n.iter().any(|x| any.contains(&x.as_str()))
}

/// Which atoms make a risk.
type AtomFilter<'a> = Box<dyn Fn(&Atom) -> bool + 'a>;

/// The risks of one subject from its own atoms.
fn risks_of(model: &RbacModel, key: &SubjectKey, atoms: &[Atom]) -> Vec<SubjectRisk> {
    let mut out = Vec::new();
    let single = |risk: Risk, keep: &dyn Fn(&Atom) -> bool| -> Option<SubjectRisk> {
        let mut by_scope: BTreeMap<Scope, Vec<Grant>> = BTreeMap::new();
        for a in atoms.iter().filter(|a| keep(a)) {
            by_scope
                .entry(a.scope.clone())
                .or_insert_with(|| vec![a.grant]);
        }
        (!by_scope.is_empty()).then(|| SubjectRisk {
            subject: key.clone(),
            risk,
            evidence: by_scope.into_iter().collect(),
        })
    };
    let is = |p: Probe| move |a: &Atom| a.probe == p;
    let unlimited = |p: Probe| move |a: &Atom| a.probe == p && names(model, a).is_empty();
    let candidates: [(Risk, AtomFilter); 12] = [
        (
            Risk::ClusterAdmin,
            Box::new(|a: &Atom| a.probe == Probe::ClusterAdmin && a.scope == Scope::Cluster),
        ),
        (Risk::ReadSecrets, Box::new(unlimited(Probe::ReadSecrets))),
        (Risk::CreatePods, Box::new(is(Probe::CreateWorkloads))),
        (
            Risk::ExecAttachPortForward,
            Box::new(|a: &Atom| matches!(a.probe, Probe::ExecAttach | Probe::PortForward)),
        ),
        (Risk::Escalate, Box::new(is(Probe::Escalate))),
        (
            Risk::Bind,
            Box::new(|a: &Atom| a.probe == Probe::Bind && names_include(model, a, BROAD_ROLES)),
        ),
        (Risk::Impersonate, Box::new(is(Probe::Impersonate))),
        (Risk::NodesProxy, Box::new(is(Probe::NodesProxy))),
        (
            Risk::ServiceAccountToken,
            Box::new(unlimited(Probe::ServiceAccountToken)),
        ),
        (
            Risk::WebhookConfigWrite,
            Box::new(unlimited(Probe::WebhookConfigWrite)),
        ),
        (
            Risk::CreatePersistentVolumes,
            Box::new(is(Probe::CreatePersistentVolumes)),
        ),
        (Risk::Wildcard, Box::new(is(Probe::Wildcard))),
    ];
    for (risk, keep) in candidates.iter() {
        out.extend(single(*risk, keep.as_ref()));
    }
    // Cluster-admin-equivalent holds every other risk: one finding says it all.
    if out.iter().any(|r| r.risk == Risk::ClusterAdmin) {
        out.retain(|r| r.risk == Risk::ClusterAdmin);
        return out;
    }
    // Approving takes both halves, which may come from different roles and bindings.
    let approval = atoms.iter().find(|a| a.probe == Probe::CsrApproval);
    let signer = atoms
        .iter()
        .find(|a| a.probe == Probe::ApproveSigners && names_include(model, a, CLIENT_SIGNERS));
    if let (Some(a), Some(s)) = (approval, signer) {
        out.push(SubjectRisk {
            subject: key.clone(),
            risk: Risk::CsrApproval,
            evidence: vec![(
                Scope::Cluster,
                if a.grant == s.grant {
                    vec![a.grant]
                } else {
                    vec![a.grant, s.grant]
                },
            )],
        });
    }
    out.sort_by_key(|r| r.risk);
    out
}

impl Analysis {
    pub fn new(model: &RbacModel) -> Analysis {
        let probes = role_probes(model);
        let subjects: Vec<SubjectKey> = model.subjects().into_iter().cloned().collect();

        // Risks: each subject's own bindings; the graph: an identity holds its own atoms and
        // its implicit groups'.
        let atoms_of: HashMap<&SubjectKey, Vec<Atom>> = subjects
            .iter()
            .map(|k| (k, key_atoms(model, &probes, k)))
            .collect();
        let mut risks = Vec::new();
        let mut reportable: HashSet<&SubjectKey> = HashSet::new();
        for key in &subjects {
            let own: Vec<Atom> = atoms_of[key]
                .iter()
                .filter(|a| a.reportable)
                .cloned()
                .collect();
            if !own.is_empty() || !key.is_system() {
                reportable.insert(key);
            }
            risks.extend(risks_of(model, key, &own));
        }
        let mut graph = Graph::default();
        let goal = graph.node(Node::Goal);
        for key in &subjects {
            graph.node(Node::Subject(key.clone()));
        }
        for key in &subjects {
            let from = graph.node(Node::Subject(key.clone()));
            let identity = key.identity(&[]);
            let mut atoms: Vec<&Atom> = Vec::new();
            for k in identity.keys() {
                if let Some(a) = atoms_of.get(&k) {
                    atoms.extend(a.iter());
                }
            }
            let bindings: Vec<(u32, u32)> = identity
                .keys()
                .iter()
                .flat_map(|k| model.bindings_of(k).iter().copied())
                .collect();
            add_edges(model, &mut graph, goal, from, &bindings, &atoms);
        }
        graph.add_hub_members(&subjects);
        let paths = graph.shortest_paths(goal);
        // Subjects that reach the goal only through Kubernetes' own defaults are not findings.
        for p in &paths {
            if p.steps.len() > 1
                || p.steps
                    .first()
                    .is_some_and(|s| s.technique != Technique::ClusterAdmin)
            {
                if !reportable.contains(&p.subject) {
                    continue;
                }
                let first = &p.steps[0];
                risks.push(SubjectRisk {
                    subject: p.subject.clone(),
                    risk: Risk::EscalationPath,
                    evidence: vec![(first.scope.clone(), first.grants.clone())],
                });
            }
        }
        risks.sort_by(|a, b| (a.risk, &a.subject).cmp(&(b.risk, &b.subject)));
        Analysis { risks, paths }
    }

    pub fn risks_of_kind(&self, risk: Risk) -> impl Iterator<Item = &SubjectRisk> {
        self.risks.iter().filter(move |r| r.risk == risk)
    }

    pub fn path_of(&self, key: &SubjectKey) -> Option<&EscalationPath> {
        self.paths.iter().find(|p| &p.subject == key)
    }
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    edges: Vec<Vec<Edge>>,
}

impl Graph {
    fn node(&mut self, n: Node) -> usize {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(n.clone());
        self.index.insert(n, i);
        self.edges.push(Vec::new());
        i
    }

    fn existing(&self, n: &Node) -> Option<usize> {
        self.index.get(n).copied()
    }

    fn edge(&mut self, from: usize, to: usize, t: Technique, scope: &Scope, grants: Vec<Grant>) {
        if from != to {
            self.edges[from].push(Edge {
                to,
                step: Some((t, scope.clone(), grants)),
            });
        }
    }

    /// The service accounts (and their groups) a scope's "any service account" reaches.
    fn hub_for(&mut self, scope: &Scope) -> usize {
        match scope {
            Scope::Cluster => self.node(Node::AllServiceAccounts),
            Scope::Namespace(ns) => self.node(Node::ServiceAccountsIn(ns.clone())),
        }
    }

    /// Connect each hub to the subjects it stands for.
    fn add_hub_members(&mut self, subjects: &[SubjectKey]) {
        let hubs: Vec<(usize, Node)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !matches!(n, Node::Goal | Node::Subject(_)))
            .map(|(i, n)| (i, n.clone()))
            .collect();
        for (hub, kind) in hubs {
            for key in subjects {
                let member = match (&kind, key) {
                    (Node::ServiceAccountsIn(ns), SubjectKey::ServiceAccount { namespace, .. }) => {
                        namespace == ns
                    }
                    (Node::ServiceAccountsIn(ns), SubjectKey::Group { name }) => {
                        name == ALL_SERVICE_ACCOUNTS
                            || name == AUTHENTICATED
                            || name
                                .strip_prefix(ALL_SERVICE_ACCOUNTS)
                                .and_then(|r| r.strip_prefix(':'))
                                == Some(ns)
                    }
                    (Node::AllServiceAccounts, SubjectKey::ServiceAccount { .. }) => true,
                    (Node::AllServiceAccounts, SubjectKey::Group { name }) => {
                        name == AUTHENTICATED || name.starts_with(ALL_SERVICE_ACCOUNTS)
                    }
                    (
                        Node::AllUsers,
                        SubjectKey::User { .. } | SubjectKey::ServiceAccount { .. },
                    ) => true,
                    (Node::AllUsers, SubjectKey::Group { name }) => name == AUTHENTICATED,
                    _ => false,
                };
                if member {
                    let to = self.index[&Node::Subject(key.clone())];
                    self.edges[hub].push(Edge { to, step: None });
                }
            }
        }
    }

    /// Breadth-first from the goal over reversed edges; every subject that reaches it gets
    /// its shortest path, following the first edge (in the order edges were added) that
    /// brings it one step closer.
    fn shortest_paths(&self, goal: usize) -> Vec<EscalationPath> {
        let n = self.nodes.len();
        // (from, weight) per edge, by target.
        let mut reverse: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (from, edges) in self.edges.iter().enumerate() {
            for e in edges {
                reverse[e.to].push((from, usize::from(e.step.is_some())));
            }
        }
        // Distance counts steps with a technique; hub membership is free, so 0-1 BFS.
        let mut dist = vec![usize::MAX; n];
        dist[goal] = 0;
        let mut queue = VecDeque::from([goal]);
        while let Some(v) = queue.pop_front() {
            for &(u, w) in &reverse[v] {
                if dist[v] + w < dist[u] {
                    dist[u] = dist[v] + w;
                    if w == 0 {
                        queue.push_front(u);
                    } else {
                        queue.push_back(u);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Subject(key) = node else { continue };
            if dist[i] == usize::MAX {
                continue;
            }
            let mut steps = Vec::new();
            let mut at = i;
            let mut current = key.clone();
            let mut pending: Option<(Technique, Scope, Vec<Grant>)> = None;
            while at != goal {
                let e = self.edges[at]
                    .iter()
                    .find(|e| {
                        dist[e.to] != usize::MAX
                            && dist[e.to] + usize::from(e.step.is_some()) == dist[at]
                    })
                    .expect("a node at a finite distance has an edge one step closer");
                if let Some(s) = &e.step {
                    pending = Some(s.clone());
                }
                at = e.to;
                let arrived = match &self.nodes[at] {
                    Node::Goal => Some(None),
                    Node::Subject(k) => Some(Some(k.clone())),
                    _ => None,
                };
                if let Some(to) = arrived {
                    if let Some((technique, scope, grants)) = pending.take() {
                        steps.push(Step {
                            from: current.clone(),
                            technique,
                            scope,
                            grants,
                            to: to.clone(),
                        });
                    }
                    if let Some(k) = to {
                        current = k;
                    }
                }
            }
            out.push(EscalationPath {
                subject: key.clone(),
                steps,
            });
        }
        out.sort_by(|a, b| a.subject.cmp(&b.subject));
        out
    }
}

/// The edges an identity's atoms give it.
fn add_edges(
    model: &RbacModel,
    g: &mut Graph,
    goal: usize,
    from: usize,
    bindings: &[(u32, u32)],
    atoms: &[&Atom],
) {
    let find = |p: Probe, scope: &Scope| {
        atoms
            .iter()
            .find(|a| a.probe == p && (a.scope == Scope::Cluster || &a.scope == scope))
            .copied()
    };
    for a in atoms {
        let grants = vec![a.grant];
        let n = names(model, a);
        match a.probe {
            Probe::ClusterAdmin if a.scope == Scope::Cluster => {
                g.edge(from, goal, Technique::ClusterAdmin, &a.scope, grants)
            }
            Probe::ImpersonateGroups => {
                if n.is_empty() || n.iter().any(|x| x == "system:masters") {
                    g.edge(from, goal, Technique::ImpersonateMasters, &a.scope, grants);
                } else {
                    for name in n {
                        if let Some(to) = g.existing(&Node::Subject(SubjectKey::group(name))) {
                            g.edge(
                                from,
                                to,
                                Technique::ImpersonateGroup,
                                &a.scope,
                                grants.clone(),
                            );
                        }
                    }
                }
            }
            Probe::ImpersonateUsers => {
                if n.is_empty() {
                    let to = g.node(Node::AllUsers);
                    g.edge(from, to, Technique::ImpersonateUser, &a.scope, grants);
                } else {
                    for name in n {
                        if let Some(to) = g.existing(&Node::Subject(SubjectKey::user(name))) {
                            g.edge(
                                from,
                                to,
                                Technique::ImpersonateUser,
                                &a.scope,
                                grants.clone(),
                            );
                        }
                    }
                }
            }
            Probe::ImpersonateServiceAccounts | Probe::ServiceAccountToken => {
                let t = if a.probe == Probe::ServiceAccountToken {
                    Technique::CreateToken
                } else {
                    Technique::ImpersonateServiceAccount
                };
                if n.is_empty() {
                    let to = g.hub_for(&a.scope);
                    g.edge(from, to, t, &a.scope, grants);
                } else {
                    let targets: Vec<usize> = g
                        .nodes
                        .iter()
                        .enumerate()
                        .filter(|(_, node)| match node {
                            Node::Subject(SubjectKey::ServiceAccount { namespace, name }) => {
                                n.contains(name)
                                    && (a.scope == Scope::Cluster
                                        || a.scope == Scope::Namespace(namespace.clone()))
                            }
                            _ => false,
                        })
                        .map(|(i, _)| i)
                        .collect();
                    for to in targets {
                        g.edge(from, to, t, &a.scope, grants.clone());
                    }
                }
            }
            Probe::CreateWorkloads | Probe::ExecAttach | Probe::ReadSecrets if n.is_empty() => {
                let t = match a.probe {
                    Probe::CreateWorkloads => Technique::CreatePods,
                    Probe::ExecAttach => Technique::Exec,
                    _ => Technique::ReadTokenSecrets,
                };
                let to = g.hub_for(&a.scope);
                g.edge(from, to, t, &a.scope, grants);
            }
            Probe::NodesProxy => {
                let to = g.node(Node::AllServiceAccounts);
                g.edge(from, to, Technique::NodesProxy, &a.scope, grants);
            }
            Probe::BindClusterRoles => {
                // Binding takes `bind` on the role and write access to the binding.
                if a.scope == Scope::Cluster && names_include(model, a, &["cluster-admin"]) {
                    if let Some(w) = find(Probe::WriteClusterRoleBindings, &Scope::Cluster) {
                        g.edge(
                            from,
                            goal,
                            Technique::BindClusterAdmin,
                            &Scope::Cluster,
                            vec![a.grant, w.grant],
                        );
                    }
                }
                if names_include(model, a, BROAD_ROLES) {
                    for w in atoms.iter().filter(|w| {
                        w.probe == Probe::WriteRoleBindings
                            && (a.scope == Scope::Cluster || w.scope == a.scope)
                    }) {
                        let scope = if a.scope == Scope::Cluster {
                            &w.scope
                        } else {
                            &a.scope
                        };
                        let to = g.hub_for(scope);
                        g.edge(
                            from,
                            to,
                            Technique::BindInNamespace,
                            scope,
                            vec![a.grant, w.grant],
                        );
                    }
                }
            }
            Probe::EscalateClusterRoles => {
                // Rewrite a ClusterRole this identity is bound to cluster-wide.
                for u in atoms
                    .iter()
                    .filter(|u| u.probe == Probe::UpdateClusterRoles)
                {
                    if let Some(b) = bound_grant(model, bindings, u, None) {
                        g.edge(
                            from,
                            goal,
                            Technique::EscalateClusterRole,
                            &Scope::Cluster,
                            vec![a.grant, u.grant, b],
                        );
                        break;
                    }
                }
            }
            Probe::Escalate => {
                // Rewrite a Role this identity is bound to in a namespace.
                for u in atoms.iter().filter(|u| u.probe == Probe::UpdateRoles) {
                    let Scope::Namespace(ns) = &u.scope else {
                        continue;
                    };
                    if a.scope != Scope::Cluster && a.scope != u.scope {
                        continue;
                    }
                    if let Some(b) = bound_grant(model, bindings, u, Some(ns)) {
                        let to = g.hub_for(&u.scope);
                        g.edge(
                            from,
                            to,
                            Technique::EscalateRole,
                            &u.scope,
                            vec![a.grant, u.grant, b],
                        );
                        break;
                    }
                }
            }
            Probe::CreateCsr => {
                let approval = find(Probe::CsrApproval, &Scope::Cluster);
                let signer = atoms.iter().find(|s| {
                    s.probe == Probe::ApproveSigners
                        && names_include(
                            model,
                            s,
                            &["kubernetes.io/kube-apiserver-client", "kubernetes.io/*"],
                        )
                });
                if let (Some(ap), Some(s)) = (approval, signer) {
                    g.edge(
                        from,
                        goal,
                        Technique::CsrClientCertificate,
                        &Scope::Cluster,
                        vec![a.grant, ap.grant, s.grant],
                    );
                }
            }
            _ => {}
        }
    }
}

/// A binding of the identity to a role that `update` (limited by its resourceNames) may
/// rewrite: a ClusterRole through a ClusterRoleBinding (`namespace` None), or a Role of
/// `namespace` through a RoleBinding there. The grant names the binding and the role's first
/// rule.
fn bound_grant(
    model: &RbacModel,
    bindings: &[(u32, u32)],
    update: &Atom,
    namespace: Option<&str>,
) -> Option<Grant> {
    let allowed = names(model, update);
    bindings.iter().find_map(|&(b, s)| {
        let binding = &model.bindings[b as usize];
        let role_index = model.role_of_binding(b as usize)?;
        let role = &model.roles[role_index];
        let fits = match namespace {
            None => binding.cluster && role.cluster,
            Some(ns) => !binding.cluster && !role.cluster && role.namespace == ns,
        };
        if !fits || !(allowed.is_empty() || allowed.contains(&role.name)) {
            return None;
        }
        let rule = *model.effective_rules(role_index).first()?;
        Some(Grant {
            binding: b,
            subject: s,
            rule,
        })
    })
}
