//! The layered walk: the image's filesystem as its layers make it, each wanted file handed to
//! the catalogers as it streams past.
//!
//! Each layer is read once, in order: its blob is decompressed as it streams (gzip, zstd or
//! none, told by the magic bytes rather than the media type) and its tar entries are applied
//! with the layer semantics of the OCI image spec:
//!
//! * a later layer's entry replaces the path (a non-directory replaces a directory's subtree);
//! * `DIR/.wh.NAME` deletes `DIR/NAME` and its subtree from the layers below; `DIR/.wh..wh..opq`
//!   empties `DIR` of what the layers below put there (whiteouts apply to lower layers only);
//! * a hard link is a file with its target's content (the target is read again from its layer
//!   when a cataloger wants the link);
//! * symlinks are recorded and, after the last layer, resolved inside the image as if it were
//!   the root (`..` stops at the root, an absolute target starts at it, at most 40 links):
//!   a symlink to a regular file whose path a cataloger wants is read as that file, unless the
//!   cataloger also wants the target under the target's own path (it reads it there, and the
//!   link would repeat its packages). The cataloger sees the link's path and the target's
//!   size, mode and layer; the evidence is located at the link's path and the target's layer;
//! * paths are normalised (`./`, `//`, `.`); an entry whose `..` climbs out of the root is an
//!   error for that entry.
//!
//! A layer's changes are staged and take effect only once the whole layer was read and its
//! digest verified: a corrupt, truncated or mismatching layer is reported and loses its own
//! files only (its whiteouts are not applied either). The evidence a cataloger read from a file
//! lives with that file's node: whatever deletes or replaces the file drops its evidence.
//!
//! Memory: the walk keeps one node per path of the image (no content) and what the catalogers
//! return; file contents stream through. A file that several catalogers want is buffered once
//! up to 16 MiB; past that each further cataloger reads it in another pass.

use crate::digest::{read_bounded, VerifyingReader};
use crate::model::{CatalogError, Evidence, FileRef, Location};
use crate::source::{Content, Image};
use crate::Cataloger;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A file several catalogers want is read into memory once when at most this large.
const SHARED_BUFFER: u64 = 16 << 20;
/// Symlinks followed in one resolution (Linux's limit).
const MAX_SYMLINK_HOPS: usize = 40;
/// Paths the walk keeps (about 200 bytes each): a layer that would pass this is refused.
const MAX_PATHS: usize = 1_000_000;
/// A symlink target kept in memory is at most this large...
const KEPT_FILE: u64 = 1 << 20;
/// ...and all of them at most this.
const KEPT_TOTAL: u64 = 16 << 20;

/// Where a file's content is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Src {
    /// Entry `index` of layer `layer`'s tar.
    Entry { layer: u32, index: u32 },
    /// A root filesystem directory's file at the node's path, which must still be this inode.
    Fs { dev: u64, ino: u64 },
}

#[derive(Clone, Debug)]
enum Kind {
    File { src: Src, size: u64, mode: u32 },
    Dir,
    Symlink(Box<str>),
    Other,
}

/// What a cataloger read from a file.
#[derive(Debug)]
struct Found {
    cataloger: u16,
    layer: Option<u32>,
    evidence: Evidence,
}

struct Node {
    kind: Kind,
    /// The layer whose entry made this path what it is.
    layer: Option<u32>,
    evidence: Vec<Found>,
}

type Tree = BTreeMap<String, Node>;

/// Normalises a path inside the image: no leading `/` or `./`, no `.` or empty components,
/// `..` applied. `Ok(None)` is the root itself; climbing above the root is an error.
pub fn normalize(raw: &str) -> Result<Option<String>, String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the path climbs out of the image root".into());
                }
            }
            c => parts.push(c),
        }
    }
    Ok(if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    })
}

/// A path joined with a symlink's target, taken literally, `..` stopping at the root.
fn normalize_chroot(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

fn split_last(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((d, b)) => (d, b),
        None => ("", path),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Removes `path`'s subtree (and `path` itself when `with_self`); `""` is the root.
fn remove_subtree(tree: &mut Tree, path: &str, with_self: bool) {
    if path.is_empty() {
        tree.clear();
        return;
    }
    if with_self {
        tree.remove(path);
    }
    let prefix = format!("{path}/");
    let doomed: Vec<String> = tree
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        tree.remove(&k);
    }
}

/// Whether `path` exists as a directory, explicitly or as the parent of something.
fn is_dir(tree: &Tree, path: &str) -> bool {
    match tree.get(path) {
        Some(n) => matches!(n.kind, Kind::Dir),
        None => {
            let prefix = format!("{path}/");
            tree.range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&prefix))
        }
    }
}

