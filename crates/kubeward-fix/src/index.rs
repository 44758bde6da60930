//! The spans an edit needs and kubeward-yaml's compact tree does not keep: where each node
//! starts and ends in bytes, its style (plain, quoted, block scalar; flow or block collection),
//! and whether an anchor, alias or tag is involved. Built from saphyr-parser's events for the
//! documents being fixed only (a scan never pays for it), with the same parser kubeward-yaml
//! uses, so both read the same structure.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use kubeward_yaml::Pos;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Scalar,
    Seq,
    Map,
    Alias,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    /// `|` or `>`: never edited.
    BlockScalar,
    Flow,
    Block,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    pub style: Style,
    /// Byte range in the file. Scalars and flow collections: exact. Block collections: from
    /// their first item to the end of their last descendant.
    pub start: usize,
    pub end: usize,
    /// 1-based line and column (characters) of `start`, for messages.
    pub pos: Pos,
    pub anchored: bool,
    pub tagged: bool,
    /// Scalars: the value.
    pub value: String,
    /// Sequences: items. Mappings: key, value pairs.
    pub children: Vec<usize>,
    /// Mappings: holds a `<<` merge key.
    pub merge: bool,
}

impl Node {
    pub fn is_null_scalar(&self) -> bool {
        self.kind == Kind::Scalar
            && self.style == Style::Plain
            && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

/// The documents of one piece of a file.
#[derive(Debug, Default)]
pub struct Index {
    pub nodes: Vec<Node>,
    /// Each document's root node.
    pub roots: Vec<usize>,
}

/// Character index -> byte offset in a piece of text (saphyr's markers count characters).
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of every character, when the text is not ASCII.
    table: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let table = if ascii {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        Offsets { text, ascii, table }
    }

    fn byte(&self, chars: usize) -> usize {
        if self.ascii {
            chars.min(self.text.len())
        } else {
            self.table.get(chars).copied().unwrap_or(self.text.len())
        }
    }
}

/// Where a flow collection ends: just past its closing bracket. The parser's end may stop
/// before it when the collection ends in a comma and a line break (`{a, ` newline ` }`): the
/// white space, line breaks and commas up to the bracket belong to the collection (found by
/// the `fix` fuzz target: a key added after such a mapping went before its bracket).
fn past_closing_bracket(piece: &str, base: usize, end: usize, close: char) -> usize {
    let Some(at) = end.checked_sub(base) else {
        return end;
    };
    let (Some(before), Some(rest)) = (piece.get(..at), piece.get(at..)) else {
        return end;
    };
    if before.ends_with(close) {
        return end;
    }
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r', ',']).len();
    if rest[skipped..].starts_with(close) {
        end + skipped + close.len_utf8()
    } else {
        end
    }
}

struct Open {
    node: usize,
    children: Vec<usize>,
}

/// For an "invalid indentation" error on a line that starts (after spaces) with `]` or `}`
/// and is indented less than the non-blank line before it: the offset of that line's start in
/// `text`, its indentation, and the spaces that would indent it like the line before.
/// Hand-written: the same tolerance as kubeward-yaml's, which does not expose its own.
fn closing_bracket_indent(
    text: &str,
    e: &kubeward_yaml::Problem,
    first_line: u32,
) -> Option<(usize, usize, usize)> {
    if e.message != "invalid indentation" {
        return None;
    }
    let idx = e.pos.line.checked_sub(first_line)? as usize;
    let mut start = 0;
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for l in text.split_inclusive('\n') {
        lines.push((start, l));
        start += l.len();
    }
    let &(at, line) = lines.get(idx)?;
    let body = line.trim_start_matches(' ');
    if !(body.starts_with(']') || body.starts_with('}')) {
        return None;
    }
    let (_, prev) = lines[..idx]
        .iter()
        .rev()
        .find(|(_, l)| !l.trim().is_empty())?;
    let want = prev.len() - prev.trim_start_matches(' ').len();
    let have = line.len() - body.len();
    (want > have).then_some((at, have, want - have))
}

/// Where offset `off` of a text with spaces `added` (offset in the original, count) was in the
/// original: spaces added map to where they were put.
fn original_offset(added: &[(usize, usize)], off: usize) -> usize {
    let mut shift = 0;
    for &(at, n) in added {
        if off < at + shift {
            break;
        }
        if off < at + shift + n {
            return at;
        }
        shift += n;
    }
    off - shift
}

impl Index {
    /// Index the documents of `piece`, which starts at byte `base` and line `first_line` of its
    /// file. A parse error is returned located in the file (the scan reports such documents
    /// already; fix leaves them alone).
    ///
    /// As kubeward-yaml does (and go-yaml, so kubectl, and PyYAML), a flow collection whose
    /// closing `]` or `}` sits left of the indentation of the line before it is read as if it
    /// were indented like that line; the spans stay those of the file.
    pub fn build(
        piece: &str,
        base: usize,
        first_line: u32,
    ) -> Result<Index, kubeward_yaml::Problem> {
        let first_error = match Index::build_exact(piece, base, first_line) {
            Ok(ix) => return Ok(ix),
            Err(e) => e,
        };
        let mut patched = piece.to_string();
        // (offset in `piece` of a line start, spaces put before it), in offset order, and the
        // lines and columns they moved.
        let mut added: Vec<(usize, usize)> = Vec::new();
        let mut moved: Vec<(u32, u32, u32)> = Vec::new();
        let mut error = first_error.clone();
        for _ in 0..8 {
            let Some((at, have, n)) = closing_bracket_indent(&patched, &error, first_line) else {
                return Err(first_error);
            };
            // `at` is a line start of the patched text: back to the piece's offsets.
            let original = original_offset(&added, at);
            patched.insert_str(at, &" ".repeat(n));
            added.push((original, n));
            added.sort_unstable();
            moved.push((error.pos.line, have as u32, n as u32));
            match Index::build_exact(&patched, 0, first_line) {
                Ok(mut ix) => {
                    for node in &mut ix.nodes {
                        node.start = base + original_offset(&added, node.start);
                        node.end = base + original_offset(&added, node.end);
                        for &(line, have, n) in &moved {
                            if node.pos.line == line && node.pos.column > have + 1 {
                                node.pos.column = node.pos.column.saturating_sub(n).max(have + 1);
                            }
                        }
                    }
                    return Ok(ix);
                }
                Err(e) => error = e,
            }
        }
        Err(first_error)
    }

