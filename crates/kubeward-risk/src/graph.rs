//! The entity graph: what its vertices and edges are.

use std::sync::Arc;

use kubeward_rbac::{Grant, SubjectKey};
use serde::Serialize;

use crate::exposure::EntryKind;
use crate::facts::{Location, ObjectKey, Severity, VolumeSource};

/// A vertex of the graph. Kubernetes does not say on which node a pod runs, so every
/// workload gets its own abstract node ([`Entity::Node`] with the workload); a pod created by
/// an attacker lands on "any node" (the workload is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Entity {
    /// The external network.
    Internet,
    /// Any pod of the cluster (an attacker with a foothold in one): the pod network.
    Cluster,
    /// A Service, Ingress, host port or container port.
    EntryPoint {
        kind: EntryKind,
        namespace: Box<str>,
        name: Box<str>,
    },
    /// A pod-bearing object (it stands for its pods).
    Workload(Arc<ObjectKey>),
    Container {
        workload: Arc<ObjectKey>,
        name: Box<str>,
    },
    /// The node a workload's pods run on (`None`: any node).
    Node(Option<Arc<ObjectKey>>),
    /// A user, group or service account. `bound`: some binding names it.
    Identity {
        subject: SubjectKey,
        bound: bool,
    },
    /// A (Cluster)RoleBinding with the role it refers to: KubeHound's PermissionSet, named
    /// `role::binding`. `namespace` is "" for a ClusterRoleBinding.
    PermissionSet {
        binding: u32,
        name: Box<str>,
        namespace: Box<str>,
        cluster_role: bool,
    },
    Secret {
        namespace: Box<str>,
        name: Box<str>,
    },
    /// A volume as one container mounts it (KubeHound's Volume: one per mount).
    Volume {
        workload: Arc<ObjectKey>,
        container: Box<str>,
        name: Box<str>,
        source: VolumeSource,
        read_only: bool,
    },
    /// A set of entities an edge reaches all at once (every pod of a namespace, ...): edges go
    /// to the hub and the hub has a [`EdgeKind::Member`] edge to each member, so that a
    /// permission reaching 50,000 pods costs one edge, not 50,000.
    Hub(Hub),
    /// Cluster-admin-equivalent power.
    ClusterAdmin,
}

/// What a hub stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hub {
    PodsIn(Box<str>),
    AllPods,
    ServiceAccountsIn(Box<str>),
    AllServiceAccounts,
    SecretsIn(Box<str>),
    AllSecrets,
    Users,
    Groups,
    /// Permission sets of ClusterRoleBindings.
    ClusterPermissionSets,
    /// Permission sets of the RoleBindings of a namespace to ClusterRoles (`true`) or Roles.
    NamespacePermissionSets(Box<str>, bool),
    /// The same in every namespace.
    AllNamespacePermissionSets(bool),
}

impl Hub {
    pub fn describe(&self) -> String {
        let kind = |cr: &bool| if *cr { "ClusterRoles" } else { "Roles" };
        match self {
            Hub::PodsIn(ns) => format!("every pod in namespace {ns}"),
            Hub::AllPods => "every pod of the cluster".into(),
            Hub::ServiceAccountsIn(ns) => format!("every service account of namespace {ns}"),
            Hub::AllServiceAccounts => "every service account of the cluster".into(),
            Hub::SecretsIn(ns) => format!("every Secret of namespace {ns}"),
            Hub::AllSecrets => "every Secret of the cluster".into(),
            Hub::Users => "every user".into(),
            Hub::Groups => "every group".into(),
            Hub::ClusterPermissionSets => "every ClusterRoleBinding's permissions".into(),
            Hub::NamespacePermissionSets(ns, cr) => {
                format!(
                    "every RoleBinding-to-{}'s permissions in namespace {ns}",
                    kind(cr)
                )
            }
            Hub::AllNamespacePermissionSets(cr) => {
                format!(
                    "every RoleBinding-to-{}'s permissions in every namespace",
                    kind(cr)
                )
            }
        }
    }

