//! kubeward-yaml: bytes → YAML documents → compact trees in which every node keeps its line and
//! column.
//!
//! * [`split_documents`] cuts a multi-document stream at its `---` lines without parsing, so the
//!   documents can be parsed in parallel and a broken document costs only itself.
//! * [`parse_chunk`] parses one piece into [`Document`]s under [`Limits`] (document size,
//!   nesting depth, expanded size, which bounds YAML alias bombs).
//! * [`NodeRef`] reads a tree, resolving plain scalars the way Kubernetes' decoder does.

mod build;
mod chars;
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

/// A piece of a YAML stream. It starts on a line boundary, except a [`Part::ListEnvelope`]
/// after an entry of a JSON List.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the stream.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of the first line of the piece.
    pub first_line: u32,
    /// What the piece holds.
    pub part: Part,
}

/// What a [`Chunk`] holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Part {
    /// A YAML document (or several, when they could not be told apart without parsing).
    #[default]
    Document,
    /// One entry of the `items` of a `kubectl get -o yaml` List (a `- ` line at column 0 and
    /// the indented lines under it), or of a `kubectl get -o json` List (from its `{` line to
    /// its `}`): parsed alone, so a dump of any size is read an object at a time, each at its
    /// own lines and columns.
    ListItem,
    /// The rest of such a List (`apiVersion: v1`, `items:`, `kind: List`, `metadata`): no
    /// object. After a JSON entry it starts mid-line, at the `,` that follows the entry's `}`.
    ListEnvelope,
}

/// Whether a line (or the start of one) is a boundary for [`Splitter`]: a `---` marker or a
/// `%` directive. A start shorter than four bytes may still become one.
pub fn may_be_boundary(start: &[u8]) -> bool {
    start.first() == Some(&b'%') || start.len() < 4 || is_marker(start, b"---")
}

fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.starts_with(marker)
        && line
            .get(3)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The end of the line that starts at `pos` (past its terminator): `\n`, `\r\n` or a bare `\r`,
/// the three line breaks of YAML, which saphyr counts the same way.
pub(crate) fn line_end(bytes: &[u8], pos: usize) -> usize {
    complete_line_end(bytes, pos, true).unwrap_or(bytes.len())
}

/// The offset where the `n`th line (0-based) starts, if the text has that many line breaks.
pub(crate) fn line_start(bytes: &[u8], n: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 0..n {
        let next = line_end(bytes, start);
        if next == start || !matches!(bytes[next - 1], b'\n' | b'\r') {
            return None;
        }
        start = next;
    }
    Some(start)
}

/// A line that is blank or holds only a comment.
fn is_blank_or_comment(line: &[u8]) -> bool {
    match line
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        None => true,
        Some(b) => *b == b'#',
    }
}

/// Cut a stream into documents without parsing it, so that each document is parsed on its own
/// and a broken one costs only itself, whatever its line ends or directives:
///
/// * a `---` line at column 0 starts a document (it can never be content: it is a "forbidden"
///   line inside scalars too), unless only directives and comments precede it in its piece;
/// * a `...` line at column 0 ends one (the next line starts a new piece);
/// * a `%` directive line after a document's content starts the next piece, since a directive
///   belongs to the document after it;
/// * `\n`, `\r\n` and bare `\r` all end lines.
///
/// Works on bytes, so that a piece with invalid UTF-8 is refused alone ([`parse_chunk`]).
pub fn split_documents(bytes: &[u8]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut splitter = Splitter::default();
    splitter.feed(bytes, 0, true, &mut chunks);
    if chunks.is_empty() {
        chunks.push(Chunk {
            start: 0,
            end: bytes.len(),
            first_line: 1,
            part: Part::Document,
        });
    }
    chunks
}

/// [`split_documents`] for a stream that arrives in parts (a large file, standard input):
/// [`Splitter::feed`] takes each newly read part and yields the documents it completes, so a
/// reader can hand them on and drop their bytes.
#[derive(Clone, Debug)]
pub struct Splitter {
    /// Stream offset of the current piece's first byte.
    start: usize,
    first_line: u32,
    /// Stream offset of the next line to read, and its number.
    pos: usize,
    line_no: u32,
    /// The piece so far holds document content (anything but directives, comments, blanks).
    content: bool,
    /// The piece so far holds a directive and no content: a `---` completes it.
    prologue: bool,
    /// The line at `pos` began in an earlier part whose bytes were dropped (see
    /// [`Splitter::skip_line`]): it is content, and ends at the next line break.
    mid_line: bool,
    /// The piece in progress is refused (too large): it is finished but never yielded.
    refusing: bool,
    /// Where the current document is in a kubectl List's layout.
    list: ListState,
    /// What the piece in progress holds.
    part: Part,
}

