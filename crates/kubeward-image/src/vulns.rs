//! Match a [`Catalog`] against the vulnerability database: one [`Vulnerability`] per
//! vulnerability and package, owned (it outlives the opened database).
//!
//! Distribution packages (dpkg, apk, rpm) are queried in their OS release's ecosystem
//! (`os_ecosystem(id, version_id)`: `Debian:12`) by their source package when they have one,
//! since the distributions' advisories name source packages; language packages in their own
//! ecosystem by name.

use std::collections::BTreeMap;

use kubeward_controls::Severity;
use kubeward_vulndb::{os_ecosystem, Database, PackageQuery};
use serde::Serialize;

use crate::sbom::purl::is_os_ecosystem;
use crate::{Catalog, Package};

/// One known vulnerability of one package of a catalog.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vulnerability {
    /// Index of the package in [`Catalog::packages`].
    #[serde(skip)]
    pub package: usize,
    /// The primary OSV ID (`PYSEC-2019-217`, `GO-2022-0493`, `DSA-...`).
    pub id: String,
    /// Other IDs: CVE, GHSA, the other records' IDs.
    pub aliases: Vec<String>,
    /// Versions that fix it, in the ecosystem's order; empty: no fix yet.
    pub fixed: Vec<String>,
    /// The CVSS base score and vector, when the records have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// The record's own rating (`HIGH`, `MODERATE`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    /// The severity the finding gets (see [`severity_of`]).
    pub severity: Severity,
    /// Whether the records rate it at all (when not, `severity` is medium by policy).
    pub severity_known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub references: Vec<String>,
    /// The ecosystem (with release) and name the database was asked about.
    pub queried_ecosystem: String,
    pub queried_name: String,
    pub queried_version: String,
}

impl Vulnerability {
    /// The ID and every alias.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect()
    }

    /// The CVE among the ID and aliases, if any.
    pub fn cve(&self) -> Option<&str> {
        self.ids().into_iter().find(|a| a.starts_with("CVE-"))
    }

    /// CycloneDX's severity word: `critical` .. `none`, or `unknown`.
    pub fn severity_label(&self) -> &'static str {
        if !self.severity_known {
            return "unknown";
        }
        match self.severity {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "none",
        }
    }

    /// `PYSEC-2019-217 (CVE-2019-10906): fixed in 2.10.1`.
    pub fn one_line(&self) -> String {
        let mut s = self.id.clone();
        if let Some(c) = self.cve().filter(|c| *c != self.id) {
            s.push_str(&format!(" ({c})"));
        }
        match self.fixed.first() {
            Some(f) => s.push_str(&format!(": fixed in {f}")),
            None => s.push_str(": no fix yet"),
        }
        s
    }
}

/// kubeward's severity for a record's: the CVSS band of the score, else the rating, else
/// medium (with `known = false`): a record that rates nothing (the Go database never does) is
/// still a known vulnerability and must fail a default `--fail-on low` run.
pub fn severity_of(s: &kubeward_vulndb::Severity) -> (Severity, bool) {
    match s.level() {
        Some("critical") => (Severity::Critical, true),
        Some("high") => (Severity::High, true),
        Some("medium") => (Severity::Medium, true),
        Some("low") => (Severity::Low, true),
        Some(_) => (Severity::Info, true),
        None => (Severity::Medium, false),
    }
}

/// What matching could not do, for the report (never an error: the rest is matched).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchNotes {
    /// Ecosystems the database cannot match, with how many packages were in each.
    pub unsupported: BTreeMap<String, usize>,
    /// Packages without an ecosystem (an SBOM component without a purl): not matched.
    pub without_ecosystem: usize,
    /// Distribution packages matched without an OS release (the OS is unknown): advisories of
    /// every release of the distribution applied.
    pub without_release: usize,
}

/// The query for one package: ecosystem (with the OS release for distribution packages),
/// name (the source package for those), version. `None` when it has no ecosystem.
pub fn query_for(p: &Package, catalog: &Catalog) -> Option<(PackageQuery, bool)> {
    if p.ecosystem.is_empty() {
        return None;
    }
    if !is_os_ecosystem(&p.ecosystem) {
        return Some((PackageQuery::new(&p.ecosystem, &p.name, &p.version), true));
    }
    let eco = catalog
        .os
        .as_ref()
        .and_then(|os| os_ecosystem(&os.id, &os.version_id))
        .filter(|e| e.split(':').next() == Some(p.ecosystem.as_str()));
    let name = p.source_name.as_deref().unwrap_or(&p.name);
    let version = p.source_version.as_deref().unwrap_or(&p.version);
    Some(match eco {
        Some(e) => (PackageQuery::new(&e, name, version), true),
        None => (PackageQuery::new(&p.ecosystem, name, version), false),
    })
}

/// Every known vulnerability of the catalog's packages, in package order then ID.
pub fn match_catalog(db: &Database, catalog: &Catalog) -> (Vec<Vulnerability>, MatchNotes) {
    let mut notes = MatchNotes::default();
    let mut queries = Vec::new();
    let mut owners = Vec::new();
    for (i, p) in catalog.packages.iter().enumerate() {
        match query_for(p, catalog) {
            None => notes.without_ecosystem += 1,
            Some((q, with_release)) => {
                if !with_release {
                    notes.without_release += 1;
                }
                queries.push(q);
                owners.push(i);
            }
        }
    }
    let mut out = Vec::new();
    for ((q, i), result) in queries.iter().zip(owners).zip(db.query_all(&queries)) {
        match result {
            Err(_) => {
                *notes
                    .unsupported
                    .entry(catalog.packages[i].ecosystem.clone())
                    .or_default() += 1
            }
            Ok(found) => {
                for f in found {
                    let (severity, severity_known) = severity_of(&f.severity);
                    out.push(Vulnerability {
                        package: i,
                        id: f.id.to_string(),
                        aliases: f.aliases.iter().map(|a| a.to_string()).collect(),
                        fixed: f.fixed.iter().map(|a| a.to_string()).collect(),
                        score: f.severity.score,
                        vector: f.severity.vector.clone(),
                        rating: f.severity.rating.clone(),
                        severity,
                        severity_known,
                        summary: f.summary.map(str::to_string),
                        references: f.references.iter().map(|a| a.to_string()).collect(),
                        queried_ecosystem: q.ecosystem.clone(),
                        queried_name: q.name.clone(),
                        queried_version: q.version.clone(),
                    });
                }
            }
        }
    }
    (out, notes)
}
