//! [`NetModel`]: the facts of a set of objects, fed one object at a time (by the engine, which
//! walks every object already, or by [`NetModel::read_text`] for the CLI), then indexed by
//! [`NetModel::finish`].

use std::collections::HashMap;
use std::sync::Arc;

use kubeward_model::{labels, Object};
use kubeward_yaml::{split_documents, Chunk, Limits, Problem};

use crate::model::{Loc, Namespace, Policy, Route, Service, Workload};
use crate::network::Network;
use crate::{read_policy, read_service, read_workload};

/// The namespace of namespaced objects that name none (what `kubectl apply` uses without `-n`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// The label the API server puts on every namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The problems of a NetworkPolicy's fields that the API server would refuse (an unknown
/// selector operator, a CIDR that does not parse, a port out of range), located; none for
/// other kinds. The scan reports them as input errors whether or not it builds a model.
pub fn policy_problems(o: &Object<'_>, file: &Arc<str>) -> Vec<Problem> {
    if !matches!(
        (o.group(), o.kind),
        ("networking.k8s.io" | "extensions", "NetworkPolicy")
    ) {
        return Vec::new();
    }
    let mut problems = Vec::new();
    read_policy::read(
        o,
        o.namespace.unwrap_or(DEFAULT_NAMESPACE),
        file,
        &mut problems,
    );
    problems
}

/// Facts gathered so far. Owned and compact: no YAML tree is kept.
#[derive(Default)]
pub struct NetModel {
    pub(crate) workloads: Vec<Workload>,
    pub(crate) namespaces: Vec<Namespace>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) services: Vec<Service>,
    pub(crate) routes: Vec<Route>,
    /// Pods grouped under their controller: (namespace, owner kind, owner name) -> workload.
    owned: HashMap<(String, String, String), usize>,
    /// (namespace, name) of the policies read, to refuse a second one of the same name.
    policy_names: HashMap<(String, String), Loc>,
    /// Where objects without `metadata.namespace` are ([`NetModel::in_namespace`]); `None`:
    /// [`DEFAULT_NAMESPACE`].
    default_namespace: Option<String>,
}

impl NetModel {
    /// A model in which objects without `metadata.namespace` are in `namespace` (the
    /// namespace the manifests are applied to: `kubeward scan -n`), not [`DEFAULT_NAMESPACE`].
    pub fn in_namespace(namespace: &str) -> NetModel {
        NetModel {
            default_namespace: (namespace != DEFAULT_NAMESPACE).then(|| namespace.to_string()),
            ..NetModel::default()
        }
    }

    /// Adds one object (other kinds are ignored) and returns the problems of its fields,
    /// located in `file`.
    pub fn add_object(&mut self, o: &Object<'_>, file: &Arc<str>) -> Vec<Problem> {
        // Taken out for the call: adding borrows the model mutably.
        let default = self.default_namespace.take();
        let problems = self.add_object_in(o, file, default.as_deref().unwrap_or(DEFAULT_NAMESPACE));
        self.default_namespace = default;
        problems
    }

    fn add_object_in(&mut self, o: &Object<'_>, file: &Arc<str>, default: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let namespace = o.namespace.unwrap_or(default);
        match (o.group(), o.kind) {
            ("", "Namespace") => self.add_namespace(o, file),
            ("networking.k8s.io" | "extensions", "NetworkPolicy") => {
                let p = read_policy::read(o, namespace, file, &mut problems);
                let key = (p.namespace.clone(), p.name.clone());
                if let Some(first) = self.policy_names.get(&key) {
                    problems.push(Problem {
                        pos: o.root.pos(),
                        message: format!(
                            "NetworkPolicy {}/{} is defined twice (first at {first}); this one is ignored",
                            key.0, key.1
                        ),
                    });
                } else {
                    self.policy_names.insert(key, p.loc.clone());
                    self.policies.push(p);
                }
            }
            ("", "Service") => {
                let s = read_service::read_service(o, namespace, file, &mut problems);
                self.services.push(s);
            }
            _ => {
                if let Some(kind) = read_service::route_kind(o) {
                    let r = read_service::read_route(o, kind, namespace, file, &mut problems);
                    self.routes.push(r);
                } else {
                    self.add_workload(o, namespace, file, &mut problems);
                }
            }
        }
        problems
    }

    /// Takes in the facts another model gathered after this one's (the engine gathers one per
    /// unit of work, in parallel, and merges them in input order), with the same rules as
    /// [`NetModel::add_object`]: the first pod of a controller stands for its pods, and a
    /// second NetworkPolicy of the same name is ignored (the problem was the other model's to
    /// report, and the scan reports shape problems itself).
    pub fn merge(&mut self, other: NetModel) {
        let owner_of: HashMap<usize, (String, String, String)> =
            other.owned.into_iter().map(|(k, i)| (i, k)).collect();
        for (i, w) in other.workloads.into_iter().enumerate() {
            match owner_of.get(&i) {
                Some(key) if self.owned.contains_key(key) => {}
                Some(key) => {
                    self.owned.insert(key.clone(), self.workloads.len());
                    self.workloads.push(w);
                }
                None => self.workloads.push(w),
            }
        }
        for p in other.policies {
            let key = (p.namespace.clone(), p.name.clone());
            if let std::collections::hash_map::Entry::Vacant(e) = self.policy_names.entry(key) {
                e.insert(p.loc.clone());
                self.policies.push(p);
            }
        }
        self.namespaces.extend(other.namespaces);
        self.services.extend(other.services);
        self.routes.extend(other.routes);
    }

