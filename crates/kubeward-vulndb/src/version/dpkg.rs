//! Debian package versions, ordered exactly as `dpkg --compare-versions` (dpkg's `lib/dpkg/version.c`).
//!
//! Implemented here rather than with a crate: the algorithm is forty lines, and the crates we looked
//! at reject versions that dpkg only warns about (a version not starting with a digit, odd
//! characters), which OSV data and real status files do contain; dpkg still orders those.

use std::cmp::Ordering;

/// A parsed `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed<'a> {
    epoch: u64,
    upstream: &'a [u8],
    revision: &'a [u8],
}

/// Split as dpkg's `parseversion` does: the epoch is the number before the first `:`, the revision
/// what follows the last `-`. Where dpkg would refuse the epoch (not a number), the whole string
/// is the upstream version with epoch 0, so every string still has a place in the order.
fn parse(v: &str) -> Parsed<'_> {
    let v = v.trim().as_bytes();
    let (epoch, rest) = match v.iter().position(|&c| c == b':') {
        Some(i) if i > 0 && v[..i].iter().all(u8::is_ascii_digit) => {
            let e = std::str::from_utf8(&v[..i])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            (e, &v[i + 1..])
        }
        _ => (0, v),
    };
    match rest.iter().rposition(|&c| c == b'-') {
        Some(i) => Parsed {
            epoch,
            upstream: &rest[..i],
            revision: &rest[i + 1..],
        },
        None => Parsed {
            epoch,
            upstream: rest,
            revision: b"",
        },
    }
}

/// dpkg's `order()`: `~` before the end of the string, the end before letters, letters before
/// everything else. `c` is a C `char`, signed on the platforms dpkg ships for, so a byte above
/// 0x7f orders as `c - 256 + 256`, i.e. between the letters and the other ASCII symbols.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => (c as i8) as i32 + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &[u8], b: &[u8]) -> i32 {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |k: usize| a.get(k).copied();
    let bt = |k: usize| b.get(k).copied();
    let is_digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !is_digit(at(i))) || (j < b.len() && !is_digit(bt(j))) {
            let ac = order(at(i));
            let bc = order(bt(j));
            if ac != bc {
                return ac - bc;
            }
            i += 1;
            j += 1;
        }
        while at(i) == Some(b'0') {
            i += 1;
        }
        while bt(j) == Some(b'0') {
            j += 1;
        }
        while is_digit(at(i)) && is_digit(bt(j)) {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if is_digit(at(i)) {
            return 1;
        }
        if is_digit(bt(j)) {
            return -1;
        }
        if first_diff != 0 {
            return first_diff;
        }
    }
    0
}

/// Compare two Debian versions as `dpkg --compare-versions a lt|eq|gt b` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (parse(a), parse(b));
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream).cmp(&0))
        .then_with(|| verrevcmp(a.revision, b.revision).cmp(&0))
}
