//! Characters that need care before or after the YAML parser: control characters that
//! Kubernetes' decoders refuse, and JSON's UTF-16 surrogate-pair escapes, which YAML's `\u`
//! escape cannot express but JSON encoders write (`ensure_ascii`).

use crate::tree::Problem;

/// The first character that Kubernetes refuses in this document, with its byte offset.
///
/// go-yaml (the YAML decoder of kubectl and the API server) accepts only YAML's printable set:
/// tab, LF, CR, U+0020-U+007E, U+0085, U+00A0 and up. A document that starts with `{` is
/// decoded as JSON instead, which refuses C0 controls (raw, unescaped) but not DEL or C1.
pub(crate) fn forbidden_control(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let json = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .is_some_and(|&b| b == b'{');
    // A coarse test over blocks that the compiler vectorises; the exact check runs only on a
    // block that has a candidate byte.
    let candidate =
        |b: u8| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0x7F || b == 0xC2;
    let mut base = 0;
    for block in bytes.chunks(64) {
        if block.iter().fold(false, |acc, &b| acc | candidate(b)) {
            for (i, &b) in block.iter().enumerate() {
                if !candidate(b) {
                    continue;
                }
                let at = base + i;
                if b == 0xC2 {
                    // U+0080..U+009F are encoded C2 80..C2 9F; U+0085 (NEL) is printable.
                    if json {
                        continue;
                    }
                    match bytes.get(at + 1) {
                        Some(&n) if (0x80..=0x9F).contains(&n) && n != 0x85 => {
                            return Some((at, char::from_u32(n as u32).unwrap_or('\u{80}')));
                        }
                        _ => continue,
                    }
                }
                if b == 0x7F && json {
                    continue;
                }
                return Some((at, b as char));
            }
        }
        base += block.len();
    }
    None
}

/// Column shifts of a patched text: on `line` (1-based, within the piece), a marker at or after
/// `col` (0-based, in the patched text) was `delta` characters further right in the source
/// (left, for a negative delta: text inserted before it).
#[derive(Default, Debug)]
pub(crate) struct Shifts(Vec<(u32, u32, i64)>);

impl Shifts {
    /// The source column of a 0-based column of the patched text.
    pub(crate) fn source_col(&self, line: u32, col: u32) -> u32 {
        let delta: i64 = self
            .0
            .iter()
            .filter(|(l, c, _)| *l == line && col >= *c)
            .map(|(_, _, d)| d)
            .sum();
        (col as i64 + delta).max(0) as u32
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Record that the patched text lost `delta` characters (gained, if negative) before
    /// column `col` of `line`; shifts recorded earlier further right on that line move with
    /// the text.
    pub(crate) fn push(&mut self, line: u32, col: u32, delta: i64) {
        for (l, c, _) in &mut self.0 {
            if *l == line && *c > col {
                *c = (*c as i64 - delta).max(0) as u32;
            }
        }
        self.0.push((line, col, delta));
    }
}

const SURROGATE_ERROR: &str =
    "while parsing a quoted scalar, found invalid Unicode character escape code";

/// JSON writes a character outside the Basic Multilingual Plane as a UTF-16 surrogate pair
/// (`"\uD83D\uDE80"`), and JSON is YAML, but YAML's `\u` takes one Unicode scalar value and
/// saphyr refuses a surrogate. When the parser stops on one, rewrite the pairs as YAML's
/// `\U0001F680` (and a lone surrogate as `\uFFFD`, as Go's JSON decoder reads it) and parse
/// again. In a JSON document (it starts with `{`) every string is double-quoted, so all of
/// them are rewritten at once; in YAML only the scalar the parser stopped in is. Columns after
/// a shortened escape are mapped back through `shifts`, so positions stay those of the source.
pub(crate) fn combine_surrogates(
    text: &str,
    e: &Problem,
    line_offset: u32,
    shifts: &mut Shifts,
) -> Option<String> {
    if e.message != SURROGATE_ERROR {
        return None;
    }
    let json = text.trim_start().starts_with('{');
    // The error is reported at the opening quote of the scalar, in source columns.
    let line = e.pos.line.checked_sub(line_offset)?;
    let start = if json {
        0
    } else {
        offset_of(text, line, e.pos.column, shifts)?
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    let mut i = start;
    let mut in_string = false;
    let mut cur_line = line_of(text, start);
    let mut line_start = line_start_of(text, start);
    let mut changed = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' | b'\r' => {
                let next = if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                };
                out.push_str(&text[i..next]);
                i = next;
                cur_line += 1;
                line_start = out.len();
                continue;
            }
            b'"' => {
                out.push('"');
                i += 1;
                if in_string && !json {
                    // The scalar the parser stopped in is done.
                    out.push_str(&text[i..]);
                    return changed.then_some(out);
                }
                in_string = !in_string;
                continue;
            }
            b'\\' if in_string => {
                if let Some(hi) = hex4(bytes, i + 1) {
                    if (0xD800..0xDC00).contains(&hi) {
                        if let Some(lo) = bytes
                            .get(i + 6)
                            .filter(|&&c| c == b'\\')
                            .and_then(|_| hex4(bytes, i + 7))
                            .filter(|lo| (0xDC00..0xE000).contains(lo))
                        {
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            out.push_str(&format!("\\U{c:08X}"));
                            i += 12;
                            changed = true;
                            // 12 source characters became 10.
                            let col = out[line_start..].chars().count() as u32;
                            shifts.push(cur_line, col, 2);
                            continue;
                        }
                    }
                    if (0xD800..0xE000).contains(&hi) {
                        out.push_str("\\uFFFD");
                        i += 6;
                        changed = true;
                        continue;
                    }
                }
                // Any other escape: copy the backslash and the escaped character.
                let len = text[i + 1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&text[i..i + 1 + len]);
                i += 1 + len;
                continue;
            }
            _ => {}
        }
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    changed.then_some(out)
}

/// `\uXXXX` at `at` (pointing at the `u`): its value.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    if bytes.get(at) != Some(&b'u') {
        return None;
    }
    let digits = bytes.get(at + 1..at + 5)?;
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// The byte offset of a 1-based line (within `text`) and a 1-based source column.
fn offset_of(text: &str, line: u32, column: u32, shifts: &Shifts) -> Option<usize> {
    let start = crate::line_start(text.as_bytes(), line.checked_sub(1)? as usize)?;
    // Find the patched column whose source column is the one reported.
    let want = column.checked_sub(1)?;
    text[start..]
        .char_indices()
        .enumerate()
        .find(|&(col, _)| shifts.source_col(line, col as u32) == want)
        .map(|(_, (i, _))| start + i)
}

fn line_of(text: &str, offset: usize) -> u32 {
    crate::position_after(&text.as_bytes()[..offset], 1).line
}

fn line_start_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |p| p + 1)
}
