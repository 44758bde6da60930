//! Python package versions, ordered as the `packaging` library orders them (`packaging.version`):
//! PEP 440 versions by their normalised key, and, as `packaging` before 22 did, versions PEP 440
//! cannot parse as `LegacyVersion`s, which sort before every PEP 440 version.
//!
//! Implemented here rather than with a crate: `pep440_rs` is exact for PEP 440 but rejects the
//! legacy versions that old PyPI releases (and OSV's own fixtures) carry, and we must still place
//! those; the key below is `packaging`'s `_cmpkey` and `_legacy_cmpkey`.

use std::cmp::Ordering;

/// A release number of any size: leading zeros dropped, compared by length then digits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num<'a>(&'a str);

impl<'a> Num<'a> {
    fn new(digits: &'a str) -> Num<'a> {
        Num(digits.trim_start_matches('0'))
    }
    fn zero() -> Num<'a> {
        Num("")
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Num<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.len().cmp(&o.0.len()).then_with(|| self.0.cmp(o.0))
    }
}
impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// One local-version segment: numbers sort after strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalSeg<'a> {
    Str(&'a str),
    Num(Num<'a>),
}

/// `packaging`'s comparison key for a valid PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key<'a> {
    epoch: Num<'a>,
    release: Vec<Num<'a>>,
    /// `(0, ..)` for "-infinity" (a dev release with nothing else), `(1, letter, n)` for a
    /// pre-release, `(2, ..)` for "+infinity" (no pre-release).
    pre: (u8, u8, Num<'a>),
    /// `None` sorts first: no post-release.
    post: Option<Num<'a>>,
    /// `None` here means "+infinity": not a dev release. Wrapped so that `Some` < `None`.
    dev: DevKey<'a>,
    /// `None` sorts first: no local version.
    local: Option<Vec<LocalSeg<'a>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DevKey<'a>(Option<Num<'a>>);
impl Ord for DevKey<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        match (&self.0, &o.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for DevKey<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A parsed PyPI version: PEP 440 or legacy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Legacy(Vec<String>),
    Pep440(Key<'a>),
}

impl Ord for Parsed<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        match (self, o) {
            (Parsed::Legacy(a), Parsed::Legacy(b)) => a.cmp(b),
            (Parsed::Legacy(_), Parsed::Pep440(_)) => Ordering::Less,
            (Parsed::Pep440(_), Parsed::Legacy(_)) => Ordering::Greater,
            (Parsed::Pep440(a), Parsed::Pep440(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Parsed<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A cursor over the lowercased version string, following `packaging`'s VERSION_PATTERN.
struct Cur<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_sep(&mut self) -> bool {
        matches!(self.peek(), Some(b'.' | b'_' | b'-')) && {
            self.i += 1;
            true
        }
    }
    fn digits(&mut self) -> Option<Num<'a>> {
        let n = self.s.as_bytes()[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let d = &self.s[self.i..self.i + n];
        self.i += n;
        Some(Num::new(d))
    }
    fn word<'w>(&mut self, words: &[&'w str]) -> Option<&'w str> {
        // Longest match first, as the regex alternation order does.
        let rest = &self.s.as_bytes()[self.i..];
        let w = words
            .iter()
            .filter(|w| rest.starts_with(w.as_bytes()))
            .max_by_key(|w| w.len())?;
        self.i += w.len();
        Some(w)
    }
    /// Try `f`; on `None` rewind.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.i;
        let r = f(self);
        if r.is_none() {
            self.i = save;
        }
        r
    }
}

/// Parse `lower`, the version already trimmed and ASCII-lowercased.
fn parse_pep440(lower: &str) -> Option<Key<'_>> {
    let mut c = Cur { s: lower, i: 0 };
    c.eat(b'v');
    let epoch = c
        .attempt(|c| {
            let n = c.digits()?;
            c.eat(b'!').then_some(n)
        })
        .unwrap_or_else(Num::zero);
    let mut release = vec![c.digits()?];
    while let Some(n) = c.attempt(|c| {
        c.eat(b'.').then_some(())?;
        c.digits()
    }) {
        release.push(n);
    }
    // pre: [-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*
    let pre = c.attempt(|c| {
        c.eat_sep();
        let w = c.word(&["alpha", "a", "beta", "b", "preview", "pre", "rc", "c"])?;
        // The separator after the letter is optional and independent of the number (`1.0a.`
        // is valid), as in `packaging`'s pattern.
        c.eat_sep();
        Some((w, c.digits().unwrap_or_else(Num::zero)))
    });
    // post: (-[0-9]+) | ([-_.]?(post|rev|r)[-_.]?[0-9]*)
    let post = c
        .attempt(|c| {
            c.eat(b'-').then_some(())?;
            c.digits()
        })
        .or_else(|| {
            c.attempt(|c| {
                c.eat_sep();
                c.word(&["post", "rev", "r"])?;
                c.eat_sep();
                Some(c.digits().unwrap_or_else(Num::zero))
            })
        });
    // dev: [-_.]?dev[-_.]?[0-9]*
    let dev = c.attempt(|c| {
        c.eat_sep();
        c.word(&["dev"])?;
        c.eat_sep();
        Some(c.digits().unwrap_or_else(Num::zero))
    });
    // local: \+[a-z0-9]+([-_.][a-z0-9]+)*
    let local = if c.eat(b'+') {
        let mut segs = Vec::new();
        loop {
            let n = c.s.as_bytes()[c.i..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if n == 0 {
                return None;
            }
            let seg = &c.s[c.i..c.i + n];
            c.i += n;
            segs.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
                LocalSeg::Num(Num::new(seg))
            } else {
                LocalSeg::Str(seg)
            });
            if !c.eat_sep() {
                break;
            }
        }
        Some(segs)
    } else {
        None
    };
    if c.i != c.s.len() {
        return None;
    }
    while release.len() > 1 && release.last().is_some_and(Num::is_zero) {
        release.pop();
    }
    if release.len() == 1 && release[0].is_zero() {
        // `packaging` strips every trailing zero: (0,) becomes ().
        release.clear();
    }
    let pre = match pre {
        Some((w, n)) => {
            let letter = match w {
                "a" | "alpha" => 0,
                "b" | "beta" => 1,
                _ => 2, // c, rc, pre, preview
            };
            (1, letter, n)
        }
        None if post.is_none() && dev.is_some() => (0, 0, Num::zero()),
        None => (2, 0, Num::zero()),
    };
    Some(Key {
        epoch,
        release,
        pre,
        post,
        dev: DevKey(dev),
        local,
    })
}

