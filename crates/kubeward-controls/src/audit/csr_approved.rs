use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `update` and `patch` of `certificatesigningrequests/approval` by identities that are
    /// not system components (the controller manager approves kubelet certificates on its own). A
    /// denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// An approved CSR for the `kube-apiserver-client` signer is a client certificate with any
    /// user name and groups the requester chose, including `system:masters`, valid until it
    /// expires and impossible to revoke (ATT&CK T1649).
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/apis/certificates.k8s.io/v1/certificatesigningrequests/mallory/approval","verb":"update","user":{"username":"alice"},"objectRef":{"resource":"certificatesigningrequests","name":"mallory","apiGroup":"certificates.k8s.io","apiVersion":"v1","subresource":"approval"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Check the CSR's requested subject; if it was not expected, the certificate must be treated
    /// as leaked: rotate the cluster CA or remove the rights of its user and groups.
    pub struct CsrApproved;
    id: "KW1012",
    name: "audit-csr-approval",
    title: "CertificateSigningRequest approved by hand",
    severity: High,
    remediation: "Confirm the approval; only the controller manager should approve node certificates, and client certificates for people are better replaced by OIDC.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::AUTHENTICATION], &["5.1.11"], &[mitre::FORGE_CERTIFICATES, mitre::VALID_ACCOUNTS]),
}

audit_detection!(CsrApproved);
