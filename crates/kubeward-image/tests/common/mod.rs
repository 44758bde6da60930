//! Test helpers: run the catalogers over a directory as if it were an image's root filesystem
//! (a plain recursive walk, no layers: the layered walk is tested on its own), and run the real
//! tools the expectations come from.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubeward_image::{Cataloger, Evidence, FileRef, Location, Package};

/// What the catalogers found under `root`: packages (after every `finish`), all evidence, and
/// the errors as `(path, message)`.
pub struct Found {
    pub packages: Vec<Package>,
    pub evidence: Vec<(Location, Evidence)>,
    pub errors: Vec<(String, String)>,
}

impl Found {
    pub fn notes(&self) -> Vec<String> {
        self.evidence
            .iter()
            .filter_map(|(_, e)| match e {
                Evidence::Note(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn by(&self, found_by: &str) -> Vec<&Package> {
        self.packages
            .iter()
            .filter(|p| p.found_by == found_by)
            .collect()
    }
}

pub fn catalog_dir(root: &Path) -> Found {
    let catalogers = kubeward_image::catalog::all();
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    let mut evidence = Vec::new();
    let mut errors = Vec::new();
    for rel in &files {
        let full = root.join(rel);
        let meta = std::fs::symlink_metadata(&full).unwrap();
        let file = FileRef {
            path: rel,
            layer: None,
            size: meta.len(),
            mode: 0o644,
        };
        for c in &catalogers {
            if !c.wants(&file) {
                continue;
            }
            let mut f = File::open(&full).unwrap();
            match c.read(&file, &mut f) {
                Ok(evs) => evidence.extend(evs.into_iter().map(|e| {
                    let loc = Location {
                        layer: None,
                        path: rel.clone(),
                        line: None,
                    };
                    (loc, e)
                })),
                Err(e) => errors.push((rel.clone(), e)),
            }
        }
    }
    let mut packages: Vec<Package> = evidence
        .iter()
        .filter_map(|(_, e)| match e {
            Evidence::Package(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    for c in &catalogers {
        c.finish(&mut packages, &evidence);
    }
    Found {
        packages,
        evidence,
        errors,
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(root, &path, out);
        } else if ft.is_file() {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

/// Runs one cataloger on bytes, as the walk would hand them.
pub fn read_bytes(c: &dyn Cataloger, path: &str, bytes: &[u8]) -> Result<Vec<Evidence>, String> {
    let file = FileRef {
        path,
        layer: Some("sha256:test"),
        size: bytes.len() as u64,
        mode: 0o644,
    };
    assert!(c.wants(&file), "{} does not want {path}", c.name());
    c.read(&file, &mut &bytes[..])
}

/// Runs a real tool; a missing tool fails the test with what to install.
pub fn run(program: &str, args: &[&str], debian_package: &str) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): install the Debian package {debian_package} (see .ci/run)")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A directory for downloads kept between test runs (`target/tmp/<name>`).
pub fn cache_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Test data committed beside the tests.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

// The binary catalogers' helpers (img-bin).

/// The packages of a cataloger's evidence; any other evidence fails the test.
pub fn only_packages(evidence: Vec<Evidence>) -> Vec<Package> {
    evidence
        .into_iter()
        .map(|e| match e {
            Evidence::Package(p) => p,
            other => panic!("unexpected evidence {other:?}"),
        })
        .collect()
}

/// `n` pseudo-random bytes (xorshift64, reproducible from `seed`).
pub fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}
