//! `docker save` / `podman save` / docker-archive tarballs, read in place: the tar's members are
//! indexed once (headers only, seeking over the data) and each blob is then read by seeking to
//! its offset. A tarball holding an OCI layout (`oci-layout` and `index.json`, as `docker save`
//! writes since Docker 25) is opened as that layout; otherwise `manifest.json` names the config
//! and the layer tars.

use super::oci::{self, ConfigJson, MAX_JSON};
use super::{image_error, BlobRef, Blobs, Content, Image, Layer, Platform};
use crate::digest::{read_bounded, short, Digest, VerifyingReader};
use crate::model::{CatalogError, ImageInfo, LayerInfo, Note};
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
enum Member {
    File {
        offset: u64,
        size: u64,
    },
    /// A symlink or hard link to another member (Docker 25 links `<id>/layer.tar` to the blob).
    Link(String),
}

/// A tarball's members, by normalised path.
pub(crate) struct TarBlobs {
    path: PathBuf,
    len: u64,
    members: HashMap<String, Member>,
}

fn norm_member(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
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

impl TarBlobs {
    /// Indexes the tarball. A damaged tail (a truncated tarball) keeps the members before it and
    /// returns the error beside them: the image may still be opened when what it needs is there.
    fn index(path: &Path) -> io::Result<(TarBlobs, Option<String>)> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut ar = tar::Archive::new(file);
        let mut members = HashMap::new();
        let mut damage = None;
        let entries = ar.entries_with_seek()?;
        for e in entries {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    damage = Some(format!(
                        "the tarball is damaged after {} members: {err}",
                        members.len()
                    ));
                    break;
                }
            };
            let Some(name) = norm_member(&String::from_utf8_lossy(&e.path_bytes())) else {
                continue;
            };
            let kind = e.header().entry_type();
            if kind.is_file() || kind == tar::EntryType::Continuous {
                members.insert(
                    name,
                    Member::File {
                        offset: e.raw_file_position(),
                        size: e.size(),
                    },
                );
            } else if kind.is_symlink() || kind.is_hard_link() {
                let Some(target) = e.link_name_bytes() else {
                    continue;
                };
                let target = String::from_utf8_lossy(&target).into_owned();
                let resolved = if kind.is_symlink() && !target.starts_with('/') {
                    match name.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{target}"),
                        None => target,
                    }
                } else {
                    target
                };
                if let Some(t) = norm_member(&resolved) {
                    members.insert(name, Member::Link(t));
                }
            }
        }
        // A tarball cut short ends inside its last member (the tar reader takes the end of the
        // file for the end of the archive).
        if damage.is_none() {
            if let Some((name, end)) = members
                .iter()
                .filter_map(|(n, m)| match m {
                    Member::File { offset, size } => Some((n, offset.saturating_add(*size))),
                    Member::Link(_) => None,
                })
                .max_by_key(|(_, end)| *end)
            {
                if end > len {
                    damage = Some(format!(
                        "the tarball is truncated: it ends inside {} ({len} of {end} bytes)",
                        short(name)
                    ));
                }
            }
        }
        Ok((
            TarBlobs {
                path: path.to_path_buf(),
                len,
                members,
            },
            damage,
        ))
    }

    fn lookup(&self, name: &str) -> io::Result<(u64, u64)> {
        let mut name = name.to_string();
        for _ in 0..16 {
            match self.members.get(&name) {
                Some(Member::File { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(t)) => name = t.clone(),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} is missing from the tarball", short(&name)),
                    ))
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} links in a loop", short(&name)),
        ))
    }

    fn has(&self, name: &str) -> bool {
        self.lookup(name).is_ok()
    }

    fn open_member(&self, name: &str) -> io::Result<Box<dyn Read + Send + '_>> {
        let (offset, size) = self.lookup(name)?;
        if offset.saturating_add(size) > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} is truncated: the tarball ends {} bytes into its {size}",
                    short(name),
                    self.len.saturating_sub(offset)
                ),
            ));
        }
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(ExactLen {
            inner: io::BufReader::with_capacity(256 << 10, f).take(size),
            left: size,
        }))
    }
}