/// Resolves the symlink at `link` inside the image, chroot-like: `..` at the root stays there,
/// absolute targets start at the root, every component's symlinks are followed, at most
/// [`MAX_SYMLINK_HOPS`]. `None` for a dangling link, a loop, or a path through a non-directory.
fn resolve_link(tree: &Tree, link: &str) -> Option<String> {
    let Some(Node {
        kind: Kind::Symlink(target),
        ..
    }) = tree.get(link)
    else {
        return None;
    };
    let (dir, _) = split_last(link);
    let mut stack: Vec<String> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut rest: Vec<String> = target.split('/').rev().map(str::to_string).collect();
    let mut hops = 1;
    while let Some(c) = rest.pop() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                stack.pop();
                continue;
            }
            _ => {}
        }
        // Whether a component follows (a directory is needed here then).
        let more = rest.iter().any(|r| !r.is_empty() && r != ".");
        let here = if stack.is_empty() {
            c.clone()
        } else {
            format!("{}/{c}", stack.join("/"))
        };
        match tree.get(&here).map(|n| &n.kind) {
            Some(Kind::Symlink(t)) => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return None;
                }
                if t.starts_with('/') {
                    stack.clear();
                }
                rest.extend(t.split('/').rev().map(str::to_string));
            }
            Some(Kind::Dir) => stack.push(c),
            Some(_) if !more => stack.push(c),
            Some(_) => return None,
            None if more && is_dir(tree, &here) => stack.push(c),
            None => return None,
        }
    }
    if stack.is_empty() {
        None
    } else {
        Some(stack.join("/"))
    }
}

/// A read error of the layer stream, kept: a cataloger may swallow the error of its read, but
/// the layer is damaged all the same.
type Latch = Rc<RefCell<Option<String>>>;

struct LatchReader<R> {
    inner: R,
    latch: Latch,
}

impl<R: Read> Read for LatchReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.latch.borrow().as_ref() {
            return Err(io::Error::other(e.clone()));
        }
        self.inner.read(buf).inspect_err(|e| {
            *self.latch.borrow_mut() = Some(e.to_string());
        })
    }
}

/// What a layer's bytes are compressed with, from their first bytes.
fn compression(magic: &[u8]) -> Result<&'static str, String> {
    Ok(match magic {
        [0x1f, 0x8b, ..] => "gzip",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        [0xfd, b'7', b'z', b'X', ..] => return Err("xz-compressed layers are not supported".into()),
        [b'B', b'Z', b'h', ..] => return Err("bzip2-compressed layers are not supported".into()),
        _ => "none",
    })
}

/// Layer `li` as an uncompressed tar stream, with its read-error latch.
fn open_stream<'a>(image: &'a Image, li: usize) -> Result<(Box<dyn Read + 'a>, Latch), String> {
    let mut raw = image.open_layer(li).map_err(|e| e.message)?;
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < magic.len() {
        match raw.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let joined = io::Cursor::new(magic[..n].to_vec()).chain(raw);
    let decoded: Box<dyn Read + 'a> = match compression(&magic[..n])? {
        "gzip" => Box::new(flate2::read::MultiGzDecoder::new(joined)),
        "zstd" => {
            Box::new(zstd::stream::read::Decoder::new(joined).map_err(|e| format!("zstd: {e}"))?)
        }
        _ => Box::new(joined),
    };
    let layer = image.layer(li).expect("layer exists");
    let decoded: Box<dyn Read + 'a> = match (&layer.digest, &layer.diff_id) {
        (None, Some(diff_id)) => Box::new(VerifyingReader::new(
            decoded,
            diff_id.clone(),
            None,
            "uncompressed layer",
        )),
        _ => decoded,
    };
    let latch: Latch = Rc::default();
    Ok((
        Box::new(LatchReader {
            inner: crate::targuard::TarGuard::new(decoded),
            latch: latch.clone(),
        }),
        latch,
    ))
}

type Entry<'x, 'a> = tar::Entry<'x, Box<dyn Read + 'a>>;

/// One pass over layer `li`'s entries. `f` sees each entry with its index; a `Break` ends the
/// pass early (`Ok(false)`), else the stream is read to its end, which checks the blob's
/// digest and the compression's own checksum (`Ok(true)`).
fn pass<'a>(
    image: &'a Image,
    li: usize,
    mut f: impl FnMut(u32, &mut Entry<'_, 'a>) -> ControlFlow<()>,
) -> Result<bool, String> {
    let (stream, latch) = open_stream(image, li)?;
    let mut ar = tar::Archive::new(stream);
    let broken =
        |latch: &Latch, e: io::Error| latch.borrow().clone().unwrap_or_else(|| e.to_string());
    {
        let entries = ar.entries().map_err(|e| broken(&latch, e))?;
        for (index, entry) in entries.enumerate() {
            let mut entry =
                entry.map_err(|e| format!("tar entry {index}: {}", broken(&latch, e)))?;
            let flow = f(index as u32, &mut entry);
            if let Some(e) = latch.borrow().clone() {
                return Err(e);
            }
            if flow.is_break() {
                return Ok(false);
            }
        }
    }
    let mut rest = ar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| broken(&latch, e))?;
    if let Some(e) = latch.borrow().clone() {
        return Err(e);
    }
    Ok(true)
}

