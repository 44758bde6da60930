//! Objects from the API, made ready for the engine: stripped of what no control reads, and
//! written as YAML in the layout of `kubectl get -o yaml` (keys sorted, two-space indent, list
//! items at their key's indentation), so a finding's line and column point into a readable
//! document.
//!
//! Written by hand because the engine needs only this one shape of YAML from JSON values, and
//! must read back exactly the same types: every string that YAML 1.1 (the rules Kubernetes'
//! decoder and kubeward's parser use) could read as something else is written JSON-quoted,
//! which is valid YAML.

use serde_json::{Map, Value};

/// The annotation `kubectl apply` stores the whole applied object in: for a Secret, its data.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Remove what no control reads and what must not be held: `metadata.managedFields`,
/// `status`, and the last-applied annotation (for a Secret it holds the values). A Pod keeps
/// of its status only the image each container runs (`name` and `imageID` of its container
/// statuses): `--images` scans that digest rather than a tag that may have moved. A Node keeps
/// only its `status.addresses` (KW905), not its image list and conditions.
pub fn strip(object: &mut Value) {
    let Some(o) = object.as_object_mut() else {
        return;
    };
    let status = o.remove("status");
    match o.get("kind").and_then(Value::as_str) {
        Some("Pod") => {
            if let Some(kept) = status.as_ref().and_then(running_images) {
                o.insert("status".into(), kept);
            }
        }
        Some("Node") => {
            if let Some(addresses) = status.as_ref().and_then(|s| s.get("addresses")) {
                o.insert(
                    "status".into(),
                    serde_json::json!({"addresses": addresses.clone()}),
                );
            }
        }
        _ => {}
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        let empty = match meta.get_mut("annotations").and_then(Value::as_object_mut) {
            Some(a) => {
                a.remove(LAST_APPLIED);
                a.is_empty()
            }
            None => false,
        };
        if empty {
            meta.remove("annotations");
        }
    }
}

/// `{containerStatuses: [{name, imageID}], ...}` of a Pod's status, for the statuses that name
/// both; `None` when none does.
fn running_images(status: &Value) -> Option<Value> {
    let mut kept = Map::new();
    for field in [
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    ] {
        let list: Vec<Value> = status
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let name = s.get("name")?.as_str()?;
                let id = s.get("imageID")?.as_str().filter(|i| !i.is_empty())?;
                Some(serde_json::json!({"name": name, "imageID": id}))
            })
            .collect();
        if !list.is_empty() {
            kept.insert(field.into(), Value::Array(list));
        }
    }
    (!kept.is_empty()).then_some(Value::Object(kept))
}

/// Keep only what `PartialObjectMetadata` holds (for metadata-only kinds), under the kind's
/// own apiVersion and kind.
pub fn metadata_only(object: &mut Value) {
    if let Some(o) = object.as_object_mut() {
        o.retain(|k, _| k == "metadata");
    }
}

/// The object as YAML text; `apiVersion` and `kind` first, then the rest sorted.
pub fn to_yaml(object: &Value) -> String {
    let mut out = String::with_capacity(1024);
    match object {
        Value::Object(map) => {
            let first = ["apiVersion", "kind"];
            for key in first {
                if let Some(v) = map.get(key) {
                    entry(&mut out, 0, key, v);
                }
            }
            let mut rest: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(k, _)| !first.contains(&k.as_str()))
                .collect();
            rest.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in rest {
                entry(&mut out, 0, k, v);
            }
        }
        other => {
            scalar(&mut out, other);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// `key: value` at `level` spaces, with nested collections below it.
fn entry(out: &mut String, level: usize, key: &str, value: &Value) {
    indent(out, level);
    string(out, key);
    out.push(':');
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            for (k, v) in sorted(m) {
                entry(out, level + 2, k, v);
            }
        }
        // kubectl's layout: list items at the key's own indentation.
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            items(out, level, a);
        }
        v => {
            out.push(' ');
            scalar(out, v);
            out.push('\n');
        }
    }
}

fn items(out: &mut String, level: usize, list: &[Value]) {
    for item in list {
        indent(out, level);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first entry shares the dash's line; the rest align with it.
                for (i, (k, v)) in sorted(m).into_iter().enumerate() {
                    if i == 0 {
                        let mut first = String::new();
                        entry(&mut first, level + 2, k, v);
                        out.push_str(&first[level + 2..]);
                    } else {
                        entry(out, level + 2, k, v);
                    }
                }
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                items(out, level + 2, a);
            }
            v => {
                scalar(out, v);
                out.push('\n');
            }
        }
    }
}

fn scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string plain when YAML 1.1 reads it back as this same string, JSON-quoted otherwise.
fn string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        // A JSON string is a valid YAML double-quoted scalar with the same value, once DEL and
        // the C1 controls, which JSON leaves raw but YAML does not accept, are escaped too.
        for c in Value::String(s.to_string()).to_string().chars() {
            if ('\u{7f}'..='\u{9f}').contains(&c) {
                out.push_str(&format!("\\u{:04X}", c as u32));
            } else {
                out.push(c);
            }
        }
    }
}

