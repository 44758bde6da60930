//! The edit planner: from requests ("this path should hold this value") to byte edits of the
//! file, in the file's own style. Every edit either replaces one scalar's exact span or inserts
//! whole new lines (block style) or new entries before a closing bracket (flow style); bytes
//! elsewhere are never touched. What cannot be edited safely is refused with its position:
//! anchors, aliases, merge keys, tags, block scalars, templated text.

use std::collections::BTreeMap;

use kubeward_yaml::Pos;

use crate::index::{Index, Kind, Node, Style};

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Read a field path as kubeward writes it (`spec.containers[0]['a.b/c']`); `None` when it
/// is not one. Hand-written: the format is kubeward's own ([`kubeward_model::FieldPath`]).
pub fn parse_path(s: &str) -> Option<Vec<Seg>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' if !out.is_empty() => i += 1,
            b'[' if b.get(i + 1) == Some(&b'\'') => {
                let mut key = String::new();
                let mut j = i + 2;
                loop {
                    match s[j..].chars().next()? {
                        '\\' if b.get(j + 1) == Some(&b'\'') => {
                            key.push('\'');
                            j += 2;
                        }
                        '\'' => break,
                        c => {
                            key.push(c);
                            j += c.len_utf8();
                        }
                    }
                }
                if b.get(j + 1) != Some(&b']') {
                    return None;
                }
                out.push(Seg::Key(key));
                i = j + 2;
            }
            b'[' => {
                let close = s[i..].find(']')? + i;
                out.push(Seg::Index(s[i + 1..close].parse().ok()?));
                i = close + 1;
            }
            _ => {
                let end = s[i..].find(['.', '[']).map(|e| e + i).unwrap_or(s.len());
                if end == i {
                    return None;
                }
                out.push(Seg::Key(s[i..end].to_string()));
                i = end;
            }
        }
    }
    Some(out)
}

/// What a request wants at its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// This scalar value (YAML plain text of a boolean, number or simple string).
    Value(String),
    /// A list holding this item.
    Item(String),
}

/// New content: keys in the order they were asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tree {
    Value(String),
    Items(Vec<String>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    fn from(keys: &[String], leaf: &Leaf) -> Tree {
        match keys.split_first() {
            None => match leaf {
                Leaf::Value(v) => Tree::Value(v.clone()),
                Leaf::Item(i) => Tree::Items(vec![i.clone()]),
            },
            Some((k, rest)) => Tree::Map(vec![(k.clone(), Tree::from(rest, leaf))]),
        }
    }

    /// Merge another request's content in (two fixes that create the same mapping).
    fn merge(&mut self, other: Tree) {
        match (self, other) {
            (Tree::Map(a), Tree::Map(b)) => {
                for (k, v) in b {
                    match a.iter_mut().find(|(x, _)| *x == k) {
                        Some((_, t)) => t.merge(v),
                        None => a.push((k, v)),
                    }
                }
            }
            (Tree::Items(a), Tree::Items(b)) => {
                for i in b {
                    if !a.contains(&i) {
                        a.push(i);
                    }
                }
            }
            // Two values for one field: the first request wins (they never differ in practice:
            // one control owns a field).
            _ => {}
        }
    }
}

/// An edit refused, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub pos: Pos,
    pub reason: String,
}

/// A byte edit of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// At one offset, higher ranks go first (an inner mapping's new lines before its parent's).
    pub rank: usize,
}

/// An edit (or a refusal) and the ids of the requests it answers.
pub type Planned<T> = (T, Vec<usize>);

/// How the file indents, learnt from itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Columns a nested block mapping is indented by.
    map: usize,
    /// Columns a block sequence under a key is indented by (0: `- ` under the key's column).
    seq: usize,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { map: 2, seq: 2 }
    }
}

/// Learns a file's [`Layout`] from its documents in file order, as yamllint's `indentation`
/// rule does (its `relaxed` configuration: `spaces: consistent`, `indent-sequences:
/// consistent`): the first nested block mapping or indented sequence under a key sets the
/// indentation width for the whole file, and the first block sequence under a key sets
/// whether sequences are indented. New lines written in that layout are never a new yamllint
/// warning, even in a file that mixes styles (where yamllint warns about the lines that differ
/// from the first, and so would a reviewer). Hand-written: it reads kubeward's own span index.
#[derive(Clone, Copy, Debug, Default)]
pub struct LayoutLearner {
    /// (start offset of the deciding value, width).
    spaces: Option<(usize, usize)>,
    /// (start offset of the deciding sequence, indented).
    indented: Option<(usize, bool)>,
}

