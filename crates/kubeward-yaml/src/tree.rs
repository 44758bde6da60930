//! The compact tree: one arena per YAML document, nodes of 20 bytes, every node with its
//! line and column. Built straight from parser events (see `build.rs`); read through [`NodeRef`].

use std::fmt;

/// A 1-based line and column in the source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar,
    Seq,
    Map,
}

/// Scalar flags: a quoted or block scalar, or one tagged `!!str`, is always a string; a plain
/// scalar is resolved lazily (bool, int, null) the way Kubernetes' YAML decoder resolves it.
pub(crate) const FLAG_PLAIN: u8 = 1;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub flags: u8,
    /// Scalar: byte range in `Document::text`. Seq: range in `children`. Map: range in
    /// `children` holding key, value pairs.
    pub start: u32,
    pub len: u32,
    pub line: u32,
    pub column: u32,
}

/// One YAML document.
pub struct Document {
    pub(crate) nodes: Vec<Node>,
    pub(crate) children: Vec<u32>,
    pub(crate) text: String,
    pub(crate) root: u32,
    /// Problems that do not stop the document from being read (duplicate keys, where the
    /// last value wins as in Kubernetes' decoder): warnings for the user.
    pub warnings: Vec<Problem>,
}

/// A problem located in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
}

impl Document {
    pub fn root(&self) -> NodeRef<'_> {
        NodeRef {
            doc: self,
            id: self.root,
            at: self.root,
        }
    }

    /// Place every node and warning no later than `last`: a null node that the input ends
    /// in (`---` alone, `? ` on the last line) takes the position of the end of the stream,
    /// which may lie on the line after the last.
    pub(crate) fn clamp_positions(&mut self, last: Pos) {
        let past = |line: u32, column: u32| (line, column) > (last.line, last.column);
        for n in &mut self.nodes {
            if past(n.line, n.column) {
                n.line = last.line;
                n.column = last.column;
            }
        }
        for w in &mut self.warnings {
            if past(w.pos.line, w.pos.column) {
                w.pos = last;
            }
        }
    }

    /// A document that is a one-entry sequence (a List item read alone) becomes that entry.
    pub(crate) fn take_single_item(&mut self) {
        let n = self.nodes[self.root as usize];
        if n.kind == Kind::Seq && n.len == 1 {
            self.root = self.children[n.start as usize];
        }
    }

    /// Number of nodes actually stored (aliases and merges share nodes, they do not copy).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// A node and the position to report for it: the key's position when the node was reached
/// through a mapping key, so that a finding points at `privileged: true`, not at `true`.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    doc: &'a Document,
    id: u32,
    at: u32,
}

/// What a node holds, for messages ("expected a mapping, found a string").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Null,
    Bool,
    Int,
    Float,
    String,
    Sequence,
    Mapping,
}

impl ValueType {
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Null => "null",
            ValueType::Bool => "a boolean",
            ValueType::Int => "an integer",
            ValueType::Float => "a number",
            ValueType::String => "a string",
            ValueType::Sequence => "a list",
            ValueType::Mapping => "a mapping",
        }
    }
}

