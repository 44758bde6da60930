//! kubeward-fix: `kubeward fix`, format-preserving edits of manifests for the controls whose fix
//! is certain ([`kubeward_controls::Fix`]).
//!
//! The engine scans the files; each finding of a fixable control becomes a request ("this path
//! should hold this value") that [`edit::Planner`] turns into byte edits from the exact spans
//! of [`index::Index`]: a scalar's own bytes replaced, or whole new lines (block style) or new
//! entries before a closing bracket (flow style) inserted in the surrounding style. Everything
//! else stays byte for byte. Each edited document is read back with kubeward-yaml and must equal
//! the original with exactly the requested fields changed, or its edits are dropped and
//! reported. Then the files are scanned again, until no fixable finding is left (a few rounds:
//! one fix may reveal another).

pub mod edit;
pub mod index;
#[doc(hidden)]
pub mod invariants;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kubeward_controls::{registry, ControlMeta, Fix, FixAction};
use kubeward_engine::{Collect, Engine, Finding, Source};
use kubeward_yaml::{split_documents, Chunk, Limits, Part, Pos};
use rayon::prelude::*;
use serde_json::Value;

use edit::{Layout, LayoutLearner, Leaf, Planner, Seg};
use index::{Index, Kind};

/// A fix carried out.
#[derive(Clone, Debug)]
pub struct Applied {
    pub control: &'static ControlMeta,
    /// Where the finding was (before the edit).
    pub pos: Pos,
    pub path: String,
    pub object: String,
    pub what: String,
}

/// A fix not carried out, and why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub control: &'static ControlMeta,
    pub pos: Pos,
    pub path: String,
    pub object: String,
    /// Where the obstacle is (an anchor, a tag...), which may differ from the finding.
    pub at: Pos,
    pub reason: String,
}

/// One file's outcome.
#[derive(Clone, Debug)]
pub struct FileFix {
    pub name: String,
    pub original: String,
    pub fixed: String,
    pub applied: Vec<Applied>,
    pub refused: Vec<Refused>,
}

impl FileFix {
    pub fn changed(&self) -> bool {
        self.original != self.fixed
    }

    /// A unified diff of the change (`--dry-run`), empty when nothing changed.
    pub fn diff(&self) -> String {
        if !self.changed() {
            return String::new();
        }
        similar::TextDiff::from_lines(&self.original, &self.fixed)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", self.name), &format!("b/{}", self.name))
            .to_string()
    }
}

/// Which findings to fix.
pub struct Options<'a> {
    /// Only controls this accepts are fixed (`--control`).
    pub want: &'a (dyn Fn(&ControlMeta) -> bool + Sync),
    /// Scan-and-fix rounds at most.
    pub max_rounds: usize,
}

/// The request a finding makes, if its control has a certain fix for it.
pub fn request_of(f: &Finding) -> Option<(Vec<Seg>, Leaf)> {
    let control = registry::find(f.control.id)?;
    let Fix::Edit(e) = control.fix() else {
        return None;
    };
    let mut segs = edit::parse_path(f.path.as_str())?;
    if let Some(field) = e.field {
        if segs.last() != Some(&Seg::Key(field.to_string())) {
            return None;
        }
    }
    Some(match e.action {
        FixAction::Set { under, value } => {
            segs.extend(under.iter().map(|k| Seg::Key(k.to_string())));
            (segs, Leaf::Value(value.to_string()))
        }
        FixAction::Include(item) => (segs, Leaf::Item(item.to_string())),
    })
}

fn describe(leaf: &Leaf, segs: &[Seg]) -> String {
    let last = match segs.last() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "the field",
    };
    match leaf {
        Leaf::Value(v) => format!("set {last} to {v}"),
        Leaf::Item(i) => format!("added {i} to {last}"),
    }
}