/// A kubectl List (`apiVersion: v1`, then `items:` whose entries start at column 0), followed
/// line by line without parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListState {
    /// No content line yet in this document.
    Start,
    /// The first content line was `apiVersion: v1`.
    Header,
    /// `items:` followed: entries start with `- ` at column 0.
    Items,
    /// The first content line was `{` alone: perhaps `kubectl get -o json`'s List.
    JsonOpen,
    /// Then `    "apiVersion": "v1",`.
    JsonHeader,
    /// Then `    "items": [`: each entry starts with `        {` and ends with `        }` or
    /// `        },` (kubectl indents by four spaces and sorts the keys).
    JsonItems,
    /// Inside an entry of the items.
    JsonItem,
    /// Not a List (or its items are over).
    No,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            start: 0,
            first_line: 1,
            pos: 0,
            line_no: 1,
            content: false,
            prologue: false,
            mid_line: false,
            refusing: false,
            list: ListState::Start,
            part: Part::Document,
        }
    }
}

impl Splitter {
    /// Read the complete lines of `buf`, which holds the stream from offset `base` and at least
    /// up to [`Splitter::position`]. Finished pieces go to `out`, with stream offsets. At `eof`
    /// the last line counts even without a line break, and the last piece is finished.
    pub fn feed(&mut self, buf: &[u8], base: usize, eof: bool, out: &mut Vec<Chunk>) {
        debug_assert!(self.pos >= base);
        loop {
            let rel = self.pos - base;
            if rel >= buf.len() {
                break;
            }
            let Some(end) = complete_line_end(buf, rel, eof) else {
                break;
            };
            let line = &buf[rel..end];
            let end = base + end;
            if std::mem::take(&mut self.mid_line) {
                // The rest of a long line that is content (never a marker).
                self.content = true;
            } else if line.first() == Some(&b'%') {
                if self.content {
                    self.cut(self.pos, self.line_no, out);
                    self.content = false;
                }
                self.prologue = true;
            } else if is_marker(line, b"---") {
                if !self.prologue {
                    self.cut(self.pos, self.line_no, out);
                }
                self.prologue = false;
                self.content = true;
            } else if is_marker(line, b"...") {
                self.cut(end, self.line_no + 1, out);
                self.content = false;
                self.prologue = false;
            } else if !is_blank_or_comment(line) {
                self.content = true;
                self.list_line(line, out);
            }
            self.pos = end;
            self.line_no += 1;
        }
        if eof {
            let end = base + buf.len();
            let line = self.line_no;
            self.cut(end, line, out);
        }
    }

    fn cut(&mut self, at: usize, line: u32, out: &mut Vec<Chunk>) {
        self.cut_as(at, line, Part::Document, out);
        self.list = ListState::Start;
    }

    /// End the piece in progress at `at`; the next one holds `next`.
    fn cut_as(&mut self, at: usize, line: u32, next: Part, out: &mut Vec<Chunk>) {
        if at > self.start && !self.refusing {
            out.push(Chunk {
                start: self.start,
                end: at,
                first_line: self.first_line,
                part: self.part,
            });
        }
        self.refusing = false;
        self.start = at;
        self.first_line = line;
        self.part = next;
    }

