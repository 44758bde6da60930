//! Label selectors read with the API server's validation: a selector the API would refuse is a
//! located problem (field and what was expected, never the value), and the part that is wrong
//! selects nothing, so a broken policy never opens more than it says.

use kubeward_model::LabelSelector;
use kubeward_yaml::{NodeRef, Problem};

use crate::fields::expected;

/// The operator kubeward-model's matcher treats as "selects nothing": an invalid expression is
/// kept as one, so the selector it belongs to matches no object.
const NEVER: &str = "<invalid>";

/// An expression that matches nothing, standing for a refused part of a selector.
pub fn never() -> (String, String, Vec<String>) {
    (String::new(), NEVER.to_string(), Vec::new())
}

/// Records that `node` is not `what` and makes `sel` select nothing.
fn refuse(
    sel: &mut LabelSelector,
    node: NodeRef<'_>,
    field: &str,
    what: &str,
    problems: &mut Vec<Problem>,
) {
    problems.push(expected(node, field, what));
    sel.match_expressions.push(never());
}

/// Reads a selector at `node` (a mapping; `field` is its path for messages).
pub fn read(node: NodeRef<'_>, field: &str, problems: &mut Vec<Problem>) -> LabelSelector {
    let mut sel = LabelSelector::default();
    if node.is_null() {
        return sel;
    }
    if !node.is_map() {
        refuse(
            &mut sel,
            node,
            field,
            "a label selector (a mapping)",
            problems,
        );
        return sel;
    }
    if let Some(ml) = node.get("matchLabels").filter(|n| !n.is_null()) {
        let labels_field = format!("{field}.matchLabels");
        if !ml.is_map() {
            refuse(&mut sel, ml, &labels_field, "a mapping", problems);
        }
        for (k, v) in ml.entries() {
            if v.is_null() {
                // `key: ` (null) is the empty value in Kubernetes' decoder.
                sel.match_labels.insert(k.to_string(), String::new());
            } else if let Some(text) = v.scalar_text() {
                sel.match_labels.insert(k.to_string(), text.to_string());
            } else {
                refuse(&mut sel, v, &labels_field, "a mapping of strings", problems);
            }
        }
    }
    if let Some(me) = node.get("matchExpressions").filter(|n| !n.is_null()) {
        if !me.is_seq() {
            refuse(
                &mut sel,
                me,
                &format!("{field}.matchExpressions"),
                "a list",
                problems,
            );
        }
        for (i, e) in me.items().enumerate() {
            let path = format!("{field}.matchExpressions[{i}]");
            sel.match_expressions.push(expression(e, &path, problems));
        }
    }
    sel
}

/// One `matchExpressions` item, or an expression that matches nothing when it is invalid.
fn expression(
    e: NodeRef<'_>,
    path: &str,
    problems: &mut Vec<Problem>,
) -> (String, String, Vec<String>) {
    if !e.is_map() {
        problems.push(expected(e, path, "a mapping with key, operator and values"));
        return never();
    }
    let Some(key) = e
        .get("key")
        .and_then(|k| k.as_str())
        .filter(|k| !k.is_empty())
    else {
        problems.push(Problem {
            pos: e.get("key").map_or(e.pos(), |k| k.pos()),
            message: format!("`{path}.key` must be a non-empty string"),
        });
        return never();
    };
    let op_node = e.get("operator");
    let op = op_node.and_then(|o| o.as_str()).unwrap_or("");
    if !matches!(op, "In" | "NotIn" | "Exists" | "DoesNotExist") {
        problems.push(Problem {
            pos: op_node.map_or(e.pos(), |o| o.pos()),
            message: format!("`{path}.operator` must be In, NotIn, Exists or DoesNotExist"),
        });
        return never();
    }
    let values_node = e.get("values").filter(|v| !v.is_null());
    let mut values = Vec::new();
    if let Some(v) = values_node {
        if !v.is_seq() {
            problems.push(expected(v, &format!("{path}.values"), "a list of strings"));
            return never();
        }
        for item in v.items() {
            match item
                .scalar_text()
                .filter(|_| !item.is_map() && !item.is_seq())
            {
                Some(t) => values.push(t.to_string()),
                None => {
                    problems.push(Problem {
                        pos: item.pos(),
                        message: format!(
                            "`{path}.values` items must be strings, found {}",
                            item.value_type().describe()
                        ),
                    });
                    return never();
                }
            }
        }
    }
    match op {
        "In" | "NotIn" if values.is_empty() => {
            problems.push(Problem {
                pos: values_node.map_or(e.pos(), |v| v.pos()),
                message: format!("`{path}.values` must not be empty with operator {op}"),
            });
            never()
        }
        "Exists" | "DoesNotExist" if !values.is_empty() => {
            problems.push(Problem {
                pos: values_node.map_or(e.pos(), |v| v.pos()),
                message: format!("`{path}.values` must be empty with operator {op}"),
            });
            never()
        }
        _ => (key.to_string(), op.to_string(), values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::labels;
    use kubeward_yaml::{parse_str, Limits};

    fn sel(text: &str) -> (LabelSelector, Vec<Problem>) {
        let parsed = parse_str(text, &Limits::default());
        let doc = &parsed.documents[0];
        let mut problems = Vec::new();
        let s = read(doc.root(), "spec.podSelector", &mut problems);
        (s, problems)
    }

    fn matches(s: &LabelSelector, yaml: &str) -> bool {
        let parsed = parse_str(yaml, &Limits::default());
        s.matches(&labels(Some(parsed.documents[0].root())))
    }

    #[test]
    fn every_operator() {
        let (s, p) = sel(
            "matchLabels: {app: web}\nmatchExpressions:\n- {key: tier, operator: In, values: [a, b]}\n- {key: env, operator: NotIn, values: [prod]}\n- {key: team, operator: Exists}\n- {key: legacy, operator: DoesNotExist}\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(matches(&s, "{app: web, tier: a, team: x}"));
        assert!(matches(&s, "{app: web, tier: b, team: x, env: dev}"));
        assert!(!matches(&s, "{app: web, tier: b, team: x, env: prod}"));
        assert!(!matches(&s, "{app: web, tier: c, team: x}"));
        assert!(!matches(&s, "{app: web, tier: a}"));
        assert!(!matches(&s, "{app: web, tier: a, team: x, legacy: y}"));
        assert!(!matches(&s, "{app: db, tier: a, team: x}"));
    }

    #[test]
    fn empty_selector_selects_all() {
        let (s, p) = sel("{}");
        assert!(p.is_empty());
        assert!(matches(&s, "{}") && matches(&s, "{a: b}"));
    }

    #[test]
    fn invalid_operator_is_located_and_selects_nothing() {
        let (s, p) =
            sel("matchExpressions:\n- key: app\n  operator: Equals\n  values: [secret-ish]\n");
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].pos.line, p[0].pos.column), (3, 3));
        assert!(p[0].message.contains("operator"));
        assert!(!p[0].message.contains("secret-ish"));
        assert!(!matches(&s, "{app: secret-ish}"));
    }

    #[test]
    fn in_without_values_is_refused() {
        let (s, p) = sel("matchExpressions:\n- {key: app, operator: In}\n");
        assert_eq!(p.len(), 1);
        assert!(!matches(&s, "{app: x}"));
    }
}