/// `packaging` < 22 `_legacy_cmpkey` (setuptools' old `parse_version`).
fn legacy_key(v: &str) -> Vec<String> {
    let lower = v.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    for part in legacy_parts(&lower) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// `_parse_version_parts`: split into digit runs, letter runs, `.` and `-` (everything else stays
/// glued to its neighbours, as `re.split` with that pattern leaves it), map a few words, pad numbers.
fn legacy_parts(s: &str) -> Vec<String> {
    let mut raw: Vec<&str> = Vec::new();
    let b = s.as_bytes();
    let mut other_start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let len = if c.is_ascii_digit() {
            b[i..].iter().take_while(|c| c.is_ascii_digit()).count()
        } else if c.is_ascii_lowercase() {
            b[i..].iter().take_while(|c| c.is_ascii_lowercase()).count()
        } else if c == b'.' || c == b'-' {
            1
        } else {
            // Not a token: part of the in-between text; step over the whole UTF-8 character.
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        raw.push(&s[other_start..i]);
        raw.push(&s[i..i + len]);
        i += len;
        other_start = i;
    }
    raw.push(&s[other_start..]);
    let mut out = Vec::new();
    for part in raw {
        let part = match part {
            "pre" | "preview" => "c",
            "-" => "final-",
            "rc" => "c",
            "dev" => "@",
            p => p,
        };
        if part.is_empty() || part == "." {
            continue;
        }
        if part.as_bytes()[0].is_ascii_digit() {
            out.push(format!("{part:0>8}"));
        } else {
            out.push(format!("*{part}"));
        }
    }
    out.push("*final".to_string());
    out
}

fn lower(v: &str) -> std::borrow::Cow<'_, str> {
    let v = v.trim();
    if v.bytes().any(|b| b.is_ascii_uppercase()) {
        v.to_ascii_lowercase().into()
    } else {
        v.into()
    }
}

fn parse<'a>(lower: &'a str, original: &str) -> Parsed<'a> {
    match parse_pep440(lower) {
        Some(k) => Parsed::Pep440(k),
        None => Parsed::Legacy(legacy_key(original)),
    }
}

/// Parse once for repeated comparisons; `None` when that needs a lowercased copy (then compare
/// with [`compare`]).
pub(crate) fn prepare(v: &str) -> Option<Parsed<'_>> {
    match lower(v) {
        std::borrow::Cow::Borrowed(l) => Some(parse(l, v)),
        std::borrow::Cow::Owned(_) => None,
    }
}

pub(crate) fn cmp_parsed(a: &Parsed, b: &str) -> Ordering {
    let lb = lower(b);
    a.cmp(&parse(&lb, b))
}

/// Whether `v` is a valid PEP 440 version (otherwise it is ordered as a legacy version).
pub fn is_valid(v: &str) -> bool {
    parse_pep440(&lower(v)).is_some()
}

/// Compare two PyPI versions as Python's `packaging.version` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (la, lb) = (lower(a), lower(b));
    parse(&la, a).cmp(&parse(&lb, b))
}
