//! kubeward-yaml on arbitrary bytes: decode, split_documents, parse_chunk and parse_str (with
//! the default limits and with tight ones), then every tree walked through every NodeRef
//! accessor. Invariants: chunks tile the text in order with correct first lines, every
//! position (node, warning, error) is 1-based and inside the input, the accessors agree.
#![no_main]

use kubeward_fuzz::{d01_shape, walk, Lines};
use kubeward_yaml::{decode, parse_chunk, parse_str, split_documents, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match decode(data) {
        Ok(t) => t,
        Err(p) => {
            // The error points at the first bad byte, inside the valid prefix's lines.
            let good = String::from_utf8_lossy(data);
            Lines::of_lf(&good).check(p.pos, "decode error");
            return;
        }
    };
    if d01_shape(text) {
        return;
    }
    let lines = Lines::of(text);

    let chunks = split_documents(text);
    assert!(!chunks.is_empty());
    let mut next = 0;
    for c in &chunks {
        assert_eq!(c.start, next, "chunks tile the text");
        assert!(c.end >= c.start && c.end <= text.len());
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        let line = 1 + text.as_bytes()[..c.start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        assert_eq!(c.first_line as usize, line, "first_line of a chunk");
        next = c.end;
    }
    assert_eq!(next, text.len());

    for limits in [
        Limits::default(),
        Limits {
            max_document_bytes: 256,
            max_depth: 8,
            max_expanded_nodes: 64,
        },
    ] {
        let mut documents = 0;
        for &c in &chunks {
            let parsed = parse_chunk(text, c, &limits);
            documents += parsed.documents.len();
            if let Some(e) = &parsed.error {
                lines.check_error(text, e.pos, "parse error");
                assert!(!e.message.is_empty());
            }
            for doc in &parsed.documents {
                for w in &doc.warnings {
                    lines.check(w.pos, "document warning");
                }
                let mut budget = 20_000;
                walk(doc.root(), &lines, &mut budget, 0);
                assert!(doc.node_count() <= limits.max_expanded_nodes.max(1));
            }
        }
        let whole = parse_str(text, &limits);
        assert_eq!(whole.documents.len(), documents);
    }
});
