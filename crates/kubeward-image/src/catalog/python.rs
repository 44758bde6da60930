//! Python: reads installed distributions' metadata, `<site>/*.dist-info/METADATA`,
//! `<site>/*.egg-info/PKG-INFO` and `<site>/*.egg-info` as a file, where `<site>` is a
//! `site-packages` or `dist-packages` directory anywhere in the image. Takes `Name`, `Version`
//! and the licence: `License-Expression` (PEP 639), else `License` when it is an SPDX
//! expression, else the `Classifier: License :: ...` that name one licence exactly (several
//! are offered as alternatives, joined with `OR`). Located at the line of `Name:`.
//!
//! The metadata is email headers (core metadata spec); `mailparse` reads them (folding,
//! encodings). Only the headers are read, at most 1 MiB. Ecosystem `PyPI`; the purl name is
//! normalised as PEP 503 says (lowercase, runs of `-_.` as one `-`).

use std::io::Read;

use super::license::{classifier, spdx_expression};
use super::purl::purl;
use crate::{Cataloger, Evidence, FileRef, Location, Package};

/// The headers of a METADATA file are a few KiB; the description after them is not read.
const MAX_HEADERS: u64 = 1 << 20;

/// The Python cataloger.
pub struct Python;

impl Cataloger for Python {
    fn name(&self) -> &'static str {
        "python"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        is_metadata(file.path)
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut buf = Vec::new();
        content
            .take(MAX_HEADERS)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read: {}", e.kind()))?;
        let end = header_end(&buf);
        if end.is_none() && buf.len() as u64 >= MAX_HEADERS {
            return Err(format!(
                "metadata headers longer than {} KiB",
                MAX_HEADERS >> 10
            ));
        }
        let head = &buf[..end.unwrap_or(buf.len())];
        let (headers, _) = mailparse::parse_headers(head)
            .map_err(|_| "not readable as metadata headers".to_string())?;
        let value =
            |h: &mailparse::MailHeader| h.get_value_utf8().unwrap_or_else(|_| h.get_value());
        let first = |key: &str| {
            headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case(key))
                .map(value)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (Some(name), Some(version)) = (first("Name"), first("Version")) else {
            return Ok(vec![Evidence::Note(
                "Python metadata without Name or Version: skipped".to_string(),
            )]);
        };
        let classifiers: Vec<String> = headers
            .iter()
            .filter(|h| h.get_key_ref().eq_ignore_ascii_case("Classifier"))
            .map(value)
            .collect();
        let license = first("License-Expression")
            .and_then(|e| spdx_expression(&e))
            .or_else(|| first("License").and_then(|e| spdx_expression(&e)))
            .or_else(|| from_classifiers(&classifiers));
        Ok(vec![Evidence::Package(Package {
            purl: purl("pypi", None, &pep503(&name), &version, &[]),
            name,
            version,
            ecosystem: "PyPI".to_string(),
            source_name: None,
            source_version: None,
            license,
            found_by: "python".to_string(),
            location: Location {
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
                line: name_line(head),
            },
        })])
    }
}

/// Whether `path` is the metadata of a distribution installed in a site directory.
fn is_metadata(path: &str) -> bool {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let (site, dist) = dir.rsplit_once('/').unwrap_or(("", dir));
    let in_site = |site: &str| {
        let last = site.rsplit('/').next().unwrap_or(site);
        last == "site-packages" || last == "dist-packages"
    };
    match file {
        "METADATA" => dist.ends_with(".dist-info") && in_site(site),
        "PKG-INFO" => dist.ends_with(".egg-info") && in_site(site),
        _ => file.ends_with(".egg-info") && in_site(dir),
    }
}

/// The end of the header block (the blank line), if it is in `buf`.
fn header_end(buf: &[u8]) -> Option<usize> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 1);
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 2);
    lf.into_iter().chain(crlf).min()
}

/// The 1-based line of the `Name:` header.
fn name_line(head: &[u8]) -> Option<u32> {
    head.split(|&b| b == b'\n')
        .position(|l| l.len() >= 5 && l[..5].eq_ignore_ascii_case(b"name:"))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The licences named by `License ::` classifiers, as alternatives.
fn from_classifiers(classifiers: &[String]) -> Option<String> {
    let mut ids: Vec<&str> = Vec::new();
    for id in classifiers.iter().filter_map(|c| classifier(c)) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    spdx_expression(&ids.join(" OR "))
}

/// PEP 503 normalised name: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
        ));
        assert!(is_metadata(
            "usr/local/lib/python3.11/site-packages/a.egg-info/PKG-INFO"
        ));
        assert!(is_metadata("usr/lib/python3/dist-packages/a-1.0.egg-info"));
        assert!(!is_metadata("app/six-1.16.0.dist-info/METADATA"));
        assert!(!is_metadata("site-packages/x/y.dist-info/METADATA"));
    }

    #[test]
    fn names() {
        assert_eq!(pep503("Jinja2"), "jinja2");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("a__-.b"), "a-b");
    }

    #[test]
    fn name_line_is_found() {
        assert_eq!(name_line(b"Metadata-Version: 2.1\nName: six\n"), Some(2));
    }
}
