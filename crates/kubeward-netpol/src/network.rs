//! [`Network`]: the facts of a scan, indexed so that one question ("may A reach B on port P?")
//! costs only the policies that select A and B.
//!
//! Built once: policies are grouped by namespace, workloads are indexed by label per namespace,
//! and for every workload the policies that select it are found ahead of time (per direction).
//! A policy with `matchLabels` only looks at the workloads that carry its rarest pair, so
//! building does not compare every policy with every workload of a namespace.

use std::collections::HashMap;

use crate::load::NAMESPACE_NAME_LABEL;
use crate::model::{Direction, Loc, Namespace, Policy, PortSpec, Route, Service, Workload};

/// The indexed facts. Build it with [`crate::NetModel::finish`].
pub struct Network {
    workloads: Vec<Workload>,
    namespaces: Vec<Namespace>,
    policies: Vec<Policy>,
    services: Vec<Service>,
    routes: Vec<Route>,
    namespace_index: HashMap<String, usize>,
    /// (namespace, name) -> workloads of that name (several kinds may share a name).
    by_name: HashMap<(String, String), Vec<usize>>,
    /// namespace -> its workloads.
    by_namespace: HashMap<String, Vec<usize>>,
    /// The hash of (namespace, label key, label value) -> the workloads carrying that label,
    /// so that a Service's selector costs the workloads of its rarest label, not every
    /// workload of its namespace (that was services x workloads per namespace).
    by_label: HashMap<u64, Vec<u32>>,
    /// For each workload: the policies that select it and isolate it for ingress / egress.
    selecting: Vec<[Vec<u32>; 2]>,
    problems: Vec<(Loc, String)>,
}

fn slot(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl Network {
    pub(crate) fn build(
        workloads: Vec<Workload>,
        mut namespaces: Vec<Namespace>,
        policies: Vec<Policy>,
        services: Vec<Service>,
        routes: Vec<Route>,
    ) -> Network {
        let mut namespace_index = HashMap::new();
        let mut declared = Vec::with_capacity(namespaces.len());
        // A namespace declared twice: the first declaration counts.
        for ns in namespaces.drain(..) {
            if !namespace_index.contains_key(&ns.name) {
                namespace_index.insert(ns.name.clone(), declared.len());
                declared.push(ns);
            }
        }
        let mut namespaces = declared;
        // Namespaces that objects use without declaring them carry only their name label.
        let used = workloads
            .iter()
            .map(|w| &w.namespace)
            .chain(policies.iter().map(|p| &p.namespace));
        for name in used {
            if !namespace_index.contains_key(name) {
                namespace_index.insert(name.clone(), namespaces.len());
                namespaces.push(Namespace {
                    name: name.clone(),
                    labels: [(NAMESPACE_NAME_LABEL, name.as_str())]
                        .into_iter()
                        .collect(),
                    loc: None,
                });
            }
        }
        let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut by_namespace: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            by_name
                .entry((w.namespace.clone(), w.name.clone()))
                .or_default()
                .push(i);
            by_namespace.entry(w.namespace.clone()).or_default().push(i);
        }
        let mut by_label: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            for (k, v) in w.labels.iter() {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                by_label
                    .entry(label_hash(&w.namespace, k, v))
                    .or_default()
                    .push(i);
            }
        }
        let selecting = select_all(&workloads, &policies, &by_namespace, &by_label);
        let problems = unknown_named_ports(&workloads, &policies);
        Network {
            workloads,
            namespaces,
            policies,
            services,
            routes,
            namespace_index,
            by_name,
            by_namespace,
            by_label,
            selecting,
            problems,
        }
    }

    /// Problems found across objects once all are read: a policy's named port that no
    /// container of the scanned workloads declares (it can match nothing).
    pub fn problems(&self) -> &[(Loc, String)] {
        &self.problems
    }

    /// The workloads, in input order.
    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    /// The namespaces: declared ones, then those only used.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// The NetworkPolicies, in input order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The Services, in input order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Ingresses, Routes and Gateway API routes, in input order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespace_index
            .get(name)
            .and_then(|&i| self.namespaces.get(i))
    }

    /// The policies that select workload `w` and isolate it in direction `d` (indexes into
    /// [`Network::policies`]).
    pub fn selecting(&self, w: usize, d: Direction) -> &[u32] {
        self.selecting
            .get(w)
            .map_or(&[][..], |s| s[slot(d)].as_slice())
    }

    /// Workloads named by `spec`: `namespace/name`, `namespace/name[Kind]`, or `name` (in any
    /// namespace).
    pub fn find(&self, spec: &str) -> Vec<usize> {
        let (base, kind) = match spec.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
            Some((b, k)) => (b, Some(k)),
            None => (spec, None),
        };
        let found: Vec<usize> = match base.split_once('/') {
            Some((ns, name)) => self
                .by_name
                .get(&(ns.to_string(), name.to_string()))
                .cloned()
                .unwrap_or_default(),
            None => self
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| w.name == base)
                .map(|(i, _)| i)
                .collect(),
        };
        found
            .into_iter()
            .filter(|&i| kind.is_none_or(|k| self.workloads.get(i).is_some_and(|w| w.kind == k)))
            .collect()
    }

    /// The workloads a Service's selector selects (in its namespace).
    pub fn selected_by_service(&self, svc: &Service) -> Vec<usize> {
        let Some(sel) = &svc.selector else {
            return Vec::new();
        };
        let selects = |i: usize| {
            self.workloads.get(i).is_some_and(|w| {
                w.namespace == svc.namespace && sel.iter().all(|(k, v)| w.labels.get(k) == Some(v))
            })
        };
        let labels = sel.iter();
        candidates(&self.by_namespace, &self.by_label, &svc.namespace, labels)
            .filter(|&i| selects(i))
            .collect()
    }
}

