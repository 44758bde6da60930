use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may use `nodes/proxy` (any verb) through a ClusterRoleBinding;
    /// nodes are cluster-scoped, so a RoleBinding cannot grant it.
    ///
    /// ## Why it matters
    /// `nodes/proxy` reaches the kubelet API of every node: it runs commands in any pod on the
    /// node, and the kubelet does not write them to the API server's audit log.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: node-metrics}   # get nodes/proxy
    /// subjects:
    /// - kind: ServiceAccount    # flagged
    ///   name: collector
    ///   namespace: monitoring
    /// ```
    ///
    /// ## How to fix
    /// Use `nodes/metrics` or `nodes/stats` for monitoring, never `nodes/proxy`.
    pub struct SubjectNodesProxy;
    id: "KW658",
    name: "rbac-subject-nodes-proxy",
    title: "Subject can use nodes/proxy",
    severity: High,
    remediation: "Remove nodes/proxy from the subject's roles; read node metrics through the metrics API instead.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.10"], &[mitre::CONTAINER_ADMIN, mitre::ESCAPE_TO_HOST]),
}

impl Control for SubjectNodesProxy {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::NodesProxy);
    }
}
