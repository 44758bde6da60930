//! What is inside an image (issue 14, the image half): sources, layers, catalogers.
//!
//! * [`source`]: where an image comes from (registry, OCI layout, `docker save` tarball, root
//!   filesystem directory) and its layers, streamed.
//! * [`layers`]: the layered view: whiteouts, opaque directories, later layers overriding
//!   earlier ones, links resolved inside the image only. Each file a cataloger wants is read
//!   once, streamed; nothing is unpacked to disk.
//! * [`catalog`]: the [`Cataloger`]s (dpkg, apk, rpm, Go, Rust, Python, npm, Java) and OS
//!   detection (`/etc/os-release`).
//!
//! The result of cataloguing an image is a [`Catalog`]: the image, its OS, its packages (each
//! located at the layer, file and line it was read from) and what could not be read.
//!
//! From a catalog on:
//! * [`sbom`]: CycloneDX 1.6 and SPDX 2.3 JSON out, and CycloneDX / SPDX JSON SBOMs read back
//!   as a catalog (an SBOM can stand in for an image).
//! * [`vulns`]: the catalog matched against the vulnerability database (kubeward-vulndb).
//! * [`licenses`]: the licence policy of `.kubeward.yaml`.
//! * [`findings`]: both as engine findings (controls KW1101, KW1102), with exclusions.
//! * [`report`]: the `kubeward image` report in every format.

pub mod catalog;
pub mod findings;
pub mod licenses;
pub mod model;
pub mod report;
pub mod sbom;
pub mod vulns;
// To come (helper): pub mod source; pub mod layers;

pub use model::{
    Catalog, CatalogError, Evidence, FileRef, ImageInfo, LayerInfo, Location, Note, OsRelease,
    Package,
};

/// A cataloger: reads the files it wants and says what packages (or licence evidence) they hold.
///
/// Catalogers are pure over one file: the layered walk (see [`layers`]) decides which version of
/// a path is the image's, calls [`Cataloger::wants`] for every regular file of every layer, hands
/// the wanted ones to [`Cataloger::read`] streamed, and drops what a later layer overrode or
/// deleted. After the walk, [`Cataloger::finish`] sees every package found (to join licence
/// evidence to packages, for example).
pub trait Cataloger: Send + Sync {
    /// Stable short name (`dpkg`, `apk`, `rpm`, `go`, `rust`, `python`, `npm`, `java`).
    fn name(&self) -> &'static str;

    /// Whether this cataloger reads the file at `file.path` (relative to the image root, without
    /// a leading `/`). Called for every regular file: must be cheap.
    fn wants(&self, file: &FileRef<'_>) -> bool;

    /// Read one wanted file. `content` streams its bytes (it may be large: a Go binary); read
    /// only what is needed. An error is about this file only and is reported with its path.
    fn read(
        &self,
        file: &FileRef<'_>,
        content: &mut dyn std::io::Read,
    ) -> Result<Vec<Evidence>, String>;

    /// After the walk: adjust the packages this cataloger found, given all surviving evidence
    /// (e.g. dpkg joins `usr/share/doc/<pkg>/copyright` licences to its packages).
    fn finish(&self, _packages: &mut [Package], _evidence: &[(Location, Evidence)]) {}
}
