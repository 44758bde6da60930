//! The facts reachability needs, owned and compact: no YAML tree is kept once an object is read.
//! Every fact keeps where it was written ([`Loc`]), so an answer can name the file, line and
//! column of the policy and the rule that decided it.

use std::fmt;
use std::sync::Arc;

use kubeward_model::{LabelSelector, Labels};
use kubeward_yaml::Pos;
use serde::Serialize;

use crate::conns::Protocol;
use crate::ip::IpSet;

/// Where something was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: Arc<str>,
    pub pos: Pos,
}

impl fmt::Display for Loc {
    /// `file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}

impl Serialize for Loc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Loc", 3)?;
        st.serialize_field("file", &*self.file)?;
        st.serialize_field("line", &self.pos.line)?;
        st.serialize_field("column", &self.pos.column)?;
        st.end()
    }
}

/// A port a container declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<Box<str>>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A group of pods that share labels and ports: a pod-bearing object (Deployment, ...), or the
/// Pod objects a controller owns grouped under that owner (`default/frontend-99684f7f8`
/// `[ReplicaSet]`), or a Pod that has no controller. netpol-analyzer names connections at this
/// level, and so does kubeward.
#[derive(Clone, Debug)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// The kind shown: the object's kind, the owner's kind for owned pods (`Pod` when the owner
    /// reference has no kind), `VirtualMachine` for KubeVirt.
    pub kind: String,
    pub labels: Labels,
    /// Ports of the (regular) containers, in order; named ports resolve to the first match.
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    /// `hostPort`s of the containers.
    pub host_ports: Vec<(u16, Protocol)>,
    pub service_account: String,
    /// A KubeVirt VirtualMachine: no container ports, every TCP port counts as exposed.
    pub virtual_machine: bool,
    /// The object (or the first pod of the group).
    pub loc: Loc,
}

impl Workload {
    /// `namespace/name[Kind]`, as connection lists name it.
    pub fn display(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }

    /// The port a named port resolves to on this workload, with its protocol.
    pub fn named_port(&self, name: &str) -> Option<(u16, Protocol)> {
        self.ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| (p.port, p.protocol))
    }
}

/// A namespace and its labels (with `kubernetes.io/metadata.name`, which the API server sets).
#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    /// `None` for a namespace that objects use but no Namespace object declares.
    pub loc: Option<Loc>,
}

/// Which way traffic goes, from the point of view of the selected pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// `Ingress` or `Egress`, as `policyTypes` spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// `ingress` or `egress`, the field of the rules.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// A NetworkPolicy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub namespace: String,
    pub name: String,
    pub loc: Loc,
    pub pod_selector: LabelSelector,
    /// Whether the policy isolates the selected pods for ingress / egress (`policyTypes`, or
    /// its default: Ingress always, Egress when there are egress rules).
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl Policy {
    /// `namespace/name`.
    pub fn display(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The rules of one direction.
    pub fn rules(&self, d: Direction) -> &[Rule] {
        match d {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Whether the policy isolates its pods in direction `d`.
    pub fn isolates(&self, d: Direction) -> bool {
        match d {
            Direction::Ingress => self.isolates_ingress,
            Direction::Egress => self.isolates_egress,
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub loc: Loc,
    /// `from`/`to` missing or empty: every peer (pods and IPs) matches.
    pub all_peers: bool,
    pub peers: Vec<RulePeer>,
    /// `ports` missing or empty: every port matches.
    pub all_ports: bool,
    pub ports: Vec<RulePort>,
}

/// A peer of a rule. Invalid peers are kept as [`RulePeer::Nothing`] so that a rule whose
/// peers are all invalid selects nothing instead of everything.
#[derive(Clone, Debug)]
pub enum RulePeer {
    /// `podSelector` and/or `namespaceSelector`: `None` namespace selector means the policy's
    /// namespace; `None` pod selector means every pod of the selected namespaces.
    Selectors {
        namespaces: Option<LabelSelector>,
        pods: Option<LabelSelector>,
        loc: Loc,
    },
    /// `ipBlock`: the CIDR minus its exceptions.
    IpBlock { block: IpSet, loc: Loc },
    /// Refused (reported): matches nothing.
    Nothing,
}

/// What a rule port names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// No `port`: every port of the protocol.
    All,
    /// `port` (with `endPort`): a range of numbers.
    Range(u16, u16),
    /// A named port, resolved against each destination's containers.
    Named(Box<str>),
}

/// One entry of a rule's `ports`.
#[derive(Clone, Debug)]
pub struct RulePort {
    pub protocol: Protocol,
    pub port: PortSpec,
    pub loc: Loc,
}

/// The type of a Service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

/// A Service port's `targetPort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    /// Not set: the same number as `port`.
    Same,
    Number(u16),
    Named(Box<str>),
}

/// One port of a Service.
#[derive(Clone, Debug)]
pub struct ServicePort {
    pub name: Option<Box<str>>,
    pub port: u16,
    pub target: TargetPort,
    pub protocol: Protocol,
    pub node_port: Option<u16>,
    pub loc: Loc,
}

/// A Service.
#[derive(Clone, Debug)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub loc: Loc,
    pub kind: ServiceType,
    /// `None` when the Service has no selector (its endpoints are managed elsewhere).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    /// `loadBalancerSourceRanges` (empty: from anywhere).
    pub source_ranges: IpSet,
    pub has_source_ranges: bool,
    pub external_ips: Vec<String>,
}

/// What kind of object routes traffic from outside to Services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RouteKind {
    Ingress,
    /// OpenShift `route.openshift.io` Route.
    Route,
    HTTPRoute,
    GRPCRoute,
    TLSRoute,
    TCPRoute,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Ingress => "Ingress",
            RouteKind::Route => "Route",
            RouteKind::HTTPRoute => "HTTPRoute",
            RouteKind::GRPCRoute => "GRPCRoute",
            RouteKind::TLSRoute => "TLSRoute",
            RouteKind::TCPRoute => "TCPRoute",
        }
    }
}

/// Which port of a Service a backend names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendPort {
    /// No port: every port of the Service.
    Any,
    /// A Service port by number (Ingress `port.number`, Gateway `port`).
    Number(u16),
    /// A Service port by name (Ingress `port.name`).
    Name(Box<str>),
    /// An OpenShift Route's `targetPort` as a number: the Service port whose `targetPort` (or
    /// `port`) is that number.
    Target(u16),
    /// An OpenShift Route's `targetPort` as a name: the Service port of that name (or whose
    /// `targetPort` is that name).
    TargetName(Box<str>),
}

/// A Service an ingress object sends traffic to.
#[derive(Clone, Debug)]
pub struct Backend {
    pub namespace: String,
    pub service: String,
    pub port: BackendPort,
    pub loc: Loc,
}

/// An Ingress, OpenShift Route or Gateway API route.
#[derive(Clone, Debug)]
pub struct Route {
    pub kind: RouteKind,
    pub namespace: String,
    pub name: String,
    pub loc: Loc,
    pub backends: Vec<Backend>,
}
