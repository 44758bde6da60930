//! Hostile and broken input: never a panic, every bad line reported at its line and column,
//! the rest analysed; gzip and chunk boundaries change nothing.

use std::io::Write;

use kubeward_audit::{analyse_text, Options};
use proptest::prelude::*;

/// An exec event (KW1002) in the API server's shape.
fn exec_event(n: usize) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-{n}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/web-{n}/exec?command=sh\u0026stdin=true","verb":"create","user":{{"username":"alice","groups":["dev","system:authenticated"]}},"sourceIPs":["10.0.0.{n}"],"userAgent":"kubectl/v1.20.2","objectRef":{{"resource":"pods","namespace":"prod","name":"web-{n}","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}}"#
    )
}

/// A harmless event (no finding).
fn quiet_event(n: usize) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"q-{n}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods","verb":"list","user":{{"username":"alice"}},"sourceIPs":["10.0.0.1"],"objectRef":{{"resource":"pods","namespace":"prod","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}}"#
    )
}

#[derive(Clone, Debug)]
enum Line {
    Exec,
    Quiet,
    Garbage(String),
    Blank,
}

fn line_strategy() -> impl Strategy<Value = Line> {
    prop_oneof![
        3 => Just(Line::Exec),
        3 => Just(Line::Quiet),
        // Not JSON, JSON of the wrong shape, a cut event.
        2 => "[^\n\r]{1,40}".prop_filter("not blank", |s| !s.trim().is_empty()).prop_map(Line::Garbage),
        1 => Just(Line::Garbage(r#"{"kind":"Event","level":"Metadata"}"#.to_string())),
        1 => Just(Line::Garbage(exec_event(0)[..120].to_string())),
        1 => Just(Line::Blank),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any bytes: no panic, and every error is on a line that exists.
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (out, stats) = analyse_text(Options::defaults(), "x", &data);
        let lines = data.split(|b| *b == b'\n').count() as u32;
        for e in &out.errors {
            let p = e.pos.unwrap();
            prop_assert!(p.line >= 1 && p.line <= lines, "{e} of {lines}");
            prop_assert!(p.column >= 1);
        }
        prop_assert_eq!(stats.errors as usize, out.errors.len());
    }

    /// Mixed good and bad lines: each exec event is found at its own line, each bad line is an
    /// error at its line, nothing else is reported.
    #[test]
    fn line_numbers_are_exact(lines in proptest::collection::vec(line_strategy(), 1..60), cut_last in any::<bool>()) {
        let mut text = String::new();
        let mut want_findings = Vec::new();
        let mut want_errors = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let n = i as u32 + 1;
            match l {
                Line::Exec => { text.push_str(&exec_event(i)); want_findings.push(n); }
                Line::Quiet => text.push_str(&quiet_event(i)),
                Line::Garbage(g) => {
                    // A garbage line that happens to be a valid event is not an error.
                    if serde_json::from_str::<serde_json::Value>(g).map(|v| v.get("auditID").is_none()).unwrap_or(true) {
                        want_errors.push(n);
                    }
                    text.push_str(g);
                }
                Line::Blank => {}
            }
            if i + 1 < lines.len() || !cut_last {
                text.push('\n');
            }
        }
        let (out, _) = analyse_text(Options::defaults(), "x", text.as_bytes());
        let got_findings: Vec<u32> = out.findings.iter().map(|f| f.finding.pos.line).collect();
        let got_errors: Vec<u32> = out.errors.iter().map(|e| e.pos.unwrap().line).collect();
        prop_assert_eq!(got_findings, want_findings);
        prop_assert_eq!(got_errors, want_errors);
        for f in &out.findings {
            prop_assert_eq!(f.finding.control.id, "KW1002");
            prop_assert_eq!(&f.event.audit_id, &format!("id-{}", f.finding.pos.line - 1));
        }
    }
}

#[test]
fn bad_lines_are_reported_with_line_and_column_and_the_rest_is_analysed() {
    let text = format!(
        "{}\nnot json at all\n{}\n{{\"kind\":\"Event\",\"level\":\"Metadata\"}}\n{}\n{{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"level\":\"x\",\"auditID\":\"a\",\"stage\":\"s\",\"requestURI\":\"/\",\"verb\":\"get\",\"user\":{{}}}}\n\u{ff}\u{fe}\n{}",
        exec_event(1),
        exec_event(3),
        exec_event(5),
        &exec_event(9)[..200]
    );
    let mut bytes = text.into_bytes();
    // Invalid UTF-8 on line 7.
    let at = bytes
        .windows(2)
        .position(|w| w == "\u{ff}".as_bytes())
        .unwrap();
    bytes[at] = 0xff;
    let (out, stats) = analyse_text(Options::defaults(), "log", &bytes);
    let lines: Vec<u32> = out.findings.iter().map(|f| f.finding.pos.line).collect();
    assert_eq!(lines, vec![1, 3, 5]);
    let errors: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors[0].starts_with("log:2:2: not an audit event: expected ident"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("log:4:") && errors[1].contains("missing field `auditID`"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2] == "log:6:9: not an audit event: kind is not Event",
        "{}",
        errors[2]
    );
    assert!(errors[3].starts_with("log:7:1: not UTF-8"), "{}", errors[3]);
    assert!(
        errors[4].starts_with("log:8:200: not an audit event: EOF while parsing")
            && errors[4].contains("last line is incomplete"),
        "{}",
        errors[4]
    );
    assert_eq!(stats.lines, 8);
    assert_eq!(stats.events, 3);
    assert_eq!(stats.errors, 5);
}

#[test]
fn gzip_and_plain_give_the_same_findings() {
    let text: String = (0..5000).map(|i| if i % 7 == 0 { exec_event(i) } else { quiet_event(i) } + "\n").collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("audit-1.log.gz"), &gz).unwrap();
    std::fs::write(dir.path().join("audit.log"), &text).unwrap();
    std::fs::write(dir.path().join("README.md"), "not a log").unwrap();
    let (inputs, errors) = kubeward_audit::input::collect(&[dir.path().display().to_string()]);
    assert!(errors.is_empty());
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    let mut analyzer = kubeward_audit::Analyzer::new(Options::defaults());
    let mut out = kubeward_audit::Collect::default();
    kubeward_audit::input::analyse_all(&mut analyzer, &inputs, &mut out).unwrap();
    assert!(out.errors.is_empty());
    let per_file = |suffix: &str| -> Vec<u32> {
        out.findings
            .iter()
            .filter(|f| f.finding.file.ends_with(suffix))
            .map(|f| f.finding.pos.line)
            .collect()
    };
    let gz_lines = per_file("audit-1.log.gz");
    assert_eq!(gz_lines.len(), 5000usize.div_ceil(7));
    assert_eq!(gz_lines, per_file("audit.log"));
    assert_eq!(analyzer.stats.files, 2);
    assert_eq!(analyzer.stats.lines, 10_000);
}

