//! The source lines around each finding, read back from its file at the end of the scan and
//! embedded in the report, bounded and redacted.
//!
//! Bounds: [`CONTEXT_LINES`] lines either side of the finding's line, each cut at
//! [`MAX_LINE_CHARS`] characters, at most [`SOURCE_BUDGET`] bytes of lines in one report
//! (files are read in the order their first finding came; once the budget is spent, later
//! findings show no lines), and only regular files (not standard input, a FIFO or a cluster's
//! objects, which have no file to read again).
//!
//! Redaction, so that no credential reaches the report (the other formats print only the
//! redacted form of a value, [`kubeward_controls::secrets::redact`]):
//! * a finding on a Secret gets no lines at all;
//! * every line of a document (`---`-separated, or an item of a `kind: List` dump) that holds
//!   `kind: Secret`, or that does not parse, is replaced by a placeholder, so a neighbour's
//!   lines never show a Secret's `data`;
//! * a line where the scan reported a field of the wrong type keeps its key and loses the rest
//!   (a credential typed into the wrong field: the error never prints it either), and a number
//!   of 9 digits or more, anywhere, is redacted (a PIN in a field the scan does not type-check);
//! * a line with a word that names a credential (`password:`, `DB_TOKEN`, `--api-token=`,
//!   as kubeward's secret controls judge names), an env `value:` under a credential `name:`,
//!   and any line a secrets control (KW4xx) reported keep their key and lose the rest to
//!   `<redacted>`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use kubeward_controls::secrets::is_credential_name;
use kubeward_engine::{Finding, InputError};
use serde_json::{json, Value};

/// Lines shown either side of a finding's line.
pub const CONTEXT_LINES: u32 = 3;
/// A longer line is cut there (a minified JSON file is one line).
pub const MAX_LINE_CHARS: usize = 240;
/// Bytes of source lines embedded in one report, at most.
pub const SOURCE_BUDGET: usize = 8 << 20;

const REDACTED: &str = "<redacted>";
/// Digits of a number that is redacted ([`redact_long_numbers`]).
const LONG_NUMBER: usize = 9;
const SECRET_LINE: &str = "… (a line of a Secret, or of a document that does not parse: not shown)";

/// The lines wanted per file, in the order files first had a finding.
#[derive(Default)]
pub struct Snippets {
    order: Vec<Arc<str>>,
    files: HashMap<Arc<str>, FileWant>,
}

#[derive(Default)]
struct FileWant {
    /// Finding lines whose context is wanted.
    lines: Vec<u32>,
    /// Lines a secrets control reported, or a field of the wrong type: their value is
    /// redacted.
    mask: Vec<u32>,
    /// Lines of input errors outside any object (syntax errors): their whole document is
    /// left out.
    broken: Vec<u32>,
}

impl Snippets {
    fn file(&mut self, file: &Arc<str>) -> &mut FileWant {
        if !self.files.contains_key(file) {
            self.order.push(file.clone());
        }
        self.files.entry(file.clone()).or_default()
    }

    /// Note the lines around `f`.
    pub fn want(&mut self, f: &Finding) {
        if f.object.kind == "Secret" || f.pos.line == 0 {
            return;
        }
        let w = self.file(&f.file);
        if w.lines.last() != Some(&f.pos.line) {
            w.lines.push(f.pos.line);
        }
        if f.control.id.starts_with("KW4") {
            w.mask.push(f.pos.line);
        }
    }

    /// Note an input error: a value of the wrong type may be a credential typed into the
    /// wrong field (the error names the field and the types, never the value), so its line
    /// is redacted; a document that does not parse is left out whole.
    pub fn error(&mut self, e: &InputError) {
        let Some(pos) = e.pos else {
            return;
        };
        let w = self.file(&e.file);
        if e.object.is_some() {
            w.mask.push(pos.line);
        } else {
            w.broken.push(pos.line);
        }
    }

    /// Read the files: `{"file": [[firstLine, ["line", ...]], ...]}`, each file's blocks in
    /// line order.
    pub fn read(self) -> Value {
        let mut out = serde_json::Map::new();
        let mut budget = SOURCE_BUDGET;
        for name in &self.order {
            if budget == 0 {
                break;
            }
            let Some(w) = self.files.get(name) else {
                continue;
            };
            if let Some(blocks) = read_file(name, w, &mut budget) {
                if !blocks.is_empty() {
                    out.insert(name.to_string(), Value::Array(blocks));
                }
            }
        }
        Value::Object(out)
    }
}

/// Whether a line starts a new document or a new item of a top-level list (`kind: List`).
fn starts_unit(line: &str) -> bool {
    line.starts_with("---") || line.starts_with("- ")
}

/// Whether a line says `kind: Secret` (YAML, flow or JSON).
fn says_secret(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("kind:Secret")
        || compact.contains("kind:\"Secret\"")
        || compact.contains("kind:'Secret'")
        || compact.contains("\"kind\":\"Secret\"")
}

/// `key` of a `key: value` line (after `- ` and quotes), and the byte offset of its value.
fn key_value(line: &str) -> Option<(&str, usize)> {
    let body_start = line.len() - line.trim_start().len();
    let mut body = &line[body_start..];
    let mut offset = body_start;
    if let Some(rest) = body.strip_prefix("- ") {
        offset += 2;
        body = rest;
    }
    let colon = body.find(": ")?;
    let key = body[..colon].trim().trim_matches(|c| c == '"' || c == '\'');
    let value_at = offset + colon + 2;
    (!line[value_at..].trim().is_empty()).then_some((key, value_at))
}

