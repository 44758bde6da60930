//! Compact owned facts read from located objects: what the edge rules need of each workload,
//! container, volume, Service, Ingress, ServiceAccount, Secret and Namespace, and nothing more.
//!
//! The engine walks every object once and hands each to [`RiskInput::add_object`]; the tree is
//! dropped afterwards, so the facts own their strings (boxed, not `String`, to keep 100,000
//! objects small) and every fact keeps the file, line, column and field path it came from.
//! A Secret's data is never read: only its name, namespace and type.

use std::sync::Arc;

use kubeward_model::{labels, FieldPath, Labels, Object, PodSpec};
use kubeward_rbac::RbacObject;
use kubeward_yaml::{NodeRef, Pos};
use serde::Serialize;

use crate::exposure::Exposure;
use crate::pack::{Pack, Packed, Reader, Writer};

/// The namespace of namespaced objects that name none (what `kubectl apply` uses without `-n`).
pub const DEFAULT_NAMESPACE: &str = kubeward_rbac::load::DEFAULT_NAMESPACE;

/// Where a fact comes from: file, line, column and field path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub path: FieldPath,
}

impl Location {
    /// The location, its field path shared with every equal path seen before on this thread
    /// ([`shared_path`]).
    pub(crate) fn new(file: &Arc<str>, pos: Pos, path: FieldPath) -> Location {
        Location {
            file: file.clone(),
            line: pos.line,
            column: pos.column,
            path: shared_path(path),
        }
    }
}

/// Past this many distinct paths the cache starts over: it only saves memory, so forgetting
/// costs nothing but sharing, and a thread keeps at most this many paths alive.
const SHARED_PATHS: usize = 4096;

/// One copy of each field path. Facts keep a `Location` per field an edge may cite, and the
/// same paths recur in every workload (`spec.template.spec.containers[0].image`): one
/// allocation per path and per fact was most of the facts' memory (100,000 objects: about
/// 10 allocations of 60 bytes per workload). The cache is per thread, as the engine's workers
/// gather facts in parallel, and bounded ([`SHARED_PATHS`]).
fn shared_path(path: FieldPath) -> FieldPath {
    use crate::Map as HashMap;
    use std::cell::RefCell;
    thread_local! {
        static PATHS: RefCell<HashMap<Box<str>, FieldPath>> = RefCell::new(HashMap::default());
    }
    PATHS.with(|paths| {
        let mut paths = paths.borrow_mut();
        if let Some(p) = paths.get(path.as_str()) {
            return p.clone();
        }
        if paths.len() >= SHARED_PATHS {
            paths.clear();
        }
        paths.insert(path.as_str().into(), path.clone());
        path
    })
}

impl std::fmt::Display for Location {
    /// `file:line:column path`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{} {}",
            self.file, self.line, self.column, self.path
        )
    }
}

/// An object's identity as the graph names it: kind, namespace ("" for cluster-scoped
/// objects) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    pub kind: Box<str>,
    pub namespace: Box<str>,
    pub name: Box<str>,
}

impl ObjectKey {
    pub fn new(kind: &str, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    /// `Pod/default/web`, `ClusterRole/admin`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Severity of an image vulnerability (only critical and high with a fix make an edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// A known vulnerability of an image, as the image scanner found it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageVuln {
    pub id: Box<str>,
    pub severity: Severity,
    pub fixed: bool,
}

/// What a pod volume is, for the rules that care.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VolumeSource {
    /// `hostPath.path`, normalised (no trailing or doubled slashes).
    HostPath(Box<str>),
    /// `persistentVolumeClaim.claimName`.
    Pvc(Box<str>),
    /// `secret.secretName`.
    Secret(Box<str>),
    /// A projected volume with a `serviceAccountToken` source.
    ProjectedToken,
    /// The token volume Kubernetes adds when the token is automounted (`kube-api-access-*`).
    AutomountedToken,
    /// Anything else (emptyDir, configMap, ...): no edge rule reads it.
    Other,
}

/// A volume of a pod spec.
#[derive(Clone, Debug)]
pub struct VolumeFact {
    pub name: Box<str>,
    pub source: VolumeSource,
    pub at: Location,
}

