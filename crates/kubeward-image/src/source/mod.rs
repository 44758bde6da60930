//! Where an image comes from, and its layers as streams of their (compressed) bytes.
//!
//! * [`SourceSpec::OciLayout`]: an OCI image layout directory (`oci-layout`, `index.json`,
//!   `blobs/`), nested indexes resolved to a platform.
//! * [`SourceSpec::Archive`]: a `docker save` / `podman save` / `skopeo copy docker-archive:`
//!   tarball (`manifest.json` and layer tars), or the newer `docker save` that holds an OCI layout
//!   inside the tar. Read in place: the tarball's members are indexed once and then read by
//!   seeking, nothing is extracted.
//! * [`SourceSpec::RootFs`]: a root filesystem directory, walked without following symlinks.
//! * [`SourceSpec::Registry`]: `host[:port]/repo:tag` or `...@sha256:...` through `oci-client`,
//!   blobs cached by digest (see [`RegistryOptions`]).
//!
//! Every blob read is verified against its digest as it streams: a mismatch fails the read that
//! reaches the blob's end, so the walk of that layer fails and the layer is reported.

pub(crate) mod archive;
pub(crate) mod oci;
pub(crate) mod registry;

use crate::digest::{Digest, VerifyingReader};
use crate::model::{CatalogError, ImageInfo, Note};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use registry::RegistryOptions;

/// `os/arch[/variant]`, as `--platform` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(format!(
                "platform {:?} is not os/arch[/variant]",
                crate::digest::short(s)
            )),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Whether an image of platform `other` serves a request for `self`. A request without a
    /// variant takes any variant; `arm64` without a variant is `arm64/v8`.
    pub fn matches(&self, other: &Platform) -> bool {
        if self.os != other.os || self.architecture != other.architecture {
            return false;
        }
        let norm = |p: &Platform| match (&p.variant, p.architecture.as_str()) {
            (None, "arm64") => Some("v8".to_string()),
            (v, _) => v.clone(),
        };
        match &self.variant {
            None => true,
            Some(_) => norm(self) == norm(other),
        }
    }
}

/// What to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// An OCI image layout directory; `tag` selects among `index.json`'s entries by their
    /// `org.opencontainers.image.ref.name` annotation.
    OciLayout { path: PathBuf, tag: Option<String> },
    /// A `docker save` / `podman save` / docker-archive tarball.
    Archive(PathBuf),
    /// A root filesystem directory.
    RootFs(PathBuf),
    /// A registry reference.
    Registry(String),
}

impl SourceSpec {
    /// Reads a command-line image argument: `oci:PATH[:TAG]`, `docker-archive:PATH` (or
    /// `oci-archive:`/`archive:`), `dir:PATH`, `registry:REF` (or `docker://REF`); without a
    /// prefix, an existing directory with an `oci-layout` file is a layout, another directory a
    /// root filesystem, an existing file a tarball, and anything else a registry reference.
    pub fn parse(arg: &str) -> SourceSpec {
        if let Some(rest) = arg.strip_prefix("oci:") {
            // `oci:path:tag` when the whole is not an existing path.
            if !Path::new(rest).exists() {
                if let Some((p, t)) = rest.rsplit_once(':') {
                    if Path::new(p).is_dir() {
                        return SourceSpec::OciLayout {
                            path: p.into(),
                            tag: Some(t.to_string()),
                        };
                    }
                }
            }
            return SourceSpec::OciLayout {
                path: rest.into(),
                tag: None,
            };
        }
        for prefix in ["docker-archive:", "oci-archive:", "archive:"] {
            if let Some(rest) = arg.strip_prefix(prefix) {
                return SourceSpec::Archive(rest.into());
            }
        }
        if let Some(rest) = arg.strip_prefix("dir:") {
            return SourceSpec::RootFs(rest.into());
        }
        for prefix in ["registry:", "docker://"] {
            if let Some(rest) = arg.strip_prefix(prefix) {
                return SourceSpec::Registry(rest.to_string());
            }
        }
        let p = Path::new(arg);
        if p.is_dir() {
            if p.join("oci-layout").is_file() {
                return SourceSpec::OciLayout {
                    path: p.into(),
                    tag: None,
                };
            }
            return SourceSpec::RootFs(p.into());
        }
        if p.is_file() {
            return SourceSpec::Archive(p.into());
        }
        SourceSpec::Registry(arg.to_string())
    }

    /// The name an image opened from this is reported under.
    pub fn name(&self) -> String {
        match self {
            SourceSpec::OciLayout { path, tag: Some(t) } => format!("{}:{t}", path.display()),
            SourceSpec::OciLayout { path, tag: None } => path.display().to_string(),
            SourceSpec::Archive(p) | SourceSpec::RootFs(p) => p.display().to_string(),
            SourceSpec::Registry(r) => r.clone(),
        }
    }
}

