//! OCI image layouts, and the manifest and index logic every source shares: descriptors,
//! nested indexes resolved to a platform, the image config's diff_ids.

use super::{image_error, BlobRef, Blobs, Content, Image, Layer, Platform};
use crate::digest::{read_bounded, short, Digest, VerifyingReader};
use crate::model::{CatalogError, ImageInfo, LayerInfo};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub(crate) const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub(crate) const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Manifests, indexes and configs are small: anything larger is refused.
pub(crate) const MAX_JSON: u64 = 8 << 20;
/// Nested indexes deeper than this are refused (a loop of indexes cannot be, as digests chain,
/// but depth and fan-out are still bounded).
const MAX_DEPTH: usize = 4;
const MAX_MANIFESTS: usize = 1000;

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub platform: Option<PlatformJson>,
    #[serde(default)]
    pub annotations: Option<HashMap<String, String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PlatformJson {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl PlatformJson {
    fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().filter(|v| !v.is_empty()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct IndexJson {
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ManifestJson {
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: i64,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigJson {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub rootfs: Option<RootFsJson>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RootFsJson {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

impl ConfigJson {
    /// The layers' uncompressed digests (`rootfs.diff_ids`), `None` for one that does not parse.
    pub fn diff_ids(&self) -> Vec<Option<Digest>> {
        self.rootfs
            .as_ref()
            .map(|r| r.diff_ids.iter().map(|d| Digest::parse(d).ok()).collect())
            .unwrap_or_default()
    }

    pub fn platform(&self) -> Option<Platform> {
        if self.os.is_empty() && self.architecture.is_empty() {
            return None;
        }
        Some(Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().filter(|v| !v.is_empty()),
        })
    }
}

impl Descriptor {
    pub fn digest(&self) -> Result<Digest, String> {
        Digest::parse(&self.digest)
    }
    pub fn size(&self) -> Option<u64> {
        u64::try_from(self.size).ok()
    }
}

/// What a JSON document is, from its media type or (when that is absent) its shape.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Index,
    Manifest,
}

pub(crate) fn sniff(media_type: &str, bytes: &[u8]) -> Result<Kind, String> {
    match media_type {
        MT_OCI_INDEX | MT_DOCKER_LIST => return Ok(Kind::Index),
        MT_OCI_MANIFEST | MT_DOCKER_MANIFEST => return Ok(Kind::Manifest),
        _ => {}
    }
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType", default)]
        media_type: String,
        #[serde(rename = "schemaVersion", default)]
        schema_version: i64,
        manifests: Option<serde_json::Value>,
        layers: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    let p: Probe =
        serde_json::from_slice(bytes).map_err(|e| format!("not a manifest or index: {e}"))?;
    match p.media_type.as_str() {
        MT_OCI_INDEX | MT_DOCKER_LIST => return Ok(Kind::Index),
        MT_OCI_MANIFEST | MT_DOCKER_MANIFEST => return Ok(Kind::Manifest),
        _ => {}
    }
    if p.schema_version == 1 {
        return Err("schema 1 manifests are not supported".into());
    }
    if p.manifests.is_some() {
        Ok(Kind::Index)
    } else if p.layers.is_some() && p.config.is_some() {
        Ok(Kind::Manifest)
    } else {
        Err(format!(
            "unsupported manifest media type {:?}",
            short(&p.media_type)
        ))
    }
}

/// Fetches the JSON documents a resolution needs (verified against their descriptors).
pub(crate) trait Fetch {
    /// A manifest or index.
    fn manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String>;
    /// A config blob.
    fn config(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String>;
}

/// The image manifest chosen for a platform, parsed, with its config.
pub(crate) struct Resolved {
    pub digest: Digest,
    pub manifest: ManifestJson,
    pub config: ConfigJson,
}

struct Candidate {
    desc: Descriptor,
    platform: Option<Platform>,
    from_index: bool,
}

/// Resolves `top` (an `index.json`'s entries, or a registry's manifest) to one image manifest
/// for `platform` (default linux/amd64): nested indexes are followed; a manifest whose
/// descriptor has no platform is judged by its config. A single image manifest is taken
/// whatever its platform unless a platform was asked for explicitly.
pub(crate) fn resolve(
    fetch: &mut dyn Fetch,
    top: Vec<Descriptor>,
    platform: Option<&Platform>,
) -> Result<Resolved, String> {
    let mut candidates = Vec::new();
    let mut parsed: HashMap<String, (ManifestJson, Option<ConfigJson>)> = HashMap::new();
    collect(fetch, top, 0, false, &mut candidates, &mut parsed)?;
    if candidates.is_empty() {
        return Err("the image index lists no image manifest".into());
    }
    let want = platform.cloned().unwrap_or_default();
    // Learn the platform of candidates whose descriptor does not say it.
    let single = candidates.len() == 1 && !candidates[0].from_index;
    for c in candidates.iter_mut() {
        if c.platform.is_none() && !(single && platform.is_none()) {
            let (m, cfg) = parsed.get_mut(&c.desc.digest).expect("parsed");
            if cfg.is_none() {
                let bytes = fetch.config(&m.config)?;
                *cfg = Some(
                    serde_json::from_slice(&bytes)
                        .map_err(|e| format!("image config {}: {e}", m.config.digest))?,
                );
            }
            c.platform = cfg.as_ref().and_then(|c| c.platform());
        }
    }
    let chosen = if single && platform.is_none() {
        0
    } else {
        // An exact variant first, then any match.
        let exact = candidates
            .iter()
            .position(|c| c.platform.as_ref() == Some(&want));
        match exact.or_else(|| {
            candidates
                .iter()
                .position(|c| c.platform.as_ref().is_some_and(|p| want.matches(p)))
        }) {
            Some(i) => i,
            None if candidates.len() == 1 && platform.is_none() => 0,
            None => {
                let mut avail: Vec<String> = candidates
                    .iter()
                    .map(|c| {
                        c.platform
                            .as_ref()
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "unknown".into())
                    })
                    .collect();
                avail.sort();
                avail.dedup();
                return Err(format!(
                    "no image for platform {want} (the index has {})",
                    avail.join(", ")
                ));
            }
        }
    };
    let c = candidates.swap_remove(chosen);
    let digest = c.desc.digest()?;
    let (manifest, cfg) = parsed.remove(&c.desc.digest).expect("parsed");
    let config = match cfg {
        Some(cfg) => cfg,
        None => {
            let bytes = fetch.config(&manifest.config)?;
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("image config {}: {e}", manifest.config.digest))?
        }
    };
    Ok(Resolved {
        digest,
        manifest,
        config,
    })
}

fn collect(
    fetch: &mut dyn Fetch,
    descs: Vec<Descriptor>,
    depth: usize,
    from_index: bool,
    out: &mut Vec<Candidate>,
    parsed: &mut HashMap<String, (ManifestJson, Option<ConfigJson>)>,
) -> Result<(), String> {
    for d in descs {
        if out.len() >= MAX_MANIFESTS {
            return Err(format!("more than {MAX_MANIFESTS} manifests"));
        }
        d.digest()?;
        let bytes = fetch.manifest(&d)?;
        match sniff(&d.media_type, &bytes)? {
            Kind::Index => {
                if depth >= MAX_DEPTH {
                    return Err(format!("image indexes nested deeper than {MAX_DEPTH}"));
                }
                let idx: IndexJson = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("image index {}: {e}", d.digest))?;
                collect(fetch, idx.manifests, depth + 1, true, out, parsed)?;
            }
            Kind::Manifest => {
                let m: ManifestJson = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("image manifest {}: {e}", d.digest))?;
                if m.schema_version != 2 {
                    return Err(format!(
                        "image manifest {}: schema version {} is not supported",
                        d.digest, m.schema_version
                    ));
                }
                let platform = d
                    .platform
                    .as_ref()
                    .map(|p| p.platform())
                    .filter(|p| !p.os.is_empty());
                parsed.entry(d.digest.clone()).or_insert((m, None));
                out.push(Candidate {
                    desc: d,
                    platform,
                    from_index: from_index || depth > 0,
                });
            }
        }
    }
    Ok(())
}

/// Fetches documents from a [`Blobs`] by digest, verified.
pub(crate) struct BlobFetch<'a> {
    pub blobs: &'a dyn Blobs,
}

impl BlobFetch<'_> {
    fn read(&self, desc: &Descriptor, what: &'static str) -> Result<Vec<u8>, String> {
        let digest = desc.digest()?;
        if desc.size < 0 || desc.size as u64 > MAX_JSON {
            return Err(format!("{what} {digest}: size {} out of range", desc.size));
        }
        let raw = self
            .blobs
            .open(&BlobRef::Digest(digest.clone()))
            .map_err(|e| format!("{what} {digest}: {e}"))?;
        let mut r = VerifyingReader::new(raw, digest.clone(), Some(desc.size as u64), what);
        read_bounded(&mut r, MAX_JSON, what).map_err(|e| format!("{what} {digest}: {e}"))
    }
}