/// A `volumeMounts` entry.
#[derive(Clone, Debug)]
pub struct MountFact {
    pub volume: Box<str>,
    pub mount_path: Box<str>,
    pub read_only: bool,
    pub at: Location,
}

/// A `ports` entry of a container.
#[derive(Clone, Debug)]
pub struct PortFact {
    pub name: Box<str>,
    pub container_port: i64,
    pub host_port: Option<i64>,
    pub protocol: Box<str>,
    pub at: Location,
}

/// Whether a container may run as root, from its and its pod's securityContext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootState {
    /// `runAsUser: 0`.
    Explicit,
    /// Neither `runAsUser` nor `runAsNonRoot: true`: the image decides, and most images run
    /// as root.
    ImageDefault,
    /// `runAsNonRoot: true` or a non-zero `runAsUser`.
    NonRoot,
}

impl RootState {
    /// Root is possible.
    pub fn may_be_root(self) -> bool {
        self != RootState::NonRoot
    }
}

/// One container (regular, init or ephemeral).
#[derive(Clone, Debug)]
pub struct ContainerFact {
    pub name: Box<str>,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
    /// An init container that keeps running beside the others (`restartPolicy: Always`).
    pub sidecar: bool,
    pub at: Location,
    pub image: Box<str>,
    pub image_at: Location,
    pub privileged: Option<Location>,
    /// Added capabilities, upper case without `CAP_`, with where each is.
    pub caps_add: Box<[(Box<str>, Location)]>,
    pub root: RootState,
    /// Where the root decision comes from (`runAsUser: 0`), if it is written.
    pub root_at: Option<Location>,
    /// `appArmorProfile.type: Unconfined` (container, pod, or the beta annotation).
    pub apparmor_unconfined: Option<Location>,
    /// Only mounts of the volumes in [`WorkloadFact::volumes`].
    pub mounts: Box<[MountFact]>,
    pub ports: Box<[PortFact]>,
}

impl ContainerFact {
    /// Runs beside the pod's other containers (init containers run before them, except
    /// sidecars).
    pub fn runs_alongside(&self) -> bool {
        self.list != "initContainers" || self.sidecar
    }

    pub fn cap(&self, name: &str) -> Option<&Location> {
        self.caps_add
            .iter()
            .find(|(c, _)| &**c == name || &**c == "ALL")
            .map(|(_, at)| at)
    }
}

/// A pod-bearing object (Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob,
/// ReplicationController, PodTemplate).
#[derive(Clone, Debug)]
pub struct WorkloadFact {
    pub key: ObjectKey,
    pub at: Location,
    /// The pod template's labels (a Pod's own labels).
    pub labels: Labels,
    pub service_account: Box<str>,
    /// `serviceAccountName` (or the deprecated `serviceAccount`), if written.
    pub service_account_at: Option<Location>,
    /// `automountServiceAccountToken` of the pod spec, with where it is.
    pub automount: Option<(bool, Location)>,
    pub host_pid: Option<Location>,
    pub host_network: Option<Location>,
    pub share_process_namespace: Option<Location>,
    /// The volumes an edge rule reads (no [`VolumeSource::Other`]), the first of each name.
    pub volumes: Box<[VolumeFact]>,
    pub containers: Box<[ContainerFact]>,
}

/// A Service.
#[derive(Clone, Debug)]
pub struct ServiceFact {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub at: Location,
    /// `spec.type` (ClusterIP when absent).
    pub service_type: Box<str>,
    pub type_at: Location,
    /// `spec.selector`; a Service without one selects no pods (its endpoints are managed by
    /// hand).
    pub selector: Option<(Labels, Location)>,
    /// `(port, targetPort)` with targetPort as written (a number or a port name).
    pub ports: Box<[(i64, Box<str>)]>,
}

impl ServiceFact {
    /// Reachable from outside the cluster by its type.
    pub fn external(&self) -> bool {
        matches!(&*self.service_type, "LoadBalancer" | "NodePort")
    }
}

/// An Ingress backend: the Service it sends traffic to.
#[derive(Clone, Debug)]
pub struct IngressFact {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub backends: Box<[(Box<str>, Location)]>,
}

/// A ServiceAccount object.
#[derive(Clone, Debug)]
pub struct ServiceAccountFact {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub at: Location,
    pub automount: Option<bool>,
}

