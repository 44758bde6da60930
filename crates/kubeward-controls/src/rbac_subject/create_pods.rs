use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may create pods, directly or through a workload controller
    /// (Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers),
    /// and says in which namespaces.
    ///
    /// ## Why it matters
    /// A pod runs as any service account of its namespace: who may create pods in a namespace
    /// holds the permissions of every service account there, and can mount their tokens. Without
    /// Pod Security Admission, a pod can also be privileged and take over its node.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: edit}
    /// subjects:
    /// - kind: Group    # flagged: can create pods cluster-wide
    ///   name: developers
    /// ```
    ///
    /// ## How to fix
    /// Grant pod creation only in the namespaces the subject deploys to, keep powerful service
    /// accounts out of them, and enforce Pod Security Admission.
    pub struct SubjectCreatePods;
    id: "KW653",
    name: "rbac-subject-create-pods",
    title: "Subject can create pods",
    severity: High,
    remediation: "Remove create on pods and workload controllers from the subject's roles unless it deploys workloads, and restrict what it may run with Pod Security Admission.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.4"], &[mitre::DEPLOY_CONTAINER, mitre::ESCAPE_TO_HOST]),
}

impl Control for SubjectCreatePods {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::CreatePods);
    }
}
