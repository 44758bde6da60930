//! Workload hardening beyond the Pod Security Standards (KW3xx): images, resources,
//! service accounts, root, dangerous capabilities and mounts.
//!
//! Helpers shared by the family live here: image reference parsing ([`ImageRef`]), capability
//! normalisation ([`normalize_capability`]), host path normalisation ([`normalize_host_path`])
//! and the hostPath volume lookup the mount controls use.

use kubeward_model::{Container, ContainerKind, FieldPath, PodSpec};
use kubeward_yaml::NodeRef;

use crate::pss::{sc_wrong_type, who};
use crate::{Context, Control, Target};

pub mod apparmor_not_set;
pub mod bare_pod;
pub mod container_runtime_socket;
pub mod cpu_limits;
pub mod cpu_requests;
pub mod dangerous_capabilities;
pub mod default_namespace;
pub mod default_service_account;
pub mod deprecated_api_version;
pub mod empty_dir_size_limit;
pub mod image_digest;
pub mod image_pull_policy;
pub mod image_registry;
pub mod image_tag_mutable;
pub mod liveness_probe;
pub mod low_group_id;
pub mod low_user_id;
pub mod memory_limits;
pub mod memory_requests;
pub mod net_raw_not_dropped;
pub mod no_linux_hardening;
pub mod privileged_port;
pub mod readiness_probe;
pub mod readonly_root_fs;
pub mod run_as_root_group;
pub mod sensitive_host_path;
pub mod service_account_automount;
pub mod service_account_token;
pub mod share_process_namespace;
pub mod ssh_port;
pub mod sys_admin_capability;
pub mod writable_host_path;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &readonly_root_fs::ReadOnlyRootFilesystem,
    &cpu_requests::CpuRequestsMissing,
    &cpu_limits::CpuLimitsMissing,
    &memory_requests::MemoryRequestsMissing,
    &memory_limits::MemoryLimitsMissing,
    &image_tag_mutable::ImageTagMutable,
    &image_digest::ImageNotPinnedByDigest,
    &image_registry::ImageRegistryNotAllowed,
    &image_pull_policy::ImagePullPolicyNotAlways,
    &service_account_token::ServiceAccountTokenAutomounted,
    &default_service_account::DefaultServiceAccount,
    &service_account_automount::ServiceAccountAutomountOnSa,
    &run_as_root_group::RunAsRootGroup,
    &sys_admin_capability::SysAdminCapability,
    &dangerous_capabilities::DangerousCapabilities,
    &net_raw_not_dropped::NetRawNotDropped,
    &writable_host_path::WritableHostPath,
    &container_runtime_socket::ContainerRuntimeSocket,
    &sensitive_host_path::SensitiveHostPath,
    &share_process_namespace::ShareProcessNamespace,
    &default_namespace::DefaultNamespace,
    &deprecated_api_version::DeprecatedApiVersion,
    &bare_pod::BarePod,
    &empty_dir_size_limit::EmptyDirWithoutSizeLimit,
    &apparmor_not_set::AppArmorNotSet,
    &liveness_probe::LivenessProbeMissing,
    &readiness_probe::ReadinessProbeMissing,
    &low_user_id::LowUserId,
    &low_group_id::LowGroupId,
    &privileged_port::PrivilegedPort,
    &ssh_port::SshPort,
    &no_linux_hardening::NoLinuxHardening,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections this family maps to, beyond
/// [`crate::pss::nsa`].
pub mod nsa {
    pub const IMAGES: &str = "Pod security: building secure container images";
    pub const RESOURCE_POLICIES: &str = "Network separation and hardening: resource policies";
    pub const NAMESPACES: &str = "Network separation and hardening: namespaces";
    pub const RBAC: &str = "Authentication and authorization: role-based access control";
    pub const UPGRADING: &str = "Upgrading and application security practices";
    pub const THREAT_DETECTION: &str = "Audit logging and threat detection";
}

/// MITRE ATT&CK techniques (containers matrix) this family maps to, beyond
/// [`crate::pss::mitre`].
pub mod mitre {
    pub const MALICIOUS_IMAGE: &str = "T1204.003";
    pub const RESOURCE_HIJACKING: &str = "T1496";
    pub const ENDPOINT_DOS: &str = "T1499";
    pub const STEAL_APP_TOKEN: &str = "T1528";
    pub const VALID_ACCOUNTS: &str = "T1078";
    pub const CREDENTIALS_IN_FILES: &str = "T1552.001";
    pub const IMPAIR_DEFENSES: &str = "T1562.001";
}

