//! The edge rules, one function each, read from KubeHound's attack documentation
//! (`attacks-docs/*.md`, DataDog/KubeHound 53da187ac341) and decided from manifests alone.
//! Where kubeward departs from KubeHound's implementation the doc of the rule says so and why.

use kubeward_rbac::{RbacModel, Request, Rule};

use crate::facts::{
    ContainerFact, Location, MountFact, RootState, VolumeFact, VolumeSource, WorkloadFact,
};
use crate::graph::Evidence;

fn field(at: &Location) -> Evidence {
    Evidence::Field(at.clone())
}

/// CE_PRIV_MOUNT (T1611, container → node): a privileged container mounts the host's disk
/// and writes to it. Prerequisite: `privileged: true`.
pub fn ce_priv_mount(c: &ContainerFact) -> Option<Vec<Evidence>> {
    Some(vec![field(c.privileged.as_ref()?)])
}

/// CE_NSENTER (T1611, container → node): `nsenter --target 1` into the host's namespaces.
/// Prerequisites: `privileged: true` and `hostPID: true`.
pub fn ce_nsenter(w: &WorkloadFact, c: &ContainerFact) -> Option<Vec<Evidence>> {
    Some(vec![
        field(c.privileged.as_ref()?),
        field(w.host_pid.as_ref()?),
    ])
}

/// CE_MODULE_LOAD (T1611, container → node): load a kernel module. Prerequisite:
/// `CAP_SYS_MODULE`, which `privileged: true` includes (as KubeHound decides it).
pub fn ce_module_load(c: &ContainerFact) -> Option<Vec<Evidence>> {
    let at = c.cap("SYS_MODULE").or(c.privileged.as_ref())?;
    Some(vec![field(at)])
}

/// CE_SYS_PTRACE (T1611, container → node): ptrace a host process. Prerequisites:
/// `hostPID: true`, `SYS_PTRACE` and `SYS_ADMIN`, and no AppArmor confinement (the default
/// since Kubernetes 1.31 forbids ptrace outside the pod), so `appArmorProfile: Unconfined`;
/// or `privileged: true` with `hostPID`, which grants every capability and disables AppArmor
/// (the attack doc's alternative; KubeHound leaves it to CE_NSENTER). KubeHound also accepts
/// clusters older than 1.31 without the profile: manifests do not say the version.
pub fn ce_sys_ptrace(w: &WorkloadFact, c: &ContainerFact) -> Option<Vec<Evidence>> {
    let pid = w.host_pid.as_ref()?;
    if let Some(p) = &c.privileged {
        return Some(vec![field(pid), field(p)]);
    }
    Some(vec![
        field(pid),
        field(c.cap("SYS_PTRACE")?),
        field(c.cap("SYS_ADMIN")?),
        field(c.apparmor_unconfined.as_ref()?),
    ])
}

/// The container's writable hostPath mounts of one of `paths` (exact host paths: a parent
/// directory is listed itself).
fn host_mounts<'a>(
    w: &'a WorkloadFact,
    c: &'a ContainerFact,
    writable: bool,
    paths: &'a [&str],
) -> impl Iterator<Item = (&'a MountFact, &'a VolumeFact)> + 'a {
    c.mounts.iter().filter_map(move |m| {
        let v = w.volumes.iter().find(|v| v.name == m.volume)?;
        match &v.source {
            VolumeSource::HostPath(p) if paths.contains(&&**p) && (!writable || !m.read_only) => {
                Some((m, v))
            }
            _ => None,
        }
    })
}

/// Root is needed, and either written (`runAsUser: 0`) or the image's default.
fn root_evidence(c: &ContainerFact) -> Option<Evidence> {
    match c.root {
        RootState::NonRoot => None,
        RootState::Explicit => c.root_at.as_ref().map(field),
        RootState::ImageDefault => Some(Evidence::Kubernetes(
            "no runAsUser or runAsNonRoot: the container runs as the image's user, root for most images",
        )),
    }
}

/// `/proc/sys/kernel` or a parent, as KubeHound lists them.
pub const PROC_MOUNTS: &[&str] = &["/", "/proc", "/proc/sys", "/proc/sys/kernel"];

/// CE_UMH_CORE_PATTERN (T1611, container → node): write a `|program` to the host's
/// `/proc/sys/kernel/core_pattern`, which the kernel runs as root on a crash. Prerequisites:
/// the host's `/proc/sys/kernel` or a parent mounted writable, as root. KubeHound requires an
/// explicit `runAsUser: 0`; kubeward also takes an unset user (most images run as root) and
/// skips read-only mounts, which cannot be written.
pub fn ce_umh_core_pattern(w: &WorkloadFact, c: &ContainerFact) -> Option<Vec<Evidence>> {
    let (m, v) = host_mounts(w, c, true, PROC_MOUNTS).next()?;
    Some(vec![field(&m.at), field(&v.at), root_evidence(c)?])
}

