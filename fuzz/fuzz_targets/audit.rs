//! kubeward-audit on arbitrary bytes as an audit log: `analyse_text` (the line reader, the
//! event parser, every audit detection, the burst windows with a low threshold, trusted
//! users). Invariants: every error and finding is at an existing line and a column inside
//! it; the line count is the input's; no credential-looking value in an error message.
#![no_main]

use kubeward_audit::detect::Detector;
use kubeward_audit::{analyse_text, BurstRule, Judge, Options};
use kubeward_fuzz::{assert_no_canary, Lines};
use kubeward_yaml::Pos;
use libfuzzer_sys::fuzz_target;

fn options() -> Options {
    // Every detection `kubeward audit` runs without a config file.
    let ids = kubeward_audit::run::detections(None)
        .iter()
        .map(|c| c.meta().id)
        .collect();
    Options {
        detector: Detector::new(&["system:kube-*".to_string(), "ci-*".to_string()], ids)
            .expect("valid patterns"),
        burst: BurstRule {
            threshold: 3,
            window: 60_000_000,
        },
        judge: Judge::default(),
        max_line: 16 << 10,
    }
}

fuzz_target!(|data: &[u8]| {
    let (out, stats) = analyse_text(options(), "audit.log", data);
    // Columns count characters as the analyser does: bytes that do not continue a UTF-8
    // sequence.
    let lines = Lines {
        widths: data
            .split(|&b| b == b'\n')
            .map(|l| l.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32)
            .collect(),
        skip: false,
        bracket: Vec::new(),
    };
    let text = String::from_utf8_lossy(data);
    let check = |pos: Pos, what: &str| lines.check(pos, what);
    for e in &out.errors {
        if let Some(pos) = e.pos {
            check(pos, &format!("audit error {:?}", e.message));
        }
        assert_no_canary(&text, "an audit error", &e.message);
    }
    for f in &out.findings {
        check(
            f.finding.pos,
            &format!(
                "audit finding {} {:?}",
                f.finding.control.id, f.finding.message
            ),
        );
    }
    let expected = if data.is_empty() {
        0
    } else {
        data.split(|&b| b == b'\n').count() as u64 - u64::from(data.ends_with(b"\n"))
    };
    assert_eq!(stats.lines, expected, "every line is counted once");
    assert!(stats.requests <= stats.events && stats.events <= stats.lines);
});
