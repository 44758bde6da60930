use crate::pss::{frameworks, mitre, nsa, who};
use crate::workload::mitre as wl_mitre;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every `volumeMounts` item (in any container, including init and ephemeral
    /// containers) that mounts a `hostPath` volume without `readOnly: true`. The finding
    /// points at `readOnly` when it is written (`false` or null), else at the mount. Each
    /// mount is judged on its own: a volume mounted read-only in one container and
    /// read-write in another is flagged for the second.
    ///
    /// ## Why it matters
    /// A writable host directory lets the container change the node: plant a binary or a
    /// cron job, rewrite kubelet or runtime configuration, replace another pod's files, or
    /// fill the node's disk. Even a directory that looks harmless (`/var/log`, `/tmp`) can be
    /// turned into a path to other files through symlinks. KW103 reports the hostPath volume
    /// itself; this control reports the mounts that can write through it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: agent
    ///   image: registry.example.com/agent:1.2.3
    ///   volumeMounts:
    ///   - name: logs          # flagged: no readOnly: true
    ///     mountPath: /host/logs
    /// volumes:
    /// - name: logs
    ///   hostPath: {path: /var/log}
    /// ```
    ///
    /// ## How to fix
    /// Add `readOnly: true` to the mount (and, on Kubernetes 1.33+, `recursiveReadOnly:
    /// Enabled`), or replace the hostPath with an `emptyDir` or a PersistentVolumeClaim.
    pub struct WritableHostPath;
    id: "KW317",
    name: "writable-host-path",
    title: "Container mounts a hostPath volume read-write",
    severity: High,
    remediation: "Set readOnly: true on every volumeMount of a hostPath volume, or stop using hostPath.",
    frameworks: frameworks(
        None,
        &[nsa::POD_SECURITY, nsa::IMMUTABLE_FS],
        &["5.2.12"],
        &[mitre::ESCAPE_TO_HOST, wl_mitre::CREDENTIALS_IN_FILES],
    ),
}

impl Control for WritableHostPath {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        // name -> host path (if a string) of every hostPath volume.
        let host_volumes: Vec<(&str, Option<&str>)> = pod
            .volumes()
            .filter_map(|(v, _)| {
                let hp = v.get("hostPath").filter(|n| n.is_map())?;
                let name = v.get("name").and_then(|n| n.as_str())?;
                Some((name, hp.get("path").and_then(|p| p.as_str())))
            })
            .collect();
        if host_volumes.is_empty() {
            return;
        }
        for c in pod.containers() {
            let Some(mounts) = c.node.get("volumeMounts").filter(|n| n.is_seq()) else {
                continue;
            };
            let base = c.path.key("volumeMounts");
            for (i, m) in mounts.items().enumerate() {
                let Some(name) = m.get("name").and_then(|n| n.as_str()) else {
                    continue;
                };
                let Some((_, host)) = host_volumes.iter().find(|(v, _)| *v == name) else {
                    continue;
                };
                let read_only_field = m.get("readOnly");
                let read_only = read_only_field.filter(|n| !n.is_null());
                if read_only.and_then(|n| n.as_bool()) == Some(true) {
                    continue;
                }
                if read_only.is_some_and(|n| n.as_bool().is_none()) {
                    continue; // wrong type: the shape check's
                }
                let host = host
                    .map(|h| format!(" (host path \"{h}\")"))
                    .unwrap_or_default();
                let at = m
                    .get("mountPath")
                    .and_then(|p| p.as_str())
                    .map(|p| format!(" at \"{p}\""))
                    .unwrap_or_default();
                cx.report(
                    read_only_field.unwrap_or(m),
                    base.index(i).key("readOnly"),
                    format!(
                        "{} mounts hostPath volume \"{name}\"{host}{at} read-write",
                        who(&c)
                    ),
                );
            }
        }
    }
}
