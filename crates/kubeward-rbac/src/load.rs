//! RBAC objects from YAML or JSON text, with the same reader as `kubeward scan`.

use std::sync::Arc;

use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_str, Limits, Problem};

use crate::object::RbacObject;

/// The namespace of namespaced objects that name none (what `kubectl apply` uses without `-n`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Every RBAC object of a text (other kinds are skipped), and the problems that kept parts of
/// it from being read, located.
pub fn read_text(file: &Arc<str>, text: &str, limits: &Limits) -> (Vec<RbacObject>, Vec<Problem>) {
    let parsed = parse_str(text, limits);
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for doc in &parsed.documents {
        for item in objects_in(doc) {
            match item {
                Item::Object(o) => {
                    objects.extend(RbacObject::from_object(&o, file, DEFAULT_NAMESPACE, || {
                        Arc::new(o.id())
                    }))
                }
                Item::Invalid(p) => problems.push(p),
                Item::NotAnObject { .. } => {}
            }
        }
    }
    problems.extend(parsed.error);
    (objects, problems)
}