    fn key(&self) -> String {
        match self {
            Hub::PodsIn(ns) => format!("pods:{ns}"),
            Hub::AllPods => "pods:*".into(),
            Hub::ServiceAccountsIn(ns) => format!("serviceaccounts:{ns}"),
            Hub::AllServiceAccounts => "serviceaccounts:*".into(),
            Hub::SecretsIn(ns) => format!("secrets:{ns}"),
            Hub::AllSecrets => "secrets:*".into(),
            Hub::Users => "users".into(),
            Hub::Groups => "groups".into(),
            Hub::ClusterPermissionSets => "permissionsets:cluster".into(),
            Hub::NamespacePermissionSets(ns, cr) => format!("permissionsets:{ns}:{cr}"),
            Hub::AllNamespacePermissionSets(cr) => format!("permissionsets:*:{cr}"),
        }
    }
}

impl Entity {
    /// A stable, unique identity: `container:Pod/default/web/nginx`, `identity:ServiceAccount:ci:deployer`.
    pub fn key(&self) -> String {
        match self {
            Entity::Internet => "internet".into(),
            Entity::Cluster => "cluster".into(),
            Entity::EntryPoint {
                kind,
                namespace,
                name,
            } => format!("entry:{kind:?}/{namespace}/{name}"),
            Entity::Workload(w) => format!("workload:{w}"),
            Entity::Container { workload, name } => format!("container:{workload}/{name}"),
            Entity::Node(Some(w)) => format!("node:{w}"),
            Entity::Node(None) => "node:*".into(),
            Entity::Identity { subject, .. } => format!("identity:{}", subject.spec()),
            Entity::PermissionSet {
                namespace, name, ..
            } => format!("permissionset:{namespace}:{name}"),
            Entity::Secret { namespace, name } => format!("secret:{namespace}/{name}"),
            Entity::Volume {
                workload,
                container,
                name,
                ..
            } => format!("volume:{workload}/{container}/{name}"),
            Entity::Hub(h) => format!("hub:{}", h.key()),
            Entity::ClusterAdmin => "cluster-admin".into(),
        }
    }

    /// For people: `container "nginx" of Pod/default/web`.
    pub fn describe(&self) -> String {
        match self {
            Entity::Internet => "the internet".into(),
            Entity::Cluster => "any pod of the cluster".into(),
            Entity::EntryPoint {
                kind,
                namespace,
                name,
            } => {
                let k = match kind {
                    EntryKind::Service => "Service",
                    EntryKind::Ingress => "Ingress",
                    EntryKind::HostPort => "host port",
                    EntryKind::ContainerPort => "container port",
                };
                format!("{k} {namespace}/{name}")
            }
            Entity::Workload(w) => w.to_string(),
            Entity::Container { workload, name } => format!("container {name:?} of {workload}"),
            Entity::Node(Some(w)) => format!("the node running {w}"),
            Entity::Node(None) => "any node".into(),
            Entity::Identity { subject, .. } => subject.to_string(),
            Entity::PermissionSet { name, .. } => format!("permissions {name}"),
            Entity::Secret { namespace, name } => format!("Secret {namespace}/{name}"),
            Entity::Volume {
                workload,
                container,
                name,
                source,
                ..
            } => {
                let what = match source {
                    VolumeSource::HostPath(p) => format!(" (hostPath {p})"),
                    VolumeSource::Pvc(c) => format!(" (PersistentVolumeClaim {c})"),
                    VolumeSource::Secret(s) => format!(" (Secret {s})"),
                    VolumeSource::ProjectedToken | VolumeSource::AutomountedToken => {
                        " (service account token)".into()
                    }
                    VolumeSource::Other => String::new(),
                };
                format!("volume {name:?}{what} of container {container:?} of {workload}")
            }
            Entity::Hub(h) => h.describe(),
            Entity::ClusterAdmin => "cluster-admin-equivalent power".into(),
        }
    }