impl Fetch for BlobFetch<'_> {
    fn manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String> {
        self.read(desc, "manifest")
    }
    fn config(&mut self, desc: &Descriptor) -> Result<Vec<u8>, String> {
        self.read(desc, "image config")
    }
}

/// Builds the [`Image`] of a resolved manifest whose blobs `blobs` reads.
pub(crate) fn image_from(
    name: &str,
    resolved: Resolved,
    blobs: Box<dyn Blobs>,
) -> Result<Image, CatalogError> {
    let diff_ids = resolved.config.diff_ids();
    let mut layers = Vec::new();
    let mut infos = Vec::new();
    for (i, l) in resolved.manifest.layers.iter().enumerate() {
        let digest = l
            .digest()
            .map_err(|e| image_error(name, format!("layer {i}: {e}")))?;
        let diff_id = diff_ids.get(i).cloned().flatten();
        infos.push(LayerInfo {
            digest: digest.to_string(),
            diff_id: diff_id.as_ref().map(|d| d.to_string()),
            media_type: l.media_type.clone(),
            size: l.size().unwrap_or(0),
        });
        layers.push(Layer {
            blob: BlobRef::Digest(digest.clone()),
            id: digest.to_string(),
            digest: Some(digest),
            diff_id,
            size: l.size(),
        });
    }
    Ok(Image {
        info: ImageInfo {
            name: name.to_string(),
            digest: Some(resolved.digest.to_string()),
            platform: resolved.config.platform().map(|p| p.to_string()),
            layers: infos,
        },
        notes: Vec::new(),
        content: Content::Layers { blobs, layers },
    })
}

