//! The edit engine's invariants on arbitrary text, shared by the `fix` fuzz target
//! (`fuzz/fuzz_targets/fix.rs`) and a property test, so both check the same things:
//!
//! * the span index never panics, and every node's span lies inside its piece, on character
//!   boundaries;
//! * on a document kubeward-yaml reads without error, a set of requests either is refused or
//!   yields text that kubeward-yaml reads without error, as the original with the requests
//!   carried out.

use kubeward_yaml::{parse_str, split_documents, Limits, Part};

use crate::edit::{parse_path, Leaf};
use crate::index::Index;

/// The requests tried on every document: a value replaced or inserted at depth, a list item.
pub const REQUESTS: [(&str, &str, bool); 4] = [
    (
        "spec.containers[0].securityContext.privileged",
        "false",
        false,
    ),
    (
        "spec.securityContext.seccompProfile.type",
        "RuntimeDefault",
        false,
    ),
    (
        "spec.containers[0].securityContext.capabilities.drop",
        "ALL",
        true,
    ),
    ("automountServiceAccountToken", "false", false),
];

/// Check the invariants on `text`; the first broken one as an error.
pub fn check(text: &str) -> Result<(), String> {
    let mut docs = 0;
    for c in split_documents(text.as_bytes()) {
        if c.part == Part::ListEnvelope {
            continue;
        }
        let Some(piece) = text.get(c.start..c.end) else {
            continue;
        };
        let Ok(ix) = Index::build(piece, c.start, c.first_line) else {
            continue;
        };
        for n in &ix.nodes {
            if n.start < c.start || n.end > c.end || n.start > n.end {
                return Err(format!(
                    "span {}..{} outside its piece {}..{}",
                    n.start, n.end, c.start, c.end
                ));
            }
            if !text.is_char_boundary(n.start) || !text.is_char_boundary(n.end) {
                return Err(format!(
                    "span {}..{} not on character boundaries",
                    n.start, n.end
                ));
            }
        }
        docs += ix.roots.len();
    }
    let before = parse_str(text, &Limits::default());
    if before.error.is_some() {
        return Ok(());
    }
    let requests: Vec<(&str, Leaf)> = REQUESTS
        .iter()
        .map(|&(p, v, item)| {
            (
                p,
                if item {
                    Leaf::Item(v.to_string())
                } else {
                    Leaf::Value(v.to_string())
                },
            )
        })
        .collect();
    for doc in 0..docs.min(3) {
        let Ok((out, refused)) = crate::edit_document(text, doc, &requests) else {
            continue;
        };
        if out == text {
            continue;
        }
        let after = parse_str(&out, &Limits::default());
        if let Some(e) = after.error {
            return Err(format!("the edited text does not parse: {e:?}\n{out}"));
        }
        if after.documents.len() != before.documents.len() {
            return Err(format!("document count changed\n{out}"));
        }
        // Which requests were carried out is not known here (a refusal may cover several): the
        // edited document must equal the original with some subset applied; check the fields
        // outside the requests' paths are unchanged and the requests' paths hold their values
        // or their old ones.
        let old = before.documents[doc].root().to_json();
        let new = after.documents[doc].root().to_json();
        let mut expected = old.clone();
        for (path, leaf) in &requests {
            let Some(segs) = parse_path(path) else {
                continue;
            };
            let mut probe = expected.clone();
            if crate::expect(&mut probe, &segs, leaf).is_ok() && subset_equal(&probe, &new, &segs) {
                expected = probe;
            }
        }
        if expected != new && refused.is_empty() {
            return Err(format!(
                "the edited document reads differently than asked\n{text}\n---->\n{out}"
            ));
        }
        for (i, (a, b)) in before.documents.iter().zip(&after.documents).enumerate() {
            if i != doc && a.root().to_json() != b.root().to_json() {
                return Err(format!("document {i} changed when editing document {doc}"));
            }
        }
    }
    Ok(())
}

/// Whether `a` and `b` agree at the path.
fn subset_equal(a: &serde_json::Value, b: &serde_json::Value, segs: &[crate::edit::Seg]) -> bool {
    let get = |v: &serde_json::Value| {
        let mut cur = v;
        for s in segs {
            cur = match s {
                crate::edit::Seg::Key(k) => cur.get(k)?,
                crate::edit::Seg::Index(i) => cur.get(*i)?,
            };
        }
        Some(cur.clone())
    };
    get(a) == get(b)
}
