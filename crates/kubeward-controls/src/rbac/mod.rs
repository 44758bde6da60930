//! RBAC in manifests (KW6xx) and admission configuration (KW7xx).

use crate::Control;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[];