    /// The class KubeHound gives the entity (`Container`, `Node`, `Identity`, ...), or the
    /// name of kubeward's own class.
    pub fn class(&self) -> &'static str {
        match self {
            Entity::Internet => "Internet",
            Entity::Cluster => "Cluster",
            Entity::EntryPoint { .. } => "Endpoint",
            Entity::Workload(_) => "Pod",
            Entity::Container { .. } => "Container",
            Entity::Node(_) => "Node",
            Entity::Identity { .. } => "Identity",
            Entity::PermissionSet { .. } => "PermissionSet",
            Entity::Secret { .. } => "Secret",
            Entity::Volume { .. } => "Volume",
            Entity::Hub(_) => "Hub",
            Entity::ClusterAdmin => "ClusterAdmin",
        }
    }
}

/// The kind of an edge: KubeHound's attack names, then kubeward's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EdgeKind {
    CePrivMount,
    CeNsenter,
    CeModuleLoad,
    CeSysPtrace,
    CeUmhCorePattern,
    CeVarLogSymlink,
    ExploitHostRead,
    ExploitHostWrite,
    ExploitHostTraverse,
    ExploitContainerdSock,
    IdentityAssume,
    TokenSteal,
    TokenList,
    TokenBruteforce,
    PodCreate,
    PodPatch,
    PodExec,
    PodAttach,
    ContainerAttach,
    RoleBind,
    IdentityImpersonate,
    PermissionDiscover,
    SharePsNamespace,
    VolumeAccess,
    VolumeDiscover,
    EndpointExploit,
    /// kubeward: the internet or the pod network reaches an entry point.
    Exposed,
    /// kubeward: the container's image has a critical or high vulnerability with a fix.
    VulnerableImage,
    /// kubeward: may read Secrets (a permission, or a Secret volume).
    SecretRead,
    /// kubeward: an escalation path of kubeward-rbac reaches cluster-admin-equivalent power.
    ClusterAdmin,
    /// kubeward: an identity is in a group (the implicit groups of service accounts and
    /// authenticated users).
    GroupMember,
    /// kubeward: a hub stands for each of its members.
    Member,
}

impl EdgeKind {
    pub const ALL: [EdgeKind; 32] = [
        EdgeKind::CePrivMount,
        EdgeKind::CeNsenter,
        EdgeKind::CeModuleLoad,
        EdgeKind::CeSysPtrace,
        EdgeKind::CeUmhCorePattern,
        EdgeKind::CeVarLogSymlink,
        EdgeKind::ExploitHostRead,
        EdgeKind::ExploitHostWrite,
        EdgeKind::ExploitHostTraverse,
        EdgeKind::ExploitContainerdSock,
        EdgeKind::IdentityAssume,
        EdgeKind::TokenSteal,
        EdgeKind::TokenList,
        EdgeKind::TokenBruteforce,
        EdgeKind::PodCreate,
        EdgeKind::PodPatch,
        EdgeKind::PodExec,
        EdgeKind::PodAttach,
        EdgeKind::ContainerAttach,
        EdgeKind::RoleBind,
        EdgeKind::IdentityImpersonate,
        EdgeKind::PermissionDiscover,
        EdgeKind::SharePsNamespace,
        EdgeKind::VolumeAccess,
        EdgeKind::VolumeDiscover,
        EdgeKind::EndpointExploit,
        EdgeKind::Exposed,
        EdgeKind::VulnerableImage,
        EdgeKind::SecretRead,
        EdgeKind::ClusterAdmin,
        EdgeKind::GroupMember,
        EdgeKind::Member,
    ];

