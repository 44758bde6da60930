//! The whole engine on arbitrary text: `Engine::scan` over a `Source::Text` with every
//! control (per-object and cross-object) and the optional settings on. Exercises the
//! loader, kubeward-model's object split and shape checks, and every control on arbitrary
//! trees. Invariants: positions 1-based and inside the input, no credential-looking value in
//! an error, a warning or a secrets-family finding, the summary counts what was reported.
#![no_main]

use kubeward_fuzz::{d01_shape, scan::scan_and_check, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    if d01_shape(&text) {
        return;
    }
    scan_and_check(&text);
});
