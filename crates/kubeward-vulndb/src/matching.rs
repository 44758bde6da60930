//! OSV's matching rules (ossf.github.io/osv-schema, "Evaluation"): a version is affected by an
//! `affected[]` entry when it is in its `versions` list, or inside one of its `ECOSYSTEM`/`SEMVER`
//! ranges, whose events are sorted in the ecosystem's order and read as: `introduced` (`"0"` is
//! before every version) starts an affected interval, `fixed` ends it (exclusive: the fixed
//! version is not affected), `last_affected` ends it (inclusive), and `limit` caps the range
//! (versions at or above every limit are outside it; a limit containing `*` is infinity). `GIT`
//! ranges name commits, not versions, and never match a version. Withdrawn records never match.
//! An empty (unknown) installed version is affected by every entry naming the package, as OSV's
//! scanners do.

use crate::ecosystem::{Ecosystem, UnsupportedEcosystem};
use crate::osv::Record;
use crate::version::{Prepared, Scheme};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// An installed package to look up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageQuery {
    /// OSV ecosystem, with the OS release for distribution packages: `Debian:12`,
    /// `Alpine:v3.20`, `PyPI`, `Go`. Without a release, records of every release match.
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

impl PackageQuery {
    pub fn new(ecosystem: &str, name: &str, version: &str) -> PackageQuery {
        PackageQuery {
            ecosystem: ecosystem.to_string(),
            name: name.to_string(),
            version: version.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

/// A range ready to evaluate: events sorted once, at import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CompiledRange {
    pub semver: bool,
    pub events: Vec<(EventKind, String)>,
    pub limits: Vec<String>,
}

/// One `affected[]` entry of one record, for one package, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CompiledAffected {
    pub ecosystem: Ecosystem,
    pub release: Option<String>,
    pub name: String,
    pub ranges: Vec<CompiledRange>,
    /// The `versions` list joined with `\n` (one allocation instead of one per version: these
    /// lists are long, and opening the store decodes them all).
    pub versions: String,
}

fn is_zero(kind: EventKind, v: &str) -> bool {
    kind == EventKind::Introduced && v == "0"
}

/// Compile a record's `affected[]` entries. Entries without a package, or of an ecosystem we
/// cannot order, are returned as errors (by ecosystem string) and left out.
pub(crate) fn compile(record: &Record) -> (Vec<CompiledAffected>, Vec<UnsupportedEcosystem>) {
    let mut out = Vec::new();
    let mut unsupported = Vec::new();
    for a in &record.affected {
        let Some(p) = &a.package else { continue };
        let (eco, release) = match Ecosystem::parse(&p.ecosystem) {
            Ok(x) => x,
            Err(e) => {
                unsupported.push(e);
                continue;
            }
        };
        let mut ranges = Vec::new();
        for r in &a.ranges {
            let semver = match r.kind.as_str() {
                "SEMVER" => true,
                "ECOSYSTEM" => false,
                _ => continue, // GIT (commits) and unknown types never match a version
            };
            let scheme = if semver { Scheme::SemVer } else { eco.scheme() };
            let mut events = Vec::new();
            let mut limits = Vec::new();
            for e in &r.events {
                if let Some(v) = &e.introduced {
                    events.push((EventKind::Introduced, v.clone()));
                } else if let Some(v) = &e.fixed {
                    events.push((EventKind::Fixed, v.clone()));
                } else if let Some(v) = &e.last_affected {
                    events.push((EventKind::LastAffected, v.clone()));
                } else if let Some(v) = &e.limit {
                    limits.push(v.clone());
                }
            }
            // Stable: events at equal versions keep the record's order, as OSV's reference
            // evaluation does. An insertion sort, not `sort_by`: a hostile record's malformed
            // versions may not be totally ordered by the ecosystem's rules, and the standard
            // sort may panic on an inconsistent order; a record has a handful of events.
            insertion_sort_by(&mut events, |(ka, a), (kb, b)| {
                match (is_zero(*ka, a), is_zero(*kb, b)) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => scheme.compare(a, b),
                }
            });
            ranges.push(CompiledRange {
                semver,
                events,
                limits,
            });
        }
        out.push(CompiledAffected {
            ecosystem: eco,
            release: release.map(str::to_string),
            name: eco.normalize_name(&p.name),
            ranges,
            versions: a
                .versions
                .iter()
                .filter(|v| !v.contains('\n'))
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    (out, unsupported)
}

/// Whether `version` is in the range; if so, the version that fixes it (if any).
fn range_hit<'r>(
    r: &'r CompiledRange,
    version: &Prepared,
    semver: &Prepared,
) -> Option<Option<&'r str>> {
    let version = if r.semver { semver } else { version };
    let less = |v: &str| version.cmp_str(v) == Ordering::Less;
    if !r.limits.is_empty() && !r.limits.iter().any(|l| l.contains('*') || less(l)) {
        return None;
    }
    let mut affected = false;
    let mut fix_index = None;
    for (i, (kind, v)) in r.events.iter().enumerate() {
        match kind {
            EventKind::Introduced => {
                if v == "0" || !less(v) {
                    affected = true;
                    fix_index = Some(i);
                }
            }
            EventKind::Fixed => {
                if !less(v) {
                    affected = false;
                }
            }
            EventKind::LastAffected => {
                if version.cmp_str(v) == Ordering::Greater {
                    affected = false;
                }
            }
        }
    }
    if !affected {
        return None;
    }
    // The event that closes the interval `version` is in: a `fixed` gives the fix.
    let start = fix_index.unwrap_or(0);
    let fixed = r.events[start..]
        .iter()
        .find(|(k, _)| *k != EventKind::Introduced)
        .and_then(|(k, v)| (*k == EventKind::Fixed).then_some(v.as_str()));
    Some(fixed)
}

/// Evaluate one compiled entry for a query (names already normalised by the caller), the
/// installed version prepared in the entry's ecosystem order.
/// `None`: not affected; `Some(fixed)`: affected, with the fixed versions (maybe none).
pub(crate) fn entry_hit<'a>(
    a: &'a CompiledAffected,
    os_release: Option<&str>,
    version: &Prepared,
) -> Option<Vec<&'a str>> {
    if !a
        .ecosystem
        .release_matches(a.release.as_deref(), os_release)
    {
        return None;
    }
    let raw = version.as_str();
    if raw.is_empty() {
        // An unknown version is affected, as OSV's scanners treat it; every fix is listed.
        let fixed = a
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .filter(|(k, _)| *k == EventKind::Fixed)
            .map(|(_, v)| v.as_str())
            .collect();
        return Some(fixed);
    }
    let semver_prepared;
    let semver = if a.ecosystem.scheme() == Scheme::SemVer || !a.ranges.iter().any(|r| r.semver) {
        version
    } else {
        semver_prepared = Scheme::SemVer.prepare(raw);
        &semver_prepared
    };
    let mut hit = false;
    let mut fixed = Vec::new();
    for r in &a.ranges {
        if let Some(f) = range_hit(r, version, semver) {
            hit = true;
            fixed.extend(f);
        }
    }
    // `versions` membership is by string, as OSV's evaluation says (`v in affected.versions`).
    if !hit && !a.versions.is_empty() && a.versions.split('\n').any(|v| v == raw) {
        hit = true;
    }
    hit.then_some(fixed)
}

