//! The Pod Security Standards, exactly as Pod Security Admission evaluates them.
//!
//! One control per PSA check. Where a restricted check overrides a baseline one (PSA's
//! `OverrideCheckIDs`), the two controls split the work so that running both levels reports
//! each violation once: the baseline control reports what both would, the restricted control
//! only what baseline allows (e.g. `restrictedVolumes` leaves `hostPath` to `hostPathVolumes`).

use kubeward_model::Container;

use crate::{Frameworks, PssCheck, PssLevel};

pub mod privileged;

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections.
pub mod nsa {
    pub const NON_ROOT: &str = "Pod security: non-root containers";
    pub const IMMUTABLE_FS: &str = "Pod security: immutable container file systems";
    pub const POD_SECURITY: &str = "Pod security: pod security enforcement";
    pub const HARDENING: &str = "Pod security: hardening container environments";
    pub const SA_TOKENS: &str = "Pod security: protecting pod service account tokens";
}

/// MITRE ATT&CK techniques (containers matrix).
pub mod mitre {
    pub const ESCAPE_TO_HOST: &str = "T1611";
    pub const PRIV_ESC_EXPLOIT: &str = "T1068";
    pub const NETWORK_SNIFFING: &str = "T1040";
    pub const CONTAINER_ADMIN: &str = "T1609";
    pub const DEPLOY_CONTAINER: &str = "T1610";
}

pub(crate) const fn pss(level: PssLevel, check: &'static str, since: u16) -> Option<PssCheck> {
    Some(PssCheck { level, check, since })
}

pub(crate) const fn frameworks(
    pss: Option<PssCheck>,
    nsa: &'static [&'static str],
    cis: &'static [&'static str],
    mitre: &'static [&'static str],
) -> Frameworks {
    Frameworks { pss, nsa, cis, mitre }
}

/// `"a", "b"` as PSA's `joinQuote` writes it.
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| format!("\"{}\"", s.as_ref())).collect::<Vec<_>>().join(", ")
}

/// `container "web"` or `init container "setup"`.
pub(crate) fn who(c: &Container<'_>) -> String {
    c.describe()
}
