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
pub mod digest;
pub mod findings;
pub mod layers;
pub mod licenses;
pub mod model;
pub mod report;
pub mod sbom;
pub mod source;
mod targuard;
pub mod vulns;

pub use model::{
    Catalog, CatalogError, Evidence, FileRef, ImageInfo, LayerInfo, Location, Note, OsRelease,
    Package,
};
pub use source::{open, Image, Platform, RegistryOptions, SourceSpec};

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

/// Catalogues an opened image: the layered walk ([`layers::walk`]) with `catalogers`, then each
/// cataloger's [`Cataloger::finish`] over its own surviving evidence, `Evidence::Os` into
/// [`Catalog::os`] (`etc/os-release` before `usr/lib/os-release`), notes, and the packages
/// sorted (ecosystem, name, version, location). What could not be read is in
/// [`Catalog::errors`]; the rest of the image is catalogued all the same.
pub fn scan(image: &Image, catalogers: &[&dyn Cataloger]) -> Catalog {
    let walked = layers::walk(image, catalogers);
    let mut by_cat: Vec<Vec<(Location, Evidence)>> = vec![Vec::new(); catalogers.len()];
    for (c, loc, ev) in walked.found {
        by_cat[c].push((loc, ev));
    }
    let mut packages = Vec::new();
    let mut notes = image.notes.clone();
    let mut errors = walked.errors;
    let mut os: Option<(u8, OsRelease)> = None;
    for (c, evidence) in by_cat.into_iter().enumerate() {
        let cat = catalogers[c];
        let mut mine: Vec<Package> = evidence
            .iter()
            .filter_map(|(loc, ev)| match ev {
                Evidence::Package(p) => {
                    let mut p = p.clone();
                    p.location = loc.clone();
                    if p.found_by.is_empty() {
                        p.found_by = cat.name().to_string();
                    }
                    Some(p)
                }
                _ => None,
            })
            .collect();
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cat.finish(&mut mine, &evidence)
        }));
        if finished.is_err() {
            errors.push(CatalogError {
                image: image.info.name.clone(),
                layer: None,
                path: None,
                message: format!("{}: the cataloger panicked in finish", cat.name()),
            });
        }
        packages.extend(mine);
        for (loc, ev) in evidence {
            match ev {
                Evidence::Os(o) => {
                    let rank = match loc.path.as_str() {
                        "etc/os-release" => 0,
                        "usr/lib/os-release" => 1,
                        _ => 2,
                    };
                    if os.as_ref().is_none_or(|(r, _)| rank < *r) {
                        os = Some((rank, o));
                    }
                }
                Evidence::Note(message) => notes.push(Note {
                    path: Some(loc.path),
                    message,
                }),
                Evidence::Package(_) | Evidence::License { .. } => {}
            }
        }
    }
    sbom::sort_packages(&mut packages);
    Catalog {
        image: image.info.clone(),
        os: os.map(|(_, o)| o),
        packages,
        notes,
        errors,
    }
}

/// Opens `spec` and catalogues it: an image that cannot be opened gives a catalog with that
/// error alone.
pub fn scan_spec(
    spec: &SourceSpec,
    options: &RegistryOptions,
    catalogers: &[&dyn Cataloger],
) -> Catalog {
    match open(spec, options) {
        Ok(image) => scan(&image, catalogers),
        Err(e) => Catalog {
            image: ImageInfo {
                name: spec.name(),
                ..Default::default()
            },
            errors: vec![e],
            ..Default::default()
        },
    }
}