    /// The stable ID (`CE_PRIV_MOUNT`).
    pub fn id(self) -> &'static str {
        match self {
            EdgeKind::CePrivMount => "CE_PRIV_MOUNT",
            EdgeKind::CeNsenter => "CE_NSENTER",
            EdgeKind::CeModuleLoad => "CE_MODULE_LOAD",
            EdgeKind::CeSysPtrace => "CE_SYS_PTRACE",
            EdgeKind::CeUmhCorePattern => "CE_UMH_CORE_PATTERN",
            EdgeKind::CeVarLogSymlink => "CE_VAR_LOG_SYMLINK",
            EdgeKind::ExploitHostRead => "EXPLOIT_HOST_READ",
            EdgeKind::ExploitHostWrite => "EXPLOIT_HOST_WRITE",
            EdgeKind::ExploitHostTraverse => "EXPLOIT_HOST_TRAVERSE",
            EdgeKind::ExploitContainerdSock => "EXPLOIT_CONTAINERD_SOCK",
            EdgeKind::IdentityAssume => "IDENTITY_ASSUME",
            EdgeKind::TokenSteal => "TOKEN_STEAL",
            EdgeKind::TokenList => "TOKEN_LIST",
            EdgeKind::TokenBruteforce => "TOKEN_BRUTEFORCE",
            EdgeKind::PodCreate => "POD_CREATE",
            EdgeKind::PodPatch => "POD_PATCH",
            EdgeKind::PodExec => "POD_EXEC",
            EdgeKind::PodAttach => "POD_ATTACH",
            EdgeKind::ContainerAttach => "CONTAINER_ATTACH",
            EdgeKind::RoleBind => "ROLE_BIND",
            EdgeKind::IdentityImpersonate => "IDENTITY_IMPERSONATE",
            EdgeKind::PermissionDiscover => "PERMISSION_DISCOVER",
            EdgeKind::SharePsNamespace => "SHARE_PS_NAMESPACE",
            EdgeKind::VolumeAccess => "VOLUME_ACCESS",
            EdgeKind::VolumeDiscover => "VOLUME_DISCOVER",
            EdgeKind::EndpointExploit => "ENDPOINT_EXPLOIT",
            EdgeKind::Exposed => "EXPOSED",
            EdgeKind::VulnerableImage => "VULNERABLE_IMAGE",
            EdgeKind::SecretRead => "SECRET_READ",
            EdgeKind::ClusterAdmin => "CLUSTER_ADMIN",
            EdgeKind::GroupMember => "GROUP_MEMBER",
            EdgeKind::Member => "MEMBER",
        }
    }

    /// The MITRE ATT&CK technique of the attack (from KubeHound's attack docs), if any.
    pub fn mitre(self) -> Option<&'static str> {
        Some(match self {
            EdgeKind::CePrivMount
            | EdgeKind::CeNsenter
            | EdgeKind::CeModuleLoad
            | EdgeKind::CeSysPtrace
            | EdgeKind::CeUmhCorePattern
            | EdgeKind::CeVarLogSymlink
            | EdgeKind::ExploitHostRead
            | EdgeKind::ExploitHostWrite => "T1611",
            EdgeKind::ExploitHostTraverse | EdgeKind::TokenSteal => "T1552",
            EdgeKind::ExploitContainerdSock | EdgeKind::PodCreate => "T1610",
            EdgeKind::IdentityAssume
            | EdgeKind::RoleBind
            | EdgeKind::IdentityImpersonate
            | EdgeKind::ClusterAdmin => "T1078",
            EdgeKind::TokenList | EdgeKind::TokenBruteforce => "T1528",
            EdgeKind::PodPatch
            | EdgeKind::PodExec
            | EdgeKind::PodAttach
            | EdgeKind::ContainerAttach => "T1609",
            EdgeKind::PermissionDiscover => "T1069",
            EdgeKind::SharePsNamespace => "T1080",
            EdgeKind::VolumeAccess | EdgeKind::VolumeDiscover => "T1613",
            EdgeKind::EndpointExploit | EdgeKind::VulnerableImage => "T1210",
            EdgeKind::Exposed => "T1190",
            EdgeKind::SecretRead => "T1552.007",
            EdgeKind::GroupMember | EdgeKind::Member => return None,
        })
    }

    /// How likely an attacker standing at the edge's source succeeds in crossing it, in
    /// (0, 1]. The values are kubeward's judgement, documented in docs/risks.md: 1 for what
    /// needs no exploit (a token file, a permission), lower for what takes work or luck.
    pub fn likelihood(self) -> f64 {
        match self {
            EdgeKind::CePrivMount | EdgeKind::CeNsenter | EdgeKind::ExploitContainerdSock => 0.95,
            EdgeKind::CeModuleLoad | EdgeKind::ExploitHostWrite | EdgeKind::ExploitHostTraverse => {
                0.9
            }
            EdgeKind::CeSysPtrace | EdgeKind::CeUmhCorePattern => 0.8,
            EdgeKind::CeVarLogSymlink => 0.7,
            EdgeKind::ExploitHostRead => 0.6,
            EdgeKind::PodExec | EdgeKind::IdentityImpersonate => 0.95,
            EdgeKind::PodCreate | EdgeKind::RoleBind | EdgeKind::ClusterAdmin => 0.9,
            EdgeKind::PodPatch | EdgeKind::SharePsNamespace => 0.8,
            // Token Secrets exist only where made by hand (or before v1.24).
            EdgeKind::TokenList => 0.5,
            EdgeKind::TokenBruteforce => 0.2,
            // A reachable endpoint is not an exploitable one: a base rate, raised by
            // VULNERABLE_IMAGE when the image has a known fixable vulnerability.
            EdgeKind::EndpointExploit => 0.3,
            EdgeKind::VulnerableImage => 0.9,
            EdgeKind::Exposed
            | EdgeKind::IdentityAssume
            | EdgeKind::TokenSteal
            | EdgeKind::PodAttach
            | EdgeKind::ContainerAttach
            | EdgeKind::PermissionDiscover
            | EdgeKind::VolumeAccess
            | EdgeKind::VolumeDiscover
            | EdgeKind::SecretRead
            | EdgeKind::GroupMember
            | EdgeKind::Member => 1.0,
        }
    }
}