/// A member's bytes; ending early (the file shrank) is an error, not a short blob.
struct ExactLen<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for ExactLen<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the tarball ends inside a member",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl Blobs for TarBlobs {
    fn open(&self, blob: &BlobRef) -> io::Result<Box<dyn Read + Send + '_>> {
        match blob {
            BlobRef::Digest(d) => self.open_member(&format!("blobs/sha256/{}", d.hex())),
            BlobRef::Member(m) => self.open_member(m),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ArchiveManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// The digest a member's name states: `blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`.
fn digest_in_name(name: &str) -> Option<Digest> {
    let base = name.rsplit('/').next()?;
    let hex = base
        .strip_suffix(".json")
        .or_else(|| base.strip_suffix(".tar"))
        .unwrap_or(base);
    if name.starts_with("blobs/sha256/") || base != hex {
        Digest::parse(&format!("sha256:{hex}")).ok()
    } else {
        None
    }
}

pub(crate) fn open_archive(
    path: &Path,
    name: &str,
    platform: Option<&Platform>,
) -> Result<Image, CatalogError> {
    let (blobs, damage) = TarBlobs::index(path)
        .map_err(|e| image_error(name, format!("cannot read the tarball: {e}")))?;
    let mut notes = Vec::new();
    if let Some(d) = &damage {
        notes.push(Note {
            path: None,
            message: d.clone(),
        });
    }
    let read_small = |member: &str| -> Result<Vec<u8>, CatalogError> {
        let mut r = blobs
            .open_member(member)
            .map_err(|e| image_error(name, format!("{member}: {e}")))?;
        read_bounded(&mut r, MAX_JSON, member)
            .map_err(|e| image_error(name, format!("{member}: {e}")))
    };
    let with_damage = |mut e: CatalogError| {
        if let Some(d) = &damage {
            e.message = format!("{}; {d}", e.message);
        }
        e
    };
    if blobs.has("oci-layout") && blobs.has("index.json") {
        oci::check_layout_marker(&read_small("oci-layout")?).map_err(|e| image_error(name, e))?;
        let index = read_small("index.json").map_err(with_damage)?;
        let mut image =
            oci::open_layout(name, &index, None, platform, Box::new(blobs)).map_err(with_damage)?;
        image.notes.extend(notes);
        return Ok(image);
    }
    let manifest = read_small("manifest.json").map_err(with_damage)?;
    let entries: Vec<ArchiveManifest> = serde_json::from_slice(&manifest)
        .map_err(|e| image_error(name, format!("manifest.json: {e}")))?;
    if entries.is_empty() {
        return Err(image_error(name, "manifest.json lists no image".into()));
    }
    // Each image's config (verified when its name is its digest), for the platform choice.
    let mut configs = Vec::new();
    for e in &entries {
        let bytes = read_small(&norm_member(&e.config).unwrap_or_default()).map_err(with_damage)?;
        if let Some(d) = digest_in_name(&e.config) {
            let mut v =
                VerifyingReader::new(&bytes[..], d, Some(bytes.len() as u64), "image config");
            io::copy(&mut v, &mut io::sink())
                .map_err(|err| image_error(name, format!("{}: {err}", e.config)))?;
        }
        let cfg: ConfigJson = serde_json::from_slice(&bytes)
            .map_err(|err| image_error(name, format!("{}: {err}", e.config)))?;
        configs.push(cfg);
    }
    let chosen = if entries.len() == 1 {
        0
    } else {
        let want = platform.cloned().unwrap_or_default();
        let i = configs
            .iter()
            .position(|c| c.platform().is_some_and(|p| want.matches(&p)))
            .unwrap_or(0);
        notes.push(Note {
            path: None,
            message: format!(
                "the tarball holds {} images; catalogued {}",
                entries.len(),
                entries[i]
                    .repo_tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_else(|| format!("the image at {}", entries[i].config))
            ),
        });
        i
    };
    let entry = &entries[chosen];
    let config = &configs[chosen];
    let diff_ids = config.diff_ids();
    let mut layers = Vec::new();
    let mut infos = Vec::new();
    for (i, member) in entry.layers.iter().enumerate() {
        let member = norm_member(member)
            .ok_or_else(|| image_error(name, format!("layer {i}: bad member name")))?;
        let digest = if member.starts_with("blobs/sha256/") {
            digest_in_name(&member)
        } else {
            None
        };
        let diff_id = diff_ids.get(i).cloned().flatten();
        let size = blobs.lookup(&member).map(|(_, s)| s).ok();
        let id = digest
            .as_ref()
            .or(diff_id.as_ref())
            .map(|d| d.to_string())
            .unwrap_or_else(|| member.clone());
        infos.push(LayerInfo {
            digest: id.clone(),
            diff_id: diff_id.as_ref().map(|d| d.to_string()),
            media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
            size: size.unwrap_or(0),
        });
        layers.push(Layer {
            blob: BlobRef::Member(member),
            digest,
            diff_id,
            size,
            id,
        });
    }
    Ok(Image {
        info: ImageInfo {
            name: name.to_string(),
            digest: None,
            platform: config.platform().map(|p| p.to_string()),
            layers: infos,
        },
        notes,
        content: Content::Layers {
            blobs: Box::new(blobs),
            layers,
        },
    })
}
