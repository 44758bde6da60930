use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may create PersistentVolumes, through a ClusterRoleBinding
    /// (PersistentVolumes are cluster-scoped).
    ///
    /// ## Why it matters
    /// A PersistentVolume can be a `hostPath` on any node: claiming it mounts the node's files
    /// into a pod, past Pod Security Admission's checks on the pod itself.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {kind: ClusterRole, name: storage-admin}   # create persistentvolumes
    /// subjects:
    /// - kind: Group     # flagged
    ///   name: developers
    /// ```
    ///
    /// ## How to fix
    /// Use StorageClasses and dynamic provisioning; keep PersistentVolume creation for the
    /// provisioner.
    pub struct SubjectCreatePersistentVolumes;
    id: "KW662",
    name: "rbac-subject-create-persistent-volumes",
    title: "Subject can create PersistentVolumes",
    severity: Medium,
    remediation: "Remove create on persistentvolumes from the subject's roles; let a provisioner create volumes from PersistentVolumeClaims.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.9"], &[mitre::ESCAPE_TO_HOST]),
}

impl Control for SubjectCreatePersistentVolumes {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::CreatePersistentVolumes);
    }
}
