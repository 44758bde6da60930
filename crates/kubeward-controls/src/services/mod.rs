//! Network exposure of single objects (KW5xx): Service types, externalIPs, Ingress TLS.
//! Cross-object network checks (NetworkPolicy coverage) live with the inventory.

use crate::Control;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[];