    fn add_namespace(&mut self, o: &Object<'_>, file: &Arc<str>) {
        let meta_labels = o
            .metadata()
            .and_then(|m| m.get("labels"))
            .filter(|l| l.is_map());
        // The API server sets kubernetes.io/metadata.name to the name, whatever was written.
        let labels = labels(meta_labels)
            .iter()
            .filter(|(k, _)| *k != NAMESPACE_NAME_LABEL)
            .chain(std::iter::once((NAMESPACE_NAME_LABEL, o.name)))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.namespaces.push(Namespace {
            name: o.name.to_string(),
            labels,
            loc: Some(Loc {
                file: file.clone(),
                pos: o.root.pos(),
            }),
        });
    }

    fn add_workload(
        &mut self,
        o: &Object<'_>,
        namespace: &str,
        file: &Arc<str>,
        problems: &mut Vec<Problem>,
    ) {
        let is_pod = o.group().is_empty() && o.kind == "Pod";
        // KubeVirt's launcher pods stand for their VirtualMachine, which is read on its own.
        if is_pod && o.name.starts_with("virt-launcher-") {
            return;
        }
        let Some(mut w) = read_workload::read(o, namespace, file, problems) else {
            return;
        };
        if !is_pod {
            self.workloads.push(w);
            return;
        }
        let Some(owner) = read_workload::owner(o) else {
            self.workloads.push(w);
            return;
        };
        let key = (
            namespace.to_string(),
            owner.kind.to_string(),
            owner.name.to_string(),
        );
        if self.owned.contains_key(&key) {
            // The pods of one controller share labels and ports: the first one stands for all.
            return;
        }
        w.name = owner.name.to_string();
        w.kind = if owner.kind.is_empty() {
            "Pod".to_string()
        } else {
            owner.kind.to_string()
        };
        self.owned.insert(key, self.workloads.len());
        self.workloads.push(w);
    }

    /// Reads every object of a YAML or JSON text; returns the problems, located.
    pub fn read_text(&mut self, file: &Arc<str>, text: &str, limits: &Limits) -> Vec<Problem> {
        let bytes = text.as_bytes();
        self.read_chunks(file, bytes, &split_documents(bytes), limits)
    }

    /// [`NetModel::read_text`] for a text already cut into documents. Each document is read
    /// on its own: a document that fails (even by a bug of this crate) loses nothing else.
    pub fn read_chunks(
        &mut self,
        file: &Arc<str>,
        text: &[u8],
        chunks: &[Chunk],
        limits: &Limits,
    ) -> Vec<Problem> {
        let mut reader = Reading { model: self, file };
        kubeward_model::read::read_chunks(&mut reader, text, chunks, limits)
    }
}

/// A model reading a file, as [`kubeward_model::read::read_chunks`] feeds it.
struct Reading<'m> {
    model: &'m mut NetModel,
    file: &'m Arc<str>,
}

impl kubeward_model::read::Reader for Reading<'_> {
    type Mark = [usize; 5];

    fn mark(&self) -> [usize; 5] {
        self.model.lens()
    }

    fn reset(&mut self, mark: [usize; 5]) {
        self.model.truncate(mark);
    }

    fn object(&mut self, o: &Object<'_>, problems: &mut Vec<Problem>) {
        problems.extend(self.model.add_object(o, self.file));
    }
}

impl NetModel {
    fn lens(&self) -> [usize; 5] {
        [
            self.workloads.len(),
            self.namespaces.len(),
            self.policies.len(),
            self.services.len(),
            self.routes.len(),
        ]
    }

    /// Forgets what a failed document added.
    fn truncate(&mut self, [w, n, p, s, r]: [usize; 5]) {
        self.workloads.truncate(w);
        self.namespaces.truncate(n);
        self.policies.truncate(p);
        self.services.truncate(s);
        self.routes.truncate(r);
        self.owned.retain(|_, i| *i < w);
        let kept: std::collections::HashSet<(String, String)> = self
            .policies
            .iter()
            .map(|p| (p.namespace.clone(), p.name.clone()))
            .collect();
        self.policy_names.retain(|k, _| kept.contains(k));
    }

    /// Adds a workload read elsewhere as is (no grouping of pods under their controller: the
    /// caller names each workload as it wants connections named). `kubeward scan` gives its
    /// risk graph's workloads this way, so that it keeps one copy of them, not two, and the
    /// graph finds each of its workloads in the network by the same name.
    pub fn push_workload(&mut self, w: Workload) {
        self.workloads.push(w);
    }

    /// A Service as [`NetModel::add_object`] reads it (`None` for any other object), without
    /// keeping it: for a caller that keeps Services its own way (kubeward-risk packs them)
    /// and gives them back with [`NetModel::push_service`] if it needs the model. Problems
    /// are the scan's to report.
    pub fn read_service(&self, o: &Object<'_>, file: &Arc<str>) -> Option<Service> {
        if (o.group(), o.kind) != ("", "Service") {
            return None;
        }
        let default = self
            .default_namespace
            .as_deref()
            .unwrap_or(DEFAULT_NAMESPACE);
        let namespace = o.namespace.unwrap_or(default);
        Some(read_service::read_service(
            o,
            namespace,
            file,
            &mut Vec::new(),
        ))
    }

    /// Add a Service read by [`NetModel::read_service`] (in input order, as
    /// [`NetModel::add_object`] would have).
    pub fn push_service(&mut self, s: Service) {
        self.services.push(s);
    }

    /// Whether a NetworkPolicy has been read (without one, every pod is open).
    pub fn has_policies(&self) -> bool {
        !self.policies.is_empty()
    }

    /// Indexes the facts for queries.
    pub fn finish(self) -> Network {
        Network::build(
            self.workloads,
            self.namespaces,
            self.policies,
            self.services,
            self.routes,
        )
    }
}
