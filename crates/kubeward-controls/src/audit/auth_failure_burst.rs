use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Counts requests answered 401 (unauthenticated) or 403 (forbidden) per user and per source
    /// IP, and reports when one of them reaches the threshold within the time window (by default
    /// 10 in 60 seconds; `audit.authFailures` in `.kubeward.yaml` or `--auth-failure-threshold`
    /// and `--auth-failure-window`). A burst is reported once, at the event that reaches the
    /// threshold, and again only after a window without failures.
    ///
    /// ## Why it matters
    /// Many rejected requests in a short time are what credential guessing and permission
    /// discovery look like: an attacker with a stolen token tries what it can do (ATT&CK T1110,
    /// T1078). A broken client looks the same, and is worth fixing too.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets","verb":"list","user":{"username":"system:serviceaccount:web:default"},"sourceIPs":["10.0.3.7"],"objectRef":{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403}}
    /// ```
    /// (ten of these within a minute)
    ///
    /// ## How to fix
    /// Identify the client from the user agent and source address; if its token leaked, rotate
    /// it; otherwise fix the client or its permissions.
    pub struct AuthFailureBurst;
    id: "KW1009",
    name: "audit-auth-failure-burst",
    title: "Burst of failed requests (401/403) from one user or address",
    severity: Medium,
    remediation: "Find the client behind the user or address; rotate its credentials if they are being guessed, or fix its permissions.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::AUTHENTICATION], &[], &[mitre::BRUTE_FORCE, mitre::VALID_ACCOUNTS]),
}

audit_detection!(AuthFailureBurst);
