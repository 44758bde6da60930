use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant any verb on `nodes/proxy` (or `*`,
    /// `*/proxy`) in the core group.
    ///
    /// ## Why it matters
    /// `nodes/proxy` forwards requests to the kubelet API of any node, and the kubelet
    /// authorizes them as `nodes/proxy` alone: `/exec`, `/run` and `/attach` run commands in
    /// every pod of the node, with no audit trail in the API server beyond the proxy call.
    /// Even `get` is enough, over WebSockets. Monitoring agents often ask for it only to
    /// read metrics. The CIS Benchmark asks to limit access to it (5.1.10).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/proxy"]   # flagged
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## How to fix
    /// Use `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring, which the kubelet
    /// authorizes separately.
    pub struct NodesProxy;
    id: "KW614",
    name: "rbac-nodes-proxy",
    title: "RBAC rule allows proxying to kubelets",
    severity: High,
    remediation: "Remove nodes/proxy from the rule; use the metrics and logs APIs instead.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.10"], &[mitre::CONTAINER_ADMIN, mitre::ESCAPE_TO_HOST]),
}

const VERBS: &[&str] = access::NODES_PROXY.verbs;
const WANTED: &[Wanted] = access::NODES_PROXY.targets;

impl Control for NodesProxy {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can reach the kubelet API, which runs commands in any pod of the node",
        );
    }
}
