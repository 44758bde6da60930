//! OSV ecosystems: which version order each uses, how package names are normalised, and how a
//! distribution release (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`) matches an OS release.

use crate::version::Scheme;
use std::fmt;

/// An OSV ecosystem this crate can match.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Ecosystem {
    Debian,
    Ubuntu,
    Alpine,
    Wolfi,
    Chainguard,
    RedHat,
    RockyLinux,
    AlmaLinux,
    Suse,
    OpenSuse,
    PyPI,
    Go,
    Npm,
    CratesIo,
    Maven,
}

/// An ecosystem string we cannot match (no version order for it): a clear "not supported".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedEcosystem(pub String);

impl fmt::Display for UnsupportedEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ecosystem {:?} is not supported", self.0)
    }
}
impl std::error::Error for UnsupportedEcosystem {}

const NAMES: [(Ecosystem, &str); 15] = [
    (Ecosystem::Debian, "Debian"),
    (Ecosystem::Ubuntu, "Ubuntu"),
    (Ecosystem::Alpine, "Alpine"),
    (Ecosystem::Wolfi, "Wolfi"),
    (Ecosystem::Chainguard, "Chainguard"),
    (Ecosystem::RedHat, "Red Hat"),
    (Ecosystem::RockyLinux, "Rocky Linux"),
    (Ecosystem::AlmaLinux, "AlmaLinux"),
    (Ecosystem::Suse, "SUSE"),
    (Ecosystem::OpenSuse, "openSUSE"),
    (Ecosystem::PyPI, "PyPI"),
    (Ecosystem::Go, "Go"),
    (Ecosystem::Npm, "npm"),
    (Ecosystem::CratesIo, "crates.io"),
    (Ecosystem::Maven, "Maven"),
];

impl Ecosystem {
    /// OSV's spelling, e.g. `Red Hat`, `crates.io`.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(e, _)| *e == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    /// The version order of this ecosystem's `ECOSYSTEM` ranges.
    pub fn scheme(self) -> Scheme {
        use Ecosystem::*;
        match self {
            Debian | Ubuntu => Scheme::Dpkg,
            Alpine | Wolfi | Chainguard => Scheme::Apk,
            RedHat | RockyLinux | AlmaLinux | Suse | OpenSuse => Scheme::Rpm,
            PyPI => Scheme::Pep440,
            Go | Npm | CratesIo => Scheme::SemVer,
            Maven => Scheme::Maven,
        }
    }

    /// Split an OSV ecosystem string into the ecosystem and its release, if any:
    /// `Debian:12` is (Debian, "12"), `Ubuntu:Pro:18.04:LTS` is (Ubuntu, "Pro:18.04:LTS").
    pub fn parse(s: &str) -> Result<(Ecosystem, Option<&str>), UnsupportedEcosystem> {
        let (base, release) = match s.split_once(':') {
            Some((b, r)) => (b, Some(r).filter(|r| !r.is_empty())),
            None => (s, None),
        };
        NAMES
            .iter()
            .find(|(_, n)| *n == base)
            .map(|(e, _)| (*e, release))
            .ok_or_else(|| UnsupportedEcosystem(s.to_string()))
    }

