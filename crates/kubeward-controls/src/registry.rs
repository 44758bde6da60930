//! Every control kubeward has, in ID order.

use crate::pss;
use crate::Control;

static ALL: &[&dyn Control] = &[
    &pss::privileged::Privileged,
];

/// All controls, in ID order.
pub fn all() -> &'static [&'static dyn Control] {
    ALL
}

/// Find a control by its ID (`KW101`), its name (`privileged-container`) or, for PSS
/// controls, the Pod Security Admission check ID (`privileged`).
pub fn find(key: &str) -> Option<&'static dyn Control> {
    ALL.iter().copied().find(|c| {
        let m = c.meta();
        m.id.eq_ignore_ascii_case(key)
            || m.name == key
            || m.frameworks.pss.is_some_and(|p| p.check == key)
    })
}
