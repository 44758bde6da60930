//! Helpers of the image tests: test catalogers, the real tools (umoci, skopeo), hand-made
//! layers and layouts, and the truth a directory gives.
#![allow(dead_code)]

use kubeward_image::{Cataloger, Evidence, FileRef, Location, OsRelease, Package};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn package(name: &str, version: &str, cataloger: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: "Test".into(),
        purl: format!("pkg:generic/{name}@{version}"),
        source_name: None,
        source_version: None,
        license: None,
        found_by: cataloger.into(),
        location: Location {
            layer: None,
            path: String::new(),
            line: Some(1),
        },
    }
}

/// Wants every file: one package per file, named by its path, versioned by its content's
/// sha256 and its mode: what the walk presents, to compare with a directory.
pub struct AllFiles;

impl Cataloger for AllFiles {
    fn name(&self) -> &'static str {
        "all"
    }
    fn wants(&self, _file: &FileRef<'_>) -> bool {
        true
    }
    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut n = 0u64;
        loop {
            let k = content.read(&mut buf).map_err(|e| e.to_string())?;
            if k == 0 {
                break;
            }
            n += k as u64;
            h.update(&buf[..k]);
        }
        if n != file.size {
            return Err(format!("read {n} bytes of {}", file.size));
        }
        Ok(vec![Evidence::Package(package(
            file.path,
            &format!("{}:{:o}", hex::encode(h.finalize()), file.mode),
            "all",
        ))])
    }
}

/// Wants the paths listed (symlinks among them, to see them resolved), hashing like
/// [`AllFiles`]; its packages are `found_by` "named".
pub struct Named(pub &'static [&'static str]);

impl Cataloger for Named {
    fn name(&self) -> &'static str {
        "named"
    }
    fn wants(&self, file: &FileRef<'_>) -> bool {
        self.0.contains(&file.path)
    }
    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut ev = AllFiles.read(file, content)?;
        if let Some(Evidence::Package(p)) = ev.first_mut() {
            p.found_by = "named".into();
        }
        Ok(ev)
    }
}

/// The tiny cataloger of the brief: `etc/os-release` (an OS and a package) and
/// `var/lib/dpkg/status` (a package named by the file, versioned by its first line).
pub struct Probe;

impl Cataloger for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn wants(&self, file: &FileRef<'_>) -> bool {
        matches!(file.path, "etc/os-release" | "var/lib/dpkg/status")
    }
    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut s = String::new();
        content
            .take(1 << 20)
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        let first = s.lines().next().unwrap_or("").to_string();
        let mut out = vec![Evidence::Package(package(file.path, &first, "probe"))];
        if file.path.ends_with("os-release") {
            let mut os = OsRelease::default();
            for l in s.lines() {
                if let Some(v) = l.strip_prefix("ID=") {
                    os.id = v.trim_matches('"').into();
                }
                if let Some(v) = l.strip_prefix("VERSION_ID=") {
                    os.version_id = v.trim_matches('"').into();
                }
            }
            out.push(Evidence::Os(os));
        }
        Ok(out)
    }
}

/// path -> "sha256:mode" of what a catalog presents (AllFiles's packages).
pub fn presented(catalog: &kubeward_image::Catalog) -> BTreeMap<String, String> {
    presented_by(catalog, "all")
}

pub fn presented_by(catalog: &kubeward_image::Catalog, by: &str) -> BTreeMap<String, String> {
    catalog
        .packages
        .iter()
        .filter(|p| p.found_by == by)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

/// The truth of an unpacked root filesystem: every regular file with its content's sha256 and
/// mode (what a cataloger that wants every path is shown: it is not shown symlinks, as it
/// reads their targets under their own paths).
pub fn truth(root: &Path) -> BTreeMap<String, String> {
    truth_of(root, false)
}

/// Every symlink that resolves (inside `root`, chroot-like, on the real filesystem) to a
/// regular file, with the target's sha256 and mode. Independent of the crate's own resolver.
pub fn truth_links(root: &Path) -> BTreeMap<String, String> {
    truth_of(root, true)
}

fn truth_of(root: &Path, links: bool) -> BTreeMap<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in std::fs::read_dir(root.join(&rel)).unwrap() {
            let e = e.unwrap();
            let r = rel.join(e.file_name());
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let target = if m.file_type().is_symlink() {
                if !links {
                    continue;
                }
                match resolve_on_disk(root, &r) {
                    Some(t) => t,
                    None => continue,
                }
            } else if m.is_dir() {
                stack.push(r);
                continue;
            } else if m.is_file() && !links {
                r.clone()
            } else {
                continue;
            };
            let tm = std::fs::symlink_metadata(root.join(&target)).unwrap();
            if !tm.is_file() {
                continue;
            }
            let content = std::fs::read(root.join(&target)).unwrap();
            out.insert(
                r.to_string_lossy().into_owned(),
                format!(
                    "{}:{:o}",
                    sha256_hex(&content),
                    tm.permissions().mode() & 0o7777
                ),
            );
        }
    }
    out
}

fn resolve_on_disk(root: &Path, link: &Path) -> Option<PathBuf> {
    let mut cur: Vec<String> = Vec::new();
    let mut rest: Vec<String> = link
        .iter()
        .rev()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let mut hops = 0;
    while let Some(c) = rest.pop() {
        if c.is_empty() || c == "." || c == "/" {
            continue;
        }
        if c == ".." {
            cur.pop();
            continue;
        }
        let p: PathBuf = cur.iter().chain(std::iter::once(&c)).collect();
        let m = std::fs::symlink_metadata(root.join(&p)).ok()?;
        if m.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let t = std::fs::read_link(root.join(&p)).ok()?;
            let t = t.to_string_lossy().into_owned();
            if t.starts_with('/') {
                cur.clear();
            }
            rest.extend(t.split('/').rev().map(str::to_string));
        } else {
            cur.push(c);
        }
    }
    Some(cur.iter().collect())
}

