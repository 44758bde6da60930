//! Defects of the bad-input campaign (issue 13, `../shared/hostile-inputs/`), audit side:
//! D12, a truncated gzip log lost the complete events of its last chunk; D02, errors quoted
//! values of the log.

use std::io::{Read, Write};

use kubeward_audit::input::{analyse_all, Input};
use kubeward_audit::{analyse_text, Analyzer, Collect, Options};

/// An exec event (a finding) or a quiet one, by number; long enough that a few thousand make
/// a log of several hundred kB.
fn event(n: usize) -> String {
    if n.is_multiple_of(7) {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"x-{n}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/web-{n}/exec?command=sh\u0026stdin=true","verb":"create","user":{{"username":"alice","groups":["dev","system:authenticated"]}},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.20.2","objectRef":{{"resource":"pods","namespace":"prod","name":"web-{n}","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}}"#
        )
    } else {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"q-{n}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/configmaps/c-{n}","verb":"get","user":{{"username":"system:node:node-{}"}},"sourceIPs":["10.0.1.{}"],"objectRef":{{"resource":"configmaps","namespace":"prod","name":"c-{n}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}}"#,
            n % 20,
            n % 250
        )
    }
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text).unwrap();
    gz.finish().unwrap()
}

/// What a decompressor gets out of a cut gzip file before it fails (as `zcat` prints).
fn inflate_what_can_be(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(gz);
    let err = d.read_to_end(&mut out);
    assert!(err.is_err(), "the cut file does not decompress whole");
    out
}

/// D12: a truncated .gz log is analysed up to its last complete line, like the same bytes
/// decompressed by hand, and the truncation is reported at the line where it is.
#[test]
fn a_truncated_gzip_log_is_analysed_to_its_last_complete_line() {
    let text: String = (0..6000).map(|n| event(n) + "\n").collect();
    let gz = gzip(text.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    for fraction in [0.1, 0.5, 0.999] {
        let cut = &gz[..(gz.len() as f64 * fraction) as usize];
        let path = dir.path().join(format!("audit-{fraction}.log.gz"));
        std::fs::write(&path, cut).unwrap();

        let mut analyzer = Analyzer::new(Options::defaults());
        let mut got = Collect::default();
        analyse_all(&mut analyzer, &[Input::File(path)], &mut got).unwrap();

        let plain = inflate_what_can_be(cut);
        let complete = plain.iter().filter(|b| **b == b'\n').count() as u64;
        assert!(complete > 0, "{fraction}: something decompressed");
        let (want, want_stats) = analyse_text(Options::defaults(), "x", &plain);

        // Every line that could be decompressed (the complete ones and the cut last one).
        assert_eq!(analyzer.stats.lines, want_stats.lines, "{fraction}");
        assert!(analyzer.stats.lines >= complete, "{fraction}");
        assert_eq!(got.findings.len(), want.findings.len(), "{fraction}");
        let exec_lines = (0..complete as usize).filter(|n| n % 7 == 0).count();
        assert_eq!(
            got.findings.len(),
            exec_lines,
            "{fraction}: one per exec event"
        );
        // The truncation is reported, at the line after the last complete one.
        let trunc: Vec<_> = got
            .errors
            .iter()
            .filter(|e| e.message.contains("cannot read further"))
            .collect();
        assert_eq!(trunc.len(), 1, "{fraction}: {:?}", got.errors);
        assert_eq!(
            trunc[0].pos.unwrap().line as u64,
            complete + 1,
            "{fraction}"
        );
    }
}

/// D02: an error names the field and what was expected, never the value.
#[test]
fn errors_name_the_field_never_the_value() {
    let leak = include_str!("data/D02-audit-leak.log");
    let (out, _) = analyse_text(Options::defaults(), "audit-leak.log", leak.as_bytes());
    assert_eq!(out.errors.len(), 1);
    let message = &out.errors[0].message;
    assert!(!message.contains("Sh0rt9"), "{message}");
    assert_eq!(
        message,
        "not an audit event: responseStatus.code: invalid type: a string, expected i64"
    );
}
