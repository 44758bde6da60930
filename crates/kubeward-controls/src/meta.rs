//! Control metadata: severities, framework mappings, PSS levels and versions.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?} (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// A Pod Security Standards version, `v1.N`. Versions newer than the newest policy change
/// evaluate like the newest, as Pod Security Admission does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PssVersion(u16);

impl PssVersion {
    /// The newest policy version (v1.37): `latest` means this.
    pub const LATEST: PssVersion = PssVersion(37);

    pub fn new(minor: u16) -> Self {
        PssVersion(minor.min(Self::LATEST.0))
    }

    pub fn minor(self) -> u16 {
        self.0
    }
}

impl fmt::Display for PssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v1.{}", self.0)
    }
}

impl FromStr for PssVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Self::LATEST);
        }
        let bad = || {
            format!("invalid Pod Security Standards version {s:?} (expected vX.Y such as v1.37, or latest)")
        };
        let rest = s.strip_prefix('v').unwrap_or(s);
        let (major, minor) = rest.split_once('.').ok_or_else(bad)?;
        if major != "1" {
            return Err(bad());
        }
        let minor: u16 = minor.parse().map_err(|_| bad())?;
        Ok(PssVersion::new(minor))
    }
}

/// How a control maps to a Pod Security Standards check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PssCheck {
    pub level: PssLevel,
    /// The check's identifier as Pod Security Admission names it (`privileged`, ...).
    pub check: &'static str,
    /// The first policy version (v1.N) that has this check.
    pub since: u16,
}

/// Where a control comes from in the frameworks kubeward maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frameworks {
    pub pss: Option<PssCheck>,
    /// NSA/CISA Kubernetes Hardening Guidance (v1.2) sections.
    pub nsa: &'static [&'static str],
    /// CIS Kubernetes Benchmark recommendation IDs.
    pub cis: &'static [&'static str],
    /// MITRE ATT&CK technique IDs (containers matrix).
    pub mitre: &'static [&'static str],
}

impl Frameworks {
    pub const NONE: Frameworks = Frameworks {
        pss: None,
        nsa: &[],
        cis: &[],
        mitre: &[],
    };
}

/// Everything known about a control except its check.
#[derive(Debug)]
pub struct ControlMeta {
    /// Stable ID (`KW101`). Never reused.
    pub id: &'static str,
    /// Stable kebab-case name (`privileged-container`).
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// One or two sentences: what to change.
    pub remediation: &'static str,
    pub frameworks: Frameworks,
    /// The control's doc comment, Markdown.
    pub doc: &'static str,
}

impl ControlMeta {
    /// The documentation with the one space that `///` leaves at each line start removed.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}
