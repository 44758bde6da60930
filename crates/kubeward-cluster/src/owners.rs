//! Report each workload once: a Pod made by a ReplicaSet made by a Deployment carries the
//! Deployment's pod template, so when the owner is in the same scan, the Pod and the
//! ReplicaSet are left to it (the same for Job -> CronJob, Pod -> DaemonSet, StatefulSet,
//! Job, ReplicationController). An owner that is not in the scan (not listed, forbidden, or a
//! kind kubeward does not read, like an operator's custom resource) leaves the object to be
//! reported itself.

use std::collections::HashMap;

/// Who an object is and who owns it: enough to decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owned {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: Option<String>,
    pub owners: Vec<OwnerRef>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnerRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub uid: Option<String>,
    pub controller: bool,
}

/// The group of an apiVersion: `apps` for `apps/v1`, "" for `v1`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Kinds whose pod template is checked like the pods they make.
fn makes_pods(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "apps" | "extensions",
            "Deployment" | "ReplicaSet" | "DaemonSet"
        ) | ("apps", "StatefulSet")
            | ("batch", "Job" | "CronJob")
            | ("", "ReplicationController")
    )
}

/// Whether each object (same order) is reported on an owner that is also in `objects`.
pub fn covered_by_owner(objects: &[Owned]) -> Vec<bool> {
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<(&str, &str, Option<&str>, &str), usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if let Some(uid) = o.uid.as_deref().filter(|u| !u.is_empty()) {
            by_uid.insert(uid, i);
        }
        by_name.insert((&o.group, &o.kind, o.namespace.as_deref(), &o.name), i);
    }
    objects
        .iter()
        .map(|o| {
            if !matches!(o.kind.as_str(), "Pod" | "ReplicaSet" | "Job") {
                return false;
            }
            // The managing controller when one is marked, as Kubernetes' garbage collector
            // and controllers read it; otherwise any owner.
            let controller: Vec<&OwnerRef> = o.owners.iter().filter(|r| r.controller).collect();
            let candidates: Vec<&OwnerRef> = if controller.is_empty() {
                o.owners.iter().collect()
            } else {
                controller
            };
            candidates.into_iter().any(|r| {
                if !makes_pods(&r.group, &r.kind) {
                    return false;
                }
                let found = match r.uid.as_deref().filter(|u| !u.is_empty()) {
                    Some(uid) => by_uid.get(uid).copied(),
                    None => by_name
                        .get(&(
                            r.group.as_str(),
                            r.kind.as_str(),
                            o.namespace.as_deref(),
                            r.name.as_str(),
                        ))
                        .copied(),
                };
                // A UID that matches an object of another name is not this owner.
                found.is_some_and(|i| objects[i].kind == r.kind && objects[i].name == r.name)
            })
        })
        .collect()
}

/// From an object as the API returns it.
pub fn from_json(o: &serde_json::Value) -> Owned {
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let meta = &o["metadata"];
    Owned {
        group: group_of(o["apiVersion"].as_str().unwrap_or("")).to_string(),
        kind: s(o, "kind").unwrap_or_default(),
        namespace: s(meta, "namespace").filter(|n| !n.is_empty()),
        name: s(meta, "name").unwrap_or_default(),
        uid: s(meta, "uid"),
        owners: meta["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| OwnerRef {
                group: group_of(r["apiVersion"].as_str().unwrap_or("")).to_string(),
                kind: s(r, "kind").unwrap_or_default(),
                name: s(r, "name").unwrap_or_default(),
                uid: s(r, "uid"),
                controller: r["controller"].as_bool() == Some(true),
            })
            .collect(),
    }
}

