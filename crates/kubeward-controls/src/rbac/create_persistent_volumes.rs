use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create` (or `*`) on `persistentvolumes`
    /// (or `*`) in the core group.
    ///
    /// ## Why it matters
    /// A PersistentVolume can be a `hostPath` (or `local`) volume: whoever creates one and
    /// binds a claim to it mounts a directory of the node, `/` included, into a pod, which
    /// Pod Security Admission does not see (the pod only names a claim). The CIS Benchmark
    /// asks to minimize access to create PersistentVolumes (5.1.9).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["persistentvolumes"]   # flagged
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## How to fix
    /// Provision volumes through StorageClasses and let users request them with
    /// PersistentVolumeClaims; keep `create` on PersistentVolumes for storage provisioners.
    pub struct CreatePersistentVolumes;
    id: "KW618",
    name: "rbac-create-persistent-volumes",
    title: "RBAC rule allows creating PersistentVolumes",
    severity: Medium,
    remediation: "Remove create on persistentvolumes; let users request storage with PersistentVolumeClaims and StorageClasses.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.9"], &[mitre::ESCAPE_TO_HOST]),
}

const VERBS: &[&str] = access::CREATE_PERSISTENT_VOLUMES.verbs;
const WANTED: &[Wanted] = access::CREATE_PERSISTENT_VOLUMES.targets;

impl Control for CreatePersistentVolumes {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can create hostPath volumes and mount node directories through a claim",
        );
    }
}