    fn build_exact(
        piece: &str,
        base: usize,
        first_line: u32,
    ) -> Result<Index, kubeward_yaml::Problem> {
        let offsets = Offsets::new(piece);
        let mut index = Index::default();
        let mut open: Vec<Open> = Vec::new();
        let mut parser = Parser::new_from_str(piece);
        let pos = |span: &Span| Pos {
            line: span.start.line() as u32 + first_line - 1,
            column: span.start.col() as u32 + 1,
        };
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    return Err(kubeward_yaml::Problem {
                        pos: Pos {
                            line: e.marker().line() as u32 + first_line - 1,
                            column: e.marker().col() as u32 + 1,
                        },
                        message: e.info().to_string(),
                    })
                }
            };
            let start = base + offsets.byte(span.start.index());
            let end = base + offsets.byte(span.end.index());
            let leaf = |index: &mut Index, node: Node, open: &mut Vec<Open>| {
                let id = index.nodes.len();
                index.nodes.push(node);
                match open.last_mut() {
                    Some(o) => o.children.push(id),
                    None => index.roots.push(id),
                }
            };
            match event {
                Event::Scalar(value, style, anchor, tag) => {
                    let style = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::Single,
                        ScalarStyle::DoubleQuoted => Style::Double,
                        _ => Style::BlockScalar,
                    };
                    leaf(
                        &mut index,
                        Node {
                            kind: Kind::Scalar,
                            style,
                            start,
                            end: end.max(start),
                            pos: pos(&span),
                            anchored: anchor != 0,
                            tagged: tag.is_some(),
                            value: value.into_owned(),
                            children: Vec::new(),
                            merge: false,
                        },
                        &mut open,
                    );
                }
                Event::Alias(_) => leaf(
                    &mut index,
                    Node {
                        kind: Kind::Alias,
                        style: Style::Plain,
                        start,
                        end: end.max(start),
                        pos: pos(&span),
                        anchored: false,
                        tagged: false,
                        value: String::new(),
                        children: Vec::new(),
                        merge: false,
                    },
                    &mut open,
                ),
                Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                    let kind = if matches!(event, Event::SequenceStart(..)) {
                        Kind::Seq
                    } else {
                        Kind::Map
                    };
                    // saphyr's events do not say flow or block: a flow collection starts at
                    // its own bracket (`[` for a sequence, `{` for a mapping). An indentless
                    // block sequence starts at its first item's content, which may be a `{`:
                    // taken for a flow sequence, its end ran to the next token and a key added
                    // after it went one line too late (found by the `fix` fuzz target).
                    let open_bracket = if kind == Kind::Seq { b'[' } else { b'{' };
                    let flow = piece.as_bytes().get(start - base) == Some(&open_bracket);
                    let (mut start, mut at) = (start, pos(&span));
                    if kind == Kind::Seq && !flow {
                        // An indentless block sequence (`key:` then `- x` at the key's column)
                        // starts, for saphyr, at its first item's content: move to the dash.
                        let b = piece.as_bytes();
                        let mut i = start - base;
                        while i > 0 && b[i - 1] == b' ' {
                            i -= 1;
                        }
                        if i > 0 && b[i - 1] == b'-' && b.get(start - base) != Some(&b'-') {
                            let back = start - base - (i - 1);
                            start -= back;
                            at.column = at.column.saturating_sub(back as u32).max(1);
                        }
                    }
                    let id = index.nodes.len();
                    index.nodes.push(Node {
                        kind,
                        style: if flow { Style::Flow } else { Style::Block },
                        start,
                        end: start,
                        pos: at,
                        anchored: anchor != 0,
                        tagged: tag.is_some(),
                        value: String::new(),
                        children: Vec::new(),
                        merge: false,
                    });
                    match open.last_mut() {
                        Some(o) => o.children.push(id),
                        None => index.roots.push(id),
                    }
                    open.push(Open {
                        node: id,
                        children: Vec::new(),
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(o) = open.pop() else { continue };
                    let last_end = o
                        .children
                        .iter()
                        .map(|&c| index.nodes[c].end)
                        .max()
                        .unwrap_or(index.nodes[o.node].start);
                    let merge = index.nodes[o.node].kind == Kind::Map
                        && o.children.chunks_exact(2).any(|p| {
                            let k = &index.nodes[p[0]];
                            k.kind == Kind::Scalar && k.style == Style::Plain && k.value == "<<"
                        });
                    let n = &mut index.nodes[o.node];
                    n.end = if n.style == Style::Flow {
                        let close = if n.kind == Kind::Map { '}' } else { ']' };
                        past_closing_bracket(piece, base, end.max(last_end), close)
                    } else {
                        last_end
                    };
                    n.merge = merge;
                    n.children = o.children;
                }
                _ => {}
            }
        }
        Ok(index)
    }

    pub fn node(&self, id: usize) -> &Node {
        &self.nodes[id]
    }

    /// The value of `key` in a mapping (the last one, as Kubernetes' decoder reads duplicates),
    /// and its key node.
    pub fn get(&self, map: usize, key: &str) -> Option<(usize, usize)> {
        let n = &self.nodes[map];
        if n.kind != Kind::Map {
            return None;
        }
        n.children.chunks_exact(2).rev().find_map(|p| {
            let k = &self.nodes[p[0]];
            (k.kind == Kind::Scalar && k.value == key).then_some((p[0], p[1]))
        })
    }

    /// The end of a node's content: for a block collection, of its last descendant.
    pub fn ends_in_block_scalar(&self, id: usize) -> bool {
        let n = &self.nodes[id];
        match n.kind {
            Kind::Scalar => n.style == Style::BlockScalar,
            Kind::Alias => false,
            _ if n.style == Style::Flow => false,
            _ => n
                .children
                .iter()
                .max_by_key(|&&c| self.nodes[c].end)
                .is_some_and(|&c| self.ends_in_block_scalar(c)),
        }
    }
}
