//! `kubeward cluster --from-dump FILE`: the output of `kubectl get <kinds> -A -o yaml` (a `v1`
//! `List`, or several documents) is scanned where it is, so findings point at lines of the
//! dump; this module only finds which of its objects are reported on an owner in the same dump.

use std::collections::HashSet;

use kubeward_model::{objects_in, Item, ObjectId};
use kubeward_yaml::{parse_str, Limits};

use crate::owners;

/// The objects of `text` (a dump) that are reported on an owner also in it. A dump that does
/// not parse yields none: the engine reports its problems when it scans it.
pub fn covered_in(text: &str, limits: &Limits) -> HashSet<ObjectId> {
    let parsed = parse_str(text, limits);
    let mut ids = Vec::new();
    let mut owned = Vec::new();
    for doc in &parsed.documents {
        for item in objects_in(doc) {
            if let Item::Object(o) = item {
                ids.push(o.id());
                owned.push(owners::from_object(&o));
            }
        }
    }
    owners::covered_by_owner(&owned)
        .into_iter()
        .zip(ids)
        .filter_map(|(covered, id)| covered.then_some(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_of_a_listed_replicaset_are_covered() {
        let dump = r#"apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata: {name: web-1, namespace: shop, uid: r1}
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-1-x
    namespace: shop
    ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: r1, controller: true}
- apiVersion: v1
  kind: Pod
  metadata:
    name: lone
    namespace: shop
"#;
        let covered = covered_in(dump, &Limits::default());
        assert_eq!(covered.len(), 1);
        assert!(covered.iter().all(|id| id.name == "web-1-x"));
    }
}