/// A Secret: its name and type only, never its data.
#[derive(Clone, Debug)]
pub struct SecretFact {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub secret_type: Box<str>,
    pub at: Location,
}

/// A Namespace's Pod Security Admission enforce level, when it sets one.
#[derive(Clone, Debug)]
pub struct NamespaceFact {
    pub name: Box<str>,
    pub enforce: Option<(Box<str>, Location)>,
}

/// Everything the graph is built from. Feed it object by object ([`RiskInput::add_object`]),
/// or read whole texts ([`read_text`]); then [`crate::RiskGraph::build`].
#[derive(Debug, Default)]
pub struct RiskInput {
    /// Kept packed ([`Packed`]): most of the facts, and most of their memory as values.
    pub workloads: Packed<WorkloadFact>,
    pub services: Packed<ServiceFact>,
    pub ingresses: Vec<IngressFact>,
    pub service_accounts: Vec<ServiceAccountFact>,
    pub secrets: Vec<SecretFact>,
    pub namespaces: Vec<NamespaceFact>,
    pub rbac: Packed<RbacObject>,
    /// Image reference → its vulnerabilities.
    pub image_vulns: crate::Map<Box<str>, Vec<ImageVuln>>,
    /// Exposures given from outside; when `None` the graph computes its own simple ones
    /// ([`crate::exposure::simple_exposures`]), workload by workload.
    pub exposures: Option<Vec<Exposure>>,
    /// The NetworkPolicies' verdict on the exposures the graph computes (kubeward-netpol).
    pub exposure_filter: Option<crate::exposure::ExposureFilter>,
}

/// A `true` boolean field, located.
fn true_at(
    file: &Arc<str>,
    parent: Option<NodeRef<'_>>,
    key: &str,
    path: &FieldPath,
) -> Option<Location> {
    let n = parent?.get(key)?;
    (n.as_bool() == Some(true)).then(|| Location::new(file, n.pos(), path.key(key)))
}

/// The mapping items of a list field, with their indexes (absent or not a list: none).
fn mappings<'a>(parent: NodeRef<'a>, key: &str) -> impl Iterator<Item = (usize, NodeRef<'a>)> + 'a {
    parent
        .get(key)
        .filter(|l| l.is_seq())
        .into_iter()
        .flat_map(|l| l.items().enumerate())
        .filter(|(_, n)| n.is_map())
}

fn text<'a>(parent: Option<NodeRef<'a>>, key: &str) -> Option<&'a str> {
    parent?.get(key)?.as_str()
}

/// `/var/log/` and `//var//log` are `/var/log`; "" stays "".
pub fn normalise_host_path(p: &str) -> Box<str> {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.is_empty() {
        return if p.starts_with('/') {
            "/".into()
        } else {
            "".into()
        };
    }
    let mut out = String::with_capacity(p.len());
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out.into()
}

impl RiskInput {
    pub fn new() -> RiskInput {
        RiskInput::default()
    }

    /// Read the facts of one object (any kind; kinds the graph does not use are skipped).
    /// Never panics on odd input: every field is read through `Option`s. Objects without
    /// `metadata.namespace` are in [`DEFAULT_NAMESPACE`].
    pub fn add_object(&mut self, o: &Object<'_>, file: &Arc<str>) {
        self.add_object_in(o, file, DEFAULT_NAMESPACE);
    }

