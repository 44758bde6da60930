//! Where audit logs come from: files (gzip-compressed or not), directories, standard input,
//! and a growing file followed across rotation.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kubeward_engine::InputError;

use crate::lines::{Fill, LineReader, CHUNK};
use crate::{Analyzer, Output};

/// One input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
        }
    }
}

/// Whether a file in a directory looks like an audit log: `.log`, `.json`, `.jsonl`, `.gz`,
/// or a name with `audit` in it (the API server's rotated backups are
/// `audit-2026-11-23T15-25-01.123.log`).
fn looks_like_log(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    !name.starts_with('.')
        && (name.contains("audit")
            || [".log", ".json", ".jsonl", ".gz"]
                .iter()
                .any(|e| name.ends_with(e)))
}

/// Expand arguments: `-` is stdin; a directory gives its log files, recursively, sorted by
/// name (rotated backups, named by time, come before the live `audit.log`). A path that
/// cannot be read is an input error; the rest still runs.
pub fn collect(args: &[String]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let name: Arc<str> = Arc::from(arg.as_str());
        match std::fs::metadata(path) {
            Err(e) => errors.push(InputError::file(&name, format!("cannot read: {e}"))),
            Ok(m) if m.is_dir() => walk(path, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input::File(path.to_path_buf())),
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let name: Arc<str> = Arc::from(dir.display().to_string().as_str());
            errors.push(InputError::file(
                &name,
                format!("cannot read the directory: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                walk(&p, inputs, errors);
            }
        } else if looks_like_log(&p) {
            inputs.push(Input::File(p));
        }
    }
}

/// A reader over `r` that decompresses gzip (recognised by its magic bytes, not its name;
/// concatenated members too).
/// Also says whether it is compressed.
fn maybe_gzip(r: impl Read + Send + 'static) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let mut r = BufReader::with_capacity(256 << 10, r);
    let head = r.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(flate2::read::MultiGzDecoder::new(r)), true))
    } else {
        Ok((Box::new(r), false))
    }
}

/// Analyse every input in order.
pub fn analyse_all(
    analyzer: &mut Analyzer,
    inputs: &[Input],
    out: &mut dyn Output,
) -> io::Result<()> {
    for input in inputs {
        let name: Arc<str> = Arc::from(input.name().as_str());
        let opened = match input {
            Input::Stdin => maybe_gzip(io::stdin()),
            Input::File(p) => File::open(p).and_then(maybe_gzip),
        };
        match opened {
            // Inflating costs as much as parsing: it gets its own thread.
            Ok((r, true)) => read_ahead(analyzer, &name, r, out)?,
            Ok((mut r, false)) => analyzer.read_stream(&name, &mut r, out)?,
            Err(e) => {
                analyzer.stats.errors += 1;
                out.results(
                    Vec::new(),
                    vec![InputError::file(&name, format!("cannot read: {e}"))],
                )?;
            }
        }
    }
    Ok(())
}

/// Analyse a stream while the next chunks are read (and decompressed) on another thread, so
/// that gzip inflation overlaps the parsing instead of adding to it. At most two chunks wait.
fn read_ahead(
    analyzer: &mut Analyzer,
    name: &Arc<str>,
    mut reader: Box<dyn Read + Send>,
    out: &mut dyn Output,
) -> io::Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
    // Read chunks come back to be filled again: three buffers in all, whatever the size.
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
            let mut chunk = back_rx.try_recv().unwrap_or_default();
            chunk.clear();
            chunk.reserve_exact(CHUNK);
            match (&mut reader).take(CHUNK as u64).read_to_end(&mut chunk) {
                Ok(0) => break,
                Ok(_) => {
                    if tx.send(Ok(chunk)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    // What was decompressed before the error (a truncated file) is analysed
                    // first: read_to_end leaves it in the chunk.
                    if !chunk.is_empty() && tx.send(Ok(chunk)).is_err() {
                        break;
                    }
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        });
        let mut chunks = Chunks {
            rx,
            back: back_tx,
            current: Vec::new(),
            at: 0,
        };
        analyzer.read_stream(name, &mut chunks, out)
        // Dropping `chunks` (the receiver) stops the reader if the analysis ended early.
    })
}

/// The chunks the read-ahead thread sends, as one stream.
struct Chunks {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.current.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    // The reader may have finished: then the buffer is simply dropped.
                    let _ = self.back.send(used);
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The identity of an open file, to notice that its path now names another one.
#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Follow `path` as it grows, like `tail -F` from its first line: analyse what is there,
/// then poll every `interval`. Rotation (the path now names a new file, as the API server's
/// log backend does when it renames `audit.log` to a dated backup) finishes the old file and
/// starts the new one at line 1; truncation (copytruncate) starts over at line 1. Runs until
/// the process is stopped, or `stop` says so (tests).
pub fn follow(
    analyzer: &mut Analyzer,
    path: &Path,
    interval: Duration,
    out: &mut dyn Output,
    stop: &dyn Fn() -> bool,
) -> io::Result<()> {
    let name: Arc<str> = Arc::from(path.display().to_string().as_str());
    let max_line = analyzer.opts.max_line;
    'files: loop {
        let mut file = loop {
            match File::open(path) {
                Ok(f) => break f,
                Err(_) if !stop() => std::thread::sleep(interval),
                Err(e) => return Err(e),
            }
        };
        analyzer.stats.files += 1;
        let id = identity(&file.metadata()?);
        let mut lines = LineReader::new(max_line);
        let mut offset: u64 = 0;
        loop {
            let fill = lines.fill(&mut file)?;
            if let Fill::Read(n) = fill {
                offset += n as u64;
            }
            analyzer.drain_complete(&name, &mut lines, out)?;
            analyzer.after_fill(&name, &fill, out)?;
            if fill != Fill::Read(0) {
                continue;
            }
            if stop() {
                analyzer.finish_stream(&name, &mut lines, out)?;
                return Ok(());
            }
            std::thread::sleep(interval);
            match std::fs::metadata(path) {
                Ok(now) if identity(&now) != id => {
                    // Rotated: whatever the old file got after our last read, then the new one.
                    loop {
                        let fill = lines.fill(&mut file)?;
                        analyzer.drain_complete(&name, &mut lines, out)?;
                        analyzer.after_fill(&name, &fill, out)?;
                        if fill == Fill::Read(0) {
                            break;
                        }
                    }
                    analyzer.finish_stream(&name, &mut lines, out)?;
                    continue 'files;
                }
                Ok(now) if now.len() < offset => {
                    // Truncated in place: start again from its beginning.
                    analyzer.finish_stream(&name, &mut lines, out)?;
                    continue 'files;
                }
                // Gone (between the rename and the new file) or unchanged: keep waiting.
                _ => {}
            }
        }
    }
}
