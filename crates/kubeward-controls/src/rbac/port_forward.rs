use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create` or `get` (or `*`) on
    /// `pods/portforward` (or `*`, `*/portforward`) in the core group.
    ///
    /// ## Why it matters
    /// Port-forwarding tunnels a connection from the subject to any port of a pod through
    /// the API server and the kubelet: NetworkPolicies do not apply, and ports never meant
    /// to be reachable (admin interfaces, databases without authentication, debug
    /// endpoints) become reachable from a laptop.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/portforward"]   # flagged
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## How to fix
    /// Grant port-forwarding only to the people who debug the workloads, in their
    /// namespaces, and prefer exposing what they need through authenticated Services.
    pub struct PortForward;
    id: "KW610",
    name: "rbac-port-forward",
    title: "RBAC rule allows port-forwarding to pods",
    severity: Medium,
    remediation: "Remove pods/portforward from the rule unless the subject needs to reach pods directly.",
    frameworks: frameworks(None, &[nsa::RBAC], &[], &[mitre::CONTAINER_ADMIN]),
}

const VERBS: &[&str] = access::PORT_FORWARD.verbs;
const WANTED: &[Wanted] = access::PORT_FORWARD.targets;

impl Control for PortForward {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(t, cx, VERBS, WANTED, "its subjects can open connections to any port of the pods, bypassing Services and NetworkPolicies");
    }
}
