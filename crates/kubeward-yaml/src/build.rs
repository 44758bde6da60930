//! From saphyr-parser events to [`Document`]s.
//!
//! Hand-written because no crate builds a compact, spanned tree at parser speed (see
//! `../shared/DESIGN.md`: saphyr's own spanned tree is 3.5x slower than its event stream).
//! Aliases and merge keys share nodes instead of copying them, and the *expanded* size of every
//! document is counted and bounded, so a YAML bomb costs nothing but its own bytes and is refused.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use crate::chars::Shifts;
use crate::tree::{Document, Kind, Node, Pos, Problem, FLAG_PLAIN};
use crate::Limits;

struct Frame {
    node: u32,
    kind: Kind,
    anchor: usize,
    scratch_start: usize,
    /// Expanded size of the collection so far, aliases counted at their full size.
    size: u64,
}

pub(crate) struct Builder<'l> {
    limits: &'l Limits,
    line_offset: u32,
    shifts: &'l Shifts,
    nodes: Vec<Node>,
    children: Vec<u32>,
    text: String,
    scratch: Vec<u32>,
    frames: Vec<Frame>,
    /// Anchors of the current document (anchors never reach across documents): anchor id ->
    /// its state.
    anchors: Vec<Anchor>,
    expanded: u64,
    root: Option<u32>,
    warnings: Vec<Problem>,
    /// Where the current document started.
    doc_start: Option<Marker>,
}

#[derive(Clone, Copy)]
enum Anchor {
    /// Not defined in this document (maybe in an earlier one: out of reach).
    Unknown,
    /// Defined by a collection that is still open: an alias to it would contain itself.
    Open,
    /// A finished node and its expanded size.
    Done(u32, u64),
}

/// Mappings up to this many pairs are checked for duplicate keys without hashing.
const SMALL_MAP: usize = 16;

/// Why a document could not be built.
pub(crate) type BuildError = Problem;

impl<'l> Builder<'l> {
    pub(crate) fn new(limits: &'l Limits, line_offset: u32, shifts: &'l Shifts) -> Self {
        Builder {
            limits,
            line_offset,
            shifts,
            nodes: Vec::new(),
            children: Vec::new(),
            text: String::new(),
            scratch: Vec::new(),
            frames: Vec::new(),
            anchors: Vec::new(),
            expanded: 0,
            root: None,
            warnings: Vec::new(),
            doc_start: None,
        }
    }

    pub(crate) fn pos(&self, m: &Marker) -> Pos {
        let (line, col) = (m.line() as u32, m.col() as u32);
        let col = if self.shifts.is_empty() {
            col
        } else {
            self.shifts.source_col(line, col)
        };
        Pos {
            line: line.saturating_add(self.line_offset),
            column: col + 1,
        }
    }

    fn reset(&mut self) {
        self.nodes.clear();
        self.children.clear();
        self.text.clear();
        self.scratch.clear();
        self.frames.clear();
        self.anchors.clear();
        self.expanded = 0;
        self.root = None;
        self.warnings.clear();
    }

