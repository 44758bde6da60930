//! Where manifests come from: files, directories (recursively), and standard input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeward_yaml::{may_be_boundary, Chunk, Pos, Splitter};

use crate::InputError;

/// One input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// Standard input, read whole (`kubeward scan -`).
    Stdin,
    /// Text already in memory, with the name to report it under.
    Text {
        name: String,
        text: Arc<str>,
    },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_string(),
            Source::Text { name, .. } => name.clone(),
        }
    }

    /// The size of a source small enough to read whole (a regular file or text of at most
    /// `max` bytes); `None` for anything to read a piece at a time.
    pub(crate) fn small_size(&self, max: usize) -> Option<usize> {
        let size = match self {
            Source::File(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_file() => m.len() as usize,
                // Not a regular file (a pipe), or gone: the stream reports it.
                Ok(_) => return None,
                Err(_) => 0,
            },
            Source::Stdin => return None,
            Source::Text { text, .. } => text.len(),
        };
        (size <= max).then_some(size)
    }
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expand command-line arguments into sources: `-` is stdin; a directory is walked recursively
/// for `.yaml`, `.yml` and `.json` files (hidden directories such as `.git` skipped), in sorted
/// order, following symbolic links (a link loop or a dangling link is an input error, and a
/// file reached twice is read once); a file named explicitly is read whatever its extension.
/// Inside a directory only regular files are read: a FIFO, socket or device there is an input
/// error (reading it could block or never end); named explicitly, a FIFO is read (process
/// substitution), a device is refused. A path that does not exist or a directory that cannot
/// be read is an input error; the rest still runs.
pub fn collect_sources(args: &[String]) -> (Vec<Source>, Vec<InputError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for arg in args {
        if arg == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let name: Arc<str> = Arc::from(arg.as_str());
        match std::fs::metadata(path) {
            Err(e) => errors.push(InputError::file(&name, format!("cannot read: {e}"))),
            Ok(m) if m.is_dir() => {
                // A directory reached again through another link is walked once.
                let mut dirs = std::collections::HashSet::new();
                let walker = walkdir::WalkDir::new(path)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        if e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.') {
                            return false;
                        }
                        !e.file_type().is_dir()
                            || file_id(e.path()).is_none_or(|id| dirs.insert(id))
                    });
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_dir() => {}
                        Ok(e) => {
                            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
                            if !EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
                                continue;
                            }
                            if !e.file_type().is_file() {
                                let p: Arc<str> = Arc::from(e.path().display().to_string());
                                errors.push(InputError::file(
                                    &p,
                                    "not a regular file (a FIFO, socket or device); skipped: \
                                     name it on the command line to read it"
                                        .to_string(),
                                ));
                                continue;
                            }
                            if file_id(e.path()).is_some_and(|id| !seen.insert(id)) {
                                continue;
                            }
                            sources.push(Source::File(e.into_path()));
                        }
                        Err(e) => {
                            let p: Arc<str> = Arc::from(
                                e.path()
                                    .map_or(arg.clone(), |p| p.display().to_string())
                                    .as_str(),
                            );
                            let why = match (e.loop_ancestor(), e.io_error()) {
                                (Some(a), _) => format!(
                                    "symbolic link loop: it leads back to {}; skipped",
                                    a.display()
                                ),
                                (None, Some(io)) => {
                                    match std::fs::symlink_metadata(e.path().unwrap_or(path)) {
                                        Ok(l) if l.file_type().is_symlink() => {
                                            format!("cannot follow the symbolic link: {io}")
                                        }
                                        _ => format!("cannot read: {io}"),
                                    }
                                }
                                _ => format!("cannot read: {e}"),
                            };
                            errors.push(InputError::file(&p, why));
                        }
                    }
                }
            }
            Ok(m) if is_device(&m) => errors.push(InputError::file(
                &name,
                "a device, not a file: not read (it may never end)".to_string(),
            )),
            Ok(m) => {
                if m.is_file() && file_id(path).is_some_and(|id| !seen.insert(id)) {
                    continue;
                }
                sources.push(Source::File(path.to_path_buf()))
            }
        }
    }
    (sources, errors)
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

