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
