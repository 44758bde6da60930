use crate::pss::{frameworks, nsa, pss};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every volume whose source is not one of the types the `restricted` level allows:
    /// `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`,
    /// `persistentVolumeClaim`, `projected` and `secret`. The finding points at the volume's
    /// source field (`nfs`, `gitRepo`, `awsElasticBlockStore`, ...). A volume with only a
    /// `name` is an `emptyDir`, as the API server defaults it.
    ///
    /// Pod Security Admission's `restrictedVolumes` check also forbids `hostPath` and replaces
    /// `hostPathVolumes` at the `restricted` level. kubeward reports `hostPath` with KW103
    /// (`host-path-volume`) at every level, so this control leaves it out and each volume is
    /// reported once.
    ///
    /// ## Why it matters
    /// Volume types other than the ones above mount storage chosen by the pod author directly
    /// from the node or the network (NFS, iSCSI, cloud disks, Git repositories cloned by the
    /// kubelet), bypassing PersistentVolume access control, and several have had node-level
    /// vulnerabilities (`gitRepo`). The `restricted` level requires storage to come through
    /// PersistentVolumeClaims or ephemeral and projected sources.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: shared
    ///   nfs:                    # flagged
    ///     server: nfs.example.com
    ///     path: /exports
    /// - name: scratch           # fine: emptyDir by default
    /// ```
    ///
    /// ## How to fix
    /// Create a PersistentVolume (by an administrator or a StorageClass) for the storage and
    /// mount it through a `persistentVolumeClaim`, or use a `csi` or `ephemeral` volume.
    pub struct RestrictedVolumes;
    id: "KW204",
    name: "restricted-volume-types",
    title: "Pod uses a restricted volume type",
    severity: Medium,
    remediation: "Mount storage through a persistentVolumeClaim, csi or ephemeral volume instead of a direct volume source.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "restrictedVolumes", 0),
        &[nsa::POD_SECURITY],
        &[],
        &[],
    ),
}

const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

impl Control for RestrictedVolumes {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for (vol, path) in pod.volumes() {
            // The volume sources that are set (null means absent, as in Go).
            let sources: Vec<_> = vol
                .entries()
                .filter(|(k, v)| *k != "name" && !v.is_null())
                .collect();
            // No source: emptyDir by defaulting. An allowed source: fine.
            if sources.iter().any(|(k, _)| ALLOWED.contains(k)) {
                continue;
            }
            let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
            for (key, node) in sources {
                // hostPath is KW103's.
                if key == "hostPath" {
                    continue;
                }
                cx.report(
                    node,
                    path.key(key),
                    format!("volume \"{name}\" uses restricted volume type \"{key}\""),
                );
            }
        }
    }
}