/// A read of a file for catalogers that could not be done as it streamed past: hard links,
/// symlinks, a large file several catalogers want.
struct Pending {
    src: Src,
    /// Where the content is (for a root filesystem) — the link's target for a symlink.
    read_path: String,
    /// The path the catalogers see and the evidence is kept under.
    path: String,
    layer: Option<u32>,
    size: u64,
    mode: u32,
    cats: Vec<u16>,
}

/// A layer's changes, applied once the layer has been read whole.
#[derive(Default)]
struct Delta {
    whiteouts: Vec<String>,
    opaque: Vec<String>,
    entries: BTreeMap<String, Node>,
    pending: Vec<Pending>,
    errors: Vec<CatalogError>,
    /// Paths a wanted symlink of this layer seems to point to (the link's target taken
    /// literally): when such a small file follows in the same layer, its content is kept.
    link_targets: HashSet<String>,
    /// Contents kept for [`Walker::kept`].
    kept: Vec<((u32, u32), Vec<u8>)>,
    kept_bytes: u64,
}

/// What the walk found: every surviving piece of evidence with its location and cataloger
/// (in path order), and what could not be read.
pub struct Walked {
    pub found: Vec<(usize, Location, Evidence)>,
    pub errors: Vec<CatalogError>,
}

struct Ctx<'a> {
    image: &'a Image,
    cats: &'a [&'a dyn Cataloger],
    ids: Vec<String>,
}

impl<'a> Ctx<'a> {
    fn name(&self) -> &str {
        &self.image.info.name
    }

    fn layer_id(&self, l: Option<u32>) -> Option<&str> {
        l.and_then(|l| self.ids.get(l as usize)).map(String::as_str)
    }

    fn error(&self, layer: Option<u32>, path: Option<&str>, message: String) -> CatalogError {
        CatalogError {
            image: self.name().to_string(),
            layer: self.layer_id(layer).map(str::to_string),
            path: path.map(str::to_string),
            message,
        }
    }

    fn wanted(&self, file: &FileRef<'_>) -> Vec<u16> {
        (0..self.cats.len())
            .filter(|&c| self.cats[c].wants(file))
            .map(|c| c as u16)
            .collect()
    }

    /// One cataloger reads one file; a panic is that file's error.
    fn run(
        &self,
        cat: u16,
        file: &FileRef<'_>,
        layer: Option<u32>,
        content: &mut dyn Read,
        out: &mut Vec<Found>,
        errors: &mut Vec<CatalogError>,
    ) {
        let c = self.cats[cat as usize];
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.read(file, content)))
            .unwrap_or_else(|_| Err("the cataloger panicked".into()));
        match got {
            Ok(evs) => out.extend(evs.into_iter().map(|evidence| Found {
                cataloger: cat,
                layer,
                evidence,
            })),
            Err(m) => errors.push(self.error(layer, Some(file.path), format!("{}: {m}", c.name()))),
        }
    }

    /// The catalogers `cats` read one file from `content`: the first streams it; more share a
    /// buffer when it is small, else the rest are returned to be served by another pass.
    fn read_now(
        &self,
        cats: &[u16],
        file: &FileRef<'_>,
        layer: Option<u32>,
        content: &mut dyn Read,
        out: &mut Vec<Found>,
        errors: &mut Vec<CatalogError>,
    ) -> Vec<u16> {
        match cats {
            [] => Vec::new(),
            [one] => {
                self.run(*one, file, layer, content, out, errors);
                Vec::new()
            }
            many if file.size <= SHARED_BUFFER => {
                match read_bounded(content, SHARED_BUFFER, "file") {
                    Ok(buf) => {
                        for &c in many {
                            self.run(c, file, layer, &mut &buf[..], out, errors);
                        }
                    }
                    Err(e) => errors.push(self.error(
                        layer,
                        Some(file.path),
                        format!("cannot read the file: {e}"),
                    )),
                }
                Vec::new()
            }
            [first, rest @ ..] => {
                self.run(*first, file, layer, content, out, errors);
                rest.to_vec()
            }
        }
    }
}

/// Opens `root/rel` for reading without following a symlink in its last component, and
/// checks it is still the regular file the walk saw (`dev`, `ino`): a path swapped for a link
/// between the walk and the read is refused.
fn open_in_root(root: &Path, rel: &str, dev: u64, ino: u64) -> io::Result<std::fs::File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(root.join(rel))?;
    let m = f.metadata()?;
    if !m.is_file() || m.dev() != dev || m.ino() != ino {
        return Err(io::Error::other(
            "the file changed while the directory was walked",
        ));
    }
    Ok(f)
}

