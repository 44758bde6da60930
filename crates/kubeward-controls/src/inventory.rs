//! The inventory: small facts gathered from every object during the per-object pass, for the
//! controls that look across objects (NetworkPolicy coverage, quotas). Facts are owned and
//! compact (names and labels, not trees), so the inventory of a large scan stays small.

use std::sync::Arc;

pub use kubeward_model::LabelSelector;
use kubeward_model::{labels, Object, ObjectId};
use kubeward_yaml::Pos;

use crate::Target;

/// Where an object is, to locate a cross-object finding.
#[derive(Clone, Debug)]
pub struct Located {
    pub file: Arc<str>,
    pub pos: Pos,
    pub object: Arc<ObjectId>,
}

/// What kind of fact.
#[derive(Clone, Debug)]
pub enum FactKind {
    Namespace,
    NetworkPolicy {
        selector: LabelSelector,
        /// Applies to ingress (policyTypes, or the default: always).
        ingress: bool,
        /// Applies to egress (policyTypes, or the default: when egress rules exist).
        egress: bool,
        /// Applies to ingress and allows nothing: a deny-all for the pods it selects.
        denies_all_ingress: bool,
        denies_all_egress: bool,
    },
    Workload {
        labels: kubeward_model::Labels,
    },
    ResourceQuota,
    LimitRange,
    /// A Role, ClusterRole, RoleBinding or ClusterRoleBinding, for the subject-level RBAC
    /// controls (KW650-KW699), which need all of them at once.
    Rbac(Box<kubeward_rbac::RbacObject>),
}

/// One fact about one object.
#[derive(Clone, Debug)]
pub struct Fact {
    pub kind: FactKind,
    /// For a Namespace, its own name; otherwise metadata.namespace.
    pub namespace: Option<String>,
    pub name: String,
    pub at: Located,
    /// Controls suppressed on this object by annotation, with their reasons (set by the engine).
    pub ignores: Vec<(&'static str, String)>,
    /// The scored frameworks this object failed in the per-object pass (a bit each; set by
    /// the engine), so cross-object findings count an object once per framework.
    pub failed: u8,
    /// Why the object is a platform object, if it is one (set by the engine).
    pub platform: Option<&'static str>,
}

impl Fact {
    /// The fact `t` contributes, if any; `object` gives its identity (the engine shares the
    /// one its findings use). A namespaced object without `metadata.namespace` is placed in
    /// `default_namespace`, the namespace the scan targets (`scan -n`, `default` unless set),
    /// as `kubectl apply -n` would place it.
    pub fn of(
        t: &Target<'_>,
        file: &Arc<str>,
        default_namespace: &str,
        object: impl FnOnce() -> Arc<ObjectId>,
    ) -> Option<Fact> {
        if kubeward_rbac::object::is_rbac(&t.object) {
            return rbac_fact(t, file, default_namespace, object());
        }
        let (kind, namespace, pos) = extract(t, default_namespace)?;
        Some(Fact {
            kind,
            namespace,
            name: t.object.name.to_string(),
            at: Located {
                file: file.clone(),
                pos,
                object: object(),
            },
            ignores: Vec::new(),
            failed: 0,
            platform: None,
        })
    }
}

/// The fact of an RBAC object; it shares `object` with the findings located in it.
fn rbac_fact(
    t: &Target<'_>,
    file: &Arc<str>,
    default_namespace: &str,
    object: Arc<ObjectId>,
) -> Option<Fact> {
    let o = &t.object;
    let rbac =
        kubeward_rbac::RbacObject::from_object(o, file, default_namespace, || object.clone())?;
    let namespaced = matches!(o.kind, "Role" | "RoleBinding");
    Some(Fact {
        kind: FactKind::Rbac(Box::new(rbac)),
        namespace: o
            .namespace
            .or(namespaced.then_some(default_namespace))
            .map(str::to_string),
        name: o.name.to_string(),
        at: Located {
            file: file.clone(),
            pos: name_pos(o),
            object,
        },
        ignores: Vec::new(),
        failed: 0,
        platform: None,
    })
}

/// Everything the cross-object controls see, in input order.
#[derive(Debug)]
pub struct Inventory {
    pub facts: Vec<Fact>,
    /// Where [`Inventory::add`] places namespaced objects without `metadata.namespace`
    /// ([`crate::Settings::namespace`]).
    pub default_namespace: String,
    /// Positions in `facts` of each namespace's namespaced facts, built at the first query:
    /// controls ask per workload, and a linear scan each time made the cross-object pass
    /// quadratic (100,000 objects took 15 s; BENCHMARKS.md). Add facts before querying.
    by_namespace: std::sync::OnceLock<std::collections::HashMap<String, Vec<usize>>>,
    /// The RBAC model of the scan's RBAC objects, built at the first query.
    rbac: std::sync::OnceLock<kubeward_rbac::RbacModel>,
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory::new(kubeward_rbac::load::DEFAULT_NAMESPACE)
    }
}

fn name_pos(o: &Object<'_>) -> Pos {
    o.metadata()
        .and_then(|m| m.get("name"))
        .map_or(o.root.value_pos(), |n| n.pos())
}

