//! Secrets and credentials (KW4xx): literal credentials in env, secrets in env vars, Secret
//! objects and ConfigMaps with credentials. Values are never printed, only a redacted form.

use crate::Control;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[];