    /// [`RiskInput::add_object`], with objects without `metadata.namespace` in `namespace`
    /// (the namespace the manifests are applied to: `kubeward scan -n`). Returns whether the
    /// object is a workload (it has a pod spec), so that a caller that reads the other kinds
    /// for a model of its own need not look for the pod spec again.
    pub fn add_object_in(&mut self, o: &Object<'_>, file: &Arc<str>, namespace: &str) -> bool {
        if let Some(r) = RbacObject::from_object(o, file, namespace, || Arc::new(o.id())) {
            self.rbac.push(&r);
            return false;
        }
        let ns = o.namespace.unwrap_or(namespace);
        if let Some(pod) = o.pod() {
            self.add_workload(o, &pod, file, ns);
            return true;
        }
        let at = name_at(o, file);
        match (o.group(), o.kind) {
            ("", "Service") => self.add_service(o, file, ns, at),
            ("networking.k8s.io" | "extensions", "Ingress") => self.add_ingress(o, file, ns),
            ("", "ServiceAccount") => self.service_accounts.push(ServiceAccountFact {
                namespace: ns.into(),
                name: o.name.into(),
                at,
                automount: o
                    .root
                    .get("automountServiceAccountToken")
                    .and_then(|n| n.as_bool()),
            }),
            ("", "Secret") => self.secrets.push(SecretFact {
                namespace: ns.into(),
                name: o.name.into(),
                secret_type: text(Some(o.root), "type").unwrap_or("Opaque").into(),
                at,
            }),
            ("", "Namespace") => {
                let enforce = o
                    .metadata()
                    .and_then(|m| m.get("labels"))
                    .and_then(|l| l.get("pod-security.kubernetes.io/enforce"))
                    .and_then(|v| {
                        v.as_str().map(|s| {
                            (
                                s.into(),
                                Location::new(
                                    file,
                                    v.pos(),
                                    FieldPath::from_keys(&["metadata", "labels"])
                                        .key("pod-security.kubernetes.io/enforce"),
                                ),
                            )
                        })
                    });
                self.namespaces.push(NamespaceFact {
                    name: o.name.into(),
                    enforce,
                });
            }
            _ => {}
        }
        false
    }

    /// Record that an image has a known vulnerability (from the image scanner). Only critical
    /// and high vulnerabilities with a fix make a VULNERABLE_IMAGE edge; others are kept for
    /// completeness and ignored.
    pub fn add_image_vuln(&mut self, image_ref: &str, severity: Severity, id: &str, fixed: bool) {
        self.image_vulns
            .entry(image_ref.into())
            .or_default()
            .push(ImageVuln {
                id: id.into(),
                severity,
                fixed,
            });
    }

    /// Take in another collection's facts (the engine gathers one per unit of work, in
    /// parallel; the front door merges them in input order).
    pub fn merge(&mut self, other: RiskInput) {
        self.workloads.append(other.workloads);
        self.services.append(other.services);
        self.ingresses.extend(other.ingresses);
        self.service_accounts.extend(other.service_accounts);
        self.secrets.extend(other.secrets);
        self.namespaces.extend(other.namespaces);
        self.rbac.append(other.rbac);
        for (image, vulns) in other.image_vulns {
            self.image_vulns.entry(image).or_default().extend(vulns);
        }
        if let Some(x) = other.exposures {
            self.exposures.get_or_insert_with(Vec::new).extend(x);
        }
    }

    /// Keep only the exposures that the scan's NetworkPolicies let through.
    pub fn set_exposure_filter(&mut self, filter: crate::exposure::ExposureFilter) {
        self.exposure_filter = Some(filter);
    }

    /// Use these exposures instead of computing simple ones.
    pub fn set_exposures(&mut self, exposures: Vec<Exposure>) {
        self.exposures = Some(exposures);
    }