impl LayoutLearner {
    /// Take in one piece's documents (pieces in file order).
    pub fn learn(&mut self, index: &Index) {
        // Each piece's candidates are compared by offset: the earliest decides.
        let mut spaces: Option<(usize, usize)> = None;
        let mut indented: Option<(usize, bool)> = None;
        for n in &index.nodes {
            if n.kind != Kind::Map || n.style != Style::Block {
                continue;
            }
            for p in n.children.chunks_exact(2) {
                let (k, v) = (index.node(p[0]), index.node(p[1]));
                if v.style != Style::Block || v.pos.line <= k.pos.line {
                    continue;
                }
                let d = v.pos.column.saturating_sub(k.pos.column) as usize;
                let earlier = |c: Option<(usize, usize)>| c.is_none_or(|(at, _)| v.start < at);
                match v.kind {
                    Kind::Map if d > 0 && earlier(spaces) => spaces = Some((v.start, d)),
                    Kind::Seq => {
                        if d > 0 && earlier(spaces) {
                            spaces = Some((v.start, d));
                        }
                        if indented.is_none_or(|(at, _)| v.start < at) {
                            indented = Some((v.start, d > 0));
                        }
                    }
                    _ => {}
                }
            }
        }
        if self.spaces.is_none() {
            self.spaces = spaces;
        }
        if self.indented.is_none() {
            self.indented = indented;
        }
    }

    /// Whether both parts are known (later pieces cannot change them).
    pub fn complete(&self) -> bool {
        self.spaces.is_some() && self.indented.is_some()
    }

    pub fn layout(&self) -> Layout {
        let map = self.spaces.map_or(2, |(_, d)| d);
        Layout {
            map,
            seq: match self.indented {
                Some((_, false)) => 0,
                _ => map,
            },
        }
    }
}

/// The line break the file uses at `at` (the end of the line there), else its first, else LF.
fn line_break(text: &str, at: usize) -> &'static str {
    let rest = &text[at.min(text.len())..];
    let find = |t: &str| -> Option<&'static str> {
        let i = t.find(['\n', '\r'])?;
        Some(if t[i..].starts_with("\r\n") {
            "\r\n"
        } else if t[i..].starts_with('\r') {
            "\r"
        } else {
            "\n"
        })
    };
    find(rest).or_else(|| find(text)).unwrap_or("\n")
}

/// The start of the line after the one holding byte `at - 1` (the end of some content), or
/// `None` when that line is the last and has no line break.
fn next_line_start(text: &str, at: usize) -> Option<usize> {
    if at > 0 && matches!(text.as_bytes().get(at - 1), Some(b'\n')) {
        return Some(at);
    }
    let b = text.as_bytes();
    let i = at + text[at..].find(['\n', '\r'])?;
    Some(if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
        i + 2
    } else {
        i + 1
    })
}

/// The position after `text`, which starts at `from` (lines end as kubeward-yaml ends them:
/// `\n`, `\r\n` or a bare `\r`; columns count characters).
fn pos_after(from: Pos, text: &str) -> Pos {
    let mut pos = from;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                pos.line += 1;
                pos.column = 1;
            }
            _ => pos.column += 1,
        }
    }
    pos
}

fn is_plain_safe(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
}