    fn add_node(&mut self, kind: Kind, flags: u8, start: u32, len: u32, m: &Marker) -> u32 {
        let p = self.pos(m);
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            kind,
            flags,
            start,
            len,
            line: p.line,
            column: p.column,
        });
        id
    }

    /// Attach a finished value (of expanded `size`) to the open collection, or make it the root.
    fn attach(&mut self, id: u32, size: u64, m: &Marker) -> Result<(), BuildError> {
        self.expanded += size;
        if self.expanded > self.limits.max_expanded_nodes as u64 {
            return Err(Problem {
                pos: self.pos(m),
                message: format!(
                    "document expands to more than {} nodes (YAML alias bomb?); refused",
                    self.limits.max_expanded_nodes
                ),
            });
        }
        match self.frames.last_mut() {
            Some(f) => {
                f.size += size;
                self.scratch.push(id);
            }
            None => self.root = Some(id),
        }
        Ok(())
    }

    fn set_anchor(&mut self, anchor: usize, value: Anchor) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, Anchor::Unknown);
        }
        self.anchors[anchor] = value;
    }

    /// Feed one event. Returns a finished document at `DocumentEnd`.
    pub(crate) fn event(
        &mut self,
        ev: Event<'_>,
        m: &Marker,
    ) -> Result<Option<Document>, BuildError> {
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.reset();
                self.doc_start = Some(*m);
            }
            Event::DocumentEnd => {
                let root = match self.root {
                    Some(r) => r,
                    None => {
                        // An empty document: its null root is where the document starts (the
                        // end marker may sit past the input's last line).
                        let start = self.text.len() as u32;
                        let at = self.doc_start.unwrap_or(*m);
                        self.add_node(Kind::Scalar, FLAG_PLAIN, start, 0, &at)
                    }
                };
                let doc = Document {
                    nodes: std::mem::take(&mut self.nodes),
                    children: std::mem::take(&mut self.children),
                    text: std::mem::take(&mut self.text),
                    root,
                    warnings: std::mem::take(&mut self.warnings),
                };
                self.reset();
                return Ok(Some(doc));
            }
            Event::Scalar(value, style, anchor, tag) => {
                let start = self.text.len() as u32;
                self.text.push_str(&value);
                let forced_str = tag.as_ref().is_some_and(|t| {
                    t.suffix == "str" && matches!(t.handle.as_str(), "!!" | "tag:yaml.org,2002:")
                });
                let plain = style == ScalarStyle::Plain && !forced_str;
                let flags = if plain { FLAG_PLAIN } else { 0 };
                let id = self.add_node(Kind::Scalar, flags, start, value.len() as u32, m);
                self.set_anchor(anchor, Anchor::Done(id, 1));
                self.attach(id, 1, m)?;
            }
            Event::Alias(anchor) => match self.anchors.get(anchor).copied() {
                Some(Anchor::Done(id, size)) => self.attach(id, size, m)?,
                Some(Anchor::Open) => {
                    return Err(Problem {
                        pos: self.pos(m),
                        message: "alias refers to a node that contains it (recursive alias)"
                            .to_string(),
                    })
                }
                Some(Anchor::Unknown) | None => {
                    return Err(Problem {
                        pos: self.pos(m),
                        message: "alias to an unknown anchor: an anchor applies only within \
                                  its own document"
                            .to_string(),
                    })
                }
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.frames.len() >= self.limits.max_depth {
                    return Err(Problem {
                        pos: self.pos(m),
                        message: format!(
                            "nesting deeper than {} levels; refused",
                            self.limits.max_depth
                        ),
                    });
                }
                let kind = if matches!(ev, Event::SequenceStart(..)) {
                    Kind::Seq
                } else {
                    Kind::Map
                };
                let id = self.add_node(kind, 0, 0, 0, m);
                self.set_anchor(anchor, Anchor::Open);
                self.frames.push(Frame {
                    node: id,
                    kind,
                    anchor,
                    scratch_start: self.scratch.len(),
                    size: 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.frames.pop() else {
                    return Ok(None);
                };
                if frame.kind == Kind::Map {
                    self.finish_map(frame.scratch_start);
                }
                let start = self.children.len() as u32;
                self.children
                    .extend_from_slice(&self.scratch[frame.scratch_start..]);
                let len = self.children.len() as u32 - start;
                self.scratch.truncate(frame.scratch_start);
                let n = &mut self.nodes[frame.node as usize];
                n.start = start;
                n.len = len;
                self.set_anchor(frame.anchor, Anchor::Done(frame.node, frame.size));
                // The collection's own nodes were counted as they were attached; attach the
                // collection itself with size 1 and add its contents to the parent's size.
                self.expanded -= frame.size - 1;
                self.attach(frame.node, frame.size, m)?;
            }
        }
        Ok(None)
    }

    fn key_text(&self, id: u32) -> Option<&str> {
        let n = &self.nodes[id as usize];
        (n.kind == Kind::Scalar).then(|| &self.text[n.start as usize..(n.start + n.len) as usize])
    }

    fn is_merge_key(&self, id: u32) -> bool {
        let n = &self.nodes[id as usize];
        n.flags & FLAG_PLAIN != 0 && self.key_text(id) == Some("<<")
    }

    /// Report duplicate keys and apply YAML merge keys (`<<: *base`) in the pairs held in
    /// `scratch[from..]`. Merged entries share the source nodes; explicit keys win, then earlier
    /// merge sources, as in go-yaml.
    fn finish_map(&mut self, from: usize) {
        let pairs: Vec<(u32, u32)> = self.scratch[from..]
            .chunks_exact(2)
            .map(|p| (p[0], p[1]))
            .collect();
        let has_merge = pairs.iter().any(|&(k, _)| self.is_merge_key(k));
        let mut dups = Vec::new();
        // Small mappings (almost all) are searched in place; larger ones through a hash map, so
        // that a mapping of a million keys costs linear time, not quadratic.
        if pairs.len() <= SMALL_MAP {
            let mut seen: Vec<(&str, u32)> = Vec::with_capacity(pairs.len());
            for &(k, _) in &pairs {
                if has_merge && self.is_merge_key(k) {
                    continue;
                }
                if let Some(t) = self.key_text(k) {
                    if let Some(&(_, first)) = seen.iter().find(|(s, _)| *s == t) {
                        dups.push((k, first, t.to_string()));
                    } else {
                        seen.push((t, k));
                    }
                }
            }
        } else {
            let mut seen: HashMap<&str, u32> = HashMap::with_capacity(pairs.len());
            for &(k, _) in &pairs {
                if has_merge && self.is_merge_key(k) {
                    continue;
                }
                if let Some(t) = self.key_text(k) {
                    match seen.entry(t) {
                        Entry::Occupied(e) => dups.push((k, *e.get(), t.to_string())),
                        Entry::Vacant(e) => {
                            e.insert(k);
                        }
                    }
                }
            }
        }
        for (k, first, t) in dups {
            let n = &self.nodes[k as usize];
            let f = &self.nodes[first as usize];
            self.warnings.push(Problem {
                pos: Pos {
                    line: n.line,
                    column: n.column,
                },
                message: format!(
                    "duplicate key {t:?}: this value is used and the one at line {}, column {} \
                     is ignored, as Kubernetes' YAML decoder does; remove one",
                    f.line, f.column
                ),
            });
        }
        if !has_merge {
            return;
        }
        let mut merged: Vec<(u32, u32)> = Vec::new();
        let mut explicit: Vec<(u32, u32)> = Vec::new();
        let mut sources: Vec<u32> = Vec::new();
        for &(k, v) in &pairs {
            if self.is_merge_key(k) {
                match self.nodes[v as usize].kind {
                    Kind::Map => sources.push(v),
                    Kind::Seq => {
                        let n = self.nodes[v as usize];
                        sources.extend(
                            self.children[n.start as usize..(n.start + n.len) as usize]
                                .iter()
                                .copied()
                                .filter(|&c| self.nodes[c as usize].kind == Kind::Map),
                        );
                    }
                    Kind::Scalar => {
                        let n = &self.nodes[k as usize];
                        self.warnings.push(Problem {
                            pos: Pos {
                                line: n.line,
                                column: n.column,
                            },
                            message: "merge key `<<` needs a mapping or a list of mappings"
                                .to_string(),
                        });
                    }
                }
            } else {
                explicit.push((k, v));
            }
        }
        let mut keys: HashSet<&str> = explicit
            .iter()
            .filter_map(|&(k, _)| self.key_text(k))
            .collect();
        for src in sources {
            let n = self.nodes[src as usize];
            for pair in self.children[n.start as usize..(n.start + n.len) as usize].chunks_exact(2)
            {
                if let Some(t) = self.key_text(pair[0]) {
                    if keys.insert(t) {
                        merged.push((pair[0], pair[1]));
                    }
                }
            }
        }
        self.scratch.truncate(from);
        for (k, v) in merged.into_iter().chain(explicit) {
            self.scratch.push(k);
            self.scratch.push(v);
        }
    }
}

