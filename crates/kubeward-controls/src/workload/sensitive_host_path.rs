use crate::pss::{frameworks, mitre, nsa};
use crate::workload::{host_path_volumes, mitre as wl_mitre, path_is_or_under};
use crate::{control, Context, Control, ControlMeta, Target};

/// Host directories flagged when mounted themselves or anything under them: every file
/// below them is sensitive.
const SENSITIVE_TREES: [&str; 9] = [
    "/proc",
    "/boot",
    "/root",
    "/home",
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
];

/// Host directories flagged only when mounted themselves: some of their subpaths are
/// commonly and reasonably mounted read-only by node agents (`/etc/ssl/certs`,
/// `/etc/localtime`, `/sys/fs/cgroup`, `/dev/fuse`).
const SENSITIVE_DIRS: [&str; 4] = ["/", "/etc", "/sys", "/dev"];

control! {
    /// ## What it does
    /// Flags every `hostPath` volume whose path is a sensitive directory of the node:
    ///
    /// * `/proc`, `/boot`, `/root`, `/home`, `/var/lib/kubelet`, `/var/lib/etcd`,
    ///   `/var/lib/docker`, `/var/lib/containerd` and `/etc/kubernetes`, or anything under
    ///   them;
    /// * `/`, `/etc`, `/sys` and `/dev` themselves. Their subpaths are not flagged here,
    ///   because node agents commonly mount some of them read-only (`/etc/ssl/certs`,
    ///   `/sys/fs/cgroup`); KW103 reports every hostPath and KW317 every writable one.
    ///
    /// Paths are normalised first (duplicate and trailing slashes, `.` and `..`), so
    /// `/etc/`, `//etc` and `/var/../etc` are `/etc`. Runtime sockets are KW318's (which
    /// also reports `/`, since it holds them).
    ///
    /// ## Why it matters
    /// These directories hold the node's credentials and its control: kubelet and
    /// control-plane kubeconfigs and PKI (`/etc/kubernetes`, `/var/lib/kubelet`, which also
    /// holds every pod's mounted secrets), etcd's data, that is every Secret of the cluster
    /// (`/var/lib/etcd`), every container's filesystem
    /// (`/var/lib/docker`, `/var/lib/containerd`), users' SSH keys (`/root`, `/home`),
    /// the kernel and bootloader (`/boot`), the host's processes and kernel tunables
    /// (`/proc`, `/sys`) and its devices (`/dev`). Reading them leaks credentials; writing
    /// them is an escape.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: kubelet
    ///   hostPath:
    ///     path: /var/lib/kubelet/pods   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Mount only the narrowest path the workload needs, read-only, or get the data another
    /// way (the Kubernetes API, a CSI driver, the downward API). Node agents that need these
    /// paths belong in a dedicated namespace with an admission exemption.
    pub struct SensitiveHostPath;
    id: "KW319",
    name: "sensitive-host-path",
    title: "Pod mounts a sensitive host path",
    severity: High,
    remediation: "Remove the hostPath volume of the sensitive host directory, or narrow it and mount it read-only.",
    frameworks: frameworks(
        None,
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.12"],
        &[mitre::ESCAPE_TO_HOST, wl_mitre::CREDENTIALS_IN_FILES],
    ),
}

impl Control for SensitiveHostPath {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for v in host_path_volumes(pod) {
            let p = v.normalized.as_str();
            let hit = SENSITIVE_DIRS
                .iter()
                .chain(SENSITIVE_TREES.iter())
                .find(|base| {
                    if SENSITIVE_DIRS.contains(base) {
                        p == **base
                    } else {
                        path_is_or_under(p, base)
                    }
                });
            if let Some(base) = hit {
                let shown = if v.raw == p {
                    format!("\"{p}\"")
                } else {
                    format!("\"{}\" (that is, \"{p}\")", v.raw)
                };
                let under = if p == *base {
                    String::new()
                } else {
                    format!(", under \"{base}\"")
                };
                cx.report(
                    v.path_node,
                    v.field,
                    format!(
                        "volume \"{}\" mounts sensitive host path {shown}{under}",
                        v.name
                    ),
                );
            }
        }
    }
}