/// Fix `files` (name, text) in memory: the outcome of each, in order. The engine decides what
/// is a finding (controls, config, suppressions: a suppressed finding is never fixed).
pub fn fix_texts(
    engine: &Engine,
    files: Vec<(String, String)>,
    opts: &Options<'_>,
) -> Vec<FileFix> {
    let mut states: Vec<State> = files
        .into_iter()
        .map(|(name, text)| State {
            fix: FileFix {
                name,
                original: text.clone(),
                fixed: text,
                applied: Vec::new(),
                refused: Vec::new(),
            },
            done: false,
            tried: HashSet::new(),
            history: Vec::new(),
            starts: Vec::new(),
            layout: None,
        })
        .collect();
    for _ in 0..opts.max_rounds {
        let active: Vec<usize> = (0..states.len()).filter(|&i| !states[i].done).collect();
        if active.is_empty() {
            break;
        }
        let sources: Vec<Source> = active
            .iter()
            .map(|&i| Source::Text {
                name: states[i].fix.name.clone(),
                text: Arc::from(states[i].fix.fixed.as_str()),
            })
            .collect();
        let mut collect = Collect::default();
        if engine.scan(&sources, &mut collect).is_err() {
            break;
        }
        let mut by_file: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in collect.findings() {
            if f.suppressed.is_none() && (opts.want)(f.control) {
                by_file.entry(&f.file).or_default().push(f);
            }
        }
        let mut work: Vec<(&mut State, Vec<&Finding>)> = Vec::new();
        let mut active_set: HashSet<usize> = active.into_iter().collect();
        for (i, s) in states.iter_mut().enumerate() {
            if active_set.remove(&i) {
                let findings = by_file.remove(s.fix.name.as_str()).unwrap_or_default();
                work.push((s, findings));
            }
        }
        work.into_par_iter().for_each(|(s, findings)| {
            if !s.step(&findings) {
                s.done = true;
            }
        });
    }
    states.into_iter().map(|s| s.fix).collect()
}

struct State {
    fix: FileFix,
    done: bool,
    /// Requests tried already (control, object, path): each is tried once.
    tried: HashSet<(&'static str, String, String)>,
    /// The edits of each round so far ([`edit::Applied::spans`], in the file's offsets), to
    /// give every position reported in the original file, whatever round found it.
    history: Vec<Vec<(usize, usize, usize)>>,
    /// Where the lines of the text being fixed in this round start.
    starts: Vec<usize>,
    /// How the file indents (learnt once, from the original).
    layout: Option<Layout>,
}

struct Req<'f> {
    finding: &'f Finding,
    segs: Vec<Seg>,
    leaf: Leaf,
    /// The document's position in its chunk and the object's path from the document root.
    doc: usize,
    prefix: Vec<Seg>,
}