/// The normalised (ecosystem, release, name, version) of a query.
pub(crate) fn normalize(
    q: &PackageQuery,
) -> Result<(Ecosystem, Option<&str>, String, String), UnsupportedEcosystem> {
    let (eco, release) = Ecosystem::parse(&q.ecosystem)?;
    let name = eco.normalize_name(&q.name);
    let version = eco.normalize_version(&name, &q.version);
    Ok((eco, release, name, version))
}

/// Whether `record` affects the package, by OSV's rules; if so, the versions that fix it (empty
/// when no fix is known). An unsupported query ecosystem is an error, never a panic.
pub fn affected_by(
    record: &Record,
    q: &PackageQuery,
) -> Result<Option<Vec<String>>, UnsupportedEcosystem> {
    let (eco, release, name, version) = normalize(q)?;
    if record.withdrawn.is_some() {
        return Ok(None);
    }
    let (entries, _) = compile(record);
    let mut result: Option<Vec<String>> = None;
    let prepared = eco.scheme().prepare(&version);
    for a in entries
        .iter()
        .filter(|a| a.ecosystem == eco && a.name == name)
    {
        if let Some(f) = entry_hit(a, release, &prepared) {
            let r = result.get_or_insert_with(Vec::new);
            for v in f {
                if !r.iter().any(|x| x == v) {
                    r.push(v.to_string());
                }
            }
        }
    }
    Ok(result)
}

/// Whether `record` affects the package (see [`affected_by`]).
pub fn is_affected(record: &Record, q: &PackageQuery) -> Result<bool, UnsupportedEcosystem> {
    Ok(affected_by(record, q)?.is_some())
}

/// A stable insertion sort that never panics, whatever `cmp` answers.
fn insertion_sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}