/// The fact an object contributes, if any, with its namespace (`default_namespace` when it
/// sets none; every fact but a Namespace's is of a namespaced kind) and the position to
/// point at.
pub fn extract(t: &Target<'_>, default_namespace: &str) -> Option<(FactKind, Option<String>, Pos)> {
    let o = &t.object;
    let ns = Some(o.namespace.unwrap_or(default_namespace).to_string());
    let kind = match (o.group(), o.kind) {
        ("", "Namespace") => {
            return Some((FactKind::Namespace, Some(o.name.to_string()), name_pos(o)))
        }
        ("networking.k8s.io" | "extensions", "NetworkPolicy") => {
            let spec = o.root.get("spec");
            let types: Vec<&str> = spec
                .and_then(|s| s.get("policyTypes"))
                .map(|p| p.items().filter_map(|i| i.as_str()).collect())
                .unwrap_or_default();
            let rules = |k: &str| spec.and_then(|s| s.get(k)).filter(|r| !r.is_null());
            let (ingress, egress) = if types.is_empty() {
                (true, rules("egress").is_some())
            } else {
                (types.contains(&"Ingress"), types.contains(&"Egress"))
            };
            FactKind::NetworkPolicy {
                selector: LabelSelector::from_node(spec.and_then(|s| s.get("podSelector"))),
                ingress,
                egress,
                denies_all_ingress: ingress && rules("ingress").is_none_or(|r| r.is_empty()),
                denies_all_egress: egress && rules("egress").is_none_or(|r| r.is_empty()),
            }
        }
        ("", "ResourceQuota") => FactKind::ResourceQuota,
        ("", "LimitRange") => FactKind::LimitRange,
        _ => {
            let pod = t.pod.as_ref()?;
            // Pods owned by a controller are covered by their owner.
            if o.kind == "Pod"
                && o.metadata()
                    .and_then(|m| m.get("ownerReferences"))
                    .is_some_and(|r| !r.is_empty())
            {
                return None;
            }
            FactKind::Workload {
                labels: labels(
                    pod.meta
                        .and_then(|m| m.get("labels"))
                        .filter(|l| l.is_map()),
                ),
            }
        }
    };
    Some((kind, ns, name_pos(o)))
}

/// A violation found across objects, located at one of them.
#[derive(Clone, Debug)]
pub struct CrossViolation {
    pub at: Located,
    pub path: kubeward_model::FieldPath,
    pub message: String,
}

/// Where a cross-object control puts its violations, one at a time: the engine turns each
/// into a finding and writes them out in batches as they come, so that a control over a
/// million objects (one violation per unselected workload) never holds all of them at once.
pub struct CrossOut<'a> {
    take: &'a mut dyn FnMut(CrossViolation),
}

impl<'a> CrossOut<'a> {
    pub fn new(take: &'a mut dyn FnMut(CrossViolation)) -> Self {
        CrossOut { take }
    }

    pub fn push(&mut self, v: CrossViolation) {
        (self.take)(v);
    }
}

impl Inventory {
    /// An empty inventory that places objects without a namespace in `default_namespace`.
    pub fn new(default_namespace: &str) -> Self {
        Inventory {
            facts: Vec::new(),
            default_namespace: default_namespace.to_string(),
            by_namespace: Default::default(),
            rbac: Default::default(),
        }
    }

    /// Record the fact `t` contributes, if any.
    pub fn add(&mut self, t: &Target<'_>, file: &Arc<str>) {
        let fact = Fact::of(t, file, &self.default_namespace, || Arc::new(t.object.id()));
        self.facts.extend(fact);
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &Fact> {
        self.facts
            .iter()
            .filter(|f| matches!(f.kind, FactKind::Namespace))
    }

    /// The RBAC model of every Role, ClusterRole and binding in the scan (built once; add
    /// facts before querying). Findings on a subject go to the binding that names it.
    pub fn rbac(&self) -> &kubeward_rbac::RbacModel {
        self.rbac.get_or_init(|| {
            kubeward_rbac::RbacModel::from_objects(self.facts.iter().filter_map(
                |f| match &f.kind {
                    FactKind::Rbac(o) => Some((**o).clone()),
                    _ => None,
                },
            ))
        })
    }

    /// Facts of namespaced objects in `ns`, in input order.
    pub fn in_namespace<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
        let index = self.by_namespace.get_or_init(|| {
            let mut index: std::collections::HashMap<String, Vec<usize>> = Default::default();
            for (i, f) in self.facts.iter().enumerate() {
                if let (false, Some(ns)) = (matches!(f.kind, FactKind::Namespace), &f.namespace) {
                    index.entry(ns.clone()).or_default().push(i);
                }
            }
            index
        });
        debug_assert_eq!(
            index.values().map(Vec::len).sum::<usize>(),
            self.facts
                .iter()
                .filter(|f| !matches!(f.kind, FactKind::Namespace) && f.namespace.is_some())
                .count(),
            "facts added after the first query"
        );
        index
            .get(ns)
            .into_iter()
            .flatten()
            .map(move |&i| &self.facts[i])
    }
}