/// Where lines start, counted as kubeward-yaml counts them (`\n`, `\r\n`, bare `\r`).
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 1;
            }
            b'\r' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The span index of a piece of the file (a List item read alone is a one-item list: its item
/// is the root).
fn index_chunk(text: &str, c: &Chunk) -> Result<Index, kubeward_yaml::Problem> {
    Index::build(&text[c.start..c.end], c.start, c.first_line).map(|mut ix| {
        if c.part == Part::ListItem {
            if let Some(&r) = ix.roots.first() {
                if ix.nodes[r].kind == Kind::Seq && ix.nodes[r].children.len() == 1 {
                    ix.roots = vec![ix.nodes[r].children[0]];
                }
            }
        }
        ix
    })
}

/// The position (line, column in characters) of byte `off` of `text`.
fn pos_of(text: &str, starts: &[usize], off: usize) -> Pos {
    let line = starts.partition_point(|&s| s <= off).max(1);
    let start = starts[line - 1];
    let column = text
        .get(start..off.min(text.len()))
        .map_or(0, |t| t.chars().count());
    Pos {
        line: line as u32,
        column: column as u32 + 1,
    }
}

fn offset_of(text: &str, starts: &[usize], pos: Pos) -> Option<usize> {
    let start = *starts.get(pos.line.checked_sub(1)? as usize)?;
    let mut at = start;
    for c in text[start..]
        .chars()
        .take(pos.column.saturating_sub(1) as usize)
    {
        at += c.len_utf8();
    }
    Some(at)
}

impl State {
    /// Where `pos` of the text being fixed in this round was in the original file.
    fn original(&self, pos: Pos) -> Pos {
        if self.history.is_empty() {
            return pos;
        }
        let Some(mut off) = offset_of(&self.fix.fixed, &self.starts, pos) else {
            return pos;
        };
        for spans in self.history.iter().rev() {
            off = edit::offset_before(spans, off);
        }
        let original = &self.fix.original;
        pos_of(original, &line_starts(original), off)
    }

    /// One round: plan, apply and verify the fixes `findings` ask for. Whether anything changed.
    fn step(&mut self, findings: &[&Finding]) -> bool {
        if findings.is_empty() {
            return false;
        }
        let text = self.fix.fixed.clone();
        let starts = line_starts(&text);
        self.starts = starts.clone();
        let chunks: Vec<Chunk> = split_documents(text.as_bytes())
            .into_iter()
            .filter(|c| c.part != Part::ListEnvelope)
            .collect();
        let mut indexes: HashMap<usize, Result<Index, kubeward_yaml::Problem>> = HashMap::new();
        let mut reqs: Vec<Req<'_>> = Vec::new();
        let mut planners: HashMap<(usize, usize), Planner<'_>> = HashMap::new();
        let mut changed = false;
        // First pass: build what is needed (the planners borrow the indexes).
        let mut placed: Vec<(usize, &Finding, Vec<Seg>, Leaf, usize)> = Vec::new();
        for f in findings {
            let Some((segs, leaf)) = request_of(f) else {
                continue;
            };
            let key = (f.control.id, f.object.to_string(), f.path.to_string());
            if !self.tried.insert(key) {
                // Fixed once and reported again (or refused before): not again.
                if self.fix.applied.iter().any(|a| {
                    a.control.id == f.control.id
                        && a.path == f.path.as_str()
                        && a.object == f.object.to_string()
                }) {
                    self.refuse(f, f.pos, "the edit did not clear the finding".to_string());
                    changed = true;
                }
                continue;
            }
            let Some(off) = offset_of(&text, &starts, f.pos) else {
                self.refuse(
                    f,
                    f.pos,
                    "the finding's position is not in the file".to_string(),
                );
                changed = true;
                continue;
            };
            let Some(ci) = chunks
                .iter()
                .rposition(|c| c.start <= off && (off < c.end || off == text.len()))
            else {
                self.refuse(
                    f,
                    f.pos,
                    "no document at the finding's position".to_string(),
                );
                changed = true;
                continue;
            };
            indexes
                .entry(ci)
                .or_insert_with(|| index_chunk(&text, &chunks[ci]));
            placed.push((ci, f, segs, leaf, off));
        }
        // The file's layout, from its first pieces (as yamllint reads it: the first nested
        // mapping and the first sequence decide for the whole file).
        if self.layout.is_none() && !placed.is_empty() {
            let mut learner = LayoutLearner::default();
            for (ci, c) in chunks.iter().enumerate() {
                if let Ok(ix) = indexes.entry(ci).or_insert_with(|| index_chunk(&text, c)) {
                    learner.learn(ix);
                }
                if learner.complete() {
                    break;
                }
            }
            self.layout = Some(learner.layout());
        }
        let layout = self.layout.unwrap_or_default();
        // In a capability list `ALL` covers every capability: when one fix adds it, another
        // that adds a single capability to the same list waits for the next round's scan
        // (which no longer reports it).
        let all: HashSet<(String, String)> = placed
            .iter()
            .filter(|p| p.3 == Leaf::Item("ALL".to_string()))
            .map(|p| (p.1.object.to_string(), p.1.path.to_string()))
            .collect();
        placed.retain(|p| {
            let redundant = matches!(&p.3, Leaf::Item(i) if i != "ALL")
                && all.contains(&(p.1.object.to_string(), p.1.path.to_string()));
            if redundant {
                self.tried
                    .remove(&(p.1.control.id, p.1.object.to_string(), p.1.path.to_string()));
            }
            !redundant
        });
        for (ci, f, segs, leaf, off) in placed {
            let ix = match &indexes[&ci] {
                Ok(ix) => ix,
                Err(p) => {
                    self.refuse(
                        f,
                        p.pos,
                        format!("this document does not parse for editing: {}", p.message),
                    );
                    changed = true;
                    continue;
                }
            };
            let doc = ix
                .roots
                .iter()
                .rposition(|&r| ix.nodes[r].start <= off)
                .unwrap_or(0);
            let Some(&root) = ix.roots.get(doc) else {
                continue;
            };
            // A List holds its objects under `items`.
            let (obj, prefix) = match object_in_list(ix, root, off) {
                Some((i, item)) => (item, vec![Seg::Key("items".into()), Seg::Index(i)]),
                None => (root, Vec::new()),
            };
            let planner = planners
                .entry((ci, doc))
                .or_insert_with(|| Planner::new(&text, ix, layout));
            let id = reqs.len();
            match planner.request(obj, &segs, &leaf, id) {
                Ok(()) => reqs.push(Req {
                    finding: f,
                    segs,
                    leaf,
                    doc,
                    prefix,
                }),
                Err(r) => {
                    self.refuse(f, r.pos, r.reason);
                    changed = true;
                    // Keep ids aligned with `reqs`.
                    reqs.push(Req {
                        finding: f,
                        segs: Vec::new(),
                        leaf,
                        doc,
                        prefix,
                    });
                }
            }
        }
        // Per chunk: apply, read back, compare.
        let mut by_chunk: HashMap<usize, Vec<(edit::Edit, Vec<usize>)>> = HashMap::new();
        for ((ci, _), p) in planners {
            let (edits, refused) = p.finish();
            for (r, ids) in refused {
                for id in ids {
                    let f = reqs[id].finding;
                    self.refuse(f, r.pos, r.reason.clone());
                    changed = true;
                }
            }
            by_chunk.entry(ci).or_default().extend(edits);
        }
        let mut pieces: Vec<(usize, usize, String)> = Vec::new();
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let mut chunk_ids: Vec<usize> = by_chunk.keys().copied().collect();
        chunk_ids.sort_unstable();
        for ci in chunk_ids {
            let c = chunks[ci];
            let edits: Vec<(edit::Edit, Vec<usize>)> = by_chunk
                .remove(&ci)
                .unwrap_or_default()
                .into_iter()
                .map(|(mut e, ids)| {
                    e.start -= c.start;
                    e.end -= c.start;
                    (e, ids)
                })
                .collect();
            if edits.is_empty() {
                continue;
            }
            let old = &text[c.start..c.end];
            let edit::Applied {
                text: new,
                done,
                left,
                spans: chunk_spans,
            } = edit::apply(old, edits);
            // An edit that overlapped another is tried again next round, on the new text.
            for id in left {
                let f = reqs[id].finding;
                self.tried
                    .remove(&(f.control.id, f.object.to_string(), f.path.to_string()));
            }
            match verify(old, &new, c.part, done.iter().map(|&id| &reqs[id])) {
                Ok(()) => {
                    spans.extend(
                        chunk_spans
                            .into_iter()
                            .map(|(s, e, n)| (s + c.start, e + c.start, n)),
                    );
                    for &id in &done {
                        let r = &reqs[id];
                        let pos = self.original(r.finding.pos);
                        self.fix.applied.push(Applied {
                            control: r.finding.control,
                            pos,
                            path: r.finding.path.to_string(),
                            object: r.finding.object.to_string(),
                            what: describe(&r.leaf, &r.segs),
                        });
                    }
                    pieces.push((c.start, c.end, new));
                    changed = true;
                }
                Err(why) => {
                    for &id in &done {
                        let f = reqs[id].finding;
                        self.refuse(
                            f,
                            Pos {
                                line: c.first_line,
                                column: 1,
                            },
                            why.clone(),
                        );
                    }
                    changed = true;
                }
            }
        }
        if !pieces.is_empty() {
            let mut out = String::with_capacity(text.len() + 1024);
            let mut at = 0;
            for (s, e, new) in pieces {
                out.push_str(&text[at..s]);
                out.push_str(&new);
                at = e;
            }
            out.push_str(&text[at..]);
            self.fix.fixed = out;
            self.history.push(spans);
        }
        changed
    }

    /// Record a refusal; `at` (the obstacle) and the finding's position are given in the
    /// original file.
    fn refuse(&mut self, f: &Finding, at: Pos, reason: String) {
        let (pos, at) = (self.original(f.pos), self.original(at));
        self.fix.refused.push(Refused {
            control: f.control,
            pos,
            path: f.path.to_string(),
            object: f.object.to_string(),
            at,
            reason,
        });
    }
}

/// In a `kind: *List` document, the item (index and node) that holds byte `off`.
fn object_in_list(ix: &Index, root: usize, off: usize) -> Option<(usize, usize)> {
    let kind = ix.get(root, "kind")?.1;
    if !ix.nodes[kind].value.ends_with("List") {
        return None;
    }
    let items = ix.get(root, "items")?.1;
    let n = &ix.nodes[items];
    if n.kind != Kind::Seq {
        return None;
    }
    let i = n.children.iter().rposition(|&c| ix.nodes[c].start <= off)?;
    Some((i, n.children[i]))
}

/// The JSON of a plain scalar as Kubernetes reads it (`false` a boolean, `Always` a string).
fn scalar_json(v: &str) -> Value {
    let parsed = kubeward_yaml::parse_str(v, &Limits::default());
    parsed
        .documents
        .first()
        .map(|d| d.root().to_json())
        .unwrap_or(Value::String(v.to_string()))
}

/// `doc` with the request carried out, as JSON.
pub(crate) fn expect(doc: &mut Value, path: &[Seg], leaf: &Leaf) -> Result<(), String> {
    let mut cur = doc;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Default::default());
                }
                cur.as_object_mut()
                    .ok_or("expected a mapping")?
                    .entry(k.clone())
                    .or_insert(Value::Null)
            }
            Seg::Index(i) => cur
                .as_array_mut()
                .and_then(|a| a.get_mut(*i))
                .ok_or("expected a list item")?,
        };
    }
    match leaf {
        Leaf::Value(v) => *cur = scalar_json(v),
        Leaf::Item(i) => {
            if cur.is_null() {
                *cur = Value::Array(Vec::new());
            }
            let a = cur.as_array_mut().ok_or("expected a list")?;
            if !a.iter().any(|x| x.as_str() == Some(i)) {
                a.push(Value::String(i.clone()));
            }
        }
    }
    Ok(())
}