    /// Follow a content line through a kubectl List's layout: each `- ` line at column 0
    /// under `items:` starts an item; the first other line at column 0 ends the items.
    fn list_line(&mut self, line: &[u8], out: &mut Vec<Chunk>) {
        let text = trim_line_end(line);
        self.list = match self.list {
            ListState::Start if text == b"apiVersion: v1" => ListState::Header,
            ListState::Header if text == b"items:" => {
                // The header so far is the List's envelope.
                self.part = Part::ListEnvelope;
                ListState::Items
            }
            ListState::Items if text == b"-" || text.starts_with(b"- ") => {
                self.cut_as(self.pos, self.line_no, Part::ListItem, out);
                ListState::Items
            }
            // An indented line before any item: the items are indented under `items:` (valid
            // YAML, not kubectl's layout). No item was cut yet, so the piece in progress is
            // the whole List so far: it goes on as an ordinary document, parsed whole, instead
            // of an envelope that is never parsed (which lost every item, silently).
            ListState::Items
                if matches!(text.first(), Some(b' ' | b'\t'))
                    && self.part == Part::ListEnvelope =>
            {
                self.part = Part::Document;
                ListState::No
            }
            ListState::Items if matches!(text.first(), Some(b' ' | b'\t')) => ListState::Items,
            ListState::Items => {
                // `kind: List`, `metadata:`: the envelope again.
                self.cut_as(self.pos, self.line_no, Part::ListEnvelope, out);
                ListState::No
            }
            ListState::Start if text == b"{" => ListState::JsonOpen,
            ListState::JsonOpen if text == br#"    "apiVersion": "v1","# => ListState::JsonHeader,
            ListState::JsonHeader if text == br#"    "items": ["# => {
                self.part = Part::ListEnvelope;
                ListState::JsonItems
            }
            ListState::JsonItems if text == b"        {" => {
                self.cut_as(self.pos, self.line_no, Part::ListItem, out);
                ListState::JsonItem
            }
            ListState::JsonItem if text.starts_with(b"         ") => ListState::JsonItem,
            ListState::JsonItem if text == b"        }" || text == b"        }," => {
                // The entry ends at its `}`; a `,` after it belongs to the envelope, which
                // is never parsed: this piece starts mid-line.
                self.cut_as(self.pos + 9, self.line_no, Part::ListEnvelope, out);
                ListState::JsonItems
            }
            // `    ],` and what follows: the envelope. Anything else (a List laid out another
            // way, an entry cut short): the piece in progress goes on to the next boundary and
            // is parsed as a whole, as any document.
            _ => ListState::No,
        };
    }

    /// Refuse the piece in progress (it is too large): it will end at the next boundary as
    /// usual but never be yielded, so a reader may drop its bytes as they come.
    pub fn refuse_current(&mut self) {
        self.refusing = true;
    }

    /// Whether the piece in progress is refused.
    pub fn refusing(&self) -> bool {
        self.refusing
    }

    /// End the piece in progress at [`Splitter::position`]: the incomplete line there starts a
    /// new piece (a reader saw it begin with `---` or `%`, a boundary however it ends).
    pub fn cut_here(&mut self) {
        let (at, line) = (self.pos, self.line_no);
        self.cut(at, line, &mut Vec::new());
        self.content = false;
        self.prologue = false;
    }

    /// Stream offset of the first byte not yet read (the start of an incomplete line).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Stream offset and first line of the piece in progress.
    pub fn current(&self) -> (usize, u32) {
        (self.start, self.first_line)
    }

    /// The line in progress at [`Splitter::position`] is long and not a marker: consider its
    /// bytes up to `to` read (the caller drops them) and go on at its end.
    pub fn skip_line(&mut self, to: usize) {
        if to > self.pos {
            self.pos = to;
            self.mid_line = true;
        }
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// The end of the line at `pos` (past its terminator) if the line is complete in `buf`: a `\r`
/// at the very end may still be followed by `\n`, so it waits for more unless at `eof`.
fn complete_line_end(buf: &[u8], pos: usize, eof: bool) -> Option<usize> {
    match memchr::memchr2(b'\n', b'\r', &buf[pos..]) {
        None => eof.then_some(buf.len()),
        Some(i) => {
            let at = pos + i;
            if buf[at] == b'\n' {
                Some(at + 1)
            } else if at + 1 < buf.len() {
                Some(if buf[at + 1] == b'\n' { at + 2 } else { at + 1 })
            } else {
                eof.then_some(at + 1)
            }
        }
    }
}

/// The outcome of parsing one chunk: its documents, then the error that stopped it, if any.
pub struct ParsedChunk {
    pub documents: Vec<Document>,
    pub error: Option<Problem>,
}

/// The position just after `bytes` (1-based line and column in characters), counting lines the
/// way [`split_documents`] and the parser do.
pub(crate) fn position_after(bytes: &[u8], first_line: u32) -> Pos {
    let mut line = first_line;
    let mut line_start = 0;
    while line_start < bytes.len() {
        let next = line_end(bytes, line_start);
        if next == bytes.len() && !matches!(bytes[next - 1], b'\n' | b'\r') {
            break;
        }
        line += 1;
        line_start = next;
    }
    let tail = String::from_utf8_lossy(&bytes[line_start..]);
    Pos {
        line,
        column: tail.chars().count() as u32 + 1,
    }
}

fn refused(pos: Pos, message: String) -> ParsedChunk {
    ParsedChunk {
        documents: Vec::new(),
        error: Some(Problem { pos, message }),
    }
}

/// Parse a chunk of `bytes` (as cut by [`split_documents`]). Invalid UTF-8 and characters that
/// Kubernetes' decoders refuse (C0 controls; in YAML also DEL and C1 controls) refuse the
/// chunk's documents, located at the offending byte.
pub fn parse_chunk(bytes: &[u8], chunk: Chunk, limits: &Limits) -> ParsedChunk {
    if chunk.part == Part::ListEnvelope {
        return ParsedChunk {
            documents: Vec::new(),
            error: None,
        };
    }
    let raw = &bytes[chunk.start..chunk.end];
    if raw.len() > limits.max_document_bytes {
        return refused(
            Pos {
                line: chunk.first_line,
                column: 1,
            },
            format!(
                "document of {} bytes is larger than the limit of {} bytes; refused",
                raw.len(),
                limits.max_document_bytes
            ),
        );
    }
    let piece = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => {
            return refused(
                position_after(&raw[..e.valid_up_to()], chunk.first_line),
                "not valid UTF-8 text; this document is skipped".to_string(),
            )
        }
    };
    if let Some((at, c)) = chars::forbidden_control(piece) {
        return refused(
            position_after(&raw[..at], chunk.first_line),
            format!(
                "control character U+{:04X} is not allowed here (Kubernetes' decoder refuses it); \
                 this document is skipped",
                c as u32
            ),
        );
    }
    let line_offset = chunk.first_line - 1;
    // saphyr-parser is not known to panic, but a parser bug must cost one document, never the
    // run: contain it and report it where the document starts.
    let attempt = std::panic::catch_unwind(|| {
        let mut patched: Option<String> = None;
        let mut shifts = chars::Shifts::default();
        for _ in 0..8 {
            let text = patched.as_deref().unwrap_or(piece);
            let (docs, error) = build::parse_documents(text, line_offset, &shifts, limits);
            let fixed = error.as_ref().and_then(|e| {
                reindent_closing_bracket(text, e, line_offset, &mut shifts)
                    .or_else(|| chars::combine_surrogates(text, e, line_offset, &mut shifts))
            });
            match fixed {
                Some(fixed) => patched = Some(fixed),
                None => return (docs, error),
            }
        }
        let text = patched.as_deref().unwrap_or(piece);
        build::parse_documents(text, line_offset, &shifts, limits)
    });
    match attempt {
        Ok((mut documents, error)) => {
            // An error found at the end of a piece ("unclosed [") is reported on the piece's
            // last line, not on the next document's `---`; so is the null root of an empty
            // document that ends the input.
            let body = piece
                .strip_suffix("\r\n")
                .or_else(|| piece.strip_suffix('\n'))
                .or_else(|| piece.strip_suffix('\r'))
                .unwrap_or(piece);
            let last = position_after(body.as_bytes(), chunk.first_line);
            let error = error.map(|mut e| {
                if e.pos.line > last.line {
                    e.pos = last;
                }
                e
            });
            for d in &mut documents {
                d.clamp_positions(last);
                if chunk.part == Part::ListItem {
                    d.take_single_item();
                }
            }
            ParsedChunk { documents, error }
        }
        Err(_) => refused(
            Pos {
                line: chunk.first_line,
                column: 1,
            },
            "internal YAML parser failure on this document; please report it".to_string(),
        ),
    }
}

/// go-yaml (so kubectl) and PyYAML accept a flow collection whose closing `]` or `}` sits at
/// the indentation of its parent key, as real manifests do (istio's spire-quickstart.yaml);
/// saphyr follows the spec and refuses it. Give such a line the indentation of the line before
/// it and parse again: line numbers do not move, and columns on that line are mapped back
/// through `shifts`.
fn reindent_closing_bracket(
    text: &str,
    e: &Problem,
    line_offset: u32,
    shifts: &mut chars::Shifts,
) -> Option<String> {
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
    shifts.push(idx as u32 + 1, 0, -((want - have) as i64));
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
    for chunk in split_documents(text.as_bytes()) {
        let parsed = parse_chunk(text.as_bytes(), chunk, limits);
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
    std::str::from_utf8(bytes).map_err(|e| Problem {
        // Lines end as the parser ends them (LF, CRLF, bare CR); columns count characters.
        pos: position_after(&bytes[..e.valid_up_to()], 1),
        message: "file is not valid UTF-8 text".to_string(),
    })
}

#[cfg(test)]
mod tests;