/// From an object of a located tree (a dump file).
pub fn from_object(o: &kubeward_model::Object<'_>) -> Owned {
    let meta = o.metadata();
    let text = |n: Option<kubeward_yaml::NodeRef<'_>>, k: &str| {
        n.and_then(|n| n.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Owned {
        group: o.group().to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.map(str::to_string),
        name: o.name.to_string(),
        uid: text(meta, "uid"),
        owners: meta
            .and_then(|m| m.get("ownerReferences"))
            .filter(|r| r.is_seq())
            .into_iter()
            .flat_map(|r| r.items())
            .filter(|r| r.is_map())
            .map(|r| OwnerRef {
                group: group_of(text(Some(r), "apiVersion").as_deref().unwrap_or("")).to_string(),
                kind: text(Some(r), "kind").unwrap_or_default(),
                name: text(Some(r), "name").unwrap_or_default(),
                uid: text(Some(r), "uid"),
                controller: r.get("controller").and_then(|c| c.as_bool()) == Some(true),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(api: &str, kind: &str, name: &str, uid: &str, owners: serde_json::Value) -> Owned {
        from_json(&json!({"apiVersion": api, "kind": kind,
            "metadata": {"name": name, "namespace": "shop", "uid": uid, "ownerReferences": owners}}))
    }

    fn owner(api: &str, kind: &str, name: &str, uid: &str) -> serde_json::Value {
        json!({"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": true})
    }

    #[test]
    fn pod_and_replicaset_are_reported_on_the_deployment() {
        let objects = [
            obj("apps/v1", "Deployment", "web", "d1", json!([])),
            obj(
                "apps/v1",
                "ReplicaSet",
                "web-5d4",
                "r1",
                json!([owner("apps/v1", "Deployment", "web", "d1")]),
            ),
            obj(
                "v1",
                "Pod",
                "web-5d4-x",
                "p1",
                json!([owner("apps/v1", "ReplicaSet", "web-5d4", "r1")]),
            ),
        ];
        assert_eq!(covered_by_owner(&objects), [false, true, true]);
    }

    #[test]
    fn owner_not_in_the_scan_leaves_the_object_reported() {
        let objects = [
            // The Deployment was not listed (forbidden): the ReplicaSet speaks for it.
            obj(
                "apps/v1",
                "ReplicaSet",
                "web-5d4",
                "r1",
                json!([owner("apps/v1", "Deployment", "web", "d1")]),
            ),
            obj(
                "v1",
                "Pod",
                "web-5d4-x",
                "p1",
                json!([owner("apps/v1", "ReplicaSet", "web-5d4", "r1")]),
            ),
            // An operator's pod: its owner is not a kind kubeward checks.
            obj(
                "v1",
                "Pod",
                "db-0",
                "p2",
                json!([owner("acid.zalan.do/v1", "postgresql", "db", "x")]),
            ),
            // A static pod's mirror, owned by its Node.
            obj(
                "v1",
                "Pod",
                "etcd-node1",
                "p3",
                json!([owner("v1", "Node", "node1", "n1")]),
            ),
            // Same name, other UID: a new owner replaced the one the pod names.
            obj("apps/v1", "DaemonSet", "agent", "new", json!([])),
            obj(
                "v1",
                "Pod",
                "agent-x",
                "p4",
                json!([owner("apps/v1", "DaemonSet", "agent", "old")]),
            ),
        ];
        assert_eq!(
            covered_by_owner(&objects),
            [false, true, false, false, false, false]
        );
    }

    #[test]
    fn jobs_of_cronjobs_and_owners_without_uid() {
        let objects = [
            obj("batch/v1beta1", "CronJob", "backup", "", json!([])),
            obj(
                "batch/v1",
                "Job",
                "backup-123",
                "",
                json!([{"apiVersion": "batch/v1beta1", "kind": "CronJob", "name": "backup"}]),
            ),
            obj(
                "v1",
                "Pod",
                "backup-123-x",
                "",
                json!([{"apiVersion": "batch/v1", "kind": "Job", "name": "backup-123", "controller": true}]),
            ),
        ];
        assert_eq!(covered_by_owner(&objects), [false, true, true]);
    }
}