fn read_back(text: &str, part: Part) -> (Vec<Value>, bool) {
    let chunk = Chunk {
        start: 0,
        end: text.len(),
        first_line: 1,
        part,
    };
    let parsed = kubeward_yaml::parse_chunk(text.as_bytes(), chunk, &Limits::default());
    (
        parsed
            .documents
            .iter()
            .map(|d| d.root().to_json())
            .collect(),
        parsed.error.is_some(),
    )
}

/// The edited piece must read as the original with exactly the requests carried out.
fn verify<'r>(
    old: &str,
    new: &str,
    part: Part,
    done: impl Iterator<Item = &'r Req<'r>>,
) -> Result<(), String> {
    let (mut expected, old_err) = read_back(old, part);
    let (got, new_err) = read_back(new, part);
    if new_err && !old_err {
        return Err(
            "the edited document would not parse: left unchanged (please report it)".to_string(),
        );
    }
    for r in done {
        let doc = expected
            .get_mut(r.doc)
            .ok_or("the edited document does not read back: left unchanged")?;
        let path: Vec<Seg> = r.prefix.iter().chain(&r.segs).cloned().collect();
        expect(doc, &path, &r.leaf)?;
    }
    if expected != got {
        return Err(
            "the edited document did not read back as intended: left unchanged (please report it)"
                .to_string(),
        );
    }
    Ok(())
}