/// The entries of an `index.json`, those tagged `tag` when one is given.
pub(crate) fn index_entries(bytes: &[u8], tag: Option<&str>) -> Result<Vec<Descriptor>, String> {
    let idx: IndexJson = serde_json::from_slice(bytes).map_err(|e| format!("index.json: {e}"))?;
    let Some(tag) = tag else {
        return Ok(idx.manifests);
    };
    let tagged: Vec<Descriptor> = idx
        .manifests
        .into_iter()
        .filter(|d| {
            d.annotations
                .as_ref()
                .and_then(|a| a.get("org.opencontainers.image.ref.name"))
                .is_some_and(|n| n == tag)
        })
        .collect();
    if tagged.is_empty() {
        return Err(format!("index.json has no image tagged {:?}", short(tag)));
    }
    Ok(tagged)
}

/// Opens an image from an OCI layout whose `index.json` is `index` and blobs `blobs` reads.
pub(crate) fn open_layout(
    name: &str,
    index: &[u8],
    tag: Option<&str>,
    platform: Option<&Platform>,
    blobs: Box<dyn Blobs>,
) -> Result<Image, CatalogError> {
    let entries = index_entries(index, tag).map_err(|e| image_error(name, e))?;
    let resolved = resolve(
        &mut BlobFetch {
            blobs: blobs.as_ref(),
        },
        entries,
        platform,
    )
    .map_err(|e| image_error(name, e))?;
    image_from(name, resolved, blobs)
}

/// An OCI layout directory's blobs: `blobs/sha256/<hex>`.
pub(crate) struct DirBlobs {
    pub root: PathBuf,
}

impl Blobs for DirBlobs {
    fn open(&self, blob: &BlobRef) -> io::Result<Box<dyn Read + Send + '_>> {
        match blob {
            BlobRef::Digest(d) => {
                let path = self.root.join("blobs").join("sha256").join(d.hex());
                let f = std::fs::File::open(&path).map_err(|e| {
                    if e.kind() == io::ErrorKind::NotFound {
                        io::Error::new(
                            io::ErrorKind::NotFound,
                            format!("blob {d} is missing from the layout"),
                        )
                    } else {
                        e
                    }
                })?;
                Ok(Box::new(io::BufReader::with_capacity(256 << 10, f)))
            }
            BlobRef::Member(m) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no member {m} in a layout"),
            )),
        }
    }
}

pub(crate) fn open_layout_dir(
    path: &Path,
    tag: Option<&str>,
    name: &str,
    platform: Option<&Platform>,
) -> Result<Image, CatalogError> {
    check_layout_marker(
        &std::fs::read(path.join("oci-layout"))
            .map_err(|e| image_error(name, format!("oci-layout: {e}")))?,
    )
    .map_err(|e| image_error(name, e))?;
    let mut f = std::fs::File::open(path.join("index.json"))
        .map_err(|e| image_error(name, format!("index.json: {e}")))?;
    let index = read_bounded(&mut f, MAX_JSON, "index.json")
        .map_err(|e| image_error(name, format!("index.json: {e}")))?;
    open_layout(
        name,
        &index,
        tag,
        platform,
        Box::new(DirBlobs {
            root: path.to_path_buf(),
        }),
    )
}

pub(crate) fn check_layout_marker(bytes: &[u8]) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Marker {
        #[serde(rename = "imageLayoutVersion")]
        version: String,
    }
    let m: Marker = serde_json::from_slice(bytes).map_err(|e| format!("oci-layout: {e}"))?;
    if !m.version.starts_with("1.") {
        return Err(format!(
            "oci-layout: unsupported imageLayoutVersion {:?}",
            short(&m.version)
        ));
    }
    Ok(())
}