/// Parse one piece of YAML text that holds zero or more documents. Documents finished before an
/// error are kept; the error ends the piece.
pub(crate) fn parse_documents(
    text: &str,
    line_offset: u32,
    shifts: &Shifts,
    limits: &Limits,
) -> (Vec<Document>, Option<Problem>) {
    let mut docs = Vec::new();
    let mut builder = Builder::new(limits, line_offset, shifts);
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => return (docs, None),
            Some(Err(e)) => {
                let mut pos = builder.pos(e.marker());
                // saphyr counts columns of a `%` directive line in bytes; make them characters.
                let line = nth_line(text, e.marker().line().saturating_sub(1));
                if let Some(l) = line.filter(|l| l.starts_with('%')) {
                    let bytes = e.marker().col().min(l.len());
                    let chars = l.char_indices().take_while(|(i, _)| *i < bytes).count();
                    pos.column = chars as u32 + 1;
                }
                return (
                    docs,
                    Some(Problem {
                        pos,
                        message: match e.info() {
                            // saphyr knows anchors per stream; the hint says why it is unknown.
                            "while parsing node, found unknown anchor" => "alias to an unknown \
                                anchor: an anchor applies only within its own document"
                                .to_string(),
                            info => info.to_string(),
                        },
                    }),
                );
            }
            Some(Ok((ev, span))) => {
                let is_end = matches!(ev, Event::StreamEnd);
                match builder.event(ev, &span.start) {
                    Ok(Some(doc)) => docs.push(doc),
                    Ok(None) => {}
                    Err(p) => return (docs, Some(p)),
                }
                if is_end {
                    return (docs, None);
                }
            }
        }
    }
}

/// The `n`th line (0-based) of `text`, lines ending at `\n`, `\r\n` or a bare `\r`.
fn nth_line(text: &str, n: usize) -> Option<&str> {
    let start = crate::line_start(text.as_bytes(), n)?;
    let end = crate::line_end(text.as_bytes(), start);
    Some(text[start..end].trim_end_matches(['\n', '\r']))
}
