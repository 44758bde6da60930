use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Applies kubeward's pod controls KW101 (privileged container), KW102 (host namespaces) and
    /// KW103 (hostPath volumes) to the body of `create` and `update` requests of pods and every
    /// pod-bearing kind (Deployments, DaemonSets, Jobs, ...) by identities that are not system
    /// components (the controllers' pods come from templates already judged), and of `patch`
    /// requests through the stored object the response carries. This needs the `Request` or `RequestResponse` level for
    /// those resources, which `kubeward audit policy` sets. The finding points at the offending
    /// field inside `requestObject` and has the pod control's severity (at least high). A
    /// denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// A privileged pod, one sharing the host's PID, IPC or network namespace, or one mounting a
    /// host path, is a step away from root on the node (ATT&CK T1611). Creating one is how an
    /// attacker with pod-create rights escapes the container boundary.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"pods","namespace":"default","name":"x","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"alpine","securityContext":{"privileged":true}}]}}}
    /// ```
    ///
    /// ## How to fix
    /// Delete the workload if it was not expected and check the node it ran on. Enforce Pod
    /// Security Admission so that such pods are refused.
    pub struct PrivilegedWorkload;
    id: "KW1005",
    name: "audit-privileged-workload",
    title: "Privileged, host-namespace or hostPath workload requested",
    severity: Critical,
    remediation: "Find who created the workload and why; enforce Pod Security Admission (baseline or restricted) on the namespace.",
    frameworks: frameworks(None, &[nsa::AUDIT, "Pod security: pod security enforcement"], &["5.2.2", "5.2.3", "5.2.4", "5.2.5"], &[mitre::DEPLOY_CONTAINER, mitre::ESCAPE_TO_HOST]),
}

audit_detection!(PrivilegedWorkload);
