use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `pods/exec` and `pods/attach` requests (the API server logs them as `create` or
    /// `get` on the subresource) by any identity, allowed or not; a denied attempt is reported one
    /// severity lower. The API server logs the request even when the kubelet never runs it.
    ///
    /// ## Why it matters
    /// `kubectl exec` gives an interactive shell inside a running container, with its service
    /// account token, its secrets and its network position. It is the most common way an attacker
    /// with API access moves into workloads (ATT&CK T1609), and in production it should be rare
    /// and explainable.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/web-0/exec?command=sh\u0026stdin=true","verb":"create","user":{"username":"alice","groups":["dev"]},"objectRef":{"resource":"pods","namespace":"prod","name":"web-0","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101}}
    /// ```
    ///
    /// ## How to fix
    /// Confirm with the user named in the event; if it was not expected, treat the pod as
    /// compromised. Grant `pods/exec` only through a reviewed break-glass role.
    pub struct ExecIntoPod;
    id: "KW1002",
    name: "audit-exec-into-pod",
    title: "Command run in a container (exec or attach)",
    severity: Medium,
    remediation: "Make sure the exec or attach was expected; restrict pods/exec and pods/attach to break-glass roles.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.8"], &[mitre::CONTAINER_ADMIN]),
}

audit_detection!(ExecIntoPod);
