//! Property tests of the edit engine over generated manifests in arbitrary styles (indentation
//! width, sequence indentation, LF or CRLF, flow or block, quoting, comments, blank lines,
//! several documents, a last line with or without a line break):
//!
//! * the result parses, and reads as the original with exactly the requested fields changed;
//! * every original line is either in the result unchanged, or changed only where a value was
//!   replaced or entries were inserted (no other byte moves).

use kubeward_fix::edit::Leaf;
use kubeward_fix::edit_document;
use kubeward_yaml::{parse_str, Limits};
use proptest::prelude::*;
use serde_json::Value;

#[derive(Clone, Debug)]
struct Style {
    indent: usize,
    seq_indent: bool,
    crlf: bool,
    /// 0: no securityContext, 1: block, 2: flow, 3: `securityContext:` with nothing.
    sc: u8,
    privileged: bool,
    comment: bool,
    blank: bool,
    quote: u8,
    second_doc: bool,
    final_break: bool,
    pull_policy: bool,
    requests: u8,
}

fn style() -> impl Strategy<Value = Style> {
    (
        (
            2usize..=4,
            any::<bool>(),
            any::<bool>(),
            0u8..4,
            any::<bool>(),
            any::<bool>(),
        ),
        (
            any::<bool>(),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            1u8..=127,
        ),
    )
        .prop_map(
            |(
                (indent, seq_indent, crlf, sc, privileged, comment),
                (blank, quote, second_doc, final_break, pull_policy, requests),
            )| Style {
                indent,
                seq_indent,
                crlf,
                sc,
                privileged,
                comment,
                blank,
                quote,
                second_doc,
                final_break,
                pull_policy,
                requests,
            },
        )
}

fn render(s: &Style) -> String {
    let i = |n: usize| " ".repeat(n * s.indent);
    let q = |v: &str| match s.quote {
        0 => v.to_string(),
        1 => format!("'{v}'"),
        _ => format!("\"{v}\""),
    };
    let mut lines: Vec<String> = Vec::new();
    lines.push("apiVersion: v1".into());
    lines.push("kind: Pod".into());
    lines.push("metadata:".into());
    lines.push(format!("{}name: {}  # the name", i(1), q("web")));
    if s.blank {
        lines.push(String::new());
    }
    lines.push("spec:".into());
    let seq = if s.seq_indent { i(1) } else { String::new() };
    lines.push(format!("{}containers:", i(1)));
    // Item content sits two columns after the dash.
    let item = format!("{}{}", i(1), seq);
    lines.push(format!("{item}- name: {}", q("app")));
    let inner = format!("{item}  ");
    lines.push(format!("{inner}image: {}", q("nginx:1.27")));
    if s.pull_policy {
        lines.push(format!("{inner}imagePullPolicy: {}", q("IfNotPresent")));
    }
    if s.comment {
        lines.push(format!("{inner}# security settings follow"));
    }
    match s.sc {
        1 => {
            lines.push(format!("{inner}securityContext:"));
            lines.push(format!("{inner}{}runAsUser: 1000", i(1)));
            if s.privileged {
                lines.push(format!("{inner}{}privileged: true", i(1)));
            }
        }
        2 => {
            let p = if s.privileged {
                ", privileged: true"
            } else {
                ""
            };
            lines.push(format!("{inner}securityContext: {{runAsUser: 1000{p}}}"));
        }
        3 => lines.push(format!("{inner}securityContext:")),
        _ => {}
    }
    lines.push(format!("{item}- name: side"));
    lines.push(format!("{inner}image: busybox"));
    if s.second_doc {
        lines.push("---".into());
        lines.push("# another".into());
        lines.push("kind: ConfigMap".into());
        lines.push("data: {a: b}".into());
    }
    let eol = if s.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    if s.final_break {
        text.push_str(eol);
    }
    text
}

fn requests(s: &Style) -> Vec<(&'static str, Leaf)> {
    let all: [(&str, Leaf); 7] = [
        (
            "spec.containers[0].securityContext.privileged",
            Leaf::Value("false".into()),
        ),
        (
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
            Leaf::Value("false".into()),
        ),
        (
            "spec.containers[0].securityContext.capabilities.drop",
            Leaf::Item("ALL".into()),
        ),
        (
            "spec.containers[0].securityContext.seccompProfile.type",
            Leaf::Value("RuntimeDefault".into()),
        ),
        (
            "spec.containers[1].securityContext.runAsNonRoot",
            Leaf::Value("true".into()),
        ),
        (
            "spec.automountServiceAccountToken",
            Leaf::Value("false".into()),
        ),
        (
            "spec.containers[0].imagePullPolicy",
            Leaf::Value("Always".into()),
        ),
    ];
    all.into_iter()
        .enumerate()
        .filter(|(n, _)| s.requests >> n & 1 == 1)
        .map(|(_, r)| r)
        .collect()
}

