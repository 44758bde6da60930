//! Workload hardening beyond the Pod Security Standards (KW3xx): images, resources,
//! service accounts, root, dangerous capabilities and mounts.

use crate::Control;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[];
