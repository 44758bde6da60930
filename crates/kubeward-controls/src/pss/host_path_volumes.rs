use crate::pss::{frameworks, mitre, nsa, pss};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every volume that uses a `hostPath` source, at the `hostPath` field.
    ///
    /// ## Why it matters
    /// A `hostPath` volume mounts a file or directory of the node into the container. Mounting
    /// `/`, `/etc`, `/var/lib/kubelet` or the container runtime's socket hands the container
    /// the node: credentials, other pods' secrets, or the ability to start privileged
    /// containers. Even a "harmless" path can be swapped for a symlink. The Pod Security
    /// Standards forbid `hostPath` at the `baseline` level (check `hostPathVolumes`).
    ///
    /// At the `restricted` level Pod Security Admission replaces this check with
    /// `restrictedVolumes`, which also forbids `hostPath`. kubeward reports `hostPath` only
    /// here; KW204 (`restricted-volume-types`) reports the other restricted volume types, so a
    /// restricted scan reports each volume once.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:              # flagged
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## How to fix
    /// Use an `emptyDir`, a `configMap`/`secret`, or a PersistentVolumeClaim. Node agents that
    /// need host files belong in a namespace exempted from the Pod Security Standards.
    pub struct HostPathVolumes;
    id: "KW103",
    name: "host-path-volume",
    title: "Pod mounts a hostPath volume",
    severity: High,
    remediation: "Replace the hostPath volume with an emptyDir, configMap, secret or PersistentVolumeClaim.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "hostPathVolumes", 0),
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.12"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for HostPathVolumes {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for (vol, path) in pod.volumes() {
            let Some(hp) = vol.get("hostPath").filter(|n| n.is_map()) else {
                continue;
            };
            let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let host = match hp.get("path").and_then(|n| n.as_str()) {
                Some(p) => format!(" (host path \"{p}\")"),
                None => String::new(),
            };
            cx.report(
                hp,
                path.key("hostPath"),
                format!("volume \"{name}\" must not use a hostPath volume{host}"),
            );
        }
    }
}
