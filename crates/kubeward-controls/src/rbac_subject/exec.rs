use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may use `pods/exec`, `pods/attach` or `pods/portforward` (verbs
    /// `create` or `get`), and says in which namespaces.
    ///
    /// ## Why it matters
    /// Exec and attach run commands in a container, with its files, Secrets and service account
    /// token; port-forward opens connections to any port of a pod, past Services and
    /// NetworkPolicies.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: debug, namespace: payments}
    /// roleRef: {kind: Role, name: debugger}   # create pods/exec
    /// subjects:
    /// - kind: User      # flagged
    ///   name: bob
    /// ```
    ///
    /// ## How to fix
    /// Use ephemeral debug access granted for a time, or limit these permissions to namespaces
    /// without sensitive workloads.
    pub struct SubjectExecAttachPortForward;
    id: "KW654",
    name: "rbac-subject-exec",
    title: "Subject can exec into, attach to or port-forward to pods",
    severity: High,
    remediation: "Remove create and get on pods/exec, pods/attach and pods/portforward from the subject's roles, or grant them only in namespaces without sensitive workloads.",
    frameworks: frameworks(None, &[nsa::RBAC], &[], &[mitre::CONTAINER_ADMIN]),
}

impl Control for SubjectExecAttachPortForward {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::ExecAttachPortForward);
    }
}
