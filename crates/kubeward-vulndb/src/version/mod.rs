//! Version ordering per ecosystem, each exactly as its native tool orders versions.
//!
//! Every comparison is total: any two strings compare (malformed versions get a deterministic
//! place, as the native tools give them), and nothing here panics.

use std::cmp::Ordering;

pub mod apk;
pub mod dpkg;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod semver;

/// A version-ordering scheme: which native tool's order applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian and Ubuntu: `dpkg --compare-versions`.
    Dpkg,
    /// Red Hat family, SUSE, openSUSE: rpm's `rpmverCmp`.
    Rpm,
    /// Alpine, Wolfi, Chainguard: `apk version -t`.
    Apk,
    /// PyPI: Python `packaging` (PEP 440, legacy versions before all PEP 440 ones).
    Pep440,
    /// SemVer 2.0.0 precedence: Go (with `v` and pseudo-versions), npm, crates.io, OSV `SEMVER` ranges.
    SemVer,
    /// Maven: the POM version order specification (`ComparableVersion`).
    Maven,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 6] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::SemVer,
        Scheme::Maven,
    ];

    /// Compare two versions in this scheme.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::SemVer => semver::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
        }
    }
}

/// A version parsed once, to be compared with many (the installed version against a record's
/// events). Same results as [`Scheme::compare`], without re-parsing the left side.
pub struct Prepared<'a> {
    raw: &'a str,
    kind: PreparedKind<'a>,
}

enum PreparedKind<'a> {
    Pep440(pep440::Parsed<'a>),
    SemVer(semver::Parsed<'a>),
    Raw(Scheme),
}

impl Scheme {
    /// Parse `v` once for repeated comparisons.
    pub fn prepare(self, v: &str) -> Prepared<'_> {
        let kind = match self {
            Scheme::Pep440 => match pep440::prepare(v) {
                Some(p) => PreparedKind::Pep440(p),
                None => PreparedKind::Raw(self),
            },
            Scheme::SemVer => PreparedKind::SemVer(semver::parse(v)),
            _ => PreparedKind::Raw(self),
        };
        Prepared { raw: v, kind }
    }
}

impl Prepared<'_> {
    /// The prepared version compared with `other` (`self.cmp(other)`).
    pub fn cmp_str(&self, other: &str) -> Ordering {
        match &self.kind {
            PreparedKind::Pep440(p) => pep440::cmp_parsed(p, other),
            PreparedKind::SemVer(p) => semver::cmp_parsed(p, &semver::parse(other)),
            PreparedKind::Raw(s) => s.compare(self.raw, other),
        }
    }

    /// The version text, as given.
    pub fn as_str(&self) -> &str {
        self.raw
    }
}