struct Walker<'a> {
    ctx: Ctx<'a>,
    tree: Tree,
    errors: Vec<CatalogError>,
    /// Small files that wanted symlinks point to, kept as they streamed past (layer, entry),
    /// so that resolving the symlinks after the walk needs no second pass over their layer
    /// (Debian's `etc/os-release -> ../usr/lib/os-release`). At most [`KEPT_TOTAL`] bytes.
    kept: HashMap<(u32, u32), Vec<u8>>,
    kept_bytes: u64,
}

/// Walks `image` and runs `catalogers` over its files (see the module's documentation).
pub fn walk(image: &Image, catalogers: &[&dyn Cataloger]) -> Walked {
    let ids = (0..image.layer_count())
        .map(|i| image.layer_id(i).unwrap_or_default().to_string())
        .collect();
    let mut w = Walker {
        ctx: Ctx {
            image,
            cats: catalogers,
            ids,
        },
        tree: Tree::new(),
        errors: Vec::new(),
        kept: HashMap::new(),
        kept_bytes: 0,
    };
    match &image.content {
        Content::RootFs(root) => w.walk_dir(root),
        Content::Layers { .. } => {
            for li in 0..image.layer_count() {
                w.layer(li);
            }
        }
    }
    w.symlinks();
    let Walker {
        ctx, tree, errors, ..
    } = w;
    let mut found = Vec::new();
    for (path, node) in tree {
        for f in node.evidence {
            let line = match &f.evidence {
                Evidence::Package(p) => p.location.line,
                _ => None,
            };
            let loc = Location {
                layer: ctx.layer_id(f.layer).map(str::to_string),
                path: path.clone(),
                line,
            };
            found.push((f.cataloger as usize, loc, f.evidence));
        }
    }
    Walked { found, errors }
}

impl<'a> Walker<'a> {
    fn layer(&mut self, li: usize) {
        let mut delta = Delta::default();
        let first = {
            let ctx = &self.ctx;
            let tree = &self.tree;
            let kept_bytes = self.kept_bytes;
            pass(ctx.image, li, |index, entry| {
                Self::entry(ctx, tree, kept_bytes, li as u32, index, entry, &mut delta);
                if tree.len() + delta.entries.len() > MAX_PATHS {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })
        };
        let first = match first {
            Ok(_) if self.tree.len() + delta.entries.len() > MAX_PATHS => Err(format!(
                "the image has more than {MAX_PATHS} paths (the walk keeps one node per path)"
            )),
            other => other,
        };
        match first {
            Ok(_) => {
                let pending = std::mem::take(&mut delta.pending);
                for (path, found) in self.serve(pending) {
                    if let Some(n) = delta.entries.get_mut(&path) {
                        n.evidence.push(found);
                    }
                }
                self.commit(delta);
            }
            Err(m) => {
                self.ctx.image.layer_failed(li);
                self.errors.push(self.ctx.error(
                    Some(li as u32),
                    None,
                    format!("cannot read the layer: {m}; its files are not catalogued, nor its deletions applied"),
                ));
            }
        }
    }

    /// One tar entry of layer `li` into the layer's delta.
    fn entry(
        ctx: &Ctx<'_>,
        tree: &Tree,
        kept_bytes: u64,
        li: u32,
        index: u32,
        e: &mut Entry<'_, '_>,
        delta: &mut Delta,
    ) {
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let path = match normalize(&raw) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(m) => {
                delta.errors.push(ctx.error(
                    Some(li),
                    Some(&crate::digest::short(&raw)),
                    format!("tar entry refused: {m}"),
                ));
                return;
            }
        };
        let (dir, base) = split_last(&path);
        if let Some(name) = base.strip_prefix(".wh.") {
            if name == ".wh..opq" {
                delta.opaque.push(dir.to_string());
            } else if !name.starts_with(".wh.") && !name.is_empty() {
                delta.whiteouts.push(join(dir, name));
            }
            return;
        }
        use tar::EntryType as T;
        let ty = e.header().entry_type();
        let mode = e.header().mode().unwrap_or(0o644) & 0o7777;
        let kind = match ty {
            T::Regular | T::Continuous | T::GNUSparse => Kind::File {
                src: Src::Entry { layer: li, index },
                size: e.size(),
                mode,
            },
            T::Link => {
                let target = e
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                let target = match normalize(&target) {
                    Ok(Some(t)) => t,
                    Ok(None) => {
                        delta.errors.push(ctx.error(
                            Some(li),
                            Some(&path),
                            "hard link to the root".into(),
                        ));
                        return;
                    }
                    Err(m) => {
                        delta.errors.push(ctx.error(
                            Some(li),
                            Some(&path),
                            format!("hard link refused: {m}"),
                        ));
                        return;
                    }
                };
                match delta.entries.get(&target).or_else(|| tree.get(&target)) {
                    Some(t) => match &t.kind {
                        Kind::File { src, size, .. } => Kind::File {
                            src: *src,
                            size: *size,
                            mode,
                        },
                        other => other.clone(),
                    },
                    None => {
                        delta.errors.push(ctx.error(
                            Some(li),
                            Some(&path),
                            format!(
                                "hard link target /{} is not in the image",
                                crate::digest::short(&target)
                            ),
                        ));
                        return;
                    }
                }
            }
            T::Symlink => {
                let t = e
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // A symlink a cataloger may want (asked with the link's own path; the real
                // question is asked after the walk): remember where it points.
                let probe = FileRef {
                    path: &path,
                    layer: ctx.layer_id(Some(li)),
                    size: 0,
                    mode: 0o644,
                };
                if !t.is_empty() && ctx.cats.iter().any(|c| c.wants(&probe)) {
                    let (dir, _) = split_last(&path);
                    let joined = if t.starts_with('/') {
                        t.clone()
                    } else {
                        format!("{dir}/{t}")
                    };
                    if let Some(target) = normalize_chroot(&joined) {
                        delta.link_targets.insert(target);
                    }
                }
                Kind::Symlink(t.into_boxed_str())
            }
            T::Directory => Kind::Dir,
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => return,
            _ => Kind::Other,
        };
        let mut node = Node {
            kind,
            layer: Some(li),
            evidence: Vec::new(),
        };
        if let Kind::File { src, size, mode } = node.kind {
            let file = FileRef {
                path: &path,
                layer: ctx.layer_id(Some(li)),
                size,
                mode,
            };
            let wanted = ctx.wanted(&file);
            let keep = ty != T::Link
                && size <= KEPT_FILE
                && kept_bytes + delta.kept_bytes + size <= KEPT_TOTAL
                && delta.link_targets.contains(&path);
            let later = if ty == T::Link {
                wanted
            } else if keep {
                let Ok(buf) = read_bounded(e, KEPT_FILE, "file") else {
                    return; // the latch has the error: the layer fails
                };
                let later = ctx.read_now(
                    &wanted,
                    &file,
                    Some(li),
                    &mut &buf[..],
                    &mut node.evidence,
                    &mut delta.errors,
                );
                delta.kept_bytes += buf.len() as u64;
                delta.kept.push(((li, index), buf));
                later
            } else {
                ctx.read_now(
                    &wanted,
                    &file,
                    Some(li),
                    e,
                    &mut node.evidence,
                    &mut delta.errors,
                )
            };
            if !later.is_empty() {
                delta.pending.push(Pending {
                    src,
                    read_path: path.clone(),
                    path: path.clone(),
                    layer: Some(li),
                    size,
                    mode,
                    cats: later,
                });
            }
        }
        delta.entries.insert(path, node);
    }