fn json_of(text: &str) -> Vec<Value> {
    let parsed = parse_str(text, &Limits::default());
    assert!(
        parsed.error.is_none(),
        "does not parse: {:?}\n{text}",
        parsed.error
    );
    parsed
        .documents
        .iter()
        .map(|d| d.root().to_json())
        .collect()
}

fn apply(doc: &mut Value, path: &str, leaf: &Leaf) {
    let segs = kubeward_fix::edit::parse_path(path).unwrap();
    let mut cur = doc;
    for s in segs {
        cur = match s {
            kubeward_fix::edit::Seg::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Default::default());
                }
                cur.as_object_mut().unwrap().entry(k).or_insert(Value::Null)
            }
            kubeward_fix::edit::Seg::Index(i) => &mut cur.as_array_mut().unwrap()[i],
        };
    }
    match leaf {
        Leaf::Value(v) => {
            *cur = match v.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_string()),
            }
        }
        Leaf::Item(i) => {
            if !cur.is_array() {
                *cur = Value::Array(Vec::new());
            }
            cur.as_array_mut().unwrap().push(Value::String(i.clone()));
        }
    }
}

/// `new` is `old` with characters inserted (and nothing removed).
fn is_insertion(old: &str, new: &str) -> bool {
    let mut it = new.chars();
    old.chars().all(|c| it.by_ref().any(|n| n == c))
}

/// `new` is `old` with one value replaced: a common prefix and suffix around a changed word.
fn is_value_replacement(old: &str, new: &str) -> bool {
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let changed = &old[prefix..old.len() - suffix];
    old[..prefix].contains(':') && changed.chars().all(|c| c.is_ascii_alphanumeric())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn edits_read_back_and_touch_nothing_else(s in style()) {
        let text = render(&s);
        let reqs = requests(&s);
        let (out, refused) = edit_document(&text, 0, &reqs).unwrap();
        prop_assert!(refused.is_empty(), "refused {refused:?}\n{text}");
        // Reads back as the original with the requests carried out.
        let mut expected = json_of(&text);
        for (path, leaf) in &reqs {
            apply(&mut expected[0], path, leaf);
        }
        prop_assert_eq!(json_of(&out), expected, "\n{}\n---->\n{}", text, out);
        // Untouched bytes identical: every changed line is an insertion into, or a value
        // replacement of, an original line; every other original line is kept as it was,
        // line break included.
        let diff = similar::TextDiff::from_lines(&text, &out);
        for op in diff.ops() {
            let (tag, old, new) = op.as_tag_tuple();
            match tag {
                similar::DiffTag::Equal | similar::DiffTag::Insert => {}
                similar::DiffTag::Delete => prop_assert!(false, "lines deleted: {old:?}\n{text}\n---->\n{out}"),
                similar::DiffTag::Replace => {
                    let old_lines: Vec<&str> = text.split_inclusive('\n').collect::<Vec<_>>()[old.clone()].to_vec();
                    let new_lines: Vec<&str> = out.split_inclusive('\n').collect::<Vec<_>>()[new.clone()].to_vec();
                    // Each old line maps to one new line, in order, changed only in place.
                    let mut j = 0;
                    for o in old_lines {
                        let found = new_lines[j..].iter().position(|n| is_insertion(o, n) || is_value_replacement(o, n));
                        prop_assert!(found.is_some(), "line {o:?} changed beyond an edit\n{text}\n---->\n{out}");
                        j += found.unwrap() + 1;
                    }
                }
            }
        }
        // CRLF files stay CRLF throughout.
        if s.crlf {
            prop_assert!(!out.replace("\r\n", "").contains('\n'), "a bare LF in a CRLF file:\n{out:?}");
        }
    }
}

/// The fuzz target's invariants (fuzz/fuzz_targets/fix.rs) on generated YAML-ish text.
fn yamlish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("spec:".to_string()),
        Just("  containers:".to_string()),
        Just("  - name: a".to_string()),
        Just("    securityContext: &x {privileged: true}".to_string()),
        Just("    securityContext: *x".to_string()),
        Just("    securityContext:".to_string()),
        Just("      privileged: true".to_string()),
        Just("      capabilities: {drop: []}".to_string()),
        Just("  securityContext: {}".to_string()),
        Just("  <<: {a: 1}".to_string()),
        Just("    image: |".to_string()),
        Just("      text".to_string()),
        Just("---".to_string()),
        Just("# c".to_string()),
        Just("".to_string()),
        Just("automountServiceAccountToken: !!bool true".to_string()),
        "[ -~]{0,20}",
    ];
    (proptest::collection::vec(line, 0..14), any::<bool>())
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn the_fuzz_invariants_hold(text in yamlish()) {
        if let Err(e) = kubeward_fix::invariants::check(&text) {
            prop_assert!(false, "{e}");
        }
    }
}
