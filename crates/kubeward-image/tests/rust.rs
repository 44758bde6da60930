//! The cargo-auditable cataloger against a real binary built here with `cargo auditable build`
//! (from crates.io, `cargo install cargo-auditable`; .ci/run installs it), compared with the
//! crate's `Cargo.lock`. Dependencies come from the local registry cache (`--offline`): the
//! workspace's own lockfile keeps `itoa`, `memchr` and `autocfg` there.

use kubeward_image::catalog::rust::RustCataloger;
use kubeward_image::{Cataloger, Evidence, FileRef, Package};
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

struct Built {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// A binary crate with a crates.io dependency (`itoa`), a path dependency (`helper`, which
/// depends on `memchr`) and a build dependency (`autocfg`), built with `cargo auditable` (or
/// plain `cargo build` when `auditable` is false).
fn build(auditable: bool) -> (Built, PathBuf) {
    let ok = Command::new("cargo")
        .args(["auditable", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the Rust tests need cargo-auditable (`cargo install cargo-auditable --locked`; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let write = |p: &str, s: &str| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    write(
        "app/Cargo.toml",
        "[package]\nname = \"auditable-fixture\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n\
         [dependencies]\nitoa = \"1\"\nhelper = { path = \"../helper\" }\n\n\
         [build-dependencies]\nautocfg = \"1\"\n\n[workspace]\n",
    );
    write(
        "app/build.rs",
        "fn main() {\n    let _ = autocfg::AutoCfg::new;\n}\n",
    );
    write(
        "app/src/main.rs",
        "fn main() {\n    let mut b = itoa::Buffer::new();\n    println!(\"{} {:?}\", b.format(42), helper::find());\n}\n",
    );
    write(
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nmemchr = \"2\"\n",
    );
    write(
        "helper/src/lib.rs",
        "pub fn find() -> Option<usize> {\n    memchr::memchr(b'x', b\"abxd\")\n}\n",
    );
    let mut cmd = Command::new("cargo");
    if auditable {
        cmd.arg("auditable");
    }
    let status = cmd
        .args(["build", "--offline", "--quiet"])
        .current_dir(root.join("app"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cargo build (auditable: {auditable}) failed"
    );
    let bin = root.join("target/debug/auditable-fixture");
    (Built { _dir: dir, root }, bin)
}

/// (name, version, ecosystem) of every package of a Cargo.lock: crates.io's registry as
/// `crates.io`, anything else (a path crate has no `source`) as no ecosystem.
fn lockfile(path: &Path) -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                let v = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                Some(v.trim().trim_matches('"').to_string())
            })
        };
        let eco = match field("source") {
            Some(s) if s == CRATES_IO => "crates.io",
            _ => "",
        };
        out.insert((
            field("name").unwrap(),
            field("version").unwrap(),
            eco.to_string(),
        ));
    }
    out
}

fn catalog_bytes(bytes: &[u8]) -> Result<Vec<Evidence>, String> {
    let file = FileRef {
        path: "usr/local/bin/app",
        layer: Some("sha256:def"),
        size: bytes.len() as u64,
        mode: 0o755,
    };
    RustCataloger.read(&file, &mut &bytes[..])
}

fn packages(bytes: &[u8]) -> Vec<Package> {
    common::only_packages(catalog_bytes(bytes).unwrap())
}

#[test]
fn cargo_auditable_binary_matches_its_lockfile() {
    let (built, bin) = build(true);
    let bytes = std::fs::read(&bin).unwrap();
    let pkgs = packages(&bytes);
    let ours: BTreeSet<_> = pkgs
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.ecosystem.clone()))
        .collect();
    let want = lockfile(&built.root.join("app/Cargo.lock"));
    assert_eq!(ours, want);
    assert_eq!(pkgs.len(), want.len());
    // Spelled out, so that a wrong reading of the lockfile cannot hide a wrong cataloger.
    let names: BTreeSet<(&str, &str)> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.ecosystem.as_str()))
        .collect();
    for expected in [
        ("auditable-fixture", ""),
        ("helper", ""),
        ("itoa", "crates.io"),
        ("memchr", "crates.io"),
        ("autocfg", "crates.io"),
    ] {
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }
    for p in &pkgs {
        assert_eq!(p.purl, format!("pkg:cargo/{}@{}", p.name, p.version));
        assert_eq!(p.found_by, "rust");
        assert_eq!(p.location.path, "usr/local/bin/app");
        assert_eq!(p.location.layer.as_deref(), Some("sha256:def"));
    }
}

#[test]
fn other_binaries_and_damaged_ones() {
    // The same crate without cargo-auditable: nothing.
    let (_plain, bin) = build(false);
    assert_eq!(catalog_bytes(&std::fs::read(bin).unwrap()).unwrap(), vec![]);
    // A non-Rust ELF.
    assert_eq!(
        catalog_bytes(&std::fs::read("/bin/ls").unwrap()).unwrap(),
        vec![]
    );
    // Truncated inside the section (located with the object crate): an error naming no content.
    let (_built, bin) = build(true);
    let bytes = std::fs::read(bin).unwrap();
    let (start, size) = {
        use object::{Object, ObjectSection};
        let file = object::File::parse(&*bytes).unwrap();
        let section = file.section_by_name(".dep-v0").expect(".dep-v0 section");
        section.file_range().unwrap()
    };
    let (start, size) = (start as usize, size as usize);
    let err = catalog_bytes(&bytes[..start + size / 2]).unwrap_err();
    assert!(err.contains("truncated"), "{err}");
    assert!(!err.contains("itoa"), "{err}");
    // Truncated before it: nothing. Every cut around it: never a panic.
    assert_eq!(catalog_bytes(&bytes[..start]).unwrap(), vec![]);
    for cut in (start.saturating_sub(64)..start + size).step_by(3) {
        let _ = catalog_bytes(&bytes[..cut]);
    }
    // Random bytes, and random bytes behind this binary's ELF header.
    let random = common::random_bytes(1 << 20, 0x5851_f42d_4c95_7f2d);
    assert_eq!(catalog_bytes(&random).unwrap(), vec![]);
    let mut elf_random = bytes[..64].to_vec();
    elf_random.extend(&random);
    let _ = catalog_bytes(&elf_random);
    // Corrupted JSON inside a valid stream is an error, not a panic: flip bytes of the section.
    let mut damaged = bytes.clone();
    for b in &mut damaged[start + size / 2..start + size - 4] {
        *b ^= 0x55;
    }
    let _ = catalog_bytes(&damaged);
}