/// A container image reference, split as the container runtime reads it
/// (`[registry/]path[:tag][@digest]`), with Docker Hub's defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry host (with port), lower case; `docker.io` when the reference has none.
    pub registry: String,
    /// The repository path inside the registry; `library/<name>` for Docker Hub images
    /// written without a namespace.
    pub path: String,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parse a reference. The first path component is a registry host when it contains a
    /// `.` or a `:`, is `localhost`, or has an upper-case letter (the rule of the Docker
    /// reference grammar, `splitDockerDomain`: repository paths are lower case, so
    /// `Registry/app` pulls from the host `Registry`); a `:` after the last `/` starts the
    /// tag, an `@` the digest. `None` for an empty reference.
    pub fn parse(image: &'a str) -> Option<ImageRef<'a>> {
        let image = image.trim();
        if image.is_empty() {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(&name[last_slash + i + 1..]).filter(|t| !t.is_empty()),
            ),
            None => (name, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (first.to_ascii_lowercase(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
            _ => registry,
        };
        let path = if registry == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Some(ImageRef {
            registry,
            path,
            tag,
            digest,
        })
    }

    /// `registry/path`, the form allowed-registry prefixes are matched against.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.path)
    }
}

/// A container's `image` string with its node, when it is a non-empty string.
pub(crate) fn image_of<'a>(c: &Container<'a>) -> Option<(NodeRef<'a>, &'a str)> {
    let node = c.node.get("image")?;
    let s = node.as_str()?;
    (!s.trim().is_empty()).then_some((node, s))
}

/// A capability as container runtimes accept it: upper case, without a `CAP_` prefix.
pub(crate) fn normalize_capability(cap: &str) -> String {
    let up = cap.trim().to_ascii_uppercase();
    match up.strip_prefix("CAP_") {
        Some(rest) => rest.to_string(),
        None => up,
    }
}

/// Each string item of a container's `securityContext.capabilities.<list>` (`add` or `drop`),
/// with its node and path.
pub(crate) fn capability_items<'a>(
    c: &Container<'a>,
    list: &str,
) -> Vec<(NodeRef<'a>, &'a str, FieldPath)> {
    let Some(items) = c.sc("capabilities").and_then(|caps| caps.get(list)) else {
        return Vec::new();
    };
    let base = c.sc_path().key("capabilities").key(list);
    items
        .items()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (n, s, base.index(i))))
        .collect()
}

/// A host path with duplicate and trailing slashes removed and `.`/`..` resolved lexically
/// (the API server refuses `..` in a hostPath, but a manifest may still hold one). Relative
/// paths stay relative; `/..` is `/`.
pub(crate) fn normalize_host_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Whether normalised `path` is `base` or lies under it.
pub(crate) fn path_is_or_under(path: &str, base: &str) -> bool {
    path == base
        || (base == "/" && path.starts_with('/'))
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A hostPath volume of the pod: its name, the `hostPath` node, the `path` node and its
/// raw and normalised text, and the volume's field path.
pub(crate) struct HostPathVolume<'a> {
    pub name: &'a str,
    pub path_node: NodeRef<'a>,
    pub raw: &'a str,
    pub normalized: String,
    pub field: FieldPath,
}

/// Every hostPath volume with a string `path`.
pub(crate) fn host_path_volumes<'a>(pod: &PodSpec<'a>) -> Vec<HostPathVolume<'a>> {
    let mut out = Vec::new();
    for (vol, field) in pod.volumes() {
        let Some(hp) = vol.get("hostPath").filter(|n| n.is_map()) else {
            continue;
        };
        let Some(path_node) = hp.get("path") else {
            continue;
        };
        let Some(raw) = path_node.as_str() else {
            continue;
        };
        out.push(HostPathVolume {
            name: vol.get("name").and_then(|n| n.as_str()).unwrap_or(""),
            path_node,
            raw,
            normalized: normalize_host_path(raw),
            field: field.key("hostPath").key("path"),
        });
    }
    out
}

/// Report each regular container of a long-running pod that has no `probe`
/// (`livenessProbe`, `readinessProbe`): an absent, null or empty probe (`{}`, which has no
/// handler) is missing. Pods that run to completion are left alone: Jobs and CronJobs, and
/// pods whose `restartPolicy` is `Never` or `OnFailure`. Init containers (sidecars included)
/// and ephemeral containers are not checked: the API refuses probes on most of them, and a
/// sidecar's probes are optional.
pub(crate) fn check_probe(t: &Target<'_>, cx: &mut Context<'_>, probe: &str) {
    let Some(pod) = &t.pod else { return };
    if t.object.group() == "batch" {
        return;
    }
    let restart = pod.field("restartPolicy").and_then(|n| n.as_str());
    if matches!(restart, Some("Never" | "OnFailure")) {
        return;
    }
    for c in pod
        .containers()
        .filter(|c| c.kind == ContainerKind::Container)
    {
        let node = c.node.get(probe);
        let set = node.is_some_and(|n| !(n.is_null() || (n.is_map() && n.is_empty())));
        // A probe of another type is the shape check's to report.
        if set || node.is_some_and(|n| !n.is_null() && !n.is_map()) {
            continue;
        }
        let how = if node.is_some() {
            "sets an empty"
        } else {
            "has no"
        };
        cx.report(
            node.unwrap_or(c.node),
            c.path.key(probe),
            format!("{} {how} {probe}", who(&c)),
        );
    }
}