    fn add_service(&mut self, o: &Object<'_>, file: &Arc<str>, ns: &str, at: Location) {
        let spec = o.root.get("spec").filter(|s| s.is_map());
        let spec_path = FieldPath::from("spec");
        let type_node = spec.and_then(|s| s.get("type"));
        let service_type = type_node.and_then(|n| n.as_str()).unwrap_or("ClusterIP");
        let type_at = match type_node {
            Some(n) => Location::new(file, n.pos(), spec_path.key("type")),
            None => at.clone(),
        };
        let selector = spec
            .and_then(|s| s.get("selector"))
            .filter(|n| n.is_map() && !n.is_empty())
            .map(|n| {
                (
                    labels(Some(n)),
                    Location::new(file, n.pos(), spec_path.key("selector")),
                )
            });
        let ports = spec
            .and_then(|s| s.get("ports"))
            .filter(|p| p.is_seq())
            .map(|p| {
                p.items()
                    .filter(|i| i.is_map())
                    .map(|i| {
                        let port = i.get("port").and_then(|v| v.as_i64()).unwrap_or(0);
                        let target = i
                            .get("targetPort")
                            .and_then(|v| v.scalar_text())
                            .map(Box::from)
                            .unwrap_or_else(|| port.to_string().into());
                        (port, target)
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.services.push(&ServiceFact {
            namespace: ns.into(),
            name: o.name.into(),
            at,
            service_type: service_type.into(),
            type_at,
            selector,
            ports,
        });
    }

    fn add_ingress(&mut self, o: &Object<'_>, file: &Arc<str>, ns: &str) {
        let mut backends = Vec::new();
        let spec = o.root.get("spec").filter(|s| s.is_map());
        let spec_path = FieldPath::from("spec");
        // networking.k8s.io/v1: backend.service.name; v1beta1: backend.serviceName.
        let mut push = |backend: Option<NodeRef<'_>>, path: FieldPath| {
            let Some(b) = backend.filter(|b| b.is_map()) else {
                return;
            };
            if let Some(n) = b.get("service").and_then(|s| s.get("name")) {
                if let Some(name) = n.as_str() {
                    backends.push((
                        name.into(),
                        Location::new(file, n.pos(), path.key("service").key("name")),
                    ));
                }
            } else if let Some(n) = b.get("serviceName") {
                if let Some(name) = n.as_str() {
                    backends.push((
                        name.into(),
                        Location::new(file, n.pos(), path.key("serviceName")),
                    ));
                }
            }
        };
        for key in ["defaultBackend", "backend"] {
            push(spec.and_then(|s| s.get(key)), spec_path.key(key));
        }
        if let Some(rules) = spec.and_then(|s| s.get("rules")).filter(|r| r.is_seq()) {
            for (i, rule) in rules.items().enumerate() {
                let Some(paths) = rule.get_path(&["http", "paths"]).filter(|p| p.is_seq()) else {
                    continue;
                };
                for (j, p) in paths.items().enumerate() {
                    let base = spec_path
                        .key("rules")
                        .index(i)
                        .key("http")
                        .key("paths")
                        .index(j)
                        .key("backend");
                    push(p.get("backend"), base);
                }
            }
        }
        self.ingresses.push(IngressFact {
            namespace: ns.into(),
            name: o.name.into(),
            backends: backends.into(),
        });
    }

    fn add_workload(&mut self, o: &Object<'_>, pod: &PodSpec<'_>, file: &Arc<str>, ns: &str) {
        let spec = pod.spec;
        let loc = |n: NodeRef<'_>, path: FieldPath| Location::new(file, n.pos(), path);
        let (service_account, service_account_at) = ["serviceAccountName", "serviceAccount"]
            .iter()
            .find_map(|k| {
                let n = spec?.get(k)?;
                let s = n.as_str().filter(|s| !s.is_empty())?;
                Some((s, Some(loc(n, pod.path(k)))))
            })
            .unwrap_or(("default", None));
        let automount = spec
            .and_then(|s| s.get("automountServiceAccountToken"))
            .and_then(|n| {
                n.as_bool()
                    .map(|b| (b, loc(n, pod.path("automountServiceAccountToken"))))
            });
        let pod_sc = pod.security_context();
        let pod_sc_path = pod.psc_path();
        let pod_user = pod_sc
            .and_then(|sc| sc.get("runAsUser"))
            .and_then(|n| n.as_i64().map(|u| (u, n)));
        let pod_non_root = pod_sc
            .and_then(|sc| sc.get("runAsNonRoot"))
            .and_then(|n| n.as_bool());
        let pod_apparmor = pod_sc
            .and_then(|sc| sc.get_path(&["appArmorProfile", "type"]))
            .filter(|n| n.as_str() == Some("Unconfined"))
            .map(|n| loc(n, pod_sc_path.key("appArmorProfile").key("type")));
        // Facts are kept for the whole scan, so only what a rule reads is: volumes of no
        // interest (emptyDir, configMap, ...) and their mounts are left out. A mount finds
        // its volume by name, the first of that name, so a later duplicate is left out too.
        let mut volumes = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (v, path) in pod.volumes() {
            let Some(name) = v.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let mut at = loc(v, path.clone());
            let source = if let Some(h) = v.get("hostPath").filter(|h| h.is_map()) {
                match h.get("path") {
                    Some(p) => {
                        at = loc(p, path.key("hostPath").key("path"));
                        VolumeSource::HostPath(normalise_host_path(p.as_str().unwrap_or("")))
                    }
                    None => VolumeSource::Other,
                }
            } else if let Some(c) = v
                .get("persistentVolumeClaim")
                .and_then(|c| c.get("claimName"))
            {
                at = loc(c, path.key("persistentVolumeClaim").key("claimName"));
                VolumeSource::Pvc(c.as_str().unwrap_or("").into())
            } else if let Some(s) = v.get("secret").filter(|s| s.is_map()) {
                if let Some(n) = s.get("secretName") {
                    at = loc(n, path.key("secret").key("secretName"));
                }
                VolumeSource::Secret(text(Some(s), "secretName").unwrap_or("").into())
            } else if let Some(sources) =
                v.get_path(&["projected", "sources"]).filter(|s| s.is_seq())
            {
                match sources
                    .items()
                    .enumerate()
                    .find(|(_, s)| s.get("serviceAccountToken").is_some())
                {
                    Some((i, s)) => {
                        if let Some(t) = s.get("serviceAccountToken") {
                            at = loc(
                                t,
                                path.key("projected")
                                    .key("sources")
                                    .index(i)
                                    .key("serviceAccountToken"),
                            );
                        }
                        VolumeSource::ProjectedToken
                    }
                    None => VolumeSource::Other,
                }
            } else {
                VolumeSource::Other
            };
            if source != VolumeSource::Other {
                volumes.push(VolumeFact {
                    name: name.into(),
                    source,
                    at,
                });
            }
        }
        let annotations = pod.annotations();
        let mut containers = Vec::new();
        for c in pod.containers() {
            let sc = c.security_context();
            let sc_path = c.sc_path();
            let privileged = true_at(file, sc, "privileged", &sc_path);
            let mut caps_add = Vec::new();
            if let Some(add) = sc
                .and_then(|s| s.get_path(&["capabilities", "add"]))
                .filter(|a| a.is_seq())
            {
                for (i, cap) in add.items().enumerate() {
                    if let Some(s) = cap.as_str() {
                        let upper = s.to_ascii_uppercase();
                        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
                        caps_add.push((
                            name.into(),
                            loc(cap, sc_path.key("capabilities").key("add").index(i)),
                        ));
                    }
                }
            }
            let user = sc
                .and_then(|s| s.get("runAsUser"))
                .and_then(|n| n.as_i64().map(|u| (u, n)));
            let non_root = sc
                .and_then(|s| s.get("runAsNonRoot"))
                .and_then(|n| n.as_bool());
            let (root, root_at) = match (user, pod_user) {
                (Some((0, n)), _) => (RootState::Explicit, Some(loc(n, sc_path.key("runAsUser")))),
                (Some(_), _) => (RootState::NonRoot, None),
                (None, Some((0, n))) => (
                    RootState::Explicit,
                    Some(loc(n, pod_sc_path.key("runAsUser"))),
                ),
                (None, Some(_)) => (RootState::NonRoot, None),
                (None, None) if non_root.or(pod_non_root) == Some(true) => {
                    (RootState::NonRoot, None)
                }
                (None, None) => (RootState::ImageDefault, None),
            };
            let beta_key = format!("container.apparmor.security.beta.kubernetes.io/{}", c.name);
            let apparmor_unconfined = sc
                .and_then(|s| s.get_path(&["appArmorProfile", "type"]))
                .filter(|n| n.as_str() == Some("Unconfined"))
                .map(|n| loc(n, sc_path.key("appArmorProfile").key("type")))
                .or_else(|| pod_apparmor.clone())
                .or_else(|| {
                    let n = annotations?.get(&beta_key)?;
                    (n.as_str() == Some("unconfined"))
                        .then(|| loc(n, pod.annotation_path(&beta_key)))
                });
            let mounts = mappings(c.node, "volumeMounts")
                .filter_map(|(i, m)| {
                    let volume = m.get("name")?.as_str()?;
                    if !volumes.iter().any(|v: &VolumeFact| &*v.name == volume) {
                        return None;
                    }
                    Some(MountFact {
                        volume: volume.into(),
                        mount_path: text(Some(m), "mountPath").unwrap_or("").into(),
                        read_only: m.get("readOnly").and_then(|r| r.as_bool()) == Some(true),
                        at: loc(m, c.path.key("volumeMounts").index(i)),
                    })
                })
                .collect();
            let ports = mappings(c.node, "ports")
                .filter_map(|(i, p)| {
                    Some(PortFact {
                        name: text(Some(p), "name").unwrap_or("").into(),
                        container_port: p.get("containerPort")?.as_i64()?,
                        host_port: p
                            .get("hostPort")
                            .and_then(|h| h.as_i64())
                            .filter(|h| *h > 0),
                        protocol: text(Some(p), "protocol").unwrap_or("TCP").into(),
                        at: loc(p, c.path.key("ports").index(i)),
                    })
                })
                .collect();
            let image = c.node.get("image");
            containers.push(ContainerFact {
                name: c.name.into(),
                list: c.kind.field(),
                sidecar: text(Some(c.node), "restartPolicy") == Some("Always"),
                at: loc(c.node, c.path.clone()),
                image: image.and_then(|i| i.as_str()).unwrap_or("").into(),
                image_at: match image {
                    Some(i) => loc(i, c.path.key("image")),
                    None => loc(c.node, c.path.clone()),
                },
                privileged,
                caps_add: caps_add.into(),
                root,
                root_at,
                apparmor_unconfined,
                mounts,
                ports,
            });
        }
        self.workloads.push(&WorkloadFact {
            key: ObjectKey::new(o.kind, ns, o.name),
            at: name_at(o, file),
            labels: labels(
                pod.meta
                    .and_then(|m| m.get("labels"))
                    .filter(|l| l.is_map()),
            ),
            service_account: service_account.into(),
            service_account_at,
            automount,
            host_pid: true_at(file, spec, "hostPID", &pod.spec_path),
            host_network: true_at(file, spec, "hostNetwork", &pod.spec_path),
            share_process_namespace: true_at(file, spec, "shareProcessNamespace", &pod.spec_path),
            volumes: volumes.into(),
            containers: containers.into(),
        });
    }
}

/// `metadata.name`'s location, or the object's.
fn name_at(o: &Object<'_>, file: &Arc<str>) -> Location {
    match o.metadata().and_then(|m| m.get("name")) {
        Some(n) => Location::new(file, n.pos(), FieldPath::from_keys(&["metadata", "name"])),
        None => Location::new(file, o.root.value_pos(), FieldPath::root()),
    }
}

/// Read every object of a YAML or JSON text into `input`; returns the problems, located.
/// Each document is read on its own (kubeward-model's reader): a broken one, or a bug while
/// reading one, loses nothing else.
pub fn read_text(
    input: &mut RiskInput,
    file: &Arc<str>,
    text: &str,
    limits: &kubeward_yaml::Limits,
) -> Vec<kubeward_yaml::Problem> {
    let bytes = text.as_bytes();
    let chunks = kubeward_yaml::split_documents(bytes);
    kubeward_model::read::read_chunks(&mut Reading { input, file }, bytes, &chunks, limits)
}

/// An input reading a file, as [`kubeward_model::read::read_chunks`] feeds it.
struct Reading<'i> {
    input: &'i mut RiskInput,
    file: &'i Arc<str>,
}

impl kubeward_model::read::Reader for Reading<'_> {
    /// The lengths of the facts objects add to.
    type Mark = [usize; 7];

    fn mark(&self) -> [usize; 7] {
        let i = &self.input;
        [
            i.workloads.len(),
            i.services.len(),
            i.ingresses.len(),
            i.service_accounts.len(),
            i.secrets.len(),
            i.namespaces.len(),
            i.rbac.len(),
        ]
    }

    fn reset(&mut self, [w, s, ing, sa, sec, ns, r]: [usize; 7]) {
        let i = &mut *self.input;
        i.workloads.truncate(w);
        i.services.truncate(s);
        i.ingresses.truncate(ing);
        i.service_accounts.truncate(sa);
        i.secrets.truncate(sec);
        i.namespaces.truncate(ns);
        i.rbac.truncate(r);
    }

    fn object(&mut self, o: &Object<'_>, _: &mut Vec<kubeward_yaml::Problem>) {
        self.input.add_object(o, self.file);
    }
}

// How each fact packs ([`crate::pack`]): its fields in declaration order.

impl Pack for ObjectKey {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.kind);
        w.str(&self.namespace);
        w.str(&self.name);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(ObjectKey {
            kind: r.boxed()?,
            namespace: r.boxed()?,
            name: r.boxed()?,
        })
    }
}

