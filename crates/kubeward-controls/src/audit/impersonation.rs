use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags requests that carry an `impersonatedUser` (the `Impersonate-User` header, `kubectl
    /// --as`), made by an identity that is not a system component. A denied attempt is reported
    /// one severity lower.
    ///
    /// ## Why it matters
    /// Impersonation lets a caller act with another user's or group's rights, including
    /// `system:masters`. Everything the request does is attributed to the impersonated identity
    /// in most tools, which hides who really acted.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"list","user":{"username":"ci-bot"},"impersonatedUser":{"username":"admin","groups":["system:masters"]},"objectRef":{"resource":"secrets","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Confirm it with the caller; remove the `impersonate` verb from roles that do not need it
    /// (see KW613).
    pub struct Impersonation;
    id: "KW1008",
    name: "audit-impersonation",
    title: "Request made while impersonating another identity",
    severity: High,
    remediation: "Check that the impersonation was expected; grant the impersonate verb only to reviewed break-glass roles.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.8"], &[mitre::VALID_ACCOUNTS]),
}

audit_detection!(Impersonation);
