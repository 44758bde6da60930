//! Reading policy and object files into located JSON documents, with kubeward's YAML loader
//! (go-yaml v2 scalar rules, as `gator` and the API server read YAML).

use std::fmt;
use std::path::Path;

use kubeward_yaml::{decode, parse_str, Limits};
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
}

/// The documents of `text` (YAML or JSON, several documents separated by `---`). Empty
/// documents are skipped; a `kind: List` (or `*List`) is expanded into its items. A document
/// that does not parse is an error (the documents before it are still returned).
pub fn parse_documents(text: &str, file: &str) -> (Vec<Doc>, Vec<PolicyError>) {
    let parsed = parse_str(text, &Limits::default());
    let mut docs = Vec::new();
    let mut errors = Vec::new();
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
                    });
                }
            }
            continue;
        }
        docs.push(Doc { value, source });
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