/// Why an edge exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A field of a manifest.
    Field(Location),
    /// An RBAC rule and the binding subject entry that grants it (resolved through the RBAC
    /// model: file, line and column of both).
    Grant(Grant),
    /// A known vulnerability of the container's image.
    Vulnerability {
        id: Box<str>,
        severity: Severity,
        image: Location,
    },
    /// How Kubernetes itself behaves (every pod runs on a node, ...).
    Kubernetes(&'static str),
}

/// The evidence of an edge as the graph's build hands it over, before it goes into the
/// graph's table. Structural edges (a pod on its node, a volume on the node's filesystem, the
/// automounted token) all cite the same sentence of how Kubernetes behaves: they borrow one
/// static slice, kept once in the table (a third of the edges of a large scan).
#[derive(Clone, Debug)]
pub(crate) enum Evidences {
    Borrowed(&'static [Evidence]),
    One(Evidence),
    Owned(Vec<Evidence>),
}

impl From<Vec<Evidence>> for Evidences {
    fn from(v: Vec<Evidence>) -> Self {
        Evidences::Owned(v)
    }
}

impl FromIterator<Evidence> for Evidences {
    fn from_iter<I: IntoIterator<Item = Evidence>>(iter: I) -> Self {
        Evidences::Owned(iter.into_iter().collect())
    }
}

/// An edge: its kind, how likely it is crossed, and what makes it
/// ([`RiskGraph::evidence`](crate::RiskGraph::evidence)).
///
/// The evidence is kept in one table for the whole graph, and the edge holds its place
/// there: 16 bytes an edge instead of 32, and no allocation per edge (half a million edges
/// for 100,000 objects; structural edges share their one entry of the table).
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Usually [`EdgeKind::likelihood`]; VULNERABLE_IMAGE depends on the severity.
    pub likelihood: f32,
    /// Its evidence's place in the graph's table.
    pub(crate) evidence: Span,
}

/// A run of entries of an [`EvidenceTable`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    chunk: u32,
    offset: u16,
    /// [`Span::WHOLE`]: the whole chunk (a run longer than a chunk has its own).
    len: u16,
}

impl Span {
    const WHOLE: u16 = u16::MAX;
}