    /// The package name as the index keys it: PyPI by PEP 503 (lowercase, runs of `-_.` as one
    /// `-`), crates.io case- and `-`/`_`-insensitively (as crates.io itself treats names), every
    /// other ecosystem as written (Go module paths, npm and Maven names are case-sensitive).
    pub fn normalize_name(self, name: &str) -> String {
        let name = name.trim();
        match self {
            Ecosystem::PyPI => {
                // PEP 503: `re.sub(r"[-_.]+", "-", name).lower()`.
                let mut out = String::with_capacity(name.len());
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !out.ends_with('-') {
                            out.push('-');
                        }
                    } else {
                        out.extend(c.to_lowercase());
                    }
                }
                out
            }
            Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
            Ecosystem::Go => name.trim_end_matches('/').to_string(),
            _ => name.to_string(),
        }
    }

    /// An installed version as OSV writes this ecosystem's versions. Go: the `v` prefix dropped,
    /// and for `stdlib`/`toolchain` Go's own `go1.21rc2` spelling turned into `1.21.0-rc.2`.
    pub fn normalize_version(self, name: &str, version: &str) -> String {
        let v = version.trim();
        match self {
            Ecosystem::Go if name == "stdlib" || name == "toolchain" => go_to_semver(v),
            Ecosystem::Go | Ecosystem::Npm | Ecosystem::CratesIo => {
                v.strip_prefix('v').unwrap_or(v).to_string()
            }
            _ => v.to_string(),
        }
    }

    /// Whether a record's release (after the `:`) applies to the OS release a package came from.
    /// A record without a release applies to every release; a query without a release (the OS is
    /// unknown) matches every release. Debian compares the major version (`12` matches `12.5`),
    /// Alpine the `major.minor` (`v3.20` matches `3.20.3`), Ubuntu the `YY.MM` with `:LTS`
    /// dropped (`Pro:` records match only a `Pro:` query), the rpm family the major version.
    pub fn release_matches(self, record: Option<&str>, os: Option<&str>) -> bool {
        let (Some(r), Some(os)) = (record, os) else {
            return true;
        };
        let major = |s: &str| -> String {
            s.trim_start_matches(|c: char| !c.is_ascii_digit())
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("")
                .to_string()
        };
        let major_minor = |s: &str| -> String {
            let s = s.trim_start_matches(['v', 'V']);
            s.split('.').take(2).collect::<Vec<_>>().join(".")
        };
        match self {
            Ecosystem::Debian => major(r) == major(os),
            Ecosystem::Alpine => major_minor(r) == major_minor(os),
            Ecosystem::Ubuntu => {
                let norm = |s: &str| s.trim_end_matches(":LTS").to_string();
                let (rp, op) = (r.starts_with("Pro:"), os.starts_with("Pro:"));
                rp == op
                    && norm(r.trim_start_matches("Pro:")) == norm(os.trim_start_matches("Pro:"))
            }
            Ecosystem::RedHat | Ecosystem::RockyLinux | Ecosystem::AlmaLinux => {
                major(r) == major(os)
            }
            _ => r == os,
        }
    }
}

/// `go1.21.3` → `1.21.3`, `go1.21` → `1.21.0`, `go1.21rc2` → `1.21.0-rc.2` (Go's vulndb spelling).
fn go_to_semver(v: &str) -> String {
    let v = v
        .strip_prefix("go")
        .or_else(|| v.strip_prefix('v'))
        .unwrap_or(v);
    if v.contains(['-', '+']) {
        return v.to_string(); // already SemVer
    }
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (nums, pre) = v.split_at(split);
    let mut parts: Vec<&str> = nums.split('.').collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    let base = parts.join(".");
    if pre.is_empty() {
        return base;
    }
    let kind = pre.trim_end_matches(|c: char| c.is_ascii_digit());
    let n = &pre[kind.len()..];
    if n.is_empty() {
        format!("{base}-{kind}")
    } else {
        format!("{base}-{kind}.{n}")
    }
}

/// The OSV ecosystem string for an OS from `/etc/os-release` (`ID`, `VERSION_ID`), e.g.
/// (`debian`, `12`) → `Debian:12`, (`alpine`, `3.20.3`) → `Alpine:v3.20`,
/// (`ubuntu`, `22.04`) → `Ubuntu:22.04`, (`rhel`, `9.4`) → `Red Hat:9`. `None` for an unknown OS.
pub fn os_ecosystem(id: &str, version_id: &str) -> Option<String> {
    let major = version_id.split('.').next().unwrap_or("");
    let v = version_id.trim();
    Some(match id.trim() {
        "debian" => format!("Debian:{major}"),
        "ubuntu" => format!("Ubuntu:{v}"),
        "alpine" => {
            let mm: Vec<&str> = v.split('.').take(2).collect();
            format!("Alpine:v{}", mm.join("."))
        }
        "wolfi" => "Wolfi".to_string(),
        "chainguard" => "Chainguard".to_string(),
        "rhel" | "centos" => format!("Red Hat:{major}"),
        "rocky" => format!("Rocky Linux:{major}"),
        "almalinux" => format!("AlmaLinux:{major}"),
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => "openSUSE".to_string(),
        "sles" | "sled" => "SUSE".to_string(),
        _ => return None,
    })
}
