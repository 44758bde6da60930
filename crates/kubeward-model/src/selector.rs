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
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self
                .match_expressions
                .iter()
                .all(|(k, op, values)| match op.as_str() {
                    "In" => labels.get(k).is_some_and(|v| values.contains(v)),
                    "NotIn" => labels.get(k).is_none_or(|v| !values.contains(v)),
                    "Exists" => labels.contains_key(k),
                    "DoesNotExist" => !labels.contains_key(k),
                    // An unknown operator selects nothing, as the API server would refuse it.
                    _ => false,
                })
    }
}

/// A `labels` mapping as owned pairs (values as written; non-scalar values as "").
pub fn labels(node: Option<NodeRef<'_>>) -> BTreeMap<String, String> {
    node.map(|n| {
        n.entries()
            .map(|(k, v)| (k.to_string(), v.scalar_text().unwrap_or("").to_string()))
            .collect()
    })
    .unwrap_or_default()
}
