//! SBOMs in and out: a [`Catalog`] written as CycloneDX 1.6 JSON or SPDX 2.3 JSON, and a
//! CycloneDX or SPDX JSON SBOM (ours or another tool's) read as a [`Catalog`], so that an SBOM
//! can stand in for an image.
//!
//! Both formats are written with `serde_json` by hand: the Rust crates for them either lag the
//! spec versions asked for (CycloneDX 1.6) or are unmaintained (SPDX 2.3); the tests validate
//! every document against the official JSON schemas instead.
//!
//! What kubeward knows beyond the standard fields (the layer, file and line a package was read
//! from, the cataloger, the source package) travels as CycloneDX `properties` named
//! `kubeward:...`, and in SPDX as one annotation per package whose comment is
//! `kubeward:package {json}`, so that reading our own SBOM back gives the same catalog.

pub mod cyclonedx;
pub mod purl;
pub mod spdx;

use crate::{Catalog, Package};

/// Which SBOM format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
}

/// What a written SBOM says besides the catalog.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions<'a> {
    /// kubeward's version, for the tool entry.
    pub tool_version: &'a str,
    /// RFC 3339 creation time ([`now_rfc3339`]).
    pub created: String,
    /// Warnings to carry (a stale vulnerability database, say).
    pub warnings: Vec<String>,
    /// Known vulnerabilities of the catalog's packages, to include (CycloneDX
    /// `vulnerabilities`, SPDX `SECURITY` external references).
    pub vulnerabilities: &'a [crate::vulns::Vulnerability],
}

/// Write `catalog` in `format` as a JSON value.
pub fn write(catalog: &Catalog, format: Format, opts: &WriteOptions<'_>) -> serde_json::Value {
    match format {
        Format::CycloneDx => cyclonedx::write(catalog, opts),
        Format::Spdx => spdx::write(catalog, opts),
    }
}

/// An SBOM that could not be read. Names the file, never quotes its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for SbomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}
impl std::error::Error for SbomError {}

/// Whether `bytes` look like a JSON SBOM we read (CycloneDX or SPDX): a cheap check on the
/// first kilobytes, to tell an SBOM file from an image archive.
pub fn looks_like_sbom(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 << 10)];
    let text = String::from_utf8_lossy(head);
    text.trim_start().starts_with('{')
        && (text.contains("\"bomFormat\"") || text.contains("\"spdxVersion\""))
}

/// Read a CycloneDX (any 1.x JSON) or SPDX (2.x JSON) SBOM named `file` into a catalog.
/// Components without a purl are kept (their licences matter) with an empty ecosystem.
pub fn read(bytes: &[u8], file: &str) -> Result<Catalog, SbomError> {
    let err = |message: String| SbomError {
        file: file.to_string(),
        message,
    };
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        err(format!(
            "not JSON (line {}, column {}): {}",
            e.line(),
            e.column(),
            category(&e)
        ))
    })?;
    let text = std::str::from_utf8(bytes).unwrap_or("");
    let mut catalog = if doc.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
        cyclonedx::read(&doc, text, file).map_err(err)?
    } else if doc.get("spdxVersion").is_some() {
        spdx::read(&doc, text, file).map_err(err)?
    } else {
        return Err(err(
            "neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON document"
                .to_string(),
        ));
    };
    if catalog.os.is_none() {
        // An SBOM without an OS component: the distro qualifier of its OS packages says it.
        catalog.os = catalog
            .packages
            .iter()
            .find_map(|p| purl::facts(&p.purl).and_then(|f| f.distro));
    }
    sort_packages(&mut catalog.packages);
    Ok(catalog)
}

/// serde_json's error category, without its message (which may quote the input).
fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

/// The catalog order: ecosystem, name, version, location (layer, path, line).
pub fn sort_packages(packages: &mut [Package]) {
    packages.sort_by(|a, b| {
        (
            &a.ecosystem,
            &a.name,
            &a.version,
            &a.location.layer,
            &a.location.path,
            a.location.line,
        )
            .cmp(&(
                &b.ecosystem,
                &b.name,
                &b.version,
                &b.location.layer,
                &b.location.path,
                b.location.line,
            ))
    });
}

/// A package read from an SBOM: name, version and ecosystem from its purl when it has one.
pub(crate) fn package_from(
    purl: Option<&str>,
    name: &str,
    version: &str,
    license: Option<String>,
    location: crate::Location,
) -> Package {
    let facts = purl.and_then(purl::facts);
    let (ecosystem, name_, version_, source_name, source_version) = match &facts {
        Some(f) => (
            f.ecosystem.clone(),
            f.name.clone(),
            f.version.clone().unwrap_or_else(|| version.to_string()),
            f.source_name.clone(),
            f.source_version.clone(),
        ),
        None => (
            String::new(),
            name.to_string(),
            version.to_string(),
            None,
            None,
        ),
    };
    Package {
        name: name_,
        version: version_,
        ecosystem,
        purl: purl.unwrap_or("").to_string(),
        source_name,
        source_version,
        license,
        found_by: "sbom".to_string(),
        location,
    }
}

/// The 1-based line of the first occurrence of `needle` (a JSON-encoded string) in `text`:
/// where an SBOM lists a component, so a finding can point at it. `None` if absent.
pub(crate) fn line_of(text: &str, needle: &str) -> Option<u32> {
    if needle.is_empty() {
        return None;
    }
    let encoded = serde_json::to_string(needle).ok()?;
    let at = text.find(&encoded)?;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() as u32 + 1)
}

/// Now, as RFC 3339 in UTC to the second; `SOURCE_DATE_EPOCH` (reproducible builds'
/// convention) wins when set.
pub fn now_rfc3339() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc)
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// A UUID that depends only on the catalog and time: the same input gives the same serial.
pub(crate) fn content_uuid(catalog: &Catalog, created: &str) -> uuid::Uuid {
    let mut seed = serde_json::to_vec(catalog).unwrap_or_default();
    seed.extend_from_slice(created.as_bytes());
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &seed)
}

/// A licence expression as the SBOMs want it: `Some` when it is a valid SPDX expression in
/// the strict syntax both formats require (IDs from the SPDX list, `LicenseRef-`, `AND`,
/// `OR`, `WITH`).
pub(crate) fn spdx_expression(license: &str) -> Option<String> {
    let e = ::spdx::Expression::parse(license.trim()).ok()?;
    Some(e.as_ref().to_string())
}