    fn commit(&mut self, delta: Delta) {
        for (k, buf) in delta.kept {
            self.kept_bytes += buf.len() as u64;
            self.kept.insert(k, buf);
        }
        for w in &delta.whiteouts {
            remove_subtree(&mut self.tree, w, true);
        }
        for o in &delta.opaque {
            remove_subtree(&mut self.tree, o, false);
        }
        for (path, node) in delta.entries {
            if !matches!(node.kind, Kind::Dir) {
                remove_subtree(&mut self.tree, &path, false);
            }
            self.tree.insert(path, node);
        }
        self.errors.extend(delta.errors);
    }

    /// Serves reads that need another pass over a layer (or a file of a root filesystem).
    fn serve(&mut self, pending: Vec<Pending>) -> Vec<(String, Found)> {
        let ctx = &self.ctx;
        let mut out: Vec<(String, Found)> = Vec::new();
        // (pending index, cataloger) jobs by layer.
        let mut by_layer: BTreeMap<u32, Vec<(usize, u16)>> = BTreeMap::new();
        for (pi, p) in pending.iter().enumerate() {
            match p.src {
                Src::Fs { dev, ino } => {
                    let Some(root) = ctx.image.root_dir() else {
                        continue;
                    };
                    let file = FileRef {
                        path: &p.path,
                        layer: None,
                        size: p.size,
                        mode: p.mode,
                    };
                    for &c in &p.cats {
                        let mut found = Vec::new();
                        match open_in_root(root, &p.read_path, dev, ino) {
                            Ok(f) => ctx.run(
                                c,
                                &file,
                                None,
                                &mut io::BufReader::new(f),
                                &mut found,
                                &mut self.errors,
                            ),
                            Err(e) => self.errors.push(ctx.error(
                                None,
                                Some(&p.path),
                                format!("cannot read the file: {e}"),
                            )),
                        }
                        out.extend(found.into_iter().map(|f| (p.path.clone(), f)));
                    }
                }
                Src::Entry { layer, index } if self.kept.contains_key(&(layer, index)) => {
                    let buf = &self.kept[&(layer, index)];
                    let file = FileRef {
                        path: &p.path,
                        layer: ctx.layer_id(p.layer),
                        size: p.size,
                        mode: p.mode,
                    };
                    let mut found = Vec::new();
                    for &c in &p.cats {
                        ctx.run(
                            c,
                            &file,
                            p.layer,
                            &mut &buf[..],
                            &mut found,
                            &mut self.errors,
                        );
                    }
                    out.extend(found.into_iter().map(|f| (p.path.clone(), f)));
                }
                Src::Entry { layer, .. } => {
                    by_layer
                        .entry(layer)
                        .or_default()
                        .extend(p.cats.iter().map(|&c| (pi, c)));
                }
            }
        }
        for (layer, mut jobs) in by_layer {
            while !jobs.is_empty() {
                let mut by_index: BTreeMap<u32, Vec<(usize, u16)>> = BTreeMap::new();
                for (pi, c) in jobs.drain(..) {
                    let Src::Entry { index, .. } = pending[pi].src else {
                        unreachable!()
                    };
                    by_index.entry(index).or_default().push((pi, c));
                }
                let last = *by_index.keys().next_back().expect("jobs");
                let mut next = Vec::new();
                let mut errors = Vec::new();
                let r = pass(ctx.image, layer as usize, |index, entry| {
                    if let Some(js) = by_index.remove(&index) {
                        // Every job at one index reads the same content: share it as a
                        // cataloger list per file.
                        let mut groups: Vec<(usize, Vec<u16>)> = Vec::new();
                        for (pi, c) in js {
                            match groups.iter_mut().find(|(g, _)| *g == pi) {
                                Some((_, cs)) => cs.push(c),
                                None => groups.push((pi, vec![c])),
                            }
                        }
                        let size = pending[groups[0].0].size;
                        let buffered = if groups.len() > 1 && size <= SHARED_BUFFER {
                            match read_bounded(entry, SHARED_BUFFER, "file") {
                                Ok(b) => Some(b),
                                Err(_) => return ControlFlow::Break(()),
                            }
                        } else {
                            None
                        };
                        for (gi, (pi, cs)) in groups.into_iter().enumerate() {
                            let p = &pending[pi];
                            let file = FileRef {
                                path: &p.path,
                                layer: ctx.layer_id(p.layer),
                                size: p.size,
                                mode: p.mode,
                            };
                            let mut found = Vec::new();
                            let left = match &buffered {
                                Some(b) => {
                                    for &c in &cs {
                                        ctx.run(
                                            c,
                                            &file,
                                            p.layer,
                                            &mut &b[..],
                                            &mut found,
                                            &mut errors,
                                        );
                                    }
                                    Vec::new()
                                }
                                None if gi == 0 => ctx.read_now(
                                    &cs,
                                    &file,
                                    p.layer,
                                    entry,
                                    &mut found,
                                    &mut errors,
                                ),
                                None => cs,
                            };
                            next.extend(left.into_iter().map(|c| (pi, c)));
                            out.extend(found.into_iter().map(|f| (p.path.clone(), f)));
                        }
                    }
                    if index >= last {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                self.errors.extend(errors);
                if let Err(m) = r {
                    for (_, js) in by_index {
                        for (pi, _) in js {
                            self.errors.push(ctx.error(
                                pending[pi].layer,
                                Some(&pending[pi].path),
                                format!("cannot read the file: {m}"),
                            ));
                        }
                    }
                    for (pi, _) in next.drain(..) {
                        self.errors.push(ctx.error(
                            pending[pi].layer,
                            Some(&pending[pi].path),
                            format!("cannot read the file: {m}"),
                        ));
                    }
                    break;
                }
                jobs = next;
            }
        }
        out
    }

    /// After the last layer: symlinks whose path a cataloger wants are read as the file they
    /// resolve to inside the image.
    fn symlinks(&mut self) {
        let links: Vec<String> = self
            .tree
            .iter()
            .filter(|(_, n)| matches!(n.kind, Kind::Symlink(_)))
            .map(|(p, _)| p.clone())
            .collect();
        let mut pending = Vec::new();
        for link in links {
            let Some(target) = resolve_link(&self.tree, &link) else {
                continue;
            };
            let Some(Node {
                kind: Kind::File { src, size, mode },
                layer,
                ..
            }) = self.tree.get(&target)
            else {
                continue;
            };
            let file = FileRef {
                path: &link,
                layer: self.ctx.layer_id(*layer),
                size: *size,
                mode: *mode,
            };
            // A cataloger that wants the target under its own path has read it there: the link
            // would only repeat it (Debian's /usr/share/java/foo.jar -> foo-1.2.jar).
            let at_target = FileRef {
                path: &target,
                ..file
            };
            let cats: Vec<u16> = self
                .ctx
                .wanted(&file)
                .into_iter()
                .filter(|&c| !self.ctx.cats[c as usize].wants(&at_target))
                .collect();
            if !cats.is_empty() {
                pending.push(Pending {
                    src: *src,
                    read_path: target.clone(),
                    path: link.clone(),
                    layer: *layer,
                    size: *size,
                    mode: *mode,
                    cats,
                });
            }
        }
        for (path, found) in self.serve(pending) {
            if let Some(n) = self.tree.get_mut(&path) {
                n.evidence.push(found);
            }
        }
    }

    /// A root filesystem directory as one layer: walked without following symlinks (they are
    /// recorded and resolved in the image like a layer's), never leaving `root`.
    fn walk_dir(&mut self, root: &Path) {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
        let mut seen_dirs: HashMap<(u64, u64), ()> = HashMap::new();
        while let Some((dir, rel)) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    let p = if rel.is_empty() {
                        None
                    } else {
                        Some(rel.as_str())
                    };
                    self.errors.push(self.ctx.error(
                        None,
                        p,
                        format!("cannot list the directory: {e}"),
                    ));
                    continue;
                }
            };
            let mut ents: Vec<std::fs::DirEntry> = rd.filter_map(Result::ok).collect();
            ents.sort_by_key(|e| e.file_name());
            for ent in ents {
                let name = ent.file_name().to_string_lossy().into_owned();
                let path = join(&rel, &name);
                let meta = match std::fs::symlink_metadata(ent.path()) {
                    Ok(m) => m,
                    Err(e) => {
                        self.errors.push(self.ctx.error(
                            None,
                            Some(&path),
                            format!("cannot stat: {e}"),
                        ));
                        continue;
                    }
                };
                let ft = meta.file_type();
                let kind = if ft.is_symlink() {
                    match std::fs::read_link(ent.path()) {
                        Ok(t) => Kind::Symlink(t.to_string_lossy().into_owned().into_boxed_str()),
                        Err(_) => Kind::Other,
                    }
                } else if ft.is_dir() {
                    if seen_dirs.insert((meta.dev(), meta.ino()), ()).is_none() {
                        stack.push((ent.path(), path.clone()));
                    }
                    Kind::Dir
                } else if ft.is_file() {
                    Kind::File {
                        src: Src::Fs {
                            dev: meta.dev(),
                            ino: meta.ino(),
                        },
                        size: meta.len(),
                        mode: meta.permissions().mode() & 0o7777,
                    }
                } else {
                    Kind::Other
                };
                let mut node = Node {
                    kind,
                    layer: None,
                    evidence: Vec::new(),
                };
                if let Kind::File {
                    src: Src::Fs { dev, ino },
                    size,
                    mode,
                } = node.kind
                {
                    let file = FileRef {
                        path: &path,
                        layer: None,
                        size,
                        mode,
                    };
                    let wanted = self.ctx.wanted(&file);
                    if !wanted.is_empty() {
                        match open_in_root(root, &path, dev, ino) {
                            Ok(f) => {
                                let later = self.ctx.read_now(
                                    &wanted,
                                    &file,
                                    None,
                                    &mut io::BufReader::new(f),
                                    &mut node.evidence,
                                    &mut self.errors,
                                );
                                for c in later {
                                    match open_in_root(root, &path, dev, ino) {
                                        Ok(f) => self.ctx.run(
                                            c,
                                            &file,
                                            None,
                                            &mut io::BufReader::new(f),
                                            &mut node.evidence,
                                            &mut self.errors,
                                        ),
                                        Err(e) => self.errors.push(self.ctx.error(
                                            None,
                                            Some(&path),
                                            format!("cannot read the file: {e}"),
                                        )),
                                    }
                                }
                            }
                            Err(e) => self.errors.push(self.ctx.error(
                                None,
                                Some(&path),
                                format!("cannot read the file: {e}"),
                            )),
                        }
                    }
                }
                self.tree.insert(path, node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(
            normalize("./etc//os-release").unwrap().as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(normalize("/a/b/../c/.").unwrap().as_deref(), Some("a/c"));
        assert_eq!(normalize("./").unwrap(), None);
        assert!(normalize("../etc/passwd").is_err());
        assert!(normalize("a/../../etc/passwd").is_err());
    }

    fn file() -> Node {
        Node {
            kind: Kind::File {
                src: Src::Entry { layer: 0, index: 0 },
                size: 1,
                mode: 0o644,
            },
            layer: Some(0),
            evidence: vec![],
        }
    }
    fn link(t: &str) -> Node {
        Node {
            kind: Kind::Symlink(t.into()),
            layer: Some(0),
            evidence: vec![],
        }
    }
    fn dir() -> Node {
        Node {
            kind: Kind::Dir,
            layer: Some(0),
            evidence: vec![],
        }
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let mut t = Tree::new();
        t.insert("etc".into(), dir());
        t.insert("etc/passwd".into(), file());
        t.insert("usr/lib/os-release".into(), file());
        t.insert("etc/os-release".into(), link("../usr/lib/os-release"));
        t.insert("a/b/escape".into(), link("../../../../../etc/passwd"));
        t.insert("abs".into(), link("/etc/passwd"));
        t.insert("loop1".into(), link("loop2"));
        t.insert("loop2".into(), link("loop1"));
        t.insert("lib".into(), link("usr/lib"));
        t.insert("via-dir".into(), link("lib/os-release"));
        t.insert("through-file".into(), link("etc/passwd/x"));
        assert_eq!(
            resolve_link(&t, "etc/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(
            resolve_link(&t, "a/b/escape").as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(resolve_link(&t, "abs").as_deref(), Some("etc/passwd"));
        assert_eq!(resolve_link(&t, "loop1"), None);
        assert_eq!(
            resolve_link(&t, "via-dir").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(resolve_link(&t, "through-file"), None);
    }

    /// Blobs in memory, counting how often they are opened.
    struct MemBlobs(Vec<u8>, std::sync::atomic::AtomicUsize);

    impl crate::source::Blobs for MemBlobs {
        fn open(&self, _blob: &crate::source::BlobRef) -> io::Result<Box<dyn Read + Send + '_>> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(&self.0[..]))
        }
    }

    struct Os;
    impl Cataloger for Os {
        fn name(&self) -> &'static str {
            "os"
        }
        fn wants(&self, f: &FileRef<'_>) -> bool {
            f.path == "etc/os-release"
        }
        fn read(&self, _f: &FileRef<'_>, c: &mut dyn Read) -> Result<Vec<Evidence>, String> {
            let mut s = String::new();
            c.read_to_string(&mut s).map_err(|e| e.to_string())?;
            Ok(vec![Evidence::Note(s)])
        }
    }

    fn one_layer_image(tar: Vec<u8>) -> (Image, std::sync::Arc<MemBlobs>) {
        let blobs = std::sync::Arc::new(MemBlobs(tar, Default::default()));
        struct Shared(std::sync::Arc<MemBlobs>);
        impl crate::source::Blobs for Shared {
            fn open(&self, b: &crate::source::BlobRef) -> io::Result<Box<dyn Read + Send + '_>> {
                self.0.open(b)
            }
        }
        let layer = crate::source::Layer {
            blob: crate::source::BlobRef::Member("l".into()),
            digest: None,
            diff_id: None,
            size: None,
            id: "l".into(),
        };
        let image = Image {
            info: Default::default(),
            notes: Vec::new(),
            content: Content::Layers {
                blobs: Box::new(Shared(blobs.clone())),
                layers: vec![layer],
            },
        };
        (image, blobs)
    }

    fn tar_of(entries: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, link, body) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            match link {
                Some(t) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    b.append_link(&mut h, path, t).unwrap();
                }
                None => {
                    h.set_size(body.len() as u64);
                    b.append_data(&mut h, path, *body).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_small_symlink_target_in_the_same_layer_needs_no_second_pass() {
        let (image, blobs) = one_layer_image(tar_of(&[
            ("etc/os-release", Some("../usr/lib/os-release"), b""),
            ("usr/lib/os-release", None, b"ID=debian\n"),
        ]));
        let w = walk(&image, &[&Os]);
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert_eq!(w.found.len(), 1);
        assert_eq!(w.found[0].1.path, "etc/os-release");
        assert_eq!(w.found[0].2, Evidence::Note("ID=debian\n".into()));
        assert_eq!(blobs.1.load(std::sync::atomic::Ordering::SeqCst), 1);
        // The target first: a second pass reads it.
        let (image, blobs) = one_layer_image(tar_of(&[
            ("usr/lib/os-release", None, b"ID=debian\n"),
            ("etc/os-release", Some("../usr/lib/os-release"), b""),
        ]));
        let w = walk(&image, &[&Os]);
        assert_eq!(w.found[0].2, Evidence::Note("ID=debian\n".into()));
        assert_eq!(blobs.1.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn subtree_removal_keeps_siblings() {
        let mut t = Tree::new();
        for p in ["a", "a/x", "a/x/y", "a-b", "a0", "ab"] {
            t.insert(p.into(), file());
        }
        remove_subtree(&mut t, "a", false);
        assert_eq!(
            t.keys().cloned().collect::<Vec<_>>(),
            ["a", "a-b", "a0", "ab"]
        );
        remove_subtree(&mut t, "a", true);
        assert_eq!(t.keys().cloned().collect::<Vec<_>>(), ["a-b", "a0", "ab"]);
    }
}
