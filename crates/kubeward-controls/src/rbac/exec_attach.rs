use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create` or `get` (or `*`) on
    /// `pods/exec` or `pods/attach` (or `*`, `*/exec`, `*/attach`) in the core group. Both
    /// verbs count: `kubectl exec` uses `create` over SPDY and `get` over WebSockets.
    ///
    /// ## Why it matters
    /// `exec` runs any command inside a running container: the subject gets the
    /// container's files, environment variables (often credentials), network position and
    /// service account token. `attach` reaches the main process's terminal. In a
    /// namespace running privileged pods this is a path to the node.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/exec"]   # flagged
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## How to fix
    /// Keep exec and attach for break-glass roles bound on demand, and audit their use.
    pub struct ExecAttach;
    id: "KW609",
    name: "rbac-exec-attach",
    title: "RBAC rule allows exec or attach into pods",
    severity: High,
    remediation: "Remove pods/exec and pods/attach from the rule; use ephemeral debug access granted on demand.",
    frameworks: frameworks(None, &[nsa::RBAC], &[], &[mitre::CONTAINER_ADMIN]),
}

const VERBS: &[&str] = access::EXEC_ATTACH.verbs;
const WANTED: &[Wanted] = access::EXEC_ATTACH.targets;

impl Control for ExecAttach {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(t, cx, VERBS, WANTED, "its subjects can run commands in the pods' containers and act with their service account tokens");
    }
}