impl<'a> NodeRef<'a> {
    fn node(&self) -> &'a Node {
        &self.doc.nodes[self.id as usize]
    }

    pub fn document(&self) -> &'a Document {
        self.doc
    }

    /// Where to point a user at: the key for a mapping value, the node itself otherwise.
    pub fn pos(&self) -> Pos {
        let n = &self.doc.nodes[self.at as usize];
        Pos {
            line: n.line,
            column: n.column,
        }
    }

    /// The position of the value itself (not its key).
    pub fn value_pos(&self) -> Pos {
        let n = self.node();
        Pos {
            line: n.line,
            column: n.column,
        }
    }

    pub fn is_map(&self) -> bool {
        self.node().kind == Kind::Map
    }

    pub fn is_seq(&self) -> bool {
        self.node().kind == Kind::Seq
    }

    fn raw(&self) -> Option<&'a str> {
        let n = self.node();
        (n.kind == Kind::Scalar)
            .then(|| &self.doc.text[n.start as usize..(n.start + n.len) as usize])
    }

    fn plain(&self) -> bool {
        self.node().flags & FLAG_PLAIN != 0
    }

    /// The value's type as Kubernetes' decoder (sigs.k8s.io/yaml, YAML 1.1 rules of go-yaml v2)
    /// would resolve it.
    pub fn value_type(&self) -> ValueType {
        match self.node().kind {
            Kind::Map => ValueType::Mapping,
            Kind::Seq => ValueType::Sequence,
            Kind::Scalar if !self.plain() => ValueType::String,
            Kind::Scalar => self.unquoted_type(),
        }
    }

    /// The type a scalar's text would have written without quotes (`"true"` would be a
    /// boolean): lets a message say "remove the quotes" without quoting the value.
    pub fn unquoted_type(&self) -> ValueType {
        match self.node().kind {
            Kind::Map => ValueType::Mapping,
            Kind::Seq => ValueType::Sequence,
            Kind::Scalar => {
                let s = self.raw().unwrap_or("");
                if is_null_word(s) {
                    ValueType::Null
                } else if bool_word(s).is_some() {
                    ValueType::Bool
                } else if parse_int(s).is_some() {
                    ValueType::Int
                } else if is_float_word(s) {
                    ValueType::Float
                } else {
                    ValueType::String
                }
            }
        }
    }

    pub fn is_null(&self) -> bool {
        self.value_type() == ValueType::Null
    }

    /// The text of any scalar, whatever its resolved type (`true`, `80`, `"abc"`).
    pub fn scalar_text(&self) -> Option<&'a str> {
        self.raw()
    }

    /// A string value. Plain scalars that resolve to another type (`true`, `12`, `~`) are not
    /// strings, exactly as the API server would refuse them for a string field.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.value_type() {
            ValueType::String => self.raw(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        if self.node().kind == Kind::Scalar && self.plain() {
            bool_word(self.raw()?)
        } else {
            None
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        if self.node().kind == Kind::Scalar && self.plain() {
            parse_int(self.raw()?)
        } else {
            None
        }
    }

    /// Look a key up in a mapping. Later duplicates win, as in JSON.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        let n = self.node();
        if n.kind != Kind::Map {
            return None;
        }
        let pairs = &self.doc.children[n.start as usize..(n.start + n.len) as usize];
        // From the end: with duplicate keys the last one wins (as Kubernetes decodes them),
        // and the first match from the end is that one.
        for pair in pairs.chunks_exact(2).rev() {
            let k = NodeRef {
                doc: self.doc,
                id: pair[0],
                at: pair[0],
            };
            if k.raw() == Some(key) {
                return Some(NodeRef {
                    doc: self.doc,
                    id: pair[1],
                    at: pair[0],
                });
            }
        }
        None
    }

    /// Follow a dotted path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<NodeRef<'a>> {
        let mut cur = *self;
        for key in path {
            cur = cur.get(key)?;
        }
        Some(cur)
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(&self) -> impl ExactSizeIterator<Item = NodeRef<'a>> + 'a {
        let n = self.node();
        let doc = self.doc;
        let ids: &'a [u32] = if n.kind == Kind::Seq {
            &doc.children[n.start as usize..(n.start + n.len) as usize]
        } else {
            &[]
        };
        ids.iter().map(move |&id| NodeRef { doc, id, at: id })
    }

    /// Entries of a mapping: (key text, value). Non-scalar keys yield "".
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, NodeRef<'a>)> + 'a {
        let n = self.node();
        let doc = self.doc;
        let ids: &'a [u32] = if n.kind == Kind::Map {
            &doc.children[n.start as usize..(n.start + n.len) as usize]
        } else {
            &[]
        };
        ids.chunks_exact(2).map(move |pair| {
            let k = NodeRef {
                doc,
                id: pair[0],
                at: pair[0],
            };
            (
                k.raw().unwrap_or(""),
                NodeRef {
                    doc,
                    id: pair[1],
                    at: pair[0],
                },
            )
        })
    }

    /// Number of items (sequence) or entries (mapping).
    pub fn len(&self) -> usize {
        let n = self.node();
        match n.kind {
            Kind::Scalar => 0,
            Kind::Seq => n.len as usize,
            Kind::Map => n.len as usize / 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Convert to JSON. The builder bounds the expanded size of every document, so this is
    /// bounded too even where aliases share nodes.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self.node().kind {
            Kind::Map => Value::Object(
                self.entries()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Kind::Seq => Value::Array(self.items().map(|v| v.to_json()).collect()),
            Kind::Scalar => match self.value_type() {
                ValueType::Null => Value::Null,
                ValueType::Bool => Value::Bool(self.as_bool().unwrap_or(false)),
                ValueType::Int => Value::from(self.as_i64().unwrap_or(0)),
                ValueType::Float => self
                    .raw()
                    .and_then(|s| s.parse::<f64>().ok())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(self.raw().unwrap_or("").to_string())),
                _ => Value::String(self.raw().unwrap_or("").to_string()),
            },
        }
    }
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeRef({:?} at {})", self.value_type(), self.pos())
    }
}

pub(crate) fn is_null_word(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Booleans as go-yaml v2 (used by sigs.k8s.io/yaml, so by kubectl and the API server's YAML
/// path) resolves them: YAML 1.1 words included, so `hostNetwork: yes` really is `true`.
pub(crate) fn bool_word(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Integers as go-yaml v2 resolves them: decimal with sign and `_`, `0x`, `0b`, and a leading
/// `0` for octal.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let cleaned: String;
    let body = if body.contains('_') {
        cleaned = body.replace('_', "");
        cleaned.as_str()
    } else {
        body
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = body.strip_prefix("0b") {
        (2, b)
    } else if let Some(o) = body.strip_prefix("0o") {
        (8, o)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

fn is_float_word(s: &str) -> bool {
    let b = s.as_bytes();
    if matches!(
        s,
        ".inf" | ".Inf" | ".INF" | "-.inf" | "+.inf" | ".nan" | ".NaN" | ".NAN"
    ) {
        return true;
    }
    // A number with a fraction or exponent: digits, optional sign, one dot or an exponent.
    !b.is_empty()
        && b.iter().any(|c| c.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+' | b'_'))
        && (s.contains('.') || s.contains('e') || s.contains('E'))
        && s.parse::<f64>().is_ok()
}
