use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create` (or `*`) on `pods` or on a
    /// workload controller that creates pods: `replicationcontrollers` (core), `deployments`,
    /// `daemonsets`, `statefulsets`, `replicasets` (`apps`, and the old `extensions`), `jobs`
    /// and `cronjobs` (`batch`). A rule limited by `resourceNames` does not grant `create`
    /// (a create request carries no name) and is not flagged.
    ///
    /// ## Why it matters
    /// Whoever can create a pod can run it as any service account of the namespace (and
    /// read its token), mount any Secret or ConfigMap of the namespace, and, unless Pod
    /// Security Admission forbids it, run it privileged or with `hostPath: /` to take over
    /// the node. Creating a Deployment or Job is the same power one step removed. The CIS
    /// Benchmark asks to minimize access to create pods (5.1.4).
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]   # flagged
    ///   verbs: ["create", "update"]
    /// ```
    ///
    /// ## How to fix
    /// Grant `create` only to deployment pipelines and operators that need it, in the
    /// namespaces they manage, and enforce the `restricted` Pod Security Standard there.
    pub struct CreatePods;
    id: "KW608",
    name: "rbac-create-pods",
    title: "RBAC rule allows creating pods or workloads",
    severity: High,
    remediation: "Remove create on pods and workload controllers from the rule unless the subject deploys workloads, and restrict what it may run with Pod Security Admission.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.4"], &[mitre::DEPLOY_CONTAINER, mitre::ESCAPE_TO_HOST]),
}

const VERBS: &[&str] = access::CREATE_WORKLOADS.verbs;
const WANTED: &[Wanted] = access::CREATE_WORKLOADS.targets;

impl Control for CreatePods {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(t, cx, VERBS, WANTED, "its subjects can run pods, with any service account and mount of the namespace the pod security level allows");
    }
}