impl Pack for VolumeSource {
    fn pack(&self, w: &mut Writer<'_>) {
        match self {
            VolumeSource::HostPath(p) => {
                w.u64(0);
                w.str(p);
            }
            VolumeSource::Pvc(p) => {
                w.u64(1);
                w.str(p);
            }
            VolumeSource::Secret(s) => {
                w.u64(2);
                w.str(s);
            }
            VolumeSource::ProjectedToken => w.u64(3),
            VolumeSource::AutomountedToken => w.u64(4),
            VolumeSource::Other => w.u64(5),
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(match r.u64()? {
            0 => VolumeSource::HostPath(r.boxed()?),
            1 => VolumeSource::Pvc(r.boxed()?),
            2 => VolumeSource::Secret(r.boxed()?),
            3 => VolumeSource::ProjectedToken,
            4 => VolumeSource::AutomountedToken,
            5 => VolumeSource::Other,
            _ => return None,
        })
    }
}

impl Pack for VolumeFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.name);
        w.put(&self.source);
        w.location(&self.at);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(VolumeFact {
            name: r.boxed()?,
            source: r.get()?,
            at: r.location()?,
        })
    }
}

impl Pack for MountFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.volume);
        w.str(&self.mount_path);
        w.bool(self.read_only);
        w.location(&self.at);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(MountFact {
            volume: r.boxed()?,
            mount_path: r.boxed()?,
            read_only: r.bool()?,
            at: r.location()?,
        })
    }
}