#[cfg(unix)]
fn is_device(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_block_device() || m.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_device(_: &std::fs::Metadata) -> bool {
    false
}

/// A part of one source, cut at document boundaries: its bytes and its documents.
pub struct Piece {
    pub name: Arc<str>,
    pub bytes: Vec<u8>,
    /// The documents, with offsets into `bytes` and lines of the whole source.
    pub chunks: Vec<Chunk>,
    /// The first piece of its source.
    pub first: bool,
    /// Problems met reading this part (a source that cannot be read, a refused document).
    pub errors: Vec<InputError>,
}

/// How much to read from a source at a time.
const READ_SIZE: usize = 4 << 20;
/// An incomplete line of a refused document longer than this is dropped as it is read.
const LONG_LINE: usize = 64 << 10;
/// A refused document's bytes are skipped up to this many times the document limit; past that
/// the source is not read further (no document boundary in sight: `/dev/zero`-like input).
const SKIP_FACTOR: usize = 4;

/// One source read a piece at a time, so that memory holds a piece, not the source: a 1 GB
/// file or an endless stdin costs what one piece and one document cost.
pub struct Stream {
    name: Arc<str>,
    reader: Option<Box<dyn Read + Send>>,
    /// The stream from offset `base` on.
    buf: Vec<u8>,
    base: usize,
    splitter: Splitter,
    /// Documents finished but not handed out yet (stream offsets).
    pending: Vec<Chunk>,
    eof: bool,
    first: bool,
    max_document: usize,
    /// A refused document: its first line and the bytes skipped so far.
    refused: Option<(u32, usize)>,
    /// How much to read at a time.
    read_size: usize,
    errors: Vec<InputError>,
}

impl Stream {
    pub fn open(source: &Source, max_document: usize) -> Stream {
        let name: Arc<str> = Arc::from(source.name().as_str());
        let reader: Box<dyn Read + Send> = match source {
            Source::File(p) => match std::fs::File::open(p) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let mut s =
                        Stream::from_reader(&name, Box::new(std::io::empty()), max_document);
                    s.errors
                        .push(InputError::file(&name, format!("cannot read: {e}")));
                    return s;
                }
            },
            Source::Stdin => Box::new(std::io::stdin()),
            Source::Text { text, .. } => Box::new(std::io::Cursor::new(ArcBytes(text.clone()))),
        };
        Stream::from_reader(&name, reader, max_document)
    }

    /// A stream over any reader, reported under `name`.
    pub fn from_reader(name: &str, reader: Box<dyn Read + Send>, max_document: usize) -> Stream {
        Stream {
            name: Arc::from(name),
            eof: false,
            reader: Some(reader),
            buf: Vec::new(),
            base: 0,
            splitter: Splitter::default(),
            pending: Vec::new(),
            first: true,
            max_document,
            refused: None,
            read_size: READ_SIZE,
            errors: Vec::new(),
        }
    }

    /// Read `n` bytes at a time instead of the default 4 MiB (tests of the bounds).
    pub fn read_size(mut self, n: usize) -> Self {
        self.read_size = n.max(1);
        self
    }

    /// Whether the source is read to its end: the next piece is its last.
    pub fn at_end(&self) -> bool {
        self.eof
    }

    /// The next piece: at least `target` bytes of whole documents, or what is left.
    pub fn next_piece(&mut self, target: usize) -> Piece {
        loop {
            let pending_bytes = match (self.pending.first(), self.pending.last()) {
                (Some(a), Some(b)) => b.end - a.start,
                _ => 0,
            };
            if self.eof || pending_bytes >= target {
                return self.take_piece();
            }
            // A document in progress beyond the limit: hand out what came before it, then
            // refuse it and drop its bytes as they come.
            let end = self.base + self.buf.len();
            let (current, line) = self.splitter.current();
            if !self.splitter.refusing() && end - current > self.max_document {
                if !self.pending.is_empty() {
                    return self.take_piece();
                }
                self.splitter.refuse_current();
                self.refused = Some((line, 0));
                self.errors.push(InputError::at(
                    &self.name,
                    Pos { line, column: 1 },
                    &format!(
                        "document larger than the limit of {} bytes (--max-document-size); refused",
                        self.max_document
                    ),
                ));
            }
            if self.splitter.refusing() {
                self.skip_refused();
                if self.eof {
                    continue;
                }
            } else {
                // A refused document ended at a boundary; reading goes on normally.
                self.refused = None;
            }
            self.fill();
        }
    }

    /// While a document is refused: drop what the splitter has read of it, and a long
    /// incomplete line that cannot be a boundary; stop reading past the skip bound.
    fn skip_refused(&mut self) {
        let keep_from = self
            .pending
            .first()
            .map_or(self.splitter.position(), |c| c.start);
        let end = self.base + self.buf.len();
        let partial = &self.buf[self.splitter.position() - self.base..];
        if self.pending.is_empty() && partial.len() > LONG_LINE {
            if may_be_boundary(&partial[..4])
                && self.splitter.position() > self.splitter.current().0
            {
                // A `---` or `%` line starts the next document, however long it is.
                self.splitter.cut_here();
                self.refused = None;
                return;
            }
            self.splitter.skip_line(end);
        }
        let keep_from = keep_from.max(self.base).min(self.splitter.position());
        let drop = keep_from - self.base;
        if let Some((line, skipped)) = &mut self.refused {
            *skipped += drop;
            if *skipped > SKIP_FACTOR * self.max_document {
                let line = *line;
                self.errors.push(InputError::at(
                    &self.name,
                    Pos { line, column: 1 },
                    &format!(
                        "no document boundary within {} bytes after the refused document; \
                         the rest of this input is not read",
                        SKIP_FACTOR * self.max_document
                    ),
                ));
                // No final feed happens after this, so the refused piece is never yielded.
                self.reader = None;
                self.eof = true;
                self.buf.clear();
                self.base = end;
                return;
            }
        }
        self.buf.drain(..drop);
        self.base = keep_from;
    }

    /// Read more and let the splitter cut it.
    fn fill(&mut self) {
        let Some(reader) = self.reader.as_mut() else {
            self.eof = true;
            return;
        };
        let old = self.buf.len();
        self.buf.resize(old + self.read_size, 0);
        let mut filled = old;
        let result = loop {
            match reader.read(&mut self.buf[filled..]) {
                Ok(n) => {
                    filled += n;
                    if n == 0 || filled == self.buf.len() {
                        break Ok(n == 0);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.truncate(filled);
        match result {
            Ok(eof) => self.eof = eof,
            Err(e) => {
                self.errors.push(InputError::file(
                    &self.name,
                    format!("cannot read further: {e}"),
                ));
                self.eof = true;
            }
        }
        if self.eof {
            self.reader = None;
        }
        self.splitter
            .feed(&self.buf, self.base, self.eof, &mut self.pending);
    }

    /// Hand out the pending documents with their bytes.
    fn take_piece(&mut self) -> Piece {
        let cut = self.pending.last().map_or(self.base, |c| c.end);
        let start = self.pending.first().map_or(self.base, |c| c.start);
        let rest = self.buf.split_off(cut - self.base);
        let mut bytes = std::mem::replace(&mut self.buf, rest);
        bytes.drain(..start - self.base);
        let offset = start;
        self.base = cut;
        let mut chunks = std::mem::take(&mut self.pending);
        for c in &mut chunks {
            c.start -= offset;
            c.end -= offset;
        }
        let first = std::mem::replace(&mut self.first, false);
        if first && offset == 0 && bytes.starts_with(b"\xEF\xBB\xBF") {
            // A byte-order mark is not content (and not a column).
            bytes.drain(..3);
            for c in &mut chunks {
                c.start = c.start.saturating_sub(3);
                c.end -= 3;
            }
        }
        Piece {
            name: self.name.clone(),
            bytes,
            chunks,
            first,
            errors: std::mem::take(&mut self.errors),
        }
    }
}

/// Shared text read as bytes.
struct ArcBytes(Arc<str>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Read a whole source (small inputs, and commands that need every object at once): the
/// same reader, the same bounds, one piece.
pub fn read_whole(source: &Source, max_document: usize) -> Piece {
    let mut stream = Stream::open(source, max_document);
    // A source of known size is read into a buffer of that size (and one byte to see the
    // end), not of READ_SIZE: every small file of a batch kept a zeroed 4 MiB buffer, so
    // scanning ../shared/corpus (472 files) peaked at 2.1 GB and spent seconds in page faults.
    if let Some(size) = source.small_size(READ_SIZE) {
        stream = stream.read_size(size + 1);
    }
    stream.next_piece(usize::MAX)
}
