use crate::pss::{frameworks, mitre, nsa};
use crate::workload::{host_path_volumes, path_is_or_under};
use crate::{control, Context, Control, ControlMeta, Target};

/// Host paths that are, or hold, a container runtime's API socket: a path equal to one of
/// these or under it is flagged. `/var/run` is a symlink to `/run` on current distributions,
/// so both spellings are listed.
const RUNTIME_PATHS: [&str; 12] = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
    "/run/crio",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
    "/run/dockershim.sock",
    "/var/run/podman",
    "/run/podman",
];

/// Directories that hold all of the sockets: flagged only when mounted themselves.
const RUNTIME_PARENTS: [&str; 2] = ["/var/run", "/run"];

control! {
    /// ## What it does
    /// Flags every `hostPath` volume whose path is a container runtime's socket or socket
    /// directory, or lies under one: `/var/run/docker.sock`, `/var/run/containerd`,
    /// `/var/run/crio`, `/var/run/cri-dockerd.sock`, `/var/run/dockershim.sock`,
    /// `/var/run/podman`, and the same under `/run`. A hostPath of `/var/run` or `/run`
    /// itself is flagged too, since it exposes all of them. Paths are normalised first
    /// (duplicate and trailing slashes, `.` and `..`), so `/var/run//docker.sock/` matches.
    ///
    /// ## Why it matters
    /// The runtime's socket is its unauthenticated admin API. A container that can reach it
    /// starts a privileged container with the host's root filesystem mounted, and from there
    /// owns the node and every secret on it. It also bypasses admission control, since the
    /// API server never sees that container.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Do not mount runtime sockets. Build images with a daemonless builder (BuildKit
    /// rootless, kaniko), and read container metadata from the Kubernetes API or the kubelet
    /// instead of the runtime.
    pub struct ContainerRuntimeSocket;
    id: "KW318",
    name: "container-runtime-socket",
    title: "Pod mounts the container runtime socket",
    severity: Critical,
    remediation: "Remove the hostPath volume that exposes the container runtime socket.",
    frameworks: frameworks(
        None,
        &[nsa::POD_SECURITY, nsa::HARDENING],
        &["5.2.12"],
        &[mitre::ESCAPE_TO_HOST, mitre::CONTAINER_ADMIN, mitre::DEPLOY_CONTAINER],
    ),
}

impl Control for ContainerRuntimeSocket {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for v in host_path_volumes(pod) {
            let p = v.normalized.as_str();
            let hit = RUNTIME_PATHS.iter().any(|base| path_is_or_under(p, base))
                || RUNTIME_PARENTS.contains(&p);
            if hit {
                cx.report(
                    v.path_node,
                    v.field,
                    format!(
                        "volume \"{}\" mounts host path \"{}\", which exposes the container runtime socket",
                        v.name, v.raw
                    ),
                );
            }
        }
    }
}
