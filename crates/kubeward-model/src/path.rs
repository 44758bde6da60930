//! Field paths as users write them: `spec.template.spec.containers[0].securityContext.privileged`,
//! with bracketed keys where a key holds dots or slashes
//! (`metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']`).

use std::sync::Arc;

use serde::Serialize;

/// Shared, so that cloning a path (once per container per control) costs no allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct FieldPath(Arc<str>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Arc::from(""))
    }

    pub fn from_keys(keys: &[&str]) -> Self {
        keys.iter().fold(FieldPath::root(), |p, k| p.key(k))
    }

    pub fn key(&self, key: &str) -> Self {
        let plain = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        self.extended(|s| {
            if plain {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(key);
            } else {
                s.push_str("['");
                s.push_str(&key.replace('\'', "\\'"));
                s.push_str("']");
            }
        })
    }

    pub fn index(&self, i: usize) -> Self {
        self.extended(|s| {
            s.push('[');
            push_decimal(s, i);
            s.push(']');
        })
    }

    /// This path with `extend` appended, built in a reused per-thread buffer so that the
    /// new path costs one allocation (paths are built per container per control: this was
    /// a tenth of a full scan's time with `format!` and a second copy).
    fn extended(&self, extend: impl FnOnce(&mut String)) -> Self {
        thread_local! {
            static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        BUF.with(|buf| {
            let mut s = buf.borrow_mut();
            s.clear();
            s.push_str(&self.0);
            extend(&mut s);
            FieldPath(Arc::from(s.as_str()))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this path is `ancestor` or lies under it (`spec.containers[0].image` is
    /// within `spec` and `spec.containers`, not within `spec.container`).
    pub fn is_within(&self, ancestor: &FieldPath) -> bool {
        match self.0.strip_prefix(&*ancestor.0) {
            Some(rest) => {
                ancestor.0.is_empty()
                    || rest.is_empty()
                    || rest.starts_with('.')
                    || rest.starts_with('[')
            }
            None => false,
        }
    }
}

/// `n` in decimal, without the formatting machinery.
fn push_decimal(s: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    s.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0"));
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for FieldPath {
    fn from(s: &str) -> Self {
        FieldPath(Arc::from(s))
    }
}