/// The evidence of every edge of a graph, in chunks of [`EvidenceTable::CHUNK`] entries
/// filled in turn: it grows without copying itself (a vector grown by doubling holds its
/// old and new arrays at once, and up to twice what it needs).
#[derive(Debug, Default)]
pub(crate) struct EvidenceTable {
    chunks: Vec<Vec<Evidence>>,
}

impl EvidenceTable {
    const CHUNK: usize = 4096;

    /// Keep `items` as one run.
    pub(crate) fn push(&mut self, items: Evidences) -> Span {
        let n = match &items {
            Evidences::Borrowed(s) => s.len(),
            Evidences::One(_) => 1,
            Evidences::Owned(v) => v.len(),
        };
        if n == 0 {
            return Span::default();
        }
        if n > Self::CHUNK {
            // Longer than a chunk: a chunk of its own (the next run starts a new one, as
            // this one is over full).
            let own = match items {
                Evidences::Borrowed(s) => s.to_vec(),
                Evidences::One(e) => vec![e],
                Evidences::Owned(v) => v,
            };
            self.chunks.push(own);
            let chunk = u32::try_from(self.chunks.len() - 1).unwrap_or(u32::MAX);
            return Span {
                chunk,
                offset: 0,
                len: Span::WHOLE,
            };
        }
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + n <= Self::CHUNK);
        if !fits {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        let chunk = self.chunks.len() - 1;
        let Some(c) = self.chunks.last_mut() else {
            return Span::default();
        };
        let offset = c.len();
        match items {
            Evidences::Borrowed(s) => c.extend_from_slice(s),
            Evidences::One(e) => c.push(e),
            Evidences::Owned(v) => c.extend(v),
        }
        Span {
            chunk: u32::try_from(chunk).unwrap_or(u32::MAX),
            offset: u16::try_from(offset).unwrap_or(0),
            len: u16::try_from(n).unwrap_or(0),
        }
    }

    /// The entries of a run.
    pub(crate) fn get(&self, span: Span) -> &[Evidence] {
        if span.len == 0 {
            return &[];
        }
        let Some(c) = self.chunks.get(span.chunk as usize) else {
            return &[];
        };
        if span.len == Span::WHOLE {
            return c;
        }
        let start = usize::from(span.offset);
        c.get(start..start + usize::from(span.len))
            .unwrap_or_default()
    }

    /// Give back the unused end of the last chunk.
    pub(crate) fn shrink(&mut self) {
        if let Some(c) = self.chunks.last_mut() {
            c.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
    }
}

#[cfg(test)]
mod evidence_table_tests {
    use super::*;

    /// Run `tag`'s entries, each telling its run and place.
    fn run(tag: usize, n: usize) -> Vec<Evidence> {
        let file: Arc<str> = Arc::from("f.yaml");
        (0..n)
            .map(|i| {
                Evidence::Field(Location {
                    file: file.clone(),
                    line: tag as u32,
                    column: i as u32,
                    path: Default::default(),
                })
            })
            .collect()
    }

    /// Runs of every size, including longer than a chunk and filling a chunk exactly, come
    /// back as they went in, wherever they landed.
    #[test]
    fn every_run_comes_back_as_it_went_in() {
        let sizes = [
            1,
            3,
            0,
            EvidenceTable::CHUNK - 4,
            EvidenceTable::CHUNK + 5,
            2,
            EvidenceTable::CHUNK,
            1,
            3 * EvidenceTable::CHUNK,
            7,
        ];
        let mut table = EvidenceTable::default();
        let mut spans = Vec::new();
        for (tag, &n) in sizes.iter().enumerate() {
            let items = run(tag, n);
            let pushed = if n == 1 {
                Evidences::One(items[0].clone())
            } else {
                Evidences::Owned(items)
            };
            spans.push(table.push(pushed));
        }
        table.shrink();
        for (tag, (&n, span)) in sizes.iter().zip(&spans).enumerate() {
            let got: Vec<String> = table.get(*span).iter().map(|e| format!("{e:?}")).collect();
            let want: Vec<String> = run(tag, n).iter().map(|e| format!("{e:?}")).collect();
            assert_eq!(got, want, "run {tag} of {n}");
        }
    }
}