/// Opens an image. `options.platform` selects the manifest of a multi-platform image for every
/// kind of source; the rest of `options` is for registries.
pub fn open(spec: &SourceSpec, options: &RegistryOptions) -> Result<Image, CatalogError> {
    let name = spec.name();
    let platform = options.platform.clone();
    match spec {
        SourceSpec::OciLayout { path, tag } => {
            oci::open_layout_dir(path, tag.as_deref(), &name, platform.as_ref())
        }
        SourceSpec::Archive(path) => archive::open_archive(path, &name, platform.as_ref()),
        SourceSpec::RootFs(path) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| image_error(&name, format!("cannot open the directory: {e}")))?;
            if !meta.is_dir() {
                return Err(image_error(&name, "not a directory".into()));
            }
            Ok(Image {
                info: ImageInfo {
                    name,
                    digest: None,
                    platform: None,
                    layers: Vec::new(),
                },
                notes: Vec::new(),
                content: Content::RootFs(path.clone()),
            })
        }
        SourceSpec::Registry(reference) => registry::open_registry(reference, &name, options),
    }
}

pub(crate) fn image_error(image: &str, message: String) -> CatalogError {
    CatalogError {
        image: image.to_string(),
        layer: None,
        path: None,
        message,
    }
}

/// How a layer's bytes are found in its source.
#[derive(Clone, Debug)]
pub(crate) enum BlobRef {
    Digest(Digest),
    /// A member of a tarball (docker-archive's `<id>/layer.tar`).
    Member(String),
}

/// Reads blobs of one source. The readers are raw: [`Image::open_layer`] verifies them.
pub(crate) trait Blobs: Send + Sync {
    fn open(&self, blob: &BlobRef) -> io::Result<Box<dyn Read + Send + '_>>;
    /// The blob was found damaged: forget any cached copy.
    fn evict(&self, _blob: &BlobRef) {}
}

#[derive(Clone, Debug)]
pub(crate) struct Layer {
    pub blob: BlobRef,
    /// The digest the blob's bytes must have.
    pub digest: Option<Digest>,
    /// The digest the uncompressed tar must have, checked only when `digest` is unknown
    /// (docker-archive's layer tars, whose names are not digests).
    pub diff_id: Option<Digest>,
    pub size: Option<u64>,
    /// How the layer is named in locations and errors: its digest, else its diff_id, else its
    /// member name.
    pub id: String,
}

pub(crate) enum Content {
    Layers {
        blobs: Box<dyn Blobs>,
        layers: Vec<Layer>,
    },
    RootFs(PathBuf),
}

/// An opened image: what it is, and its layers (or its root filesystem).
pub struct Image {
    pub info: ImageInfo,
    /// Remarks from opening (several images in one archive, an unsupported credential kind).
    pub notes: Vec<Note>,
    pub(crate) content: Content,
}

impl Image {
    /// How many layers (0 for a root filesystem directory).
    pub fn layer_count(&self) -> usize {
        match &self.content {
            Content::Layers { layers, .. } => layers.len(),
            Content::RootFs(_) => 0,
        }
    }

    /// The root filesystem directory, when the image is one.
    pub fn root_dir(&self) -> Option<&Path> {
        match &self.content {
            Content::RootFs(p) => Some(p),
            Content::Layers { .. } => None,
        }
    }

    /// The name of layer `i` in locations and errors (its digest).
    pub fn layer_id(&self, i: usize) -> Option<&str> {
        match &self.content {
            Content::Layers { layers, .. } => layers.get(i).map(|l| l.id.as_str()),
            Content::RootFs(_) => None,
        }
    }

    pub(crate) fn layer(&self, i: usize) -> Option<&Layer> {
        match &self.content {
            Content::Layers { layers, .. } => layers.get(i),
            Content::RootFs(_) => None,
        }
    }

    /// Layer `i` could not be read whole: a cached copy of its blob is dropped.
    pub(crate) fn layer_failed(&self, i: usize) {
        if let Content::Layers { blobs, layers } = &self.content {
            if let Some(l) = layers.get(i) {
                blobs.evict(&l.blob);
            }
        }
    }

    /// Layer `i`'s blob as stored (compressed or not), verified against its digest as it is
    /// read: the read that reaches the end fails when the digest or size differs.
    pub fn open_layer(&self, i: usize) -> Result<Box<dyn Read + Send + '_>, CatalogError> {
        let Content::Layers { blobs, layers } = &self.content else {
            return Err(image_error(
                &self.info.name,
                "a root filesystem has no layers".into(),
            ));
        };
        let layer = layers
            .get(i)
            .ok_or_else(|| image_error(&self.info.name, format!("no layer {i}")))?;
        let raw = blobs.open(&layer.blob).map_err(|e| CatalogError {
            image: self.info.name.clone(),
            layer: Some(layer.id.clone()),
            path: None,
            message: format!("cannot read the layer blob: {e}"),
        })?;
        Ok(match &layer.digest {
            Some(d) => Box::new(VerifyingReader::new(
                raw,
                d.clone(),
                layer.size,
                "layer blob",
            )),
            None => raw,
        })
    }
}
