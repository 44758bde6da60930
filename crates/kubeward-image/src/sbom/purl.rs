//! What a package URL says about a package: its OSV ecosystem, the name OSV knows it by, and
//! the distribution release it was built for (`distro=` qualifier).

use packageurl::PackageUrl;
use std::str::FromStr;

use crate::OsRelease;

/// The facts of one purl that matching needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurlFacts {
    /// The purl type (`deb`, `pypi`, `golang`, ...).
    pub ty: String,
    /// The OSV ecosystem (`Debian`, `PyPI`, `Go`), or the purl type itself when OSV has none
    /// that we know of (matching then says "not supported").
    pub ecosystem: String,
    /// The name as OSV writes it: a Go module path, `group:artifact` for Maven, `@scope/name`
    /// for npm, the plain name otherwise.
    pub name: String,
    pub version: Option<String>,
    /// `upstream=` (syft, trivy): the source package of a binary distribution package.
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    /// `distro=debian-12` / `distro=alpine-3.20.3`.
    pub distro: Option<OsRelease>,
}

/// Parse `purl`; `None` when it is not a valid package URL.
pub fn facts(purl: &str) -> Option<PurlFacts> {
    let p = PackageUrl::from_str(purl.trim()).ok()?;
    let ty = p.ty().to_ascii_lowercase();
    let ns = p.namespace().map(str::to_string);
    let name = match (ty.as_str(), &ns) {
        // The packageurl crate lowercases Go paths (as the purl spec once said), but module
        // paths are case-sensitive and OSV writes them as published: take them as written.
        ("golang", _) => go_path(purl.trim()).unwrap_or_else(|| match &ns {
            Some(ns) => format!("{ns}/{}", p.name()),
            None => p.name().to_string(),
        }),
        ("maven", Some(ns)) => format!("{ns}:{}", p.name()),
        ("npm", Some(ns)) => format!("{ns}/{}", p.name()),
        _ => p.name().to_string(),
    };
    let q = p.qualifiers();
    let (source_name, source_version) = match q.get("upstream") {
        // `upstream=openssl@3.0.11-1` (trivy/syft spelling) or just `upstream=openssl`.
        Some(u) => match u.split_once('@') {
            Some((n, v)) => (Some(n.to_string()), Some(v.to_string())),
            None => (Some(u.to_string()), None),
        },
        None => (None, None),
    };
    let distro = q.get("distro").and_then(|d| {
        let (id, version) = d.split_once('-')?;
        Some(OsRelease {
            id: id.to_ascii_lowercase(),
            version_id: version.to_string(),
            ..OsRelease::default()
        })
    });
    Some(PurlFacts {
        ecosystem: ecosystem(&ty, ns.as_deref(), distro.as_ref()),
        ty,
        name,
        version: p.version().map(str::to_string),
        source_name,
        source_version,
        distro,
    })
}

/// The module path of a `pkg:golang/...` purl as written, percent-decoded.
fn go_path(purl: &str) -> Option<String> {
    let rest = purl
        .get(..11)?
        .eq_ignore_ascii_case("pkg:golang/")
        .then(|| &purl[11..])?;
    let raw = &rest[..rest.find(['@', '?', '#']).unwrap_or(rest.len())];
    // Percent-decoding (RFC 3986, `%XX`): a few lines, no crate needed.
    let b = raw.trim_matches('/').as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// OSV's ecosystem for a purl type (and, for distribution packages, its namespace, else the
/// `distro=` qualifier's OS).
pub fn ecosystem(ty: &str, namespace: Option<&str>, distro: Option<&OsRelease>) -> String {
    let vendor = namespace
        .map(str::to_ascii_lowercase)
        .or_else(|| distro.map(|d| d.id.clone()))
        .unwrap_or_default();
    let e = match ty {
        "deb" => match vendor.as_str() {
            "ubuntu" => "Ubuntu",
            _ => "Debian",
        },
        "apk" => match vendor.as_str() {
            "wolfi" => "Wolfi",
            "chainguard" => "Chainguard",
            _ => "Alpine",
        },
        "rpm" => match vendor.as_str() {
            "rocky" => "Rocky Linux",
            "almalinux" => "AlmaLinux",
            "opensuse" => "openSUSE",
            "suse" | "sles" => "SUSE",
            _ => "Red Hat",
        },
        "golang" => "Go",
        "pypi" => "PyPI",
        "npm" => "npm",
        "maven" => "Maven",
        "cargo" => "crates.io",
        "gem" => "RubyGems",
        "nuget" => "NuGet",
        "composer" => "Packagist",
        "hex" => "Hex",
        "pub" => "Pub",
        other => other,
    };
    e.to_string()
}

/// Whether an ecosystem is a distribution's (its advisories need the OS release).
pub fn is_os_ecosystem(ecosystem: &str) -> bool {
    matches!(
        ecosystem,
        "Debian"
            | "Ubuntu"
            | "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "Red Hat"
            | "Rocky Linux"
            | "AlmaLinux"
            | "SUSE"
            | "openSUSE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ecosystems() {
        let f = facts("pkg:golang/github.com/ProtonMail/proton-bridge@v1.8.0").unwrap();
        assert_eq!(
            (f.ecosystem.as_str(), f.name.as_str()),
            ("Go", "github.com/ProtonMail/proton-bridge")
        );
        assert_eq!(f.version.as_deref(), Some("v1.8.0"));
        let f = facts("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(f.name, "org.apache.logging.log4j:log4j-core");
        let f = facts("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(
            (f.ecosystem.as_str(), f.name.as_str()),
            ("npm", "@babel/core")
        );
        let f = facts(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
        )
        .unwrap();
        assert_eq!(f.ecosystem, "Debian");
        assert_eq!(f.source_name.as_deref(), Some("openssl"));
        assert_eq!(f.distro.unwrap().version_id, "12");
        let f = facts("pkg:apk/alpine/busybox@1.36.1-r29?distro=alpine-3.20.3").unwrap();
        assert_eq!(f.ecosystem, "Alpine");
        assert_eq!(facts("pkg:gem/rails@7.0.0").unwrap().ecosystem, "RubyGems");
        assert_eq!(facts("not a purl"), None);
    }
}