/// The workloads an equality selector (`labels`) in `namespace` may select: those carrying
/// its rarest label, or every workload of the namespace for an empty selector (the reader
/// turns a Service's `{}` into none, as the API server does). The caller checks each in
/// full: label hashes may collide, and matchExpressions are not indexed.
fn candidates<'i, 'l>(
    by_namespace: &'i HashMap<String, Vec<usize>>,
    by_label: &'i HashMap<u64, Vec<u32>>,
    namespace: &str,
    labels: impl Iterator<Item = (&'l str, &'l str)>,
) -> Box<dyn Iterator<Item = usize> + 'i> {
    let rarest = labels
        .map(|(k, v)| {
            by_label
                .get(&label_hash(namespace, k, v))
                .map_or(&[][..], Vec::as_slice)
        })
        .min_by_key(|c| c.len());
    match rarest {
        Some(c) => Box::new(c.iter().map(|&i| i as usize)),
        None => Box::new(
            by_namespace
                .get(namespace)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied(),
        ),
    }
}

/// The key of [`Network::by_label`].
fn label_hash(namespace: &str, key: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (namespace, key, value).hash(&mut h);
    h.finish()
}

/// For every workload, the policies selecting it per direction (see the module doc).
fn select_all(
    workloads: &[Workload],
    policies: &[Policy],
    by_namespace: &HashMap<String, Vec<usize>>,
    by_label: &HashMap<u64, Vec<u32>>,
) -> Vec<[Vec<u32>; 2]> {
    let mut out = vec![[Vec::new(), Vec::new()]; workloads.len()];
    for (pi, p) in policies.iter().enumerate() {
        let labels = p
            .pod_selector
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let candidates = candidates(by_namespace, by_label, &p.namespace, labels);
        let Ok(pi) = u32::try_from(pi) else { break };
        for wi in candidates {
            let Some(w) = workloads.get(wi) else { continue };
            if w.namespace != p.namespace || !p.pod_selector.matches(&w.labels) {
                continue;
            }
            if let Some(slots) = out.get_mut(wi) {
                for d in [Direction::Ingress, Direction::Egress] {
                    if p.isolates(d) {
                        slots[slot(d)].push(pi);
                    }
                }
            }
        }
    }
    out
}

/// Named ports of policy rules that no workload declares (only when the scan has workloads:
/// policies alone say nothing about the pods they will meet).
fn unknown_named_ports(workloads: &[Workload], policies: &[Policy]) -> Vec<(Loc, String)> {
    if workloads.is_empty() {
        return Vec::new();
    }
    let declared: std::collections::HashSet<&str> = workloads
        .iter()
        .flat_map(|w| w.ports.iter().filter_map(|p| p.name.as_deref()))
        .collect();
    let mut out = Vec::new();
    for p in policies {
        for d in [Direction::Ingress, Direction::Egress] {
            for (ri, r) in p.rules(d).iter().enumerate() {
                for (pi, port) in r.ports.iter().enumerate() {
                    if let PortSpec::Named(name) = &port.port {
                        if !declared.contains(&**name) {
                            out.push((
                                port.loc.clone(),
                                format!(
                                    "`spec.{}[{ri}].ports[{pi}].port` of NetworkPolicy {}/{} names a port that no container of the scanned workloads declares; it matches nothing",
                                    d.field(),
                                    p.namespace,
                                    p.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    /// A Service selects, in its own namespace, the workloads that carry every label of its
    /// selector (Kubernetes' equality-based Service selector); an empty selector is no
    /// selector (the API server stores `{}` as none: endpoints are managed elsewhere) and
    /// selects nothing. The label index must give exactly that.
    #[test]
    fn services_select_by_every_label_in_their_namespace() {
        let text = "\
apiVersion: v1
kind: Service
metadata: {name: both, namespace: a}
spec: {selector: {app: web, tier: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: a}
spec: {selector: {}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: none, namespace: a}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-front, namespace: a, labels: {app: web, tier: front}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-only, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: front-other-ns, namespace: b, labels: {app: web, tier: front}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: a, labels: {app: db, tier: front}}
spec: {containers: [{name: c, image: nginx}]}
";
        let mut m = crate::NetModel::default();
        let problems = m.read_text(&Arc::from("t.yaml"), text, &Default::default());
        assert!(problems.is_empty(), "{problems:?}");
        let net = m.finish();
        let selected = |svc: &str| -> Vec<String> {
            let s = net.services().iter().find(|s| s.name == svc).unwrap();
            let mut names: Vec<String> = net
                .selected_by_service(s)
                .into_iter()
                .map(|i| net.workloads()[i].name.clone())
                .collect();
            names.sort();
            names
        };
        assert_eq!(selected("both"), ["web-front"]);
        assert!(selected("empty").is_empty());
        assert!(selected("none").is_empty());
    }
}
