use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that does not hold cluster-admin-equivalent permissions itself but can
    /// reach them through a chain of steps, each allowed by its own permissions: creating pods,
    /// exec or reading token Secrets in a namespace (acting as its service accounts), creating
    /// service account tokens, impersonating users, groups or service accounts, binding
    /// `cluster-admin`, escalating a role it is bound to, approving a client certificate for
    /// `system:masters`, or `nodes/proxy`. The message gives the shortest path; `kubeward rbac paths`
    /// prints each step with the rule and binding behind it.
    ///
    /// ## Why it matters
    /// Least privilege is only as strong as its weakest link: a CI service account that may
    /// create pods in `kube-system` is as powerful as the most powerful service account there. These
    /// chains span several roles and bindings, so no single-role check sees them.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: ci, namespace: kube-system}
    /// roleRef: {kind: ClusterRole, name: pod-creator}   # create pods
    /// subjects:
    /// - kind: ServiceAccount    # flagged: creates a pod as kube-system/operator,
    ///   name: ci                # which is bound to cluster-admin
    ///   namespace: ci
    /// ```
    ///
    /// ## How to fix
    /// Remove the permission behind the first step, or the power of the identity it leads to;
    /// keep workloads with powerful service accounts in namespaces nobody else can deploy to.
    pub struct SubjectEscalationPath;
    id: "KW651",
    name: "rbac-subject-escalation-path",
    title: "Subject can escalate to cluster-admin-equivalent power",
    severity: Critical,
    remediation: "Break the path: remove the permission behind its first step (`kubeward rbac paths` shows every step with its rule and binding).",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectEscalationPath {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::EscalationPath);
    }
}
