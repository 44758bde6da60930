//! kubeward-model: typed views over located YAML trees.
//!
//! Views borrow the tree; they never copy it. [`objects_in`] turns a document into Kubernetes
//! objects (expanding `kind: List` and `*List`); [`Object::pod`] finds the pod spec inside every
//! pod-bearing kind with the field path that leads to it; [`PodSpec::containers`] walks
//! containers, init containers and ephemeral containers alike. [`shape`] checks that the fields
//! the controls read have the types Kubernetes requires, so a wrong type is an input error with
//! a location instead of a silent pass.

pub mod path;
pub mod platform;
pub mod read;
mod selector;
pub mod shape;

use kubeward_yaml::{Document, NodeRef, Pos, Problem};
use serde::Serialize;

pub use path::FieldPath;
pub use selector::{labels, LabelSelector, Labels};

/// Who an object is, as every report names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct ObjectId {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One Kubernetes object inside a document.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub root: NodeRef<'a>,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

/// What [`objects_in`] found in a document.
pub enum Item<'a> {
    Object(Object<'a>),
    /// Not a Kubernetes object (no apiVersion/kind); skipped with a note, not an error, since
    /// directories of manifests often hold other YAML (values files, configs).
    NotAnObject {
        pos: Pos,
        reason: String,
    },
    /// Looks like an object but cannot be one: an input error.
    Invalid(Problem),
}

/// Split a document into objects. An empty document yields nothing.
pub fn objects_in(doc: &Document) -> Vec<Item<'_>> {
    let root = doc.root();
    if root.is_null() {
        return Vec::new();
    }
    let mut out = Vec::new();
    push_object(root, &mut out, true, None);
    out
}

/// `typed`: for the items of a typed List (`PodList`), the List's apiVersion and item kind,
/// which the API writes once on the List and not on each item.
fn push_object<'a>(
    node: NodeRef<'a>,
    out: &mut Vec<Item<'a>>,
    top: bool,
    typed: Option<(&'a str, &'a str)>,
) {
    if !node.is_map() {
        let reason = format!(
            "document is {}, not a Kubernetes object",
            node.value_type().describe()
        );
        out.push(if top {
            Item::NotAnObject {
                pos: node.value_pos(),
                reason,
            }
        } else {
            Item::Invalid(Problem {
                pos: node.value_pos(),
                message: format!("List item {reason}"),
            })
        });
        return;
    }
    let kind = node.get("kind");
    let api = node.get("apiVersion");
    if let (None, None, Some((api_version, kind))) = (kind, api, typed) {
        return push_named(node, out, api_version, kind);
    }
    if kind.is_none() && api.is_none() {
        let reason = "mapping without apiVersion and kind, not a Kubernetes object".to_string();
        out.push(if top {
            Item::NotAnObject {
                pos: node.value_pos(),
                reason,
            }
        } else {
            Item::Invalid(Problem {
                pos: node.value_pos(),
                message: format!("List item is a {reason}"),
            })
        });
        return;
    }
    let need_str = |n: Option<NodeRef<'a>>, field: &str| -> Result<&'a str, Problem> {
        match n {
            None => Err(Problem {
                pos: node.value_pos(),
                message: format!("object has no `{field}`"),
            }),
            Some(v) => v.as_str().filter(|s| !s.is_empty()).ok_or_else(|| Problem {
                pos: v.pos(),
                message: format!(
                    "`{field}` must be a non-empty string, found {}",
                    v.value_type().describe()
                ),
            }),
        }
    };
    let kind = match need_str(kind, "kind") {
        Ok(k) => k,
        Err(p) => return out.push(Item::Invalid(p)),
    };
    let api_version = match need_str(api, "apiVersion") {
        Ok(a) => a,
        Err(p) => return out.push(Item::Invalid(p)),
    };
    if kind.ends_with("List") {
        if let Some(items) = node.get("items") {
            if items.is_seq() {
                let typed = kind
                    .strip_suffix("List")
                    .filter(|k| !k.is_empty())
                    .map(|item_kind| (api_version, item_kind));
                for item in items.items() {
                    push_object(item, out, false, typed);
                }
                return;
            }
            if !items.is_null() {
                return out.push(Item::Invalid(Problem {
                    pos: items.pos(),
                    message: format!(
                        "`items` must be a list, found {}",
                        items.value_type().describe()
                    ),
                }));
            }
            return;
        }
    }
    push_named(node, out, api_version, kind)
}

