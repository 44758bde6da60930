//! `kubeward cluster --from-dump FILE`: the output of `kubectl get <kinds> -A -o yaml` (a `v1`
//! `List`, or several documents) is scanned where it is, so findings point at lines of the
//! dump; this module only finds which of its objects are reported on an owner in the same dump.

use std::collections::HashSet;

use kubeward_engine::{Source, Stream};
use kubeward_model::{objects_in, Item, ObjectId};
use kubeward_yaml::{parse_chunk, Limits};

use crate::owners;

/// The objects of `text` (a dump) that are reported on an owner also in it. A dump that does
/// not parse yields none: the engine reports its problems when it scans it.
pub fn covered_in(text: &str, limits: &Limits) -> HashSet<ObjectId> {
    covered_in_source(
        &Source::Text {
            name: "dump".to_string(),
            text: text.into(),
        },
        limits,
    )
}

/// [`covered_in`] for a dump read a piece at a time (a List an item at a time), so a dump of
/// any size costs the identities and owners of its objects, never its trees.
pub fn covered_in_source(source: &Source, limits: &Limits) -> HashSet<ObjectId> {
    let mut ids = Vec::new();
    let mut owned = Vec::new();
    let mut stream = Stream::open(source, limits.max_document_bytes);
    loop {
        let piece = stream.next_piece(16 << 20);
        for &chunk in &piece.chunks {
            let parsed = parse_chunk(&piece.bytes, chunk, limits);
            for doc in &parsed.documents {
                for item in objects_in(doc) {
                    if let Item::Object(o) = item {
                        ids.push(o.id());
                        owned.push(owners::from_object(&o));
                    }
                }
            }
        }
        if stream.at_end() {
            break;
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
