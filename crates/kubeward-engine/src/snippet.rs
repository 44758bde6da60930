//! The source lines that text reports show under findings (`--format text` without
//! `--compact`), taken from the text while it is in memory, so a report never reads a file
//! twice (stdin could not be read twice). A line that could hold a credential is redacted
//! before it leaves here: in a Secret, and for the secrets controls (KW4xx), whose findings
//! point at literal credentials, only the key is kept.

use std::collections::BTreeMap;

use crate::finding::Finding;

/// Lines longer than this are cut around the finding's column.
pub const MAX_LINE_CHARS: usize = 160;

/// The placeholder for a value that is not shown.
pub const REDACTED: &str = "<redacted>";

/// Whether a finding's line may hold a credential.
pub fn sensitive(f: &Finding) -> bool {
    f.object.kind == "Secret" || f.control.id.starts_with("KW4")
}

/// `line` with everything after its first key (`password: `) replaced by [`REDACTED`]; a line
/// with no key is replaced whole.
pub fn redact(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    // A key ends at the first `: ` (or a `:` at the end) outside quotes; a list item's dash
    // stays.
    let (dash, rest) = match body.strip_prefix("- ") {
        Some(r) => ("- ", r),
        None => ("", body),
    };
    let mut quote = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ':') if rest[i + 1..].is_empty() || rest[i + 1..].starts_with([' ', '\t']) => {
                if rest[i + 1..].trim().is_empty() {
                    return line.to_string();
                }
                return format!("{indent}{dash}{}: {REDACTED}", &rest[..i]);
            }
            _ => {}
        }
    }
    format!("{indent}{REDACTED}")
}

/// Add to `out` the lines (by number) of `findings` from `text`, a piece of a file whose byte
/// `start` is the first byte of line `first_line`. Lines end at `\n`, `\r\n` or a bare `\r`,
/// as the parser counts them.
pub fn collect(
    text: &[u8],
    start: usize,
    first_line: u32,
    findings: &[Finding],
    out: &mut BTreeMap<u32, Box<str>>,
) {
    let mut wanted: Vec<(u32, bool)> = findings
        .iter()
        .filter(|f| f.pos.line >= first_line)
        .map(|f| (f.pos.line, sensitive(f)))
        .collect();
    if wanted.is_empty() {
        return;
    }
    wanted.sort_unstable();
    let mut line = first_line;
    let mut at = start;
    let mut i = 0;
    while i < wanted.len() && at <= text.len() {
        let end = memchr::memchr2(b'\n', b'\r', &text[at..])
            .map(|e| at + e)
            .unwrap_or(text.len());
        let next = match text.get(end) {
            Some(b'\r') if text.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        if wanted[i].0 == line {
            let raw = String::from_utf8_lossy(&text[at..end]);
            let mut redacted = false;
            while i < wanted.len() && wanted[i].0 == line {
                redacted |= wanted[i].1;
                i += 1;
            }
            let shown = if redacted {
                redact(&raw)
            } else {
                raw.into_owned()
            };
            match out.get_mut(&line) {
                // Another finding redacted it already: keep the redacted form.
                Some(existing) if existing.contains(REDACTED) => {}
                _ => {
                    out.insert(line, shown.into_boxed_str());
                }
            }
        }
        if next == end {
            break;
        }
        at = next;
        line += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction_keeps_the_key_only() {
        assert_eq!(redact("  password: hunter2"), "  password: <redacted>");
        assert_eq!(redact("  - value: \"a: b\""), "  - value: <redacted>");
        assert_eq!(redact("  \"url:x\": secret"), "  \"url:x\": <redacted>");
        assert_eq!(redact("    aGVsbG8="), "    <redacted>");
        assert_eq!(redact("data:"), "data:");
        assert_eq!(redact("data: {password: x}"), "data: <redacted>");
    }
}