/// Runs a command, panicking with its output when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (is it installed? .ci/run installs it)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn umoci(args: &[&str]) {
    run(Command::new("umoci").args(args));
}

pub fn skopeo(args: &[&str]) {
    run(Command::new("skopeo").arg("--insecure-policy").args(args));
}

/// Writes `path` (parents made) with `content` and `mode`.
pub fn write(root: &Path, path: &str, content: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ---- hand-made layers and layouts ----

pub enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    /// A regular file whose name is written as is (`..` included), bypassing the tar crate's
    /// checks.
    RawName(&'a [u8], &'a [u8]),
}

pub fn layer_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        match e {
            E::File(p, c) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(c.len() as u64);
                b.append_data(&mut h, p, *c).unwrap();
            }
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::Hardlink(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::RawName(name, c) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(c.len() as u64);
                let n = &mut h.as_old_mut().name;
                n.fill(0);
                n[..name.len()].copy_from_slice(name);
                h.set_cksum();
                b.append(&h, *c).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

pub fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::encode_all(b, 3).unwrap()
}

/// An OCI layout written by hand (for what the tools will not write: opaque markers, `..`
/// entries, corrupt layers, hand-written indexes).
pub struct Layout {
    pub root: PathBuf,
}

pub struct Desc {
    pub media_type: String,
    pub digest: String,
    pub size: usize,
}

impl Desc {
    pub fn json(&self, platform: Option<(&str, &str, Option<&str>)>) -> serde_json::Value {
        let mut v = serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size});
        if let Some((os, arch, var)) = platform {
            let mut p = serde_json::json!({"os": os, "architecture": arch});
            if let Some(var) = var {
                p["variant"] = var.into();
            }
            v["platform"] = p;
        }
        v
    }
}

impl Layout {
    pub fn new(root: &Path) -> Layout {
        std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
        std::fs::write(
            root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        Layout {
            root: root.to_path_buf(),
        }
    }

    pub fn blob(&self, media_type: &str, bytes: &[u8]) -> Desc {
        let hex = sha256_hex(bytes);
        std::fs::write(self.root.join("blobs/sha256").join(&hex), bytes).unwrap();
        Desc {
            media_type: media_type.into(),
            digest: format!("sha256:{hex}"),
            size: bytes.len(),
        }
    }

    /// An image of `layers` (tar bytes, compressed as `compress` says) for a platform.
    pub fn image(
        &self,
        layers: &[Vec<u8>],
        compress: &str,
        os: &str,
        arch: &str,
        variant: Option<&str>,
    ) -> Desc {
        let mut diff_ids = Vec::new();
        let mut descs = Vec::new();
        for l in layers {
            diff_ids.push(format!("sha256:{}", sha256_hex(l)));
            let (mt, bytes) = match compress {
                "gzip" => ("application/vnd.oci.image.layer.v1.tar+gzip", gzip(l)),
                "zstd" => ("application/vnd.oci.image.layer.v1.tar+zstd", zstd(l)),
                _ => ("application/vnd.oci.image.layer.v1.tar", l.clone()),
            };
            descs.push(self.blob(mt, &bytes).json(None));
        }
        let mut config = serde_json::json!({"os": os, "architecture": arch, "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}});
        if let Some(v) = variant {
            config["variant"] = v.into();
        }
        let config = self.blob(
            "application/vnd.oci.image.config.v1+json",
            config.to_string().as_bytes(),
        );
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.json(None),
            "layers": descs,
        });
        self.blob(
            "application/vnd.oci.image.manifest.v1+json",
            manifest.to_string().as_bytes(),
        )
    }

    pub fn index(&self, entries: Vec<serde_json::Value>) -> Desc {
        let idx = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries});
        self.blob(
            "application/vnd.oci.image.index.v1+json",
            idx.to_string().as_bytes(),
        )
    }

    pub fn set_index_json(&self, entries: Vec<serde_json::Value>) {
        let idx = serde_json::json!({"schemaVersion": 2, "manifests": entries});
        std::fs::write(self.root.join("index.json"), idx.to_string()).unwrap();
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.root
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }
}

/// A layout holding one image of `layers`, tagged `t`.
pub fn single_image(root: &Path, layers: &[Vec<u8>], compress: &str) -> Layout {
    let l = Layout::new(root);
    let m = l.image(layers, compress, "linux", "amd64", None);
    let mut e = m.json(None);
    e["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "t"});
    l.set_index_json(vec![e]);
    l
}

pub fn scan(spec: kubeward_image::SourceSpec, platform: Option<&str>) -> kubeward_image::Catalog {
    scan_named(spec, platform, &[])
}

/// [`scan`] with a [`Named`] cataloger of `names` too.
pub fn scan_named(
    spec: kubeward_image::SourceSpec,
    platform: Option<&str>,
    names: &'static [&'static str],
) -> kubeward_image::Catalog {
    let opts = kubeward_image::RegistryOptions {
        platform: platform.map(|p| p.parse().unwrap()),
        ..Default::default()
    };
    kubeward_image::scan_spec(&spec, &opts, &[&AllFiles, &Probe, &Named(names)])
}

pub fn oci(path: &Path) -> kubeward_image::SourceSpec {
    kubeward_image::SourceSpec::OciLayout {
        path: path.to_path_buf(),
        tag: None,
    }
}
