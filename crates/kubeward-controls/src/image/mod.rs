//! Image checks (KW1101-KW1199): what is inside a container image, found by `kubeward image`
//! (docs/image.md): known vulnerabilities of its packages, licences a policy denies.
//!
//! Like the audit detections, these controls are the catalog entries (ID, severity, framework
//! mappings, documentation); the checks themselves run in the `kubeward-image` crate over an
//! image's catalog of packages and the vulnerability database, not over manifests. They say so
//! through [`Control::is_image_check`], so a manifest scan never runs or scores them. Their
//! fixtures are `fixtures/<ID>/pass.cdx.json` and `fail.cdx.json`, CycloneDX SBOMs checked by
//! `kubeward-image`'s tests.

use crate::Control;

pub mod license_denied;
pub mod vulnerable_package;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &vulnerable_package::VulnerablePackage,
    &license_denied::LicenseDenied,
];

/// Implement [`Control`] for an image check: metadata only, no manifest check.
macro_rules! image_check {
    ($name:ident) => {
        impl $crate::Control for $name {
            fn meta(&self) -> &'static $crate::ControlMeta {
                &Self::META
            }
            fn is_image_check(&self) -> bool {
                true
            }
        }
    };
}
pub(crate) use image_check;
