use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags requests to the `nodes/proxy` subresource (`/api/v1/nodes/NAME/proxy/...`) by
    /// identities that are not system components, allowed or not (a denied attempt is reported one
    /// severity lower).
    ///
    /// ## Why it matters
    /// `nodes/proxy` reaches the kubelet API of a node: `/exec`, `/run` and `/attach` there run
    /// commands in any pod of the node, and the kubelet's own actions are not in the API server's
    /// audit log, so this event is often the only trace.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/nodes/node-1/proxy/run/kube-system/etcd-0/etcd","verb":"create","user":{"username":"system:serviceaccount:monitoring:agent"},"objectRef":{"resource":"nodes","name":"node-1","apiVersion":"v1","subresource":"proxy"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Check what was requested (the `requestURI`); remove `nodes/proxy` from roles that only
    /// need metrics or logs (see KW614).
    pub struct NodeProxy;
    id: "KW1011",
    name: "audit-node-proxy",
    title: "Request proxied to a kubelet (nodes/proxy)",
    severity: High,
    remediation: "Confirm the access; use nodes/metrics, nodes/stats or nodes/log for monitoring instead of nodes/proxy.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.10"], &[mitre::CONTAINER_ADMIN, mitre::ESCAPE_TO_HOST]),
}

audit_detection!(NodeProxy);
