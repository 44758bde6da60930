use crate::pss::{frameworks, mitre, nsa};
use crate::workload::{host_path_volumes, path_is_or_under};
use crate::{control, Context, Control, ControlMeta, Target};

/// Host paths that are, or hold, a container runtime's API socket, in their `/run` spelling.
/// `/var/run` is a symlink to `/run` on current distributions, and the kubelet resolves it on
/// the host, so a path under `/var/run` is compared as the same path under `/run`.
/// `/run/docker` holds the containerd socket that dockerd starts when no system containerd
/// runs; `/run/k3s/containerd` is the containerd of k3s and RKE2.
const RUNTIME_PATHS: [&str; 8] = [
    "/run/docker.sock",
    "/run/docker",
    "/run/containerd",
    "/run/k3s/containerd",
    "/run/crio",
    "/run/cri-dockerd.sock",
    "/run/dockershim.sock",
    "/run/podman",
];

/// The Windows named pipes of Docker and containerd, as a hostPath writes them
/// (`\\.\pipe\docker_engine`), with backslashes turned into slashes and in lower case.
const RUNTIME_PIPES: [&str; 2] = ["//./pipe/docker_engine", "//./pipe/containerd-containerd"];

/// Whether a host path is one of [`RUNTIME_PIPES`], in either slash and any case.
fn runtime_pipe(raw: &str) -> bool {
    let pipe = raw.trim().replace('\\', "/").to_ascii_lowercase();
    RUNTIME_PIPES.contains(&pipe.as_str())
}

/// Whether a host path exposes a container runtime's API: it is a runtime path, lies under
/// one, or is a directory that holds one. `normalized` is the path after
/// [`crate::workload::normalize_host_path`], `raw` as written (for Windows pipes).
fn exposes_runtime(raw: &str, normalized: &str) -> bool {
    if runtime_pipe(raw) {
        return true;
    }
    if !normalized.starts_with('/') {
        return false;
    }
    let p = if path_is_or_under(normalized, "/var/run") {
        format!("/run{}", &normalized["/var/run".len()..])
    } else {
        normalized.to_string()
    };
    RUNTIME_PATHS
        .iter()
        .any(|base| path_is_or_under(&p, base) || path_is_or_under(base, &p))
}

control! {
    /// ## What it does
    /// Flags every `hostPath` volume that exposes a container runtime's API socket:
    ///
    /// * the socket or its directory, or anything under them: `/var/run/docker.sock`,
    ///   `/var/run/docker` (the containerd that dockerd starts itself), `/var/run/containerd`,
    ///   `/var/run/k3s/containerd` (k3s, RKE2), `/var/run/crio`, `/var/run/cri-dockerd.sock`,
    ///   `/var/run/dockershim.sock`, `/var/run/podman`, and the same under `/run`;
    /// * a directory that holds them: `/`, `/run`, `/var/run` (a symlink to `/run`, which the
    ///   kubelet resolves on the host) and `/run/k3s`. `/var` is not flagged: `/var/run` is a
    ///   symlink there, and inside the container it resolves to the container's own `/run`;
    /// * on Windows, the named pipes `\\.\pipe\docker_engine` and
    ///   `\\.\pipe\containerd-containerd` (compared case-insensitively, either slash).
    ///
    /// Paths are normalised first (duplicate and trailing slashes, `.` and `..`), so
    /// `/var/run//docker.sock/` matches. A hostPath of `/` is also KW319's (sensitive host
    /// path); it is reported here too because it hands over the runtime socket as well.
    ///
    /// ## Why it matters
    /// The runtime's socket is its unauthenticated admin API. A container that can reach it
    /// starts a privileged container with the host's root filesystem mounted, and from there
    /// owns the node and every secret on it. It also bypasses admission control, since the
    /// API server never sees that container. Mounting it `readOnly` does not help: connecting
    /// to a Unix socket writes nothing to the filesystem, so a read-only mount of the socket,
    /// of `/run` or of `/` still reaches it; only the socket's file permissions (root, or
    /// the `docker` group) stand in the way.
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
            if exposes_runtime(v.raw, &v.normalized) {
                let shown = if v.raw == v.normalized || runtime_pipe(v.raw) {
                    format!("\"{}\"", v.raw)
                } else {
                    format!("\"{}\" (that is, \"{}\")", v.raw, v.normalized)
                };
                cx.report(
                    v.path_node,
                    v.field,
                    format!(
                        "volume \"{}\" mounts host path {shown}, which exposes the container runtime socket",
                        v.name
                    ),
                );
            }
        }
    }
}