/// The lowest user or group ID kubeward accepts: IDs below it are the range Linux
/// distributions give to system and login accounts on hosts (`SYS_UID_MAX`, `UID_MIN`..), so a
/// container process under such an ID that escapes is that host user.
pub(crate) const MIN_HOST_SAFE_ID: i64 = 10000;

/// Report every `securityContext.<key>` (`runAsUser`, `runAsGroup`) in force for some
/// container that is between 1 and [`MIN_HOST_SAFE_ID`] - 1: a container's own value, and the
/// pod's value when at least one container inherits it. 0 (root) is left to the controls for
/// root, and an unset ID (the image decides) is not judged. Windows pods (the fields are
/// forbidden there) and pods in a user namespace (`hostUsers: false`, IDs are remapped to
/// unprivileged host IDs) are skipped.
pub(crate) fn check_low_id(t: &Target<'_>, cx: &mut Context<'_>, key: &str) {
    let Some(pod) = &t.pod else { return };
    if pod.is_windows() || pod.host_users_false() {
        return;
    }
    let low = |n: NodeRef<'_>| n.as_i64().filter(|v| (1..MIN_HOST_SAFE_ID).contains(v));
    let mut inherited = false;
    for c in pod.containers() {
        match c.sc(key) {
            Some(n) => {
                if let Some(v) = low(n) {
                    cx.report(
                        n,
                        c.sc_path().key(key),
                        format!(
                            "{} sets securityContext.{key}={v}, below {MIN_HOST_SAFE_ID}: the ID of a host account",
                            who(&c)
                        ),
                    );
                }
            }
            None => inherited |= !sc_wrong_type(&c),
        }
    }
    if let Some(n) = pod.psc(key).filter(|_| inherited) {
        if let Some(v) = low(n) {
            cx.report(
                n,
                pod.psc_path().key(key),
                format!(
                    "pod sets securityContext.{key}={v}, below {MIN_HOST_SAFE_ID}: the ID of a host account"
                ),
            );
        }
    }
}

/// Each `ports[].containerPort` of every container (all three kinds), with its node, value,
/// protocol (`TCP` when unset) and path.
pub(crate) fn container_ports<'a>(
    pod: &PodSpec<'a>,
) -> Vec<(Container<'a>, NodeRef<'a>, i64, &'a str, FieldPath)> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let Some(ports) = c.node.get("ports").filter(|p| p.is_seq()) else {
            continue;
        };
        for (i, p) in ports.items().enumerate().filter(|(_, p)| p.is_map()) {
            let Some(node) = p.get("containerPort") else {
                continue;
            };
            let Some(port) = node.as_i64() else { continue };
            let protocol = p.get("protocol").and_then(|n| n.as_str()).unwrap_or("TCP");
            let path = c.path.key("ports").index(i).key("containerPort");
            out.push((c.clone(), node, port, protocol, path));
        }
    }
    out
}

/// Containers that can hold resources: regular and init containers (ephemeral containers
/// cannot set resources).
pub(crate) fn resource_containers<'a, 'p>(
    pod: &'p PodSpec<'a>,
) -> impl Iterator<Item = Container<'a>> + 'p {
    pod.containers()
        .filter(|c| c.kind != ContainerKind::EphemeralContainer)
}

/// `resources.<section>.<resource>` of a container, when set (not null).
pub(crate) fn container_resource<'a>(
    c: &Container<'a>,
    section: &str,
    resource: &str,
) -> Option<NodeRef<'a>> {
    c.node
        .get("resources")
        .and_then(|r| r.get(section))
        .and_then(|s| s.get(resource))
        .filter(|n| !n.is_null())
}

/// Pod-level `spec.resources.<section>.<resource>` (PodLevelResources), when set.
pub(crate) fn pod_resource<'a>(
    pod: &PodSpec<'a>,
    section: &str,
    resource: &str,
) -> Option<NodeRef<'a>> {
    pod.field("resources")
        .and_then(|r| r.get(section))
        .and_then(|s| s.get(resource))
        .filter(|n| !n.is_null())
}

