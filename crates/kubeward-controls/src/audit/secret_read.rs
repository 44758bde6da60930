use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `get`, `list` and `watch` of `secrets` by identities that are not Kubernetes system
    /// components. System components are `system:apiserver`, `system:kube-controller-manager`,
    /// `system:kube-scheduler`, `system:kube-proxy`, nodes (`system:node:*`, group
    /// `system:nodes`) and service accounts of `kube-system`; the `audit.trustedUsers` setting
    /// adds more (operators, CI). A denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// Secrets hold credentials: service account tokens, cloud keys, database passwords. A
    /// person or an unexpected workload listing secrets is how credentials leave a cluster
    /// (ATT&CK T1552.007); the CIS Benchmark asks to minimize access to them (5.1.2).
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/secrets","verb":"list","user":{"username":"system:serviceaccount:web:default"},"objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Confirm the read with its owner. Add expected readers to `audit.trustedUsers`; remove
    /// secret access from the others' roles.
    pub struct SecretRead;
    id: "KW1004",
    name: "audit-secret-read",
    title: "Secret read by an identity that is not a system component",
    severity: Medium,
    remediation: "Check that this identity should read secrets; narrow its Roles to the secrets it needs (resourceNames), or mount secrets into its pods instead.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.2"], &[mitre::CONTAINER_API]),
}

audit_detection!(SecretRead);
