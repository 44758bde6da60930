use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `create`, `update`, `patch`, `delete` and `deletecollection` of
    /// `validatingwebhookconfigurations` and `mutatingwebhookconfigurations` by identities that
    /// are not system components. A denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// Admission webhooks enforce policy (kubeward serve, Kyverno, Gatekeeper). Deleting one, or
    /// changing its rules, namespace selector or failure policy, silently switches that policy off
    /// (ATT&CK T1562.001); a new mutating webhook can inject containers into every pod.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubeward","verb":"delete","user":{"username":"mallory"},"objectRef":{"resource":"validatingwebhookconfigurations","name":"kubeward","apiGroup":"admissionregistration.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Restore the configuration from source control and find out who changed it and why.
    pub struct AdmissionWebhookChanged;
    id: "KW1010",
    name: "audit-admission-webhook-changed",
    title: "Admission webhook configuration changed",
    severity: High,
    remediation: "Confirm the change; restrict write access to admission webhook configurations to the components that own them.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.12"], &[mitre::IMPAIR_DEFENSES]),
}

audit_detection!(AdmissionWebhookChanged);
