//! Reading policy and object files into located JSON documents, with kubeward's YAML loader
//! (go-yaml v2 scalar rules, as `gator` and the API server read YAML).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use kubeward_yaml::{decode, parse_str, Limits, NodeRef};
use serde_json::Value;

use crate::{PolicyError, PolicyErrorKind};

/// Where a document starts: file, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Source {
    /// The file as it was named.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Source {
    /// The start of a file.
    pub fn file(file: impl Into<String>) -> Self {
        Source {
            file: file.into(),
            line: 1,
            column: 1,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A document of a file, as JSON, and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The document.
    pub value: Value,
    /// Where it starts.
    pub source: Source,
    /// Where its fields are, for Gatekeeper policy documents (None for other documents).
    pub positions: Option<Arc<Positions>>,
}

impl Doc {
    /// A document without field positions (errors point at `source`).
    pub fn new(value: Value, source: Source) -> Self {
        Doc {
            value,
            source,
            positions: None,
        }
    }

    /// Where the value at a JSON pointer (`/spec/parameters`) is, or where the document
    /// starts.
    pub fn locate(&self, pointer: &str) -> Source {
        match self.positions.as_ref().and_then(|p| p.fields.get(pointer)) {
            Some(f) => Source {
                file: self.source.file.clone(),
                line: f.line,
                column: f.column,
            },
            None => self.source.clone(),
        }
    }

    /// Where line `line`, column `column` (1-based) of the block scalar at `pointer` is
    /// (a Rego module in a `rego: |` field), if the pointer is a block scalar.
    pub fn locate_in_block(&self, pointer: &str, line: u32, column: u32) -> Option<Source> {
        let f = self.positions.as_ref()?.fields.get(pointer)?;
        let (first, indent, last) = f.block?;
        // An error at the end of the module (an unclosed brace) is reported on the line after
        // its last one, which may be past the end of the file: it stays on the block's last line.
        let at = first.saturating_add(line.saturating_sub(1));
        let (line, column) = if at > last {
            (last, 1)
        } else {
            (at, indent.saturating_add(column))
        };
        Some(Source {
            file: self.source.file.clone(),
            line,
            column,
        })
    }
}

/// Positions of the fields of a document, by JSON pointer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Positions {
    fields: BTreeMap<String, Field>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Field {
    line: u32,
    column: u32,
    /// For a block scalar (`|`, `>`): its first content line, indentation and last line.
    block: Option<(u32, u32, u32)>,
}

fn is_policy(v: &Value) -> bool {
    v.get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|a| a.split('/').next())
        .is_some_and(|g| g == "templates.gatekeeper.sh" || g == "constraints.gatekeeper.sh")
        || crate::vap::is_policy(v)
}

fn positions(node: NodeRef<'_>, lines: &[&str]) -> Positions {
    let mut fields = BTreeMap::new();
    walk(node, String::new(), lines, &mut fields, 0);
    Positions { fields }
}

fn walk(
    node: NodeRef<'_>,
    pointer: String,
    lines: &[&str],
    out: &mut BTreeMap<String, Field>,
    depth: usize,
) {
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    let p = node.value_pos();
    let mut block = None;
    // The last line of a scalar's value: as many lines as its text, within the file.
    let last_of = |first: u32| {
        let n = node.as_str().map_or(1, |t| t.lines().count().max(1)) as u32;
        first
            .saturating_add(n - 1)
            .min((lines.len() as u32).max(first))
    };
    if !node.is_map() && !node.is_seq() {
        let at = lines
            .get(p.line.saturating_sub(1) as usize)
            .and_then(|l| l.chars().nth(p.column.saturating_sub(1) as usize));
        if matches!(at, Some('|' | '>')) {
            // the content starts at the next non-blank line
            let mut l = p.line as usize;
            while let Some(text) = lines.get(l) {
                if !text.trim().is_empty() {
                    let indent = (text.len() - text.trim_start_matches(' ').len()) as u32;
                    block = Some((l as u32 + 1, indent, last_of(l as u32 + 1)));
                    break;
                }
                l += 1;
            }
        } else if !matches!(at, Some('"' | '\'')) {
            // The parser puts a block scalar at its first content line (and a plain
            // scalar where it starts): lines of the value start there.
            block = Some((p.line, p.column.saturating_sub(1), last_of(p.line)));
        }
    }
    out.insert(
        pointer.clone(),
        Field {
            line: p.line,
            column: p.column,
            block,
        },
    );
    if node.is_map() {
        for (k, v) in node.entries() {
            let k = k.replace('~', "~0").replace('/', "~1");
            walk(v, format!("{pointer}/{k}"), lines, out, depth + 1);
        }
    } else if node.is_seq() {
        for (i, v) in node.items().enumerate() {
            walk(v, format!("{pointer}/{i}"), lines, out, depth + 1);
        }
    }
}