/// Report each regular and init container that lacks `resources.<section>.<resource>`.
///
/// A missing request is not reported when the container sets the matching limit, because the
/// API server then defaults the request to the limit. Pod-level resources
/// (`spec.resources`, PodLevelResources) satisfy the check for every container: a pod-level
/// limit bounds them all, and a pod-level request or limit reserves for them.
pub(crate) fn check_resource(t: &Target<'_>, cx: &mut Context<'_>, section: &str, resource: &str) {
    let Some(pod) = &t.pod else { return };
    if pod_resource(pod, section, resource).is_some()
        || (section == "requests" && pod_resource(pod, "limits", resource).is_some())
    {
        return;
    }
    for c in resource_containers(pod) {
        if container_resource(&c, section, resource).is_some()
            || (section == "requests" && container_resource(&c, "limits", resource).is_some())
        {
            continue;
        }
        if !resources_well_typed(&c, section) {
            continue;
        }
        let (anchor, path) = nearest(&c, section, resource);
        cx.report(
            anchor,
            path.key(resource),
            format!("{} does not set resources.{section}.{resource}", who(&c)),
        );
    }
}

/// Whether `resources` and `resources.<section>` are absent, null or mappings (a wrong type
/// is the shape check's to report).
fn resources_well_typed(c: &Container<'_>, section: &str) -> bool {
    let ok = |n: Option<NodeRef<'_>>| n.is_none_or(|n| n.is_map() || n.is_null());
    let res = c.node.get("resources");
    ok(res) && ok(res.and_then(|r| r.get(section)))
}

/// The deepest existing node of `resources.<section>.<resource>` (an explicit null counts:
/// it is written down) and that section's path.
fn nearest<'a>(c: &Container<'a>, section: &str, resource: &str) -> (NodeRef<'a>, FieldPath) {
    let path = c.path.key("resources").key(section);
    let res = c.node.get("resources").filter(|n| n.is_map());
    let sec = res.and_then(|r| r.get(section));
    let anchor = sec
        .filter(|n| n.is_map())
        .and_then(|s| s.get(resource))
        .or(sec)
        .or(c.node.get("resources"))
        .unwrap_or(c.node);
    (anchor, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, Option<&str>, Option<&str>) {
        let r = ImageRef::parse(s).expect("parses");
        (r.registry, r.path, r.tag, r.digest)
    }

    #[test]
    fn image_references() {
        assert_eq!(
            parts("nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("nginx:1.25"),
            (
                "docker.io".into(),
                "library/nginx".into(),
                Some("1.25"),
                None
            )
        );
        assert_eq!(
            parts("bitnami/redis:latest"),
            (
                "docker.io".into(),
                "bitnami/redis".into(),
                Some("latest"),
                None
            )
        );
        assert_eq!(
            parts("registry:5000/app"),
            ("registry:5000".into(), "app".into(), None, None)
        );
        assert_eq!(
            parts("registry:5000/team/app:v1"),
            ("registry:5000".into(), "team/app".into(), Some("v1"), None)
        );
        assert_eq!(
            parts("localhost/app"),
            ("localhost".into(), "app".into(), None, None)
        );
        assert_eq!(
            parts("app@sha256:abcd"),
            (
                "docker.io".into(),
                "library/app".into(),
                None,
                Some("sha256:abcd")
            )
        );
        assert_eq!(
            parts("GHCR.io/acme/app:1@sha256:abcd"),
            (
                "ghcr.io".into(),
                "acme/app".into(),
                Some("1"),
                Some("sha256:abcd")
            )
        );
        assert_eq!(
            parts("index.docker.io/library/nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("Acme/app:1.0"),
            ("acme".into(), "app".into(), Some("1.0"), None),
            "an upper-case first component is a host, not a Docker Hub namespace"
        );
        assert_eq!(
            parts("acme/app:1.0"),
            ("docker.io".into(), "acme/app".into(), Some("1.0"), None)
        );
        assert!(ImageRef::parse("  ").is_none());
    }

    #[test]
    fn host_paths() {
        assert_eq!(normalize_host_path("/var/run/"), "/var/run");
        assert_eq!(
            normalize_host_path("//var//run/./docker.sock"),
            "/var/run/docker.sock"
        );
        assert_eq!(normalize_host_path("/var/lib/../run"), "/var/run");
        assert_eq!(normalize_host_path("/.."), "/");
        assert_eq!(normalize_host_path("/"), "/");
        assert_eq!(normalize_host_path("data/../x"), "x");
        assert!(path_is_or_under(
            "/run/containerd/containerd.sock",
            "/run/containerd"
        ));
        assert!(!path_is_or_under("/run/containerd2", "/run/containerd"));
        assert!(path_is_or_under("/etc", "/"));
    }

    #[test]
    fn capabilities() {
        assert_eq!(normalize_capability("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(normalize_capability("ALL"), "ALL");
        assert_eq!(normalize_capability(" Net_Raw "), "NET_RAW");
    }
}