/// Whether any word of the line (`DB_PASSWORD`, `--api-token`, a flow mapping's key) names a
/// credential as kubeward's secret controls judge names.
fn names_credential(line: &str) -> bool {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| !w.is_empty() && is_credential_name(w))
}

/// Numbers of [`LONG_NUMBER`] digits or more (a PIN or an account number typed into a field
/// that the scan does not type-check, e.g. an RBAC subject's namespace) become `<redacted>`;
/// no Kubernetes field needs one to be read.
pub(super) fn redact_long_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut digits = String::new();
    let mut prev_word = false;
    let flush = |out: &mut String, digits: &mut String, next_word: bool, prev_word: bool| {
        if digits.len() >= LONG_NUMBER && !prev_word && !next_word {
            out.push_str(REDACTED);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let word = c.is_alphanumeric() || c == '_' || c == '-' || c == '.';
        if !digits.is_empty() {
            flush(&mut out, &mut digits, word, prev_word);
        }
        out.push(c);
        prev_word = word;
    }
    flush(&mut out, &mut digits, false, prev_word);
    out
}

fn redact_value(line: &str) -> String {
    match key_value(line) {
        Some((_, at)) => format!("{}{REDACTED}", &line[..at]),
        None => match line.find("- ") {
            Some(i) => format!("{}{REDACTED}", &line[..i + 2]),
            None => REDACTED.to_string(),
        },
    }
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// One file's blocks, or `None` when it is not a regular file that can be read.
fn read_file(name: &str, w: &FileWant, budget: &mut usize) -> Option<Vec<Value>> {
    let meta = std::fs::metadata(name).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(name).ok()?;
    // The wanted ranges, merged.
    let mut lines = w.lines.clone();
    lines.sort_unstable();
    lines.dedup();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for l in lines {
        let (a, b) = (l.saturating_sub(CONTEXT_LINES).max(1), l + CONTEXT_LINES);
        match ranges.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => ranges.push((a, b)),
        }
    }
    let mask: std::collections::HashSet<u32> = w.mask.iter().copied().collect();
    // Kept lines: number -> (unit, text); which units hold a Secret.
    let mut kept: BTreeMap<u32, (u32, String)> = BTreeMap::new();
    let mut secret_units = std::collections::HashSet::new();
    let broken: std::collections::HashSet<u32> = w.broken.iter().copied().collect();
    let (mut unit, mut n, mut r) = (0u32, 0u32, 0usize);
    let mut credential_name = false;
    let mut kept_bytes = 0usize;
    let mut last_unit = u32::MAX;
    let mut reader = BufReader::new(file);
    let mut raw = Vec::new();
    let last = ranges.last()?.1;
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        n += 1;
        let text = String::from_utf8_lossy(&raw);
        let line = text.trim_end_matches(['\n', '\r']);
        if starts_unit(line) {
            unit += 1;
        }
        if says_secret(line) || broken.contains(&n) {
            secret_units.insert(unit);
        }
        while r < ranges.len() && ranges[r].1 < n {
            r += 1;
        }
        let wanted = r < ranges.len() && ranges[r].0 <= n;
        if wanted {
            let redact = mask.contains(&n)
                || names_credential(line)
                || key_value(line).is_some_and(|(k, _)| k == "value" && credential_name);
            let shown = if redact {
                redact_value(&cut(line))
            } else {
                redact_long_numbers(&cut(line))
            };
            kept_bytes += shown.len() + 8;
            kept.insert(n, (unit, shown));
            // Over the budget: the unit being read is dropped (whether it is a Secret's is not
            // known yet) and the file is not read further.
            if kept_bytes > *budget {
                kept.retain(|_, (u, _)| *u != unit);
                break;
            }
        }
        // An env entry `- name: X_PASSWORD`: its `value:` follows.
        if let Some((k, at)) = key_value(line) {
            if k == "name" {
                credential_name = is_credential_name(line[at..].trim().trim_matches(['"', '\'']));
            }
        }
        // A Secret's `kind:` may come after its data: read on to the end of the unit that
        // holds the last wanted line, then stop.
        if n == last {
            last_unit = unit;
        }
        if n > last && unit != last_unit {
            break;
        }
    }
    let mut blocks: Vec<Value> = Vec::new();
    let mut current: Option<(u32, Vec<String>)> = None;
    for (n, (unit, text)) in kept {
        let text = if secret_units.contains(&unit) {
            SECRET_LINE.to_string()
        } else {
            text
        };
        if *budget < text.len() + 8 {
            *budget = 0;
            break;
        }
        *budget -= text.len() + 8;
        match &mut current {
            Some((start, lines)) if *start + lines.len() as u32 == n => lines.push(text),
            _ => {
                if let Some((start, lines)) = current.take() {
                    blocks.push(json!([start, lines]));
                }
                current = Some((n, vec![text]));
            }
        }
    }
    if let Some((start, lines)) = current {
        blocks.push(json!([start, lines]));
    }
    Some(blocks)
}
