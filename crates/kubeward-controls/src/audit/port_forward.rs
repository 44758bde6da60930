use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `pods/portforward` requests by any identity, allowed or not (a denied attempt is
    /// reported one severity lower).
    ///
    /// ## Why it matters
    /// A port-forward tunnels traffic from the caller straight into a pod, past Services,
    /// Ingresses and network policies. It exposes admin ports and databases that were never meant
    /// to be reachable from outside the cluster (ATT&CK T1572).
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/db/pods/pg-0/portforward","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"db","name":"pg-0","apiVersion":"v1","subresource":"portforward"},"responseStatus":{"metadata":{},"code":101}}
    /// ```
    ///
    /// ## How to fix
    /// Confirm the tunnel with its user; grant `pods/portforward` only where it is needed.
    pub struct PortForward;
    id: "KW1003",
    name: "audit-port-forward",
    title: "Port forwarded into a pod",
    severity: Medium,
    remediation: "Make sure the port-forward was expected; restrict pods/portforward to the roles that need it.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &[], &[mitre::PROTOCOL_TUNNELING]),
}

audit_detection!(PortForward);
