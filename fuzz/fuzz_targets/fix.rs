//! kubeward-fix's edit engine on arbitrary text: the span index it builds from saphyr-parser's
//! events (byte spans, styles, anchors, tags), and the planner's edits for a fixed set of
//! requests on each document (`kubeward_fix::invariants`, also run as a property test).
//! Invariants: no panic; every span inside its piece on character boundaries; an edit of a
//! document that parses either is refused or yields text that parses, reads as the original
//! with the requests carried out, and leaves the other documents as they were.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = kubeward_fix::invariants::check(&text) {
        panic!("{e}");
    }
});