/// The documents of `text` (YAML or JSON, several documents separated by `---`). Empty
/// documents are skipped; a `kind: List` (or `*List`) is expanded into its items. A document
/// that does not parse is an error (the documents before it are still returned).
pub fn parse_documents(text: &str, file: &str) -> (Vec<Doc>, Vec<PolicyError>) {
    let mut fixed: Option<String> = None;
    let original = parse_str(text, &Limits::default());
    let mut parsed = None;
    // Shim: kubeward-yaml (saphyr-parser) refuses a quoted scalar whose continuation lines
    // are not indented more than its key; go-yaml, which gator and kubectl use, reads it (the
    // Gatekeeper library's httpsonly template has one). Leading white space of a continuation
    // line is not part of the value (it is folded away), so indenting those lines changes
    // nothing but the parse; only lines inside the refused scalar change.
    for _ in 0..64 {
        let last = parsed.as_ref().unwrap_or(&original);
        let Some(e) = &last.error else { break };
        if !e.message.contains("invalid indentation in quoted scalar") {
            break;
        }
        let current = fixed.as_deref().unwrap_or(text);
        let Some(next) = reindent_quoted(current, e.pos.line, e.pos.column) else {
            break;
        };
        parsed = Some(parse_str(&next, &Limits::default()));
        fixed = Some(next);
    }
    // The re-indented text stands only if it parses: another error in it would be located in
    // the re-indented lines (columns past the real ends of lines); the file's own first error,
    // located in the file as it is, stands instead (found by the `policy` fuzz target).
    let (parsed, fixed) = match parsed {
        Some(p) if p.error.is_none() => (p, fixed),
        _ => (original, None),
    };
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let source_text = fixed.as_deref().unwrap_or(text);
    let lines: Vec<&str> = source_text.lines().collect();
    for d in &parsed.documents {
        let root = d.root();
        let pos = root.pos();
        let source = Source {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
        };
        let value = root.to_json();
        if value.is_null() {
            continue;
        }
        let is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && value.get("items").is_some_and(Value::is_array);
        if is_list {
            let items = root.get("items");
            if let (Some(Value::Array(values)), Some(items)) = (value.get("items"), items) {
                for (v, node) in values.iter().zip(items.items()) {
                    let p = node.pos();
                    docs.push(Doc {
                        value: v.clone(),
                        source: Source {
                            file: file.to_string(),
                            line: p.line,
                            column: p.column,
                        },
                        positions: is_policy(v).then(|| Arc::new(positions(node, &lines))),
                    });
                }
            }
            continue;
        }
        let positions = is_policy(&value).then(|| Arc::new(positions(root, &lines)));
        docs.push(Doc {
            value,
            source,
            positions,
        });
    }
    if let Some(e) = parsed.error {
        errors.push(PolicyError {
            source: Source {
                file: file.to_string(),
                line: e.pos.line,
                column: e.pos.column,
            },
            kind: PolicyErrorKind::Input,
            message: e.message,
        });
    }
    (docs, errors)
}

/// Read every document of a file. An unreadable file, text that is not UTF-8 or a document
/// that does not parse is an error naming the file, line and column.
pub fn read_documents(path: &Path) -> Result<Vec<Doc>, PolicyError> {
    let (docs, mut errors) = read_documents_lenient(path);
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors.remove(0))
    }
}

/// Like [`read_documents`], but returns what could be read along with every error.
pub fn read_documents_lenient(path: &Path) -> (Vec<Doc>, Vec<PolicyError>) {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return (
                Vec::new(),
                vec![PolicyError::new(
                    &Source::file(&name),
                    PolicyErrorKind::Input,
                    format!("cannot read the file: {e}"),
                )],
            )
        }
    };
    match decode(&bytes) {
        Ok(text) => parse_documents(text, &name),
        Err(p) => (
            Vec::new(),
            vec![PolicyError {
                source: Source {
                    file: name,
                    line: p.pos.line,
                    column: p.pos.column,
                },
                kind: PolicyErrorKind::Input,
                message: p.message,
            }],
        ),
    }
}

/// Indent the continuation lines of the quoted scalar that starts at `line`:`column`
/// (1-based, columns in characters) by the indentation of its first line plus two.
fn reindent_quoted(text: &str, line: u32, column: u32) -> Option<String> {
    let line_start = if line <= 1 {
        0
    } else {
        let mut seen = 1;
        let mut at = None;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == line {
                    at = Some(i + 1);
                    break;
                }
            }
        }
        at?
    };
    let line_text = &text[line_start..];
    let indent = line_text.len() - line_text.trim_start_matches(' ').len();
    let start = line_start
        + line_text
            .char_indices()
            .nth(column.checked_sub(1)? as usize)
            .map(|(i, _)| i)?;
    let quote = text[start..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..start + 1]);
    let mut chars = text[start + 1..].char_indices();
    let pad = " ".repeat(indent + 2);
    let mut end = None;
    while let Some((i, c)) = chars.next() {
        out.push(c);
        match c {
            '\\' if quote == '"' => {
                if let Some((_, d)) = chars.next() {
                    out.push(d);
                    if d == '\n' {
                        out.push_str(&pad);
                    }
                }
            }
            '\n' => out.push_str(&pad),
            c if c == quote => {
                // '' inside a single-quoted scalar is an escaped quote
                if quote == '\'' && text[start + 1 + i + 1..].starts_with('\'') {
                    if let Some((_, d)) = chars.next() {
                        out.push(d);
                    }
                    continue;
                }
                end = Some(start + 1 + i + c.len_utf8());
                break;
            }
            _ => {}
        }
    }
    out.push_str(&text[end?..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_scalar_continuation_at_key_indentation() {
        let text = "a:\n  b:\n    description: \"one, two\n    three.\"\n    c: 1\n";
        let (docs, errors) = parse_documents(text, "t.yaml");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            docs[0]
                .value
                .pointer("/a/b/description")
                .and_then(Value::as_str),
            Some("one, two three.")
        );
        assert_eq!(
            docs[0].value.pointer("/a/b/c").and_then(Value::as_i64),
            Some(1)
        );
    }

    #[test]
    fn lists_are_expanded_and_located() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n";
        let (docs, errors) = parse_documents(text, "t.yaml");
        assert!(errors.is_empty());
        assert_eq!(docs.len(), 2);
        assert_eq!((docs[1].source.line, docs[1].source.column), (5, 3));
    }
}