/// Write `text` to `path` atomically: a temporary file in the same directory, then a rename,
/// so a reader sees the old file or the new one, never a part. The file's permissions are kept,
/// and a symbolic link is followed (the file it points at is replaced, the link stays).
pub fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    // A symbolic link stays one: its target is what gets replaced.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let perms = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::Builder::new()
        .prefix(".kubeward-fix-")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Some(p) = perms {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_atomic`] for many files at once, each on its own: the result of each, in order.
/// Each write waits for its file to reach the disk (`fsync`) before the rename, so a crash
/// never leaves an empty file; the waits overlap on a few threads instead of adding up (188
/// files of the corpus: 0.48 s of serial fsyncs on this machine).
pub fn write_all_atomic(files: &[(&std::path::Path, &str)]) -> Vec<std::io::Result<()>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let results: Vec<Mutex<Option<std::io::Result<()>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = files.len().clamp(1, 8);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, text)) = files.get(i) else {
                    break;
                };
                let r = write_atomic(path, text);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(std::io::Error::other(
                    "the write did not run (please report it)",
                ))
            })
        })
        .collect()
}

/// Carry out `requests` (field path, wanted leaf) on document `doc` (0-based, in file order) of
/// `text`, without a scan: the edit engine alone, for tests and tools. Returns the new text and
/// the refusals (a refused request leaves its part of the text unchanged).
pub fn edit_document(
    text: &str,
    doc: usize,
    requests: &[(&str, Leaf)],
) -> Result<(String, Vec<edit::Refusal>), kubeward_yaml::Problem> {
    let mut seen = 0;
    for c in split_documents(text.as_bytes()) {
        if c.part == Part::ListEnvelope {
            continue;
        }
        let ix = Index::build(&text[c.start..c.end], c.start, c.first_line)?;
        if doc >= seen + ix.roots.len() {
            seen += ix.roots.len();
            continue;
        }
        let root = ix.roots[doc - seen];
        let mut learner = LayoutLearner::default();
        for earlier in split_documents(text.as_bytes()) {
            if learner.complete() || earlier.start >= c.start {
                break;
            }
            if let Ok(e) = Index::build(&text[earlier.start..earlier.end], earlier.start, 1) {
                learner.learn(&e);
            }
        }
        learner.learn(&ix);
        let mut planner = Planner::new(text, &ix, learner.layout());
        let mut refused = Vec::new();
        for (id, (path, leaf)) in requests.iter().enumerate() {
            let Some(segs) = edit::parse_path(path) else {
                refused.push(edit::Refusal {
                    pos: ix.nodes[root].pos,
                    reason: format!("not a field path: {path}"),
                });
                continue;
            };
            if let Err(r) = planner.request(root, &segs, leaf, id) {
                refused.push(r);
            }
        }
        let (edits, more) = planner.finish();
        refused.extend(more.into_iter().map(|(r, _)| r));
        return Ok((edit::apply(text, edits).text, refused));
    }
    Ok((text.to_string(), Vec::new()))
}
