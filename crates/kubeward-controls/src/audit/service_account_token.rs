use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `create` on `serviceaccounts/token` (TokenRequest, as `kubectl create token` does)
    /// by identities that are not system components (the kubelet requests tokens for every pod,
    /// and is not reported). A denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// A token request mints a fresh credential for a service account, usable from anywhere until
    /// it expires: a way to take over a workload's identity and its rights (ATT&CK T1528) without
    /// touching the workload.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/serviceaccounts/admin/token","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"serviceaccounts","namespace":"kube-system","name":"admin","apiVersion":"v1","subresource":"token"},"responseStatus":{"metadata":{},"code":201}}
    /// ```
    ///
    /// ## How to fix
    /// Confirm the request with its user; grant `serviceaccounts/token` create only to the
    /// components that need it.
    pub struct ServiceAccountToken;
    id: "KW1007",
    name: "audit-service-account-token-request",
    title: "ServiceAccount token requested",
    severity: Medium,
    remediation: "Check that the token request was expected; limit serviceaccounts/token create to the components that need it.",
    frameworks: frameworks(None, &[nsa::AUDIT, "Pod security: protecting pod service account tokens"], &["5.1.13"], &[mitre::STEAL_TOKEN]),
}

audit_detection!(ServiceAccountToken);