impl Pack for PortFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.name);
        w.i64(self.container_port);
        w.put(&self.host_port);
        w.str(&self.protocol);
        w.location(&self.at);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(PortFact {
            name: r.boxed()?,
            container_port: r.i64()?,
            host_port: r.get()?,
            protocol: r.boxed()?,
            at: r.location()?,
        })
    }
}

/// The container lists, as [`ContainerFact::list`] names them.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

impl Pack for ContainerFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.name);
        w.variant(&self.list, &CONTAINER_LISTS);
        w.bool(self.sidecar);
        w.location(&self.at);
        w.str(&self.image);
        w.location(&self.image_at);
        w.put(&self.privileged);
        w.put(&self.caps_add);
        w.u64(match self.root {
            RootState::Explicit => 0,
            RootState::ImageDefault => 1,
            RootState::NonRoot => 2,
        });
        w.put(&self.root_at);
        w.put(&self.apparmor_unconfined);
        w.put(&self.mounts);
        w.put(&self.ports);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(ContainerFact {
            name: r.boxed()?,
            list: r.variant(&CONTAINER_LISTS)?,
            sidecar: r.bool()?,
            at: r.location()?,
            image: r.boxed()?,
            image_at: r.location()?,
            privileged: r.get()?,
            caps_add: r.get()?,
            root: match r.u64()? {
                0 => RootState::Explicit,
                1 => RootState::ImageDefault,
                2 => RootState::NonRoot,
                _ => return None,
            },
            root_at: r.get()?,
            apparmor_unconfined: r.get()?,
            mounts: r.get()?,
            ports: r.get()?,
        })
    }
}

impl Pack for WorkloadFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.key);
        w.location(&self.at);
        w.put(&self.labels);
        w.str(&self.service_account);
        w.put(&self.service_account_at);
        w.put(&self.automount);
        w.put(&self.host_pid);
        w.put(&self.host_network);
        w.put(&self.share_process_namespace);
        w.put(&self.volumes);
        w.put(&self.containers);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(WorkloadFact {
            key: r.get()?,
            at: r.location()?,
            labels: r.get()?,
            service_account: r.boxed()?,
            service_account_at: r.get()?,
            automount: r.get()?,
            host_pid: r.get()?,
            host_network: r.get()?,
            share_process_namespace: r.get()?,
            volumes: r.get()?,
            containers: r.get()?,
        })
    }
}

impl Pack for ServiceFact {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(&self.namespace);
        w.str(&self.name);
        w.location(&self.at);
        w.str(&self.service_type);
        w.location(&self.type_at);
        w.put(&self.selector);
        w.put(&self.ports);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(ServiceFact {
            namespace: r.boxed()?,
            name: r.boxed()?,
            at: r.location()?,
            service_type: r.boxed()?,
            type_at: r.location()?,
            selector: r.get()?,
            ports: r.get()?,
        })
    }
}
