//! RPM versions, ordered exactly as rpm 4.18+ (`rpmio/rpmver.cc` `rpmverCmp` over `parseEVR`, and
//! `rpmio/rpmvercmp.cc` `rpmvercmp`), i.e. what `rpm --eval '%{lua: print(rpm.vercmp(a, b))}'` says.
//!
//! Implemented here: a crate we measured returns `Equal` for `1` vs `1-`, but rpm gives `<`
//! (a missing release sorts before any release, even an empty one); `~` and `^` need the
//! exact rules below.

use std::cmp::Ordering;

/// `[epoch:]version[-release]` as `parseEVR` splits it: the epoch is a run of leading digits ended
/// by `:` (an empty epoch means `0`), the release what follows the last `-` after the epoch digits.
/// `None` means absent, which is not the same as empty.
fn parse(evr: &str) -> (&[u8], &[u8], Option<&[u8]>) {
    let s = evr.as_bytes();
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let after_epoch_digits = &s[digits..];
    let dash = after_epoch_digits
        .iter()
        .rposition(|&c| c == b'-')
        .map(|i| i + digits);
    let (epoch, version_start) = if s.get(digits) == Some(&b':') {
        let e: &[u8] = if digits == 0 { b"0" } else { &s[..digits] };
        (e, digits + 1)
    } else {
        (b"0" as &[u8], 0)
    };
    match dash {
        Some(d) => (epoch, &s[version_start..d], Some(&s[d + 1..])),
        None => (epoch, &s[version_start..], None),
    }
}

/// rpm's `rpmvercmp` on one field.
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a, b);
    let sep = |s: &[u8]| -> usize {
        s.iter()
            .take_while(|&&c| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^')
            .count()
    };
    while !one.is_empty() || !two.is_empty() {
        one = &one[sep(one)..];
        two = &two[sep(two)..];
        let (c1, c2) = (one.first().copied(), two.first().copied());
        // `~` sorts before everything, even the end.
        if c1 == Some(b'~') || c2 == Some(b'~') {
            if c1 != Some(b'~') {
                return Ordering::Greater;
            }
            if c2 != Some(b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        // `^` sorts after the end but before anything else.
        if c1 == Some(b'^') || c2 == Some(b'^') {
            if c1.is_none() {
                return Ordering::Less;
            }
            if c2.is_none() {
                return Ordering::Greater;
            }
            if c1 != Some(b'^') {
                return Ordering::Greater;
            }
            if c2 != Some(b'^') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        let isnum = one[0].is_ascii_digit();
        let seg = |s: &[u8]| -> usize {
            if isnum {
                s.iter().take_while(|c| c.is_ascii_digit()).count()
            } else {
                s.iter().take_while(|c| c.is_ascii_alphabetic()).count()
            }
        };
        let (n1, n2) = (seg(one), seg(two));
        // Segments of different types: numeric is newer than alpha.
        if n2 == 0 {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut s1, mut s2) = (&one[..n1], &two[..n2]);
        if isnum {
            while s1.first() == Some(&b'0') {
                s1 = &s1[1..];
            }
            while s2.first() == Some(&b'0') {
                s2 = &s2[1..];
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            o => return o,
        }
        one = &one[n1..];
        two = &two[n2..];
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// Compare two `[epoch:]version[-release]` strings as rpm's `rpmverCmp` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (e1, v1, r1) = parse(a);
    let (e2, v2, r2) = parse(b);
    rpmvercmp(e1, e2)
        .then_with(|| rpmvercmp(v1, v2))
        .then_with(|| match (r1, r2) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
        })
}
