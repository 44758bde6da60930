//! The data an image yields: packages with locations, OS release, image and layer facts.

use serde::{Deserialize, Serialize};

/// One installed package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The OSV ecosystem without release (`Debian`, `Ubuntu`, `Alpine`, `Red Hat`, `Go`,
    /// `PyPI`, `npm`, `Maven`, `crates.io`). The OS release (`Debian:12`) is added when
    /// matching, from [`Catalog::os`].
    pub ecosystem: String,
    /// Package URL (purl spec), e.g. `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`.
    pub purl: String,
    /// The source package when the distribution's advisories name it instead (dpkg `Source:`,
    /// apk origin, rpm source RPM name), else `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version when it differs from `version` (dpkg `Source: x (1.2)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The declared licence as an SPDX expression, when the package states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Which cataloger found it (`dpkg`, `go`, ...).
    pub found_by: String,
    pub location: Location,
}

/// Where a package was read: the layer, the file inside the image, and the line in that file
/// (the package's stanza or entry) when the file is text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Layer digest (`sha256:...`); `None` for a root filesystem directory or an SBOM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Path inside the image, without a leading `/`.
    pub path: String,
    /// 1-based line, for text databases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// A file as the layered walk presents it to a cataloger.
#[derive(Clone, Copy, Debug)]
pub struct FileRef<'a> {
    /// Path inside the image, without a leading `/` (`var/lib/dpkg/status`).
    pub path: &'a str,
    /// Layer digest, if any.
    pub layer: Option<&'a str>,
    pub size: u64,
    /// Unix mode bits (permissions); `mode & 0o111 != 0` for executables.
    pub mode: u32,
}

/// What a cataloger reads from one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evidence {
    Package(Package),
    /// A licence stated for a package in a separate file (dpkg `copyright`): the cataloger's
    /// `finish` joins it.
    License {
        package: String,
        expression: String,
    },
    /// The OS, from `etc/os-release` or `usr/lib/os-release`.
    Os(OsRelease),
    /// Something the report should say (an rpm Berkeley DB that is not supported, say).
    Note(String),
}

/// `/etc/os-release`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsRelease {
    pub id: String,
    pub version_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pretty_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
}

/// One layer of an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerInfo {
    /// The blob's digest (compressed, as in the manifest).
    pub digest: String,
    /// The uncompressed digest (`diff_id` of the config), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    pub media_type: String,
    pub size: u64,
}

/// What identifies the image scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInfo {
    /// What the user named: a reference, a path.
    pub name: String,
    /// The manifest digest, when the source has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `os/arch[/variant]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub layers: Vec<LayerInfo>,
}

/// Something that could not be read. It names the image, and the layer and file or record
/// when it is about one; it never quotes file content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogError {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.image)?;
        if let Some(l) = &self.layer {
            write!(f, " layer {l}")?;
        }
        if let Some(p) = &self.path {
            write!(f, " /{p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A remark for the report (not an error): an unsupported database format, say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

/// Everything found in one image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub image: ImageInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Sorted by ecosystem, name, version, location.
    pub packages: Vec<Package>,
    pub notes: Vec<Note>,
    pub errors: Vec<CatalogError>,
}