#[test]
fn lines_over_the_limit_are_errors_and_skipped() {
    let long = format!("{{\"kind\":\"Event\",\"x\":\"{}\"}}", "y".repeat(5000));
    let text = format!("{}\n{long}\n{}\n", exec_event(1), exec_event(3));
    let mut opts = Options::defaults();
    opts.max_line = 4096;
    let (out, stats) = analyse_text(opts, "log", text.as_bytes());
    let lines: Vec<u32> = out.findings.iter().map(|f| f.finding.pos.line).collect();
    assert_eq!(lines, vec![1, 3]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(
        out.errors[0].to_string(),
        "log:2:1: line longer than 4096 bytes: skipped (raise --max-line-size)"
    );
    assert_eq!(stats.lines, 3);
}

/// Found by the audit fuzz target (issue 13, D02): a field of the wrong type made the error
/// quote its value, so a credential in an event printed in `kubeward audit`'s output.
#[test]
fn errors_never_quote_the_values_of_an_event() {
    let lines = [
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"x","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{"username":"bob"},"responseStatus":{"code":"Sh0rt9-kwS3cr3t"}}"#,
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"x","stage":"ResponseComplete","requestURI":"/api","verb":739184625501,"user":{"username":"bob"}}"#,
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"x","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{"username":"bob"},"responseStatus":{"code":739184625501.5}}"#,
    ];
    let text = lines.join("\n") + "\n";
    let (out, _) = analyse_text(Options::defaults(), "log", text.as_bytes());
    assert_eq!(out.errors.len(), 3, "{:?}", out.errors);
    for e in &out.errors {
        let m = e.to_string();
        assert!(
            m.contains("not an audit event: ") && m.contains("invalid type: "),
            "{m}"
        );
        assert!(
            !m.contains("kwS3cr3t") && !m.contains("Sh0rt9") && !m.contains("739184625501"),
            "{m}"
        );
    }
}