/// The object `node` is, of this apiVersion and kind: its metadata read.
fn push_named<'a>(node: NodeRef<'a>, out: &mut Vec<Item<'a>>, api_version: &'a str, kind: &'a str) {
    let meta = node.get("metadata");
    if let Some(m) = meta {
        if !m.is_map() && !m.is_null() {
            return out.push(Item::Invalid(Problem {
                pos: m.pos(),
                message: format!(
                    "`metadata` must be a mapping, found {}",
                    m.value_type().describe()
                ),
            }));
        }
    }
    let str_field = |key: &str| meta.and_then(|m| m.get(key)).and_then(|v| v.as_str());
    let name = str_field("name")
        .or_else(|| str_field("generateName"))
        .unwrap_or("");
    let namespace = str_field("namespace").filter(|s| !s.is_empty());
    out.push(Item::Object(Object {
        root: node,
        api_version,
        kind,
        name,
        namespace,
    }));
}

impl<'a> Object<'a> {
    /// The API group: `apps` for `apps/v1`, "" for `v1`.
    pub fn group(&self) -> &'a str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn id(&self) -> ObjectId {
        ObjectId {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            namespace: self.namespace.map(str::to_string),
            name: self.name.to_string(),
        }
    }

    pub fn metadata(&self) -> Option<NodeRef<'a>> {
        self.root.get("metadata")
    }

    pub fn annotations(&self) -> Option<NodeRef<'a>> {
        self.metadata().and_then(|m| m.get("annotations"))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.annotations()
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
    }

    /// The pod spec of every pod-bearing kind, with where it sits in the object.
    pub fn pod(&self) -> Option<PodSpec<'a>> {
        let group = self.group();
        let (spec_path, meta_path): (&'static [&'static str], &'static [&'static str]) = match (group, self.kind) {
                ("", "Pod") => (&["spec"], &["metadata"]),
                ("", "PodTemplate") => (&["template", "spec"], &["template", "metadata"]),
                ("", "ReplicationController")
                | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
                | ("apps", "StatefulSet")
                | ("batch", "Job")
                // OpenShift's DeploymentConfig (and its OpenShift 3 form, `apiVersion: v1`).
                | ("apps.openshift.io" | "", "DeploymentConfig") => (
                    &["spec", "template", "spec"],
                    &["spec", "template", "metadata"],
                ),
                ("batch", "CronJob") => (
                    &["spec", "jobTemplate", "spec", "template", "spec"],
                    &["spec", "jobTemplate", "spec", "template", "metadata"],
                ),
                _ => return None,
            };
        let spec = self.root.get_path(spec_path);
        // The nearest existing parent, so that "missing" findings still have a location.
        let mut anchor = self.root;
        for i in 1..spec_path.len() {
            match self.root.get_path(&spec_path[..i]) {
                Some(n) if n.is_map() => anchor = n,
                _ => break,
            }
        }
        let spec = spec.filter(|s| s.is_map());
        let spec_path = FieldPath::from_keys(spec_path);
        Some(PodSpec {
            containers: collect_containers(spec, &spec_path),
            spec,
            anchor,
            meta: self.root.get_path(meta_path).filter(|m| m.is_map()),
            spec_path,
            meta_path: FieldPath::from_keys(meta_path),
        })
    }
}

/// The pod spec and pod metadata of a pod-bearing object.
#[derive(Clone, Debug)]
pub struct PodSpec<'a> {
    /// `None` when the object has no pod spec at all (a template without spec).
    pub spec: Option<NodeRef<'a>>,
    /// The deepest existing node on the way to the spec: where to point when the spec is missing.
    pub anchor: NodeRef<'a>,
    pub meta: Option<NodeRef<'a>>,
    pub spec_path: FieldPath,
    pub meta_path: FieldPath,
    /// Found once; every control walks them.
    containers: Vec<Container<'a>>,
}

/// Containers, then init containers, then ephemeral containers. Items that are not mappings
/// are skipped here and reported by [`shape`].
fn collect_containers<'a>(spec: Option<NodeRef<'a>>, spec_path: &FieldPath) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    let Some(spec) = spec else { return out };
    for kind in ContainerKind::ALL {
        let Some(list) = spec.get(kind.field()).filter(|l| l.is_seq()) else {
            continue;
        };
        let base = spec_path.key(kind.field());
        for (index, node) in list.items().enumerate().filter(|(_, n)| n.is_map()) {
            out.push(Container {
                node,
                kind,
                index,
                name: node.get("name").and_then(|n| n.as_str()).unwrap_or(""),
                path: base.index(index),
            });
        }
    }
    out
}