/// `/var/log` or a parent.
pub const VAR_LOG_MOUNTS: &[&str] = &["/", "/var", "/var/log"];

/// CE_VAR_LOG_SYMLINK (T1611, container → node): replace a log file under the host's
/// `/var/log` by a symlink to any host file and read it through the kubelet (`kubectl logs`).
/// Prerequisites: the host's `/var/log` or a parent mounted writable, as root, and the
/// container's own identity may `get pods/log` in its namespace (`log_grant`, decided by the
/// RBAC authorizer).
pub fn ce_var_log_symlink(
    w: &WorkloadFact,
    c: &ContainerFact,
    log_grant: Option<Evidence>,
) -> Option<Vec<Evidence>> {
    let (m, v) = host_mounts(w, c, true, VAR_LOG_MOUNTS).next()?;
    Some(vec![
        field(&m.at),
        field(&v.at),
        root_evidence(c)?,
        log_grant?,
    ])
}

/// Host paths whose read gives SSH keys or credentials (KubeHound's `UnsafeReadMountlist`).
fn unsafe_read_path(p: &str) -> bool {
    matches!(p, "/" | "/home" | "/root" | "/root/.ssh" | "/proc" | "/etc")
        || p.strip_prefix("/home/")
            .and_then(|rest| rest.strip_suffix("/.ssh"))
            .is_some_and(|user| user.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// EXPLOIT_HOST_READ (T1611, volume → node): read SSH keys or credentials from a sensitive host
/// directory mounted read-only and log in to the node. Prerequisite: a read-only hostPath
/// mount of `/`, `/etc`, `/root`, `/root/.ssh`, `/home`, `/home/<user>/.ssh` or `/proc`
/// (a writable one is EXPLOIT_HOST_WRITE).
pub fn exploit_host_read(v: &VolumeFact, m: &MountFact) -> Option<Vec<Evidence>> {
    match &v.source {
        VolumeSource::HostPath(p) if m.read_only && unsafe_read_path(p) => {
            Some(vec![field(&v.at), field(&m.at)])
        }
        _ => None,
    }
}

/// Host paths KubeHound counts as safe to write (agent sockets and scratch space).
fn safe_write_path(p: &str) -> bool {
    matches!(
        p,
        "/var/run/datadog-agent"
            | "/etc/datadog-agent"
            | "/etc/datadog-agent/auth"
            | "/opt/datadog-agent/run"
            | "/etc/datadog"
            | "/run/xtables.lock"
            | "/opt/datadog/heapdumps"
            | "/var/datadog/dumps"
    ) || p.starts_with("/mnt/disks")
        || p.starts_with("/sys/kernel/debug")
        || p.starts_with("/tmp")
        || p.starts_with("/var/run/")
}

/// EXPLOIT_HOST_WRITE (T1611, volume → node): write to a host directory (a cron job, a
/// systemd unit, an SSH key) and run code on the node. Prerequisite: a writable hostPath
/// mount not on KubeHound's list of safe paths.
pub fn exploit_host_write(v: &VolumeFact, m: &MountFact) -> Option<Vec<Evidence>> {
    match &v.source {
        VolumeSource::HostPath(p) if !m.read_only && !safe_write_path(p) => {
            Some(vec![field(&v.at), field(&m.at)])
        }
        _ => None,
    }
}

/// EXPLOIT_HOST_TRAVERSE (T1552, volume → volume): a hostPath of `/var/lib/kubelet/pods` or a
/// parent (even read-only) holds the service account tokens of every pod of the node.
/// Prerequisite: such a mount. Which other pods share the node is not in the manifests, so
/// the edges go to the token volumes of the same pod only.
pub fn exploit_host_traverse(v: &VolumeFact) -> Option<Vec<Evidence>> {
    match &v.source {
        VolumeSource::HostPath(p)
            if matches!(&**p, "/" | "/var" | "/var/lib" | "/var/lib/kubelet")
                || p.starts_with("/var/lib/kubelet/pods") =>
        {
            Some(vec![field(&v.at)])
        }
        _ => None,
    }
}

/// Container runtime sockets (and their parent directories).
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/dockershim.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/var/run/docker.sock",
    "/run/docker.sock",
];

/// EXPLOIT_CONTAINERD_SOCK (T1610, volume → node): through a mounted container runtime socket,
/// start a privileged container on the node. Prerequisite: a hostPath mount (read-only works
/// too) of a runtime socket or a directory holding one. KubeHound draws it container →
/// container and does not compute it; kubeward goes to the node, which the new container owns.
pub fn exploit_containerd_sock(v: &VolumeFact) -> Option<Vec<Evidence>> {
    let VolumeSource::HostPath(p) = &v.source else {
        return None;
    };
    let holds = |sock: &str| {
        sock == &**p
            || (&**p == "/")
            || sock
                .strip_prefix(&**p)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    RUNTIME_SOCKETS
        .iter()
        .any(|s| holds(s))
        .then(|| vec![field(&v.at)])
}

/// SHARE_PS_NAMESPACE (T1080, container → container): with `shareProcessNamespace: true` every
/// container sees (and, as the same user, can ptrace or read `/proc/<pid>/root` of) the
/// others. Prerequisite: the pod field.
pub fn share_ps_namespace(w: &WorkloadFact) -> Option<Vec<Evidence>> {
    Some(vec![field(w.share_process_namespace.as_ref()?)])
}

/// Which names an RBAC rule allows a request for: all, or only its `resourceNames`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Names {
    All,
    Only(Vec<String>),
}

/// Whether `rule` allows `verb` on `group`/`resource` (`resource/subresource`), and for which
/// names, exactly as the RBAC authorizer matches rules.
pub fn allows(rule: &Rule, verb: &str, group: &str, resource: &str) -> Option<Names> {
    let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
    let mut req = Request::resource(verb, group, res, "x");
    if let kubeward_rbac::Target::Resource { subresource, .. } = &mut req.target {
        *subresource = sub.to_string();
    }
    if RbacModel::rule_allows(rule, &req) {
        return Some(Names::All);
    }
    let first = rule.resource_names.first()?;
    if let kubeward_rbac::Target::Resource { name, .. } = &mut req.target {
        *name = first.clone();
    }
    RbacModel::rule_allows(rule, &req).then(|| Names::Only(rule.resource_names.clone()))
}

/// The first of several requests a rule allows.
fn allows_any(rule: &Rule, verbs: &[&str], targets: &[(&str, &str)]) -> Option<Names> {
    verbs
        .iter()
        .flat_map(|v| targets.iter().map(move |(g, r)| (v, g, r)))
        .find_map(|(v, g, r)| allows(rule, v, g, r))
}

/// Pods and the controllers that make them.
pub const POD_BEARING: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// POD_EXEC (T1609, permission set → pods): `create pods/exec` (or `pods/attach`) runs
/// commands in any container of the scope's pods. KubeHound checks `pods/exec` only.
pub fn pod_exec(rule: &Rule) -> Option<Names> {
    allows_any(rule, &["create"], &[("", "pods/exec"), ("", "pods/attach")])
}

/// POD_PATCH (T1609, permission set → pods): `patch` or `update` on pods or their controllers
/// changes what runs in them (a new image, a privileged container).
pub fn pod_patch(rule: &Rule) -> Option<Names> {
    allows_any(rule, &["patch", "update"], POD_BEARING)
}

/// POD_CREATE (T1610, permission set → any node, and the scope's service accounts): create a
/// privileged pod (directly or through a controller) on a node of one's choice, running as any
/// service account of the namespace. A `create` request has no name, so `resourceNames`
/// never allows it.
pub fn pod_create(rule: &Rule) -> bool {
    allows_any(rule, &["create"], POD_BEARING) == Some(Names::All)
}

/// TOKEN_LIST (T1528, permission set → service accounts): `list secrets` returns every Secret
/// with its data, service account token Secrets included.
pub fn token_list(rule: &Rule) -> bool {
    allows(rule, "list", "", "secrets") == Some(Names::All)
}

/// TOKEN_BRUTEFORCE (T1528, permission set → service accounts): `get secrets` on guessed
/// names (`<sa>-token-xxxxx`: 5 characters from 27) finds token Secrets.
pub fn token_bruteforce(rule: &Rule) -> bool {
    allows(rule, "get", "", "secrets") == Some(Names::All)
}

/// SECRET_READ (kubeward; T1552.007): `get`, `list` or `watch` on Secrets reads their data.
pub fn secret_read(rule: &Rule) -> Option<Names> {
    allows_any(rule, &["get", "list", "watch"], &[("", "secrets")])
}

/// IDENTITY_IMPERSONATE (T1078, permission set → identities): the `impersonate` verb on
/// `users`, `groups` or `serviceaccounts` acts as them (`kubectl --as`). Users and groups are
/// cluster-scoped: only a ClusterRoleBinding grants their impersonation.
pub fn identity_impersonate(rule: &Rule, resource: &str) -> Option<Names> {
    allows(rule, "impersonate", "", resource)
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// ROLE_BIND parts (T1078): creating bindings, and `bind` on roles or cluster roles.
pub fn create_bindings(rule: &Rule, cluster: bool) -> bool {
    let resource = if cluster {
        "clusterrolebindings"
    } else {
        "rolebindings"
    };
    allows(rule, "create", RBAC, resource) == Some(Names::All)
}

/// `bind` on ClusterRoles (`cluster_roles`) or Roles, for which names.
pub fn bind_roles(rule: &Rule, cluster_roles: bool) -> Option<Names> {
    let resource = if cluster_roles {
        "clusterroles"
    } else {
        "roles"
    };
    allows(rule, "bind", RBAC, resource)
}
