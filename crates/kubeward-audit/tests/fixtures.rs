//! Every audit detection against its fixtures, `kubeward-controls/fixtures/<ID>/*.jsonl`:
//! audit events in the exact shape the API server writes (see gen_fixtures.py), at each
//! level (Metadata, Request, RequestResponse).
//!
//! * no event of a `pass` file gives a finding of that control;
//! * in a `fail` file every final event (KW1009: the file as a whole) gives at least one, and
//!   all findings are snapshotted (line, column, severity, field path, message).
//!
//! Lines starting with `#` are comments: the harness blanks them (the reader skips blank
//! lines), so line numbers stay those of the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubeward_audit::{analyse_text, Options};
use kubeward_controls::{registry, Control};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubeward-controls/fixtures")
}

fn audit_controls() -> Vec<&'static dyn Control> {
    registry::all()
        .iter()
        .copied()
        .filter(|c| c.is_audit_detection())
        .collect()
}

fn blank_comments(text: &str) -> String {
    text.lines()
        .map(|l| if l.starts_with('#') { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn audit_fixtures() {
    let mut failures = Vec::new();
    let controls = audit_controls();
    assert_eq!(controls.len(), 13);
    for control in controls {
        let id = control.meta().id;
        let dir = fixtures_dir().join(id);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{id}: no fixtures in {}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        let mut levels = BTreeSet::new();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let text = blank_comments(&std::fs::read_to_string(&file).unwrap());
            for line in text.lines().filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                levels.insert(v["level"].as_str().unwrap().to_string());
            }
            let (out, stats) = analyse_text(
                Options::defaults(),
                &format!("{id}/{stem}.jsonl"),
                text.as_bytes(),
            );
            assert!(
                out.errors.is_empty(),
                "{id}/{stem}: input errors {:?}",
                out.errors
            );
            assert_eq!(stats.errors, 0);
            let mine: Vec<_> = out
                .findings
                .iter()
                .filter(|f| f.finding.control.id == id)
                .collect();
            if stem.starts_with("pass") {
                for f in &mine {
                    failures.push(format!(
                        "{id}/{stem}:{}: unexpected {}",
                        f.finding.pos.line, f.finding.message
                    ));
                }
                continue;
            }
            if mine.is_empty() {
                failures.push(format!("{id}/{stem}: no finding"));
            }
            if id != "KW1009" {
                for (i, line) in text.lines().enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    let n = i as u32 + 1;
                    if !mine.iter().any(|f| f.finding.pos.line == n) {
                        failures.push(format!("{id}/{stem}:{n}: no finding"));
                    }
                }
            }
            let snapshot: Vec<String> = mine
                .iter()
                .map(|f| {
                    let ff = &f.finding;
                    format!(
                        "{}:{} {} {} :: {} [{} {} {}]",
                        ff.pos.line,
                        ff.pos.column,
                        ff.severity,
                        ff.path,
                        ff.message,
                        f.event.user,
                        f.event.verb,
                        f.event.response_code.unwrap_or(0)
                    )
                })
                .collect();
            insta::assert_snapshot!(format!("{id}_{stem}"), snapshot.join("\n"));
        }
        for level in ["Metadata", "Request", "RequestResponse"] {
            if !levels.contains(level) {
                failures.push(format!("{id}: no fixture event at level {level}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The column of a finding points at the field its path names, in the raw line.
#[test]
fn columns_point_at_the_field() {
    let mut text = String::new();
    for id in [
        "KW1001", "KW1002", "KW1004", "KW1005", "KW1006", "KW1008", "KW1009", "KW1013",
    ] {
        text.push_str(
            &std::fs::read_to_string(fixtures_dir().join(id).join("fail.jsonl")).unwrap(),
        );
    }
    let text = blank_comments(&text);
    let (out, _) = analyse_text(Options::defaults(), "x", text.as_bytes());
    assert!(out.findings.len() > 40, "{}", out.findings.len());
    let lines: Vec<&str> = text.lines().collect();
    for f in &out.findings {
        let line = lines[f.finding.pos.line as usize - 1];
        let at: String = line
            .chars()
            .skip(f.finding.pos.column as usize - 1)
            .take(24)
            .collect();
        let last_key = f.finding.path.as_str().rsplit('.').next().unwrap();
        let last_key = last_key.split('[').next().unwrap();
        // The column is at the field's key (body findings, located by the YAML loader) or at
        // the start of its value (`"key":` before it; inside the quotes for a string).
        let before: String = line
            .chars()
            .take(f.finding.pos.column as usize - 1)
            .collect();
        let key = format!("\"{last_key}\":");
        let indexed = f.finding.path.as_str().ends_with(']');
        assert!(
            at.starts_with(&key)
                || before.ends_with(&key)
                || before.ends_with(&format!("{key}\""))
                || (indexed && before.contains(&format!("{key}["))),
            "{}: {} points at {at:?}",
            f.finding.pos,
            f.finding.path
        );
    }
}
