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
        let mut s = String::with_capacity(self.0.len() + key.len() + 1);
        s.push_str(&self.0);
        let plain = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
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
        FieldPath(Arc::from(s))
    }

    pub fn index(&self, i: usize) -> Self {
        FieldPath(Arc::from(format!("{}[{}]", self.0, i)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
