//! SemVer 2.0.0 precedence (§11), as OSV's `SEMVER` ranges, Go modules (`golang.org/x/mod/semver`,
//! pseudo-versions included), npm (`node-semver`'s `compare`) and crates.io order versions.
//!
//! Implemented here rather than with the `semver` crate: its `Ord` also orders build metadata
//! (`1.0.0+a < 1.0.0+b`) where SemVer precedence says equal, it rejects the `v` prefix of Go
//! versions and numbers beyond `u64`, all of which OSV data carries. Parsing is lenient in the
//! way OSV's own tooling is: a leading `v`/`=` is dropped, missing minor/patch count as 0, and
//! anything after the third numeric component belongs to the build string.

use std::cmp::Ordering;

pub struct Parsed<'a> {
    core: [&'a str; 3],
    /// Dot-separated pre-release identifiers; empty for a release.
    pre: Vec<&'a str>,
}

pub(crate) fn parse(v: &str) -> Parsed<'_> {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V', '=']).unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(a, _)| a);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, p.split('.').collect()),
        None => (v, Vec::new()),
    };
    let mut parts = core.splitn(4, '.');
    let mut c = ["", "", ""];
    for slot in &mut c {
        *slot = parts.next().unwrap_or("");
    }
    Parsed { core: c, pre }
}

/// Compare two numeric strings of any length (non-digits sort after digits, lexically).
fn cmp_num(a: &str, b: &str) -> Ordering {
    let a_num = !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit());
    let b_num = !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    match (a_num || a.is_empty(), b_num || b.is_empty()) {
        (true, true) => {
            let a = a.trim_start_matches('0');
            let b = b.trim_start_matches('0');
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Precedence of two pre-release identifiers: numeric ones numerically and below alphanumeric
/// ones, which compare in ASCII order.
fn cmp_ident(a: &str, b: &str) -> Ordering {
    let a_num = !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit());
    let b_num = !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    match (a_num, b_num) {
        (true, true) => cmp_num(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Compare two versions by SemVer precedence (build metadata ignored).
pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_parsed(&parse(a), &parse(b))
}

pub(crate) fn cmp_parsed(a: &Parsed, b: &Parsed) -> Ordering {
    for i in 0..3 {
        match cmp_num(a.core[i], b.core[i]) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (a.pre.is_empty(), b.pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a.pre.iter().zip(&b.pre) {
                match cmp_ident(x, y) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            a.pre.len().cmp(&b.pre.len())
        }
    }
}
