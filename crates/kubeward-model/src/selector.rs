//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), as NetworkPolicies and
//! aggregated ClusterRoles use them.

use std::collections::BTreeMap;

use kubeward_yaml::NodeRef;

/// A Kubernetes label selector (matchLabels and matchExpressions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    /// (key, operator, values)
    pub match_expressions: Vec<(String, String, Vec<String>)>,
}

impl LabelSelector {
    pub fn from_node(node: Option<NodeRef<'_>>) -> Self {
        let mut sel = LabelSelector::default();
        let Some(node) = node.filter(|n| n.is_map()) else {
            return sel;
        };
        if let Some(ml) = node.get("matchLabels") {
            for (k, v) in ml.entries() {
                sel.match_labels
                    .insert(k.to_string(), v.scalar_text().unwrap_or("").to_string());
            }
        }
        if let Some(me) = node.get("matchExpressions") {
            for e in me.items() {
                let s = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let values = e
                    .get("values")
                    .map(|v| {
                        v.items()
                            .filter_map(|i| i.scalar_text().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                sel.match_expressions
                    .push((s("key"), s("operator"), values));
            }
        }
        sel
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Whether the selector selects an object with these labels (an empty selector selects all).
    pub fn matches(&self, labels: &Labels) -> bool {
        let has = |k: &str, v: &str| labels.get(k) == Some(v);
        self.match_labels.iter().all(|(k, v)| has(k, v))
            && self
                .match_expressions
                .iter()
                .all(|(k, op, values)| match op.as_str() {
                    "In" => labels.get(k).is_some_and(|v| values.iter().any(|x| x == v)),
                    "NotIn" => labels.get(k).is_none_or(|v| !values.iter().any(|x| x == v)),
                    "Exists" => labels.get(k).is_some(),
                    "DoesNotExist" => labels.get(k).is_none(),
                    // An unknown operator selects nothing, as the API server would refuse it.
                    _ => false,
                })
    }
}

/// An object's labels: key-sorted pairs in one boxed slice. Inventory facts keep the labels of
/// every workload of a scan, and a `BTreeMap`'s first node costs about 500 bytes even for
/// one label, which made them most of a large scan's memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Box<[(Box<str>, Box<str>)]>);

impl Labels {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<Box<str>>, V: Into<Box<str>>> FromIterator<(K, V)> for Labels {
    /// A key given twice keeps its last value (as a YAML mapping read by Kubernetes does).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut v: Vec<(Box<str>, Box<str>)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // Stable: equal keys keep their order, and the last of each run is kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(v.len());
        for pair in v {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        Labels(out.into_boxed_slice())
    }
}

/// A `labels` mapping as owned pairs (values as written; non-scalar values as "").
pub fn labels(node: Option<NodeRef<'_>>) -> Labels {
    node.map(|n| {
        n.entries()
            .map(|(k, v)| (k, v.scalar_text().unwrap_or("")))
            .collect()
    })
    .unwrap_or_default()
}
