//! Alpine package versions, ordered as apk-tools 2.x (`src/version.c` of the 2.x branches,
//! `apk_version_compare_blob`), the `apk` of every Alpine release from 3.0 to 3.22 and the tool
//! that generated OSV's Alpine fixtures, with apk 3's rules for malformed versions, which OSV's
//! hand-written fixtures use: a `.` not followed by a number and a `-r` followed by something other
//! than digits are malformed, and when two versions agree up to the point where one becomes
//! malformed, the malformed one is older (`1-r-0 < 1-r0`, `0.r1 < 0r2`, `1 > 1-ruff`; apk 2 said the
//! opposite). That also keeps a malformed installed version from looking newer than a fix.
//!
//! Implemented here: no maintained Rust crate implements apk's tokenizer. The grammar is
//! `digit{.digit}...{letter}{_suffix{#}}...{-r#}`; comparison walks both token streams value by
//! value and, where one stops early, decides by the type of the next token.

use std::cmp::Ordering;

// Token types in apk's numeric order (the order matters for the final comparison).
const INVALID: i8 = -1;
const DIGIT_OR_ZERO: i8 = 0;
const DIGIT: i8 = 1;
const LETTER: i8 = 2;
const SUFFIX: i8 = 3;
const SUFFIX_NO: i8 = 4;
const REVISION_NO: i8 = 5;
const END: i8 = 6;
/// apk 2 reads these as `DIGIT_OR_ZERO` and `REVISION_NO` with an empty number; apk 3 calls them
/// malformed. They compare as apk 2 against their own kind, as malformed against anything else.
const DOT_LETTER: i8 = 10;
const REV_LETTER: i8 = 11;

fn base(t: i8) -> i8 {
    match t {
        DOT_LETTER => DIGIT_OR_ZERO,
        REV_LETTER => REVISION_NO,
        t => t,
    }
}

fn malformed(t: i8) -> bool {
    matches!(t, INVALID | DOT_LETTER | REV_LETTER)
}

const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

/// apk's `next_token`: the type of the token `s` starts with, given the previous type; may step
/// over a separator.
fn next_token(t: &mut i8, s: &mut &[u8]) {
    let mut n = INVALID;
    match s.first() {
        None | Some(0) => n = END,
        Some(c) if (*t == DIGIT || *t == DIGIT_OR_ZERO) && c.is_ascii_lowercase() => n = LETTER,
        Some(c) if *t == LETTER && c.is_ascii_digit() => n = DIGIT,
        Some(c) if *t == SUFFIX && c.is_ascii_digit() => n = SUFFIX_NO,
        Some(&c) => {
            match c {
                // apk 3's stricter grammar (see the module doc): a `.` must start a number.
                b'.' if s.get(1).is_some_and(u8::is_ascii_lowercase) => n = DOT_LETTER,
                b'.' => n = DIGIT_OR_ZERO,
                b'_' => n = SUFFIX,
                // apk 3: `-r` must be followed by digits; apk 2 reads a bare `-r` as `-r0`, which
                // OSV's fixtures keep; a letter after it is malformed.
                b'-' if s.get(1) == Some(&b'r') => {
                    n = if s.get(2).is_some_and(u8::is_ascii_lowercase) {
                        REV_LETTER
                    } else {
                        REVISION_NO
                    };
                    *s = &s[1..];
                }
                _ => {}
            }
            *s = &s[1..];
        }
    }
    let (bn, bt) = (base(n), base(*t));
    if bn < bt
        && !((bn == DIGIT_OR_ZERO && bt == DIGIT)
            || (bn == SUFFIX && bt == SUFFIX_NO)
            || (bn == DIGIT && bt == LETTER))
    {
        n = INVALID;
    }
    *t = n;
}

/// apk's `get_token`: the value of the current token (type `t`), advancing `s` and `t`.
fn get_token(t: &mut i8, s: &mut &[u8]) -> i64 {
    if s.is_empty() {
        *t = END;
        return 0;
    }
    let mut i = 0usize;
    let mut nt = INVALID;
    let mut v: i64 = 0;
    let parse_digits = |i: &mut usize, v: &mut i64| -> bool {
        while *i < s.len() && s[*i].is_ascii_digit() {
            *v = v.wrapping_mul(10).wrapping_add((s[*i] - b'0') as i64);
            *i += 1;
        }
        *i < 18
    };
    match *t {
        DIGIT_OR_ZERO if s[0] == b'0' => {
            // Leading zeros: each extra zero makes the component smaller.
            while i + 1 < s.len() && s[i + 1] == b'0' {
                i += 1;
            }
            nt = DIGIT;
            v = -(i as i64);
        }
        DIGIT_OR_ZERO | DIGIT | SUFFIX_NO | REVISION_NO => {
            if !parse_digits(&mut i, &mut v) {
                *t = INVALID;
                return -1;
            }
        }
        DOT_LETTER | REV_LETTER => {
            // An empty number (value 0), then the letter, as apk 2 tokenizes it.
            *t = base(*t);
            next_token(t, s);
            return 0;
        }
        LETTER => {
            v = s[0] as i64;
            i = 1;
        }
        SUFFIX => {
            if let Some(k) = PRE_SUFFIXES.iter().position(|p| s.starts_with(p)) {
                i = PRE_SUFFIXES[k].len();
                v = k as i64 - PRE_SUFFIXES.len() as i64;
            } else if let Some(k) = POST_SUFFIXES.iter().position(|p| s.starts_with(p)) {
                i = POST_SUFFIXES[k].len();
                v = k as i64;
            } else {
                *t = INVALID;
                return -1;
            }
        }
        _ => {
            *t = INVALID;
            return -1;
        }
    }
    *s = &s[i..];
    if s.is_empty() {
        *t = END;
    } else if nt != INVALID {
        *t = nt;
    } else {
        next_token(t, s);
    }
    v
}

/// Whether `v` follows apk's grammar to its end. apk's comparison is a total order on such
/// versions only; on malformed ones (which no Alpine package has) it need not be transitive,
/// so code that sorts must not rely on it there.
pub fn is_well_formed(v: &str) -> bool {
    let mut s = v.as_bytes();
    if s.is_empty() {
        return false;
    }
    let mut t = DIGIT;
    loop {
        if malformed(t) {
            return false;
        }
        if t == END {
            return true;
        }
        let before = s.len();
        get_token(&mut t, &mut s);
        if malformed(t) {
            return false;
        }
        if s.len() == before && t != END {
            return false;
        }
    }
}

/// Compare two Alpine versions as `apk version -t a b` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let (mut at, mut bt) = (DIGIT, DIGIT);
    let (mut av, mut bv) = (0i64, 0i64);
    while at == bt && at != END && at != INVALID && av == bv {
        av = get_token(&mut at, &mut a);
        bv = get_token(&mut bt, &mut b);
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return o,
    }
    if at == bt {
        return Ordering::Equal;
    }
    // apk 3's rule (see the module doc): a malformed remainder is older.
    match (malformed(at), malformed(bt)) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    // Equal so far: the longer one is newer unless what follows is a pre-release suffix.
    let mut tt = at;
    if at == SUFFIX && get_token(&mut tt, &mut a) < 0 {
        return Ordering::Less;
    }
    let mut tt = bt;
    if bt == SUFFIX && get_token(&mut tt, &mut b) < 0 {
        return Ordering::Greater;
    }
    bt.cmp(&at)
}
