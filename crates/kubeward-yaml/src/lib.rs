//! kubeward-yaml: bytes → YAML documents → compact trees in which every node keeps its line and
//! column.
//!
//! * [`split_documents`] cuts a multi-document stream at its `---` lines without parsing, so the
//!   documents can be parsed in parallel and a broken document costs only itself.
//! * [`parse_chunk`] parses one piece into [`Document`]s under [`Limits`] (document size,
//!   nesting depth, expanded size, which bounds YAML alias bombs).
//! * [`NodeRef`] reads a tree, resolving plain scalars the way Kubernetes' decoder does.

mod build;
mod tree;

pub use tree::{Document, NodeRef, Pos, Problem, ValueType};

/// Bounds that keep hostile input cheap.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest document (bytes of source). The API server's own limit on a request is 3 MiB;
    /// a List dump can be larger, hence the default of 64 MiB.
    pub max_document_bytes: usize,
    /// Deepest nesting of collections. CRD schemas reach ~60.
    pub max_depth: usize,
    /// Most nodes a document may have once aliases are expanded.
    pub max_expanded_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 64 << 20,
            max_depth: 200,
            max_expanded_nodes: 4_000_000,
        }
    }
}

/// A piece of a YAML stream that starts on a line boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the stream.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of the first line of the piece.
    pub first_line: u32,
}

fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.starts_with(marker)
        && line
            .get(3)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Cut a stream at its document-start lines (`---` at column 0). A `---` at column 0 can never be
/// content in YAML (it is a "forbidden" line inside scalars too), so this needs no parse. Streams
/// with `%` directives are left whole, since a directive belongs to the document after it.
pub fn split_documents(text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut first_line = 1u32;
    let mut line_no = 1u32;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
        let line = &bytes[pos..end];
        if line.first() == Some(&b'%') {
            return vec![Chunk {
                start: 0,
                end: bytes.len(),
                first_line: 1,
            }];
        }
        if pos > start && is_marker(line, b"---") {
            chunks.push(Chunk {
                start,
                end: pos,
                first_line,
            });
            start = pos;
            first_line = line_no;
        }
        pos = end;
        line_no += 1;
    }
    if start < bytes.len() || chunks.is_empty() {
        chunks.push(Chunk {
            start,
            end: bytes.len(),
            first_line,
        });
    }
    chunks
}

/// The outcome of parsing one chunk: its documents, then the error that stopped it, if any.
pub struct ParsedChunk {
    pub documents: Vec<Document>,
    pub error: Option<Problem>,
}

/// Parse a chunk of `text` (as cut by [`split_documents`]).
pub fn parse_chunk(text: &str, chunk: Chunk, limits: &Limits) -> ParsedChunk {
    let piece = &text[chunk.start..chunk.end];
    if piece.len() > limits.max_document_bytes {
        return ParsedChunk {
            documents: Vec::new(),
            error: Some(Problem {
                pos: Pos {
                    line: chunk.first_line,
                    column: 1,
                },
                message: format!(
                    "document of {} bytes is larger than the limit of {} bytes; refused",
                    piece.len(),
                    limits.max_document_bytes
                ),
            }),
        };
    }
    let line_offset = chunk.first_line - 1;
    // saphyr-parser is not known to panic, but a parser bug must cost one document, never the
    // run: contain it and report it where the document starts.
    let attempt = std::panic::catch_unwind(|| {
        let mut patched: Option<String> = None;
        for _ in 0..8 {
            let text = patched.as_deref().unwrap_or(piece);
            let (docs, error) = build::parse_documents(text, line_offset, limits);
            match error
                .as_ref()
                .and_then(|e| reindent_closing_bracket(text, e, line_offset))
            {
                Some(fixed) => patched = Some(fixed),
                None => return (docs, error),
            }
        }
        build::parse_documents(patched.as_deref().unwrap_or(piece), line_offset, limits)
    });
    match attempt {
        Ok((documents, error)) => {
            // An error found at the end of a piece ("unclosed [") is reported on the piece's
            // last line, not on the next document's `---`.
            let error = error.map(|mut e| {
                let body = piece.strip_suffix('\n').unwrap_or(piece);
                let last_line =
                    chunk.first_line + memchr::memchr_iter(b'\n', body.as_bytes()).count() as u32;
                if e.pos.line > last_line {
                    let last_len = body.rsplit('\n').next().map_or(0, |l| l.chars().count());
                    e.pos = Pos {
                        line: last_line,
                        column: last_len as u32 + 1,
                    };
                }
                e
            });
            ParsedChunk { documents, error }
        }
        Err(_) => ParsedChunk {
            documents: Vec::new(),
            error: Some(Problem {
                pos: Pos {
                    line: chunk.first_line,
                    column: 1,
                },
                message: "internal YAML parser failure on this document; please report it"
                    .to_string(),
            }),
        },
    }
}

/// go-yaml (so kubectl) and PyYAML accept a flow collection whose closing `]` or `}` sits at
/// the indentation of its parent key, as real manifests do (istio's spire-quickstart.yaml);
/// saphyr follows the spec and refuses it. Give such a line the indentation of the line before
/// it and parse again: line numbers do not move, and the line holds only the bracket.
fn reindent_closing_bracket(text: &str, e: &Problem, line_offset: u32) -> Option<String> {
    if e.message != "invalid indentation" {
        return None;
    }
    let idx = e.pos.line.checked_sub(line_offset + 1)? as usize;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line = lines.get(idx)?;
    let body = line.trim_start_matches(' ');
    if !(body.starts_with(']') || body.starts_with('}')) {
        return None;
    }
    let prev = lines[..idx].iter().rev().find(|l| !l.trim().is_empty())?;
    let want = prev.len() - prev.trim_start_matches(' ').len();
    let have = line.len() - body.len();
    if want <= have {
        return None;
    }
    let mut out = String::with_capacity(text.len() + want - have);
    for (i, l) in lines.iter().enumerate() {
        if i == idx {
            out.extend(std::iter::repeat_n(' ', want));
            out.push_str(body);
        } else {
            out.push_str(l);
        }
    }
    Some(out)
}

/// Parse a whole stream sequentially (convenience for small inputs and tests).
pub fn parse_str(text: &str, limits: &Limits) -> ParsedChunk {
    let mut documents = Vec::new();
    let mut error = None;
    for chunk in split_documents(text) {
        let parsed = parse_chunk(text, chunk, limits);
        documents.extend(parsed.documents);
        if error.is_none() {
            error = parsed.error;
        }
    }
    ParsedChunk { documents, error }
}

/// Decode bytes as UTF-8 text, dropping a byte-order mark. Invalid UTF-8 is an error at the
/// first bad byte.
pub fn decode(bytes: &[u8]) -> Result<&str, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let column = good.iter().rev().take_while(|&&b| b != b'\n').count() as u32 + 1;
        Problem {
            pos: Pos { line, column },
            message: "file is not valid UTF-8 text".to_string(),
        }
    })
}

#[cfg(test)]
mod tests;
