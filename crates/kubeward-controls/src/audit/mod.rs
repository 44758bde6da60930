//! Audit-log detections (KW1001-KW1099): attacks and risky actions in the API server's audit
//! log (`audit.k8s.io/v1` Events).
//!
//! These controls are the catalog entries (ID, severity, framework mappings, documentation)
//! of what `kubeward audit` detects; the detections themselves run in the `kubeward-audit`
//! crate, over audit events rather than manifests, with per-run state (time windows) and the
//! engine (the pod and RBAC controls applied to a request's body). They report through
//! [`Control::is_audit_detection`], so a manifest scan never runs or scores them.
//! Their fixtures are `fixtures/<ID>/pass.jsonl` and `fail.jsonl`: audit events in the exact
//! shape the API server writes, at each level (Metadata, Request, RequestResponse), checked
//! by `kubeward-audit`'s tests.

use crate::Control;

pub mod admission_webhook_changed;
pub mod anonymous_request;
pub mod auth_failure_burst;
pub mod csr_approved;
pub mod events_deleted;
pub mod exec_into_pod;
pub mod impersonation;
pub mod node_proxy;
pub mod port_forward;
pub mod privileged_workload;
pub mod rbac_privilege_grant;
pub mod secret_read;
pub mod service_account_token;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &anonymous_request::AnonymousRequest,
    &exec_into_pod::ExecIntoPod,
    &port_forward::PortForward,
    &secret_read::SecretRead,
    &privileged_workload::PrivilegedWorkload,
    &rbac_privilege_grant::RbacPrivilegeGrant,
    &service_account_token::ServiceAccountToken,
    &impersonation::Impersonation,
    &auth_failure_burst::AuthFailureBurst,
    &admission_webhook_changed::AdmissionWebhookChanged,
    &node_proxy::NodeProxy,
    &csr_approved::CsrApproved,
    &events_deleted::EventsDeleted,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections.
pub mod nsa {
    pub const AUDIT: &str = "Audit logging and threat detection";
    pub use crate::rbac::nsa::{AUTHENTICATION, RBAC};
}

/// MITRE ATT&CK techniques for this family: the RBAC family's, and those only a log shows.
pub mod mitre {
    pub use crate::rbac::mitre::{
        ACCOUNT_MANIPULATION, CONTAINER_ADMIN, CONTAINER_API, DEPLOY_CONTAINER, ESCAPE_TO_HOST,
        IMPAIR_DEFENSES, STEAL_TOKEN, VALID_ACCOUNTS,
    };
    pub const DEFAULT_ACCOUNTS: &str = "T1078.001";
    pub const BRUTE_FORCE: &str = "T1110";
    pub const PROTOCOL_TUNNELING: &str = "T1572";
    pub const INDICATOR_REMOVAL: &str = "T1070";
    pub const FORGE_CERTIFICATES: &str = "T1649";
}

/// Implement [`Control`] for an audit detection: metadata only, no manifest check.
macro_rules! audit_detection {
    ($name:ident) => {
        impl $crate::Control for $name {
            fn meta(&self) -> &'static $crate::ControlMeta {
                &Self::META
            }
            fn is_audit_detection(&self) -> bool {
                true
            }
        }
    };
}
pub(crate) use audit_detection;
