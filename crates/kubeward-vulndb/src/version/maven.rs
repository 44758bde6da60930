//! Maven versions, ordered by the POM reference's "Version Order Specification"
//! (maven.apache.org/pom.html#version-order-specification), which is what Maven's
//! `ComparableVersion` implements.
//!
//! Implemented here: no maintained Rust crate implements Maven's ordering. The rules:
//! * split into tokens at `.`, `-` and at every digit/non-digit transition (a transition counts as
//!   `-`), remembering each token's separator; an empty token is `0`; case-insensitive;
//! * `a`, `b`, `m` directly followed by a digit mean `alpha`, `beta`, `milestone`; `cr` is `rc`;
//!   `ga`, `final` and `release` are the empty qualifier;
//! * trailing "null" tokens (`0`, the empty qualifier) are trimmed from the end, and again before
//!   each remaining `-` from the end to the start;
//! * compare token by token, the shorter padded with nulls taking the other's separator:
//!   same separator: numbers numerically, numbers above qualifiers, qualifiers as
//!   `alpha < beta < milestone < rc < snapshot < "" < sp < other qualifiers (lexically)`;
//!   different separators: `.qualifier < -qualifier < -number < .number`.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// Digits without leading zeros ("" is zero).
    Num(String),
    Qual(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    dot: bool,
    value: Value,
}

impl Token {
    fn is_null(&self) -> bool {
        match &self.value {
            Value::Num(n) => n.is_empty(),
            Value::Qual(q) => q.is_empty(),
        }
    }
}

fn qualifier_rank(q: &str) -> usize {
    match q {
        "alpha" => 0,
        "beta" => 1,
        "milestone" => 2,
        "rc" => 3,
        "snapshot" => 4,
        "" => 5,
        "sp" => 6,
        _ => 7,
    }
}

fn cmp_qual(a: &str, b: &str) -> Ordering {
    qualifier_rank(a)
        .cmp(&qualifier_rank(b))
        .then_with(|| a.cmp(b))
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn tokens(v: &str) -> Vec<Token> {
    let lower = v.trim().to_lowercase();
    let mut out = Vec::new();
    for (i, (sep, piece)) in split_separators(&lower).into_iter().enumerate() {
        let dot = i == 0 || sep == '.';
        // Split the piece further at digit/non-digit transitions; those act as hyphens.
        let bytes = piece.as_bytes();
        let mut start = 0;
        let mut first = true;
        while start < bytes.len() || (first && bytes.is_empty()) {
            let digit = bytes.get(start).is_some_and(u8::is_ascii_digit);
            let len = bytes[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit() == digit)
                .count();
            // Keep whole UTF-8 characters in qualifiers (non-ASCII bytes are never digits).
            let text = &piece[start..start + len];
            let followed_by_digit = bytes.get(start + len).is_some_and(u8::is_ascii_digit);
            let value = if text.is_empty() {
                Value::Num(String::new())
            } else if digit {
                Value::Num(text.trim_start_matches('0').to_string())
            } else {
                let q = match text {
                    "a" if followed_by_digit => "alpha",
                    "b" if followed_by_digit => "beta",
                    "m" if followed_by_digit => "milestone",
                    "cr" => "rc",
                    "ga" | "final" | "release" => "",
                    t => t,
                };
                Value::Qual(q.to_string())
            };
            out.push(Token {
                dot: if first { dot } else { false },
                value,
            });
            first = false;
            start += len;
        }
    }
    trim(&mut out);
    out
}

/// Split at `.` and `-`, each piece with the separator before it (`'.'` for the first).
fn split_separators(s: &str) -> Vec<(char, &str)> {
    let mut out = Vec::new();
    let mut sep = '.';
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '.' || c == '-' {
            out.push((sep, &s[start..i]));
            sep = c;
            start = i + 1;
        }
    }
    out.push((sep, &s[start..]));
    out
}

/// Remove trailing nulls from the end, then again before each `-` token, back to the start.
fn trim(t: &mut Vec<Token>) {
    let mut i = t.len();
    while i > 1 {
        if t[i - 1].is_null() {
            t.remove(i - 1);
            i -= 1;
            continue;
        }
        // Skip back to the start of this hyphen group, then continue before it.
        while i > 0 && t[i - 1].dot {
            i -= 1;
        }
        i = i.saturating_sub(1);
    }
}

/// The null token a missing position stands for, given the other side's token: `0` against a
/// number, the empty (release) qualifier against a qualifier, with the other's separator. This is
/// Maven's comparison of an item with a missing one: `1.0.1 > 1`, `1.alpha < 1`, and `1.sp`,
/// `1.jre6`, `1.preview` (unknown qualifiers rank after the release) `> 1`.
fn padding(other: &Token) -> Token {
    let value = match &other.value {
        Value::Num(_) => Value::Num(String::new()),
        Value::Qual(_) => Value::Qual(String::new()),
    };
    Token {
        dot: other.dot,
        value,
    }
}

fn cmp_token(a: &Token, b: &Token) -> Ordering {
    if a.dot == b.dot {
        match (&a.value, &b.value) {
            (Value::Num(x), Value::Num(y)) => cmp_num(x, y),
            (Value::Num(_), Value::Qual(_)) => Ordering::Greater,
            (Value::Qual(_), Value::Num(_)) => Ordering::Less,
            (Value::Qual(x), Value::Qual(y)) => cmp_qual(x, y),
        }
    } else {
        // .qualifier < -qualifier < -number < .number
        let rank = |t: &Token| match (&t.value, t.dot) {
            (Value::Qual(_), true) => 0,
            (Value::Qual(_), false) => 1,
            (Value::Num(_), false) => 2,
            (Value::Num(_), true) => 3,
        };
        rank(a).cmp(&rank(b))
    }
}

/// Compare two Maven versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (tokens(a), tokens(b));
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => cmp_token(x, y),
            (Some(x), None) => cmp_token(x, &padding(x)),
            (None, Some(y)) => cmp_token(&padding(y), y),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
