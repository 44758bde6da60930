//! dpkg: reads `var/lib/dpkg/status` (installed entries only) and distroless images'
//! `var/lib/dpkg/status.d/<package>` (one stanza per file, no `Status:`), taking `Package`,
//! `Version`, `Architecture` and `Source` (`name` or `name (version)`), located at the line of
//! the stanza's `Package:` field; and `usr/share/doc/<package>/copyright` in DEP-5 format as
//! licence evidence, joined to the packages in `finish`.
//!
//! A package is installed when the state word of `Status:` (its third) is `installed`, whatever
//! the selection (`install` or `hold`), as `dpkg-query` reports it. Ecosystem `Debian` and purl
//! `pkg:deb/debian/...` until `finish` knows the distribution from os-release (`Ubuntu`, ...).

use std::io::{BufReader, Read};

use super::deb822::{paragraphs, Paragraph};
use super::debian_copyright;
use super::os::set_distribution;
use super::purl::purl;
use super::read::at_line;
use crate::{Cataloger, Evidence, FileRef, Location, Package};

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const DOC: &str = "usr/share/doc/";

/// Files beside the stanzas in distroless `status.d/` (the control files of each package).
const CONTROL_FILES: &[&str] = &[
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".shlibs",
    ".symbols",
    ".triggers",
    ".templates",
    ".config",
];

/// The dpkg cataloger.
pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        file.path == STATUS || status_d_entry(file.path) || copyright_of(file.path).is_some()
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let reader = BufReader::new(content);
        if let Some(package) = copyright_of(file.path) {
            return Ok(debian_copyright::licenses(reader)?
                .map(|expression| Evidence::License {
                    package: package.to_string(),
                    expression,
                })
                .into_iter()
                .collect());
        }
        let need_status = file.path == STATUS;
        let mut out = Vec::new();
        for para in paragraphs(reader) {
            let para = para?;
            if let Some(ev) = package(&para, need_status, file) {
                out.push(ev);
            }
        }
        Ok(out)
    }

    fn finish(&self, packages: &mut [Package], evidence: &[(Location, Evidence)]) {
        set_distribution(self.name(), packages, evidence);
        for (loc, ev) in evidence {
            let Evidence::License {
                package,
                expression,
            } = ev
            else {
                continue;
            };
            if copyright_of(&loc.path).is_none() {
                continue;
            }
            for p in packages
                .iter_mut()
                .filter(|p| p.found_by == "dpkg" && &p.name == package && p.license.is_none())
            {
                p.license = Some(expression.clone());
            }
        }
    }
}

/// One stanza as a package (`Evidence::Package`), a note when it cannot be one, or nothing
/// (a package that is not installed).
fn package(para: &Paragraph, need_status: bool, file: &FileRef<'_>) -> Option<Evidence> {
    let line = para
        .field_ignore_case("Package")
        .map_or(para.line(), |f| f.line);
    let (Some(name), Some(version)) = (para.get("Package"), para.get("Version")) else {
        return Some(Evidence::Note(at_line(
            para.line(),
            "dpkg record without Package or Version: skipped",
        )));
    };
    if need_status && !installed(para.get("Status").unwrap_or("")) {
        return None;
    }
    let name = first_line(name);
    let version = first_line(version);
    let arch = para.get("Architecture").map(first_line).unwrap_or("");
    let (source_name, source_version) = para
        .get("Source")
        .map(first_line)
        .map_or((None, None), source);
    Some(Evidence::Package(Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "Debian".to_string(),
        purl: purl("deb", Some("debian"), name, version, &[("arch", arch)]),
        source_name,
        source_version,
        license: None,
        found_by: "dpkg".to_string(),
        location: Location {
            layer: file.layer.map(str::to_string),
            path: file.path.to_string(),
            line: Some(line),
        },
    }))
}

/// `Status: <want> <flag> <state>`: installed when the state is `installed`.
fn installed(status: &str) -> bool {
    status.split_whitespace().nth(2) == Some("installed")
}

/// `Source: name` or `Source: name (version)`.
fn source(value: &str) -> (Option<String>, Option<String>) {
    let (name, rest) = match value.split_once('(') {
        Some((n, r)) => (n.trim(), Some(r)),
        None => (value.trim(), None),
    };
    let version = rest
        .and_then(|r| r.split_once(')'))
        .map(|(v, _)| v.trim())
        .filter(|v| !v.is_empty());
    (
        Some(name.to_string()).filter(|n| !n.is_empty()),
        version.map(str::to_string),
    )
}

fn first_line(v: &str) -> &str {
    v.lines().next().unwrap_or("").trim()
}

/// `var/lib/dpkg/status.d/<package>` (not a package's control files beside it).
fn status_d_entry(path: &str) -> bool {
    path.strip_prefix(STATUS_D).is_some_and(|name| {
        !name.is_empty()
            && !name.contains('/')
            && !CONTROL_FILES.iter().any(|ext| name.ends_with(ext))
    })
}

/// The package of `usr/share/doc/<package>/copyright`.
fn copyright_of(path: &str) -> Option<&str> {
    path.strip_prefix(DOC)?
        .strip_suffix("/copyright")
        .filter(|p| !p.is_empty() && !p.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_field() {
        assert_eq!(source("glibc"), (Some("glibc".into()), None));
        assert_eq!(
            source("glibc (2.36-9+deb12u4)"),
            (Some("glibc".into()), Some("2.36-9+deb12u4".into()))
        );
    }

    #[test]
    fn paths() {
        assert!(status_d_entry("var/lib/dpkg/status.d/libssl3"));
        assert!(status_d_entry("var/lib/dpkg/status.d/libpython3.11"));
        assert!(!status_d_entry("var/lib/dpkg/status.d/libssl3.md5sums"));
        assert_eq!(copyright_of("usr/share/doc/bash/copyright"), Some("bash"));
        assert_eq!(copyright_of("usr/share/doc/bash/x/copyright"), None);
    }
}
