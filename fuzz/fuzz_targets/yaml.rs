//! kubeward-yaml on arbitrary bytes: decode, split_documents, parse_chunk and parse_str (with
//! the default limits and with tight ones), then every tree walked through every NodeRef
//! accessor. Invariants: chunks tile the text in order with correct first lines, every
//! position (node, warning, error) is 1-based and inside the input, the accessors agree.
#![no_main]

use kubeward_fuzz::{d01_shape, walk, Lines};
use kubeward_yaml::{decode, parse_chunk, parse_str, split_documents, Chunk, Limits, Splitter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(p) = decode(data) {
        // The error points at the first bad byte, inside the valid prefix's lines. Y04 (found
        // by this target, reported): `decode` counts lines at LF only (the parser also breaks
        // them at a bare CR) and columns in bytes, not characters.
        let good = String::from_utf8_lossy(data);
        if !kubeward_fuzz::known("Y04") {
            Lines::of(&good).check(p.pos, "decode error");
        }
    }
    let lossy = String::from_utf8_lossy(data);
    if d01_shape(&lossy) {
        return;
    }
    let lines = Lines::of(&lossy);

    // Pieces tile the stream in order, each with the number of its first line (LF, CRLF and
    // a bare CR each end a line, as the parser counts them).
    let chunks = split_documents(data);
    assert!(!chunks.is_empty());
    let mut next = 0;
    for c in &chunks {
        assert_eq!(c.start, next, "chunks tile the text");
        assert!(c.end >= c.start && c.end <= data.len());
        let before = &data[..c.start];
        let breaks = before.iter().filter(|&&b| b == b'\n').count()
            + before
                .iter()
                .enumerate()
                .filter(|(i, &b)| b == b'\r' && data.get(i + 1) != Some(&b'\n'))
                .count();
        assert_eq!(c.first_line as usize, 1 + breaks, "first_line of a chunk");
        next = c.end;
    }
    assert_eq!(next, data.len());

    // The streaming splitter, fed in parts (sizes from the input), cuts the same pieces.
    let mut splitter = Splitter::default();
    let mut streamed = Vec::new();
    let step = 1 + data.first().map_or(0, |b| *b as usize % 61);
    let mut end = 0;
    while end < data.len() {
        end = (end + step).min(data.len());
        let base = splitter.position();
        splitter.feed(&data[base..end], base, end == data.len(), &mut streamed);
    }
    if data.is_empty() {
        splitter.feed(&[], 0, true, &mut streamed);
    }
    if streamed.is_empty() {
        streamed.push(Chunk {
            start: 0,
            end: data.len(),
            first_line: 1,
            part: kubeward_yaml::Part::Document,
        });
    }
    assert_eq!(streamed, chunks, "streamed splitting cuts the same pieces");

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
            let parsed = parse_chunk(data, c, &limits);
            documents += parsed.documents.len();
            if let Some(e) = &parsed.error {
                lines.check_error(&lossy, e.pos, "parse error");
                assert!(!e.message.is_empty());
            }
            for doc in &parsed.documents {
                for w in &doc.warnings {
                    lines.check(w.pos, "document warning");
                }
                let mut budget = 20_000;
                walk(doc.root(), &lines, &mut budget, 0);
            }
        }
        if let Ok(text) = std::str::from_utf8(data) {
            let whole = parse_str(text, &limits);
            assert_eq!(whole.documents.len(), documents);
        }
    }
});