fn quote(s: &str, style: Style) -> String {
    match style {
        Style::Double => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        _ if is_plain_safe(s) => s.to_string(),
        _ => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// Whether a plain text is a YAML boolean, null or number (never quoted).
fn is_typed(v: &str) -> bool {
    matches!(v, "true" | "false" | "null") || v.parse::<f64>().is_ok()
}

/// Quoting styles of a mapping: of its keys and of its string values.
#[derive(Clone, Copy)]
struct Quoting {
    key: Style,
    value: Style,
}

fn quoting_of(index: &Index, map: usize) -> Quoting {
    let n = index.node(map);
    let mut q = Quoting {
        key: Style::Plain,
        value: Style::Plain,
    };
    if let Some(p) = n.children.chunks_exact(2).next() {
        let k = index.node(p[0]);
        if matches!(k.style, Style::Single | Style::Double) {
            q.key = k.style;
        }
    }
    // String values: as the first quoted-or-plain string value among the siblings.
    for p in n.children.chunks_exact(2) {
        let v = index.node(p[1]);
        if v.kind == Kind::Scalar && v.style != Style::BlockScalar {
            if matches!(v.style, Style::Single | Style::Double) {
                q.value = v.style;
                break;
            }
            if !is_typed(&v.value) {
                break;
            }
        }
    }
    q
}

fn render_value(v: &str, q: Quoting) -> String {
    if is_typed(v) {
        v.to_string()
    } else {
        quote(v, q.value)
    }
}

fn render_flow(t: &Tree, q: Quoting) -> String {
    match t {
        Tree::Value(v) => render_value(v, q),
        Tree::Items(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| render_value(i, q))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Tree::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k, q.key), render_flow(v, q)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Block lines for `entries` at column `col`, each ended by `eol`.
fn render_block(
    entries: &[(String, Tree)],
    col: usize,
    layout: Layout,
    q: Quoting,
    eol: &str,
    out: &mut String,
) {
    for (k, v) in entries {
        out.extend(std::iter::repeat_n(' ', col));
        out.push_str(&quote(k, q.key));
        out.push(':');
        render_block_value(v, col, layout, q, eol, out);
    }
}

/// A key's value in block style: the text after `key:` and the lines under it.
fn render_block_value(
    v: &Tree,
    col: usize,
    layout: Layout,
    q: Quoting,
    eol: &str,
    out: &mut String,
) {
    match v {
        Tree::Value(v) => {
            out.push(' ');
            out.push_str(&render_value(v, q));
            out.push_str(eol);
        }
        Tree::Items(items) => {
            out.push_str(eol);
            for i in items {
                out.extend(std::iter::repeat_n(' ', col + layout.seq));
                out.push_str("- ");
                out.push_str(&render_value(i, q));
                out.push_str(eol);
            }
        }
        Tree::Map(entries) => {
            out.push_str(eol);
            render_block(entries, col + layout.map, layout, q, eol, out);
        }
    }
}

/// What one document's requests become, grouped by the node they change.
#[derive(Debug)]
enum Op {
    /// Replace a scalar.
    Set(String),
    /// Add entries to a mapping.
    Insert(Tree),
    /// Give a key whose value is empty (`key:` and nothing) this content.
    Fill(Tree),
    /// Add items to a list.
    Append(Vec<String>),
}

/// Plans the edits of one document.
pub struct Planner<'a> {
    text: &'a str,
    index: &'a Index,
    layout: Layout,
    /// Target node -> (what to do, the key node above it for `Fill`, the requests' ids).
    ops: BTreeMap<usize, (Op, Option<usize>, Vec<usize>)>,
}

/// Why a node cannot be edited, if it cannot.
fn unsafe_node(n: &Node, what: &str) -> Option<Refusal> {
    let reason = if n.kind == Kind::Alias {
        format!("{what} is an alias (*name): editing it would change every use of its anchor")
    } else if n.anchored {
        format!("{what} carries an anchor (&name): editing it would change its aliases too")
    } else if n.tagged {
        format!("{what} carries a tag (!tag): its meaning is the tag's, not plain YAML's")
    } else if n.merge {
        format!("{what} holds a merge key (<<): its entries may come from elsewhere")
    } else if n.style == Style::BlockScalar {
        format!("{what} is a block scalar (| or >)")
    } else {
        return None;
    };
    Some(Refusal { pos: n.pos, reason })
}

impl<'a> Planner<'a> {
    /// Plans edits of `text`, whose piece `index` holds, in the file's `layout`.
    pub fn new(text: &'a str, index: &'a Index, layout: Layout) -> Self {
        Planner {
            text,
            index,
            layout,
            ops: BTreeMap::new(),
        }
    }

    /// A refusal at the first `{{` in `n`'s text, if it has one.
    fn templated(&self, n: &Node) -> Option<Refusal> {
        let span = self.text.get(n.start..n.end.max(n.start))?;
        let at = span.find("{{")?;
        Some(Refusal {
            pos: pos_after(n.pos, &span[..at]),
            reason: "templated text ({{ }}) here: edit the template, not its output".to_string(),
        })
    }

    /// Add a request: `leaf` at `path` under `root`; `id` is the caller's.
    pub fn request(
        &mut self,
        root: usize,
        path: &[Seg],
        leaf: &Leaf,
        id: usize,
    ) -> Result<(), Refusal> {
        let index = self.index;
        let mut cur = root;
        let mut key_of_cur: Option<usize> = None;
        for (i, seg) in path.iter().enumerate() {
            let n = index.node(cur);
            if let Some(r) = unsafe_node(n, "this node") {
                return Err(r);
            }
            match seg {
                Seg::Index(ix) => {
                    if n.kind != Kind::Seq {
                        return Err(Refusal {
                            pos: n.pos,
                            reason: "expected a list here".to_string(),
                        });
                    }
                    cur = *n.children.get(*ix).ok_or_else(|| Refusal {
                        pos: n.pos,
                        reason: format!("the list has no item {ix}"),
                    })?;
                    key_of_cur = None;
                }
                Seg::Key(k) => {
                    let rest: Option<Vec<String>> = path[i..]
                        .iter()
                        .map(|s| match s {
                            Seg::Key(k) => Some(k.clone()),
                            Seg::Index(_) => None,
                        })
                        .collect();
                    match n.kind {
                        Kind::Map => match index.get(cur, k) {
                            Some((kn, vn)) => {
                                cur = vn;
                                key_of_cur = Some(kn);
                            }
                            None => {
                                let Some(rest) = rest else {
                                    return Err(Refusal {
                                        pos: n.pos,
                                        reason: "the path goes through a list that is missing"
                                            .to_string(),
                                    });
                                };
                                if let Some(r) = self.templated(n) {
                                    return Err(r);
                                }
                                return self.add(
                                    cur,
                                    None,
                                    Op::Insert(Tree::from(&rest, leaf)),
                                    id,
                                );
                            }
                        },
                        Kind::Scalar if n.is_null_scalar() && n.value.is_empty() => {
                            let (Some(rest), Some(key)) = (rest, key_of_cur) else {
                                return Err(Refusal {
                                    pos: n.pos,
                                    reason: "an empty value here cannot be given content"
                                        .to_string(),
                                });
                            };
                            return self.fill(cur, key, Tree::from(&rest, leaf), id);
                        }
                        _ => {
                            return Err(Refusal {
                                pos: n.pos,
                                reason: format!("expected a mapping here, found {}", describe(n)),
                            })
                        }
                    }
                }
            }
        }
        // The whole path exists.
        let n = index.node(cur);
        if let Some(r) = unsafe_node(n, "the field's value") {
            return Err(r);
        }
        if let Some(r) = self.templated(n) {
            return Err(r);
        }
        match leaf {
            Leaf::Value(v) => match n.kind {
                Kind::Scalar if n.is_null_scalar() && n.value.is_empty() => match key_of_cur {
                    Some(key) => self.fill(cur, key, Tree::Value(v.clone()), id),
                    None => Err(Refusal {
                        pos: n.pos,
                        reason: "an empty value here cannot be set".to_string(),
                    }),
                },
                Kind::Scalar => {
                    let text = if is_typed(v) {
                        v.clone()
                    } else {
                        quote(v, n.style)
                    };
                    self.add(cur, None, Op::Set(text), id)
                }
                _ => Err(Refusal {
                    pos: n.pos,
                    reason: format!("expected a single value here, found {}", describe(n)),
                }),
            },
            Leaf::Item(item) => match n.kind {
                Kind::Seq => {
                    if n.children.iter().any(|&c| index.node(c).value == *item) {
                        return Ok(());
                    }
                    self.add(cur, None, Op::Append(vec![item.clone()]), id)
                }
                Kind::Scalar if n.is_null_scalar() && n.value.is_empty() => match key_of_cur {
                    Some(key) => self.fill(cur, key, Tree::Items(vec![item.clone()]), id),
                    None => Err(Refusal {
                        pos: n.pos,
                        reason: "an empty value here cannot be given a list".to_string(),
                    }),
                },
                _ => Err(Refusal {
                    pos: n.pos,
                    reason: format!("expected a list here, found {}", describe(n)),
                }),
            },
        }
    }

    fn fill(&mut self, value: usize, key: usize, tree: Tree, id: usize) -> Result<(), Refusal> {
        self.add(value, Some(key), Op::Fill(tree), id)
    }

    fn add(&mut self, node: usize, key: Option<usize>, op: Op, id: usize) -> Result<(), Refusal> {
        match self.ops.get_mut(&node) {
            None => {
                self.ops.insert(node, (op, key, vec![id]));
            }
            Some((existing, _, ids)) => {
                match (existing, op) {
                    (Op::Insert(a), Op::Insert(b)) | (Op::Fill(a), Op::Fill(b)) => a.merge(b),
                    (Op::Append(a), Op::Append(b)) => {
                        for i in b {
                            if !a.contains(&i) {
                                a.push(i);
                            }
                        }
                    }
                    (Op::Set(_), Op::Set(_)) => {}
                    _ => {
                        return Err(Refusal {
                            pos: self.index.node(node).pos,
                            reason: "two fixes want this node in different ways".to_string(),
                        })
                    }
                }
                ids.push(id);
            }
        }
        Ok(())
    }

    /// The byte edits, and for each the ids of the requests it carries out; refusals found
    /// while rendering.
    pub fn finish(mut self) -> (Vec<Planned<Edit>>, Vec<Planned<Refusal>>) {
        let mut edits = Vec::new();
        let mut refused = Vec::new();
        for (node, (op, key, ids)) in std::mem::take(&mut self.ops) {
            match self.render(node, op, key) {
                Ok(e) => edits.push((e, ids)),
                Err(r) => refused.push((r, ids)),
            }
        }
        (edits, refused)
    }

    fn render(&self, id: usize, op: Op, key: Option<usize>) -> Result<Edit, Refusal> {
        let index = self.index;
        let n = index.node(id);
        let text = self.text;
        match op {
            Op::Set(v) => Ok(Edit {
                start: n.start,
                end: n.end,
                text: v,
                rank: 0,
            }),
            Op::Insert(tree) => {
                let Tree::Map(entries) = tree else {
                    return Err(Refusal {
                        pos: n.pos,
                        reason: "internal: nothing to insert".to_string(),
                    });
                };
                let q = quoting_of(index, id);
                if n.style == Style::Flow {
                    return Ok(self.flow_insert(n, &entries, q));
                }
                // After the last entry that does not end in a block scalar (whose end is where
                // the next content starts, not where its own text ends).
                let col = n.pos.column as usize - 1;
                let pairs: Vec<&[usize]> = n.children.chunks_exact(2).collect();
                let after = pairs
                    .iter()
                    .rev()
                    .find(|p| !index.ends_in_block_scalar(p[1]) && !index.ends_in_block_scalar(p[0]))
                    .ok_or(Refusal {
                        pos: n.pos,
                        reason: "every entry of this mapping ends in a block scalar: no safe place for a new key".to_string(),
                    })?;
                let end = index.node(after[1]).end.max(index.node(after[0]).end);
                Ok(self.block_lines(end, col, |eol, out| {
                    render_block(&entries, col, self.layout, q, eol, out)
                }))
            }
            Op::Fill(tree) => {
                let key = key.map(|k| index.node(k)).ok_or(Refusal {
                    pos: n.pos,
                    reason: "no key".to_string(),
                })?;
                // The value is empty: after `key:` (and any spaces) the line holds nothing but
                // perhaps a comment.
                let colon = key.end + text[key.end..].find(':').unwrap_or(0);
                let q = Quoting {
                    key: key.style,
                    value: Style::Plain,
                };
                let q = Quoting {
                    key: if matches!(q.key, Style::Double | Style::Single) {
                        q.key
                    } else {
                        Style::Plain
                    },
                    ..q
                };
                if !text[key.end..colon].trim().is_empty() {
                    return Err(Refusal {
                        pos: key.pos,
                        reason: "cannot find this key's `:`".to_string(),
                    });
                }
                match tree {
                    Tree::Value(v) => Ok(Edit {
                        start: colon + 1,
                        end: colon + 1,
                        text: format!(" {}", render_value(&v, q)),
                        rank: 0,
                    }),
                    other => {
                        let col = key.pos.column as usize - 1;
                        let mut e = self.block_lines(colon + 1, col, |eol, out| match &other {
                            Tree::Map(entries) => render_block(
                                entries,
                                col + self.layout.map,
                                self.layout,
                                q,
                                eol,
                                out,
                            ),
                            Tree::Items(items) => {
                                for i in items {
                                    out.extend(std::iter::repeat_n(' ', col + self.layout.seq));
                                    out.push_str("- ");
                                    out.push_str(&render_value(i, q));
                                    out.push_str(eol);
                                }
                            }
                            Tree::Value(_) => {}
                        });
                        // The lines belong to the key just above them: before any other
                        // insertion at the same place (a sibling key after it).
                        e.rank = usize::MAX;
                        Ok(e)
                    }
                }
            }
            Op::Append(items) => {
                let first = n.children.first().map(|&c| index.node(c));
                let style = first.map(|f| f.style).unwrap_or(Style::Plain);
                let q = Quoting {
                    key: Style::Plain,
                    value: if matches!(style, Style::Single | Style::Double) {
                        style
                    } else {
                        Style::Plain
                    },
                };
                if n.style == Style::Flow {
                    let rendered: Vec<String> = items.iter().map(|i| render_value(i, q)).collect();
                    return Ok(match n.children.last() {
                        Some(&last) => Edit {
                            start: index.node(last).end,
                            end: index.node(last).end,
                            text: format!(", {}", rendered.join(", ")),
                            rank: 0,
                        },
                        None => Edit {
                            start: n.start + 1,
                            end: n.start + 1,
                            text: rendered.join(", "),
                            rank: 0,
                        },
                    });
                }
                if index.ends_in_block_scalar(id) {
                    return Err(Refusal {
                        pos: n.pos,
                        reason: "this list ends in a block scalar: no safe place for a new item"
                            .to_string(),
                    });
                }
                let col = n.pos.column as usize - 1;
                Ok(self.block_lines(n.end, col, |eol, out| {
                    for i in &items {
                        out.extend(std::iter::repeat_n(' ', col));
                        out.push_str("- ");
                        out.push_str(&render_value(i, q));
                        out.push_str(eol);
                    }
                }))
            }
        }
    }

    /// New lines after the line where content ends at `end`; `col` ranks them (deeper first).
    fn block_lines(&self, end: usize, col: usize, render: impl FnOnce(&str, &mut String)) -> Edit {
        let text = self.text;
        let eol = line_break(text, end);
        let mut out = String::new();
        let at = match next_line_start(text, end) {
            Some(at) => at,
            None => {
                out.push_str(eol);
                text.len()
            }
        };
        render(eol, &mut out);
        if at == text.len() && !text.ends_with(['\n', '\r']) && !out.starts_with(eol) {
            out.insert_str(0, eol);
        }
        if out.ends_with(eol) && at == text.len() && !text.ends_with(['\n', '\r']) {
            out.truncate(out.len() - eol.len());
        }
        Edit {
            start: at,
            end: at,
            text: out,
            rank: col + 1,
        }
    }

    fn flow_insert(&self, n: &Node, entries: &[(String, Tree)], q: Quoting) -> Edit {
        let index = self.index;
        let rendered: Vec<String> = entries
            .iter()
            .map(|(k, v)| format!("{}: {}", quote(k, q.key), render_flow(v, q)))
            .collect();
        let pairs: Vec<&[usize]> = n.children.chunks_exact(2).collect();
        match pairs.last() {
            None => Edit {
                start: n.start + 1,
                end: n.start + 1,
                text: rendered.join(", "),
                rank: 0,
            },
            Some(p) => {
                let (k, v) = (index.node(p[0]), index.node(p[1]));
                // A key without a value (`{a}`) has an empty value that the parser may place
                // at or after the closing bracket: new entries go before the bracket, always
                // (found by the `fix` fuzz target).
                let close = self
                    .text
                    .get(n.start..n.end)
                    .and_then(|t| t.rfind('}'))
                    .map_or(n.end, |i| n.start + i);
                // A key whose value is empty (`{a:` then the bracket on another line): the
                // empty value may end where the key does, before its `:`; the new entries go
                // after the colon (found by the `fix` fuzz target in CI's run, session 13).
                // An empty value has no text of its own: its position (at the key's end, at
                // the bracket, or past a line break) says nothing; new entries follow the key.
                let value_end = if v.start == v.end { k.end } else { v.end };
                let mut end = value_end.max(k.end);
                if let Some(rest) = self.text.get(end..close) {
                    let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                    if rest[blank..].starts_with(':') {
                        end += blank + 1;
                    }
                }
                // Never after a line break the span took in (a bare CR before CR LF): the
                // new entries would start a line at the bracket's indentation.
                let mut end = end.min(close);
                while end > k.end && self.text[..end].ends_with([' ', '\t', '\r', '\n']) {
                    end -= 1;
                }
                // Entries one per line (JSON as kubectl and jq write it): a new line each.
                let previous_line = match pairs.len() {
                    1 => n.pos.line,
                    l => index.node(pairs[l - 2][0]).pos.line,
                };
                let multiline =
                    self.text[end..n.end].contains(['\n', '\r']) && previous_line != k.pos.line;
                let text = if multiline {
                    let eol = line_break(self.text, end);
                    let indent = " ".repeat(k.pos.column as usize - 1);
                    rendered
                        .iter()
                        .map(|r| format!(",{eol}{indent}{r}"))
                        .collect::<String>()
                } else {
                    rendered.iter().map(|r| format!(", {r}")).collect()
                };
                Edit {
                    start: end,
                    end,
                    text,
                    rank: 0,
                }
            }
        }
    }
}

fn describe(n: &Node) -> &'static str {
    match n.kind {
        Kind::Map => "a mapping",
        Kind::Seq => "a list",
        Kind::Alias => "an alias",
        Kind::Scalar if n.is_null_scalar() => "null",
        Kind::Scalar => "a value",
    }
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The edited text.
    pub text: String,
    /// The ids of the requests carried out.
    pub done: Vec<usize>,
    /// The ids of the requests whose edit overlapped one already taken (left out).
    pub left: Vec<usize>,
    /// The edits made, in order: (start, end) in the old text and the length of the new text.
    pub spans: Vec<(usize, usize, usize)>,
}

/// Apply edits to `text`: ordered by offset (and rank at one offset); an edit that overlaps
/// one already taken is left out and returned.
pub fn apply(text: &str, mut edits: Vec<(Edit, Vec<usize>)>) -> Applied {
    edits.sort_by(|a, b| {
        (a.0.start, std::cmp::Reverse(a.0.rank), a.0.end).cmp(&(
            b.0.start,
            std::cmp::Reverse(b.0.rank),
            b.0.end,
        ))
    });
    let mut out = Applied {
        text: String::with_capacity(text.len() + 256),
        ..Applied::default()
    };
    let mut at = 0;
    for (e, ids) in edits {
        if e.start < at || e.end < e.start || e.end > text.len() {
            out.left.extend(ids);
            continue;
        }
        out.text.push_str(&text[at..e.start]);
        out.text.push_str(&e.text);
        out.spans.push((e.start, e.end, e.text.len()));
        at = e.end;
        out.done.extend(ids);
    }
    out.text.push_str(&text[at..]);
    out
}

/// Where byte `off` of a text that [`apply`] edited with `spans` was before the edits: bytes
/// copied map to where they came from, bytes of new text to the start of the edit that wrote
/// them.
pub fn offset_before(spans: &[(usize, usize, usize)], off: usize) -> usize {
    let mut delta: isize = 0;
    for &(start, end, len) in spans {
        let new_start = start.saturating_add_signed(delta);
        if off < new_start {
            break;
        }
        if off < new_start + len {
            return start;
        }
        delta += len as isize - (end - start) as isize;
    }
    off.saturating_add_signed(-delta)
}
