use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags audit events of requests that the API server allowed (response code below 400) for
    /// the user `system:anonymous` or a member of the group `system:unauthenticated`. The public
    /// health and version endpoints (`/healthz`, `/livez`, `/readyz`, `/version`), which the
    /// default `system:public-info-viewer` binding opens to everyone, are not reported.
    ///
    /// ## Why it matters
    /// An anonymous request that succeeds on anything else means a binding grants rights to
    /// unauthenticated callers: anyone who reaches the API server can use them. Attackers scan
    /// for such clusters and use them to list secrets or start pods.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"objectRef":{"resource":"secrets","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Find the binding named in the event's `authorization.k8s.io/reason` annotation and delete
    /// it; run the API server with `--anonymous-auth=false` where health checks allow it.
    pub struct AnonymousRequest;
    id: "KW1001",
    name: "audit-anonymous-request-allowed",
    title: "Request allowed for an anonymous user",
    severity: High,
    remediation: "Disable anonymous authentication (--anonymous-auth=false) or remove the RBAC bindings that grant system:anonymous or system:unauthenticated anything beyond health checks.",
    frameworks: frameworks(None, &[nsa::AUTHENTICATION, nsa::AUDIT], &["1.2.1", "5.1.1"], &[mitre::DEFAULT_ACCOUNTS]),
}

audit_detection!(AnonymousRequest);