/// Which list a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ContainerKind {
    Container,
    InitContainer,
    EphemeralContainer,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Container,
        ContainerKind::InitContainer,
        ContainerKind::EphemeralContainer,
    ];

    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::InitContainer => "initContainers",
            ContainerKind::EphemeralContainer => "ephemeralContainers",
        }
    }

    /// How a message names it: `container "web"`, `init container "setup"`.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::InitContainer => "init container",
            ContainerKind::EphemeralContainer => "ephemeral container",
        }
    }
}

/// One container of any of the three kinds.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: NodeRef<'a>,
    pub kind: ContainerKind,
    pub index: usize,
    pub name: &'a str,
    pub path: FieldPath,
}

impl<'a> Container<'a> {
    pub fn security_context(&self) -> Option<NodeRef<'a>> {
        self.node.get("securityContext").filter(|n| n.is_map())
    }

    /// A field of the container's securityContext.
    pub fn sc(&self, key: &str) -> Option<NodeRef<'a>> {
        self.security_context()
            .and_then(|sc| sc.get(key))
            .filter(|n| !n.is_null())
    }

    /// `container "web"` for messages.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.kind.noun(), self.name)
    }

    /// Where a finding about a missing field of this container should point: the
    /// securityContext if there is one, else the container.
    pub fn sc_anchor(&self) -> NodeRef<'a> {
        self.node.get("securityContext").unwrap_or(self.node)
    }

    pub fn sc_path(&self) -> FieldPath {
        self.path.key("securityContext")
    }
}

impl<'a> PodSpec<'a> {
    pub fn field(&self, key: &str) -> Option<NodeRef<'a>> {
        self.spec.and_then(|s| s.get(key)).filter(|n| !n.is_null())
    }

    pub fn path(&self, key: &str) -> FieldPath {
        self.spec_path.key(key)
    }

    /// The pod's securityContext.
    pub fn security_context(&self) -> Option<NodeRef<'a>> {
        self.field("securityContext").filter(|n| n.is_map())
    }

    /// A field of the pod's securityContext.
    pub fn psc(&self, key: &str) -> Option<NodeRef<'a>> {
        self.security_context()
            .and_then(|sc| sc.get(key))
            .filter(|n| !n.is_null())
    }

    pub fn psc_path(&self) -> FieldPath {
        self.spec_path.key("securityContext")
    }

    /// Where a finding about a missing pod-level field should point.
    pub fn spec_anchor(&self) -> NodeRef<'a> {
        self.spec.unwrap_or(self.anchor)
    }

    pub fn psc_anchor(&self) -> NodeRef<'a> {
        self.field("securityContext")
            .unwrap_or_else(|| self.spec_anchor())
    }

    pub fn annotations(&self) -> Option<NodeRef<'a>> {
        self.meta
            .and_then(|m| m.get("annotations"))
            .filter(|a| a.is_map())
    }

    pub fn annotation(&self, key: &str) -> Option<NodeRef<'a>> {
        self.annotations().and_then(|a| a.get(key))
    }

    pub fn annotation_path(&self, key: &str) -> FieldPath {
        self.meta_path.key("annotations").key(key)
    }

    /// `spec.os.name == "windows"`.
    pub fn is_windows(&self) -> bool {
        self.spec
            .and_then(|s| s.get_path(&["os", "name"]))
            .and_then(|n| n.as_str())
            == Some("windows")
    }

    /// `spec.hostUsers` is explicitly false (the pod runs in a user namespace).
    pub fn host_users_false(&self) -> bool {
        self.field("hostUsers").and_then(|n| n.as_bool()) == Some(false)
    }

    /// Containers, then init containers, then ephemeral containers. Items that are not
    /// mappings are skipped here and reported by [`shape`].
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.containers.iter().cloned()
    }

    /// Volumes with their paths.
    pub fn volumes(&self) -> impl Iterator<Item = (NodeRef<'a>, FieldPath)> + '_ {
        let base = self.spec_path.key("volumes");
        self.field("volumes")
            .filter(|l| l.is_seq())
            .into_iter()
            .flat_map(|l| l.items().enumerate())
            .filter(|(_, n)| n.is_map())
            .map(move |(i, n)| (n, base.index(i)))
    }
}

#[cfg(test)]
mod tests;
