//! Where manifests come from: files, directories (recursively), and standard input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeward_yaml::{decode, split_documents, Chunk};

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

    pub(crate) fn size_hint(&self) -> u64 {
        match self {
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Source::Stdin => 0,
            Source::Text { text, .. } => text.len() as u64,
        }
    }
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expand command-line arguments into sources: `-` is stdin; a directory is walked recursively
/// for `.yaml`, `.yml` and `.json` files (hidden directories such as `.git` skipped), in sorted
/// order; a file named explicitly is read whatever its extension. A path that does not exist
/// or a directory that cannot be read is an input error; the rest still runs.
pub fn collect_sources(args: &[String]) -> (Vec<Source>, Vec<InputError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
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
                let walker = walkdir::WalkDir::new(path)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                    });
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_file() => {
                            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
                            if EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
                                sources.push(Source::File(e.into_path()));
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let p: Arc<str> = Arc::from(
                                e.path()
                                    .map_or(arg.clone(), |p| p.display().to_string())
                                    .as_str(),
                            );
                            errors.push(InputError::file(&p, format!("cannot read: {e}")));
                        }
                    }
                }
            }
            Ok(_) => sources.push(Source::File(path.to_path_buf())),
        }
    }
    (sources, errors)
}

/// A source read into memory and cut into documents.
pub struct Loaded {
    pub name: Arc<str>,
    pub text: String,
    pub chunks: Vec<Chunk>,
    pub error: Option<InputError>,
}

impl Loaded {
    pub fn read(source: &Source) -> Loaded {
        let name: Arc<str> = Arc::from(source.name().as_str());
        let bytes = match source {
            Source::File(p) => std::fs::read(p),
            Source::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
            }
            Source::Text { text, .. } => Ok(text.as_bytes().to_vec()),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                let error = Some(InputError::file(&name, format!("cannot read: {e}")));
                return Loaded {
                    name,
                    text: String::new(),
                    chunks: Vec::new(),
                    error,
                };
            }
        };
        let mut bytes = bytes;
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        // Take the buffer over as the text: no second copy of a large input.
        match String::from_utf8(bytes) {
            Ok(text) => {
                let chunks = split_documents(&text);
                Loaded {
                    name,
                    text,
                    chunks,
                    error: None,
                }
            }
            Err(e) => {
                let p = decode(e.as_bytes())
                    .err()
                    .unwrap_or(kubeward_yaml::Problem {
                        pos: kubeward_yaml::Pos { line: 1, column: 1 },
                        message: "file is not valid UTF-8 text".to_string(),
                    });
                let error = Some(InputError::at(&name, p.pos, &p.message));
                Loaded {
                    name,
                    text: String::new(),
                    chunks: Vec::new(),
                    error,
                }
            }
        }
    }
}
