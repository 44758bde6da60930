//! Cluster-only checks (KW901-KW919): what only a live cluster can answer, such as the
//! version the API server runs, and defaults the cluster creates by itself (every
//! namespace's `default` ServiceAccount). `kubeward cluster` feeds them the objects it lists
//! and one `kubeward.io/v1` `ClusterVersion` object it writes from the server's `/version`.

use crate::Control;

pub mod default_service_account_automount;
pub mod releases;
pub mod version_end_of_life;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &version_end_of_life::VersionEndOfLife,
    &default_service_account_automount::DefaultServiceAccountAutomount,
];

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    pub const EXPLOIT_PUBLIC_APP: &str = "T1190";
}

/// The apiVersion and kind of the object `kubeward cluster` writes for the server version.
pub const CLUSTER_VERSION_API: &str = "kubeward.io/v1";
pub const CLUSTER_VERSION_KIND: &str = "ClusterVersion";