/// Conservative: a letter first, then letters, digits and `._-/@+=`, with `:` only inside a
/// word; never one of YAML 1.1's boolean or null words.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !first.is_ascii_alphabetic() {
        return false;
    }
    for (i, &b) in bytes.iter().enumerate() {
        let ok = b.is_ascii_alphanumeric()
            || matches!(b, b'.' | b'_' | b'-' | b'/' | b'@' | b'+' | b'=')
            || (b == b':' && i + 1 < bytes.len() && bytes[i + 1] != b' ');
        if !ok {
            return false;
        }
    }
    const WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    !WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_follows_kubectl() {
        let v = json!({
            "kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                 "args": ["--port", "8080"], "securityContext": {"privileged": true}}
            ]}}}
        });
        assert_eq!(
            to_yaml(&v),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations: {}\n  labels:\n    app: web\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - args:\n        - \"--port\"\n        - \"8080\"\n        image: nginx:1.25\n        name: app\n        ports:\n        - containerPort: 80\n        securityContext:\n          privileged: true\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "On",
            "null",
            "1.20",
            "0777",
            "",
            " lead",
            "a: b",
            "x#",
            "~",
            "-",
            "multi\nline",
            "été",
        ] {
            assert!(!is_plain_safe(s), "{s:?}");
        }
        for s in [
            "nginx:1.25",
            "app.kubernetes.io/name",
            "v1.20.15",
            "admin@local",
            "a=b",
        ] {
            assert!(is_plain_safe(s), "{s:?}");
        }
    }

    #[test]
    fn strip_drops_managed_fields_status_and_last_applied() {
        let mut v = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "managedFields": [{}], "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"c2VjcmV0\"}}"}},
            "status": {"phase": "x"}});
        strip(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
        );
    }

    #[test]
    fn strip_keeps_the_addresses_of_a_node_only() {
        let mut v = json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n1"},
            "status": {"addresses": [{"type": "ExternalIP", "address": "34.1.2.3"}],
                       "images": [{"names": ["nginx"], "sizeBytes": 1}],
                       "conditions": [{"type": "Ready", "status": "True"}]}});
        strip(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                   "status": {"addresses": [{"type": "ExternalIP", "address": "34.1.2.3"}]}})
        );
        let mut v = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"},
            "status": {"phase": "x"}});
        strip(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"}})
        );
    }

    #[test]
    fn strip_keeps_the_running_images_of_a_pod_only() {
        let mut v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                "containerStatuses": [
                    {"name": "c", "image": "nginx:1.25", "imageID": "docker-pullable://nginx@sha256:ab", "ready": true},
                    {"name": "waiting", "image": "x", "imageID": ""}],
                "initContainerStatuses": [{"name": "i", "imageID": "busybox@sha256:cd"}]}});
        strip(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "status": {"containerStatuses": [{"name": "c", "imageID": "docker-pullable://nginx@sha256:ab"}],
                    "initContainerStatuses": [{"name": "i", "imageID": "busybox@sha256:cd"}]}})
        );
        let mut pending =
            json!({"kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Pending"}});
        strip(&mut pending);
        assert_eq!(pending, json!({"kind": "Pod", "metadata": {"name": "p"}}));
    }

    /// Whatever the values, the engine's parser reads back exactly what was written.
    fn roundtrip(v: &Value) {
        let text = to_yaml(v);
        let parsed = kubeward_yaml::parse_str(&text, &kubeward_yaml::Limits::default());
        assert!(parsed.error.is_none(), "{text}\n{:?}", parsed.error);
        let doc = &parsed.documents[0];
        assert_eq!(&to_json(doc.root()), v, "{text}");
    }

    /// The parsed tree as JSON, typed the way Kubernetes' decoder would type it.
    fn to_json(n: kubeward_yaml::NodeRef<'_>) -> Value {
        use kubeward_yaml::ValueType;
        if n.is_map() {
            return Value::Object(
                n.entries()
                    .map(|(k, v)| (k.to_string(), to_json(v)))
                    .collect(),
            );
        }
        if n.is_seq() {
            return Value::Array(n.items().map(to_json).collect());
        }
        match n.value_type() {
            ValueType::Null => Value::Null,
            ValueType::Bool => Value::Bool(n.as_bool().unwrap()),
            ValueType::Int | ValueType::Float => {
                serde_json::from_str(n.scalar_text().unwrap()).unwrap()
            }
            _ => Value::String(n.as_str().unwrap().to_string()),
        }
    }

    fn arb_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            ".*".prop_map(Value::String),
            "[a-z0-9:./ -]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-zA-Z0-9./: -]{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn engine_reads_back_what_is_written(v in proptest::collection::btree_map("[a-z]{1,6}", arb_value(), 1..5)) {
            let v = Value::Object(v.into_iter().collect());
            roundtrip(&v);
        }
    }
}
