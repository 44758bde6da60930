//! The CIS Kubernetes Benchmark, sections 1 to 4, as data.
//!
//! Each [`Check`] is one recommendation: its ID and title as the benchmark words them, whether
//! the benchmark calls it Automated or Manual, a severity (kubeward's, for `--fail-on`), what
//! to test, and the remediation. A test is one of a few kinds ([`Test`]): conditions on
//! component settings ([`Cond`] on a [`Setting`]), a file's mode or owner ([`FileTest`]), the
//! API server's EncryptionConfiguration ([`Test::Encryption`]), or nothing automatable
//! ([`Test::Manual`]). `kubeward node` evaluates every kind;
//! `kubeward scan` evaluates the flag conditions over static pod manifests (KW920-KW923).
//!
//! Sources: CIS Kubernetes Benchmark v1.12.0 (Kubernetes v1.32) and v1.10.0 (Kubernetes
//! v1.28), recommendation by recommendation as kube-bench's `cfg/cis-1.12` and `cfg/cis-1.10`
//! encode them; the two differ in 1.2.29 and 4.2.12 (cipher lists) and in 1.2.30 and 4.2.14
//! (new in v1.12.0). Where kube-bench passes an unset flag whose default is insecure
//! (1.3.7, 1.4.2: `--bind-address` defaults to 0.0.0.0), kubeward evaluates the value the
//! component actually uses, default included, as the benchmark's audit text describes.

use std::str::FromStr;

use super::flags::{parse_bool, Component};
use crate::Severity;

/// A benchmark version `--benchmark` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Benchmark {
    Cis1_10,
    Cis1_12,
}

impl Benchmark {
    pub const LATEST: Benchmark = Benchmark::Cis1_12;
    pub const ALL: [Benchmark; 2] = [Benchmark::Cis1_12, Benchmark::Cis1_10];

    /// The name `--benchmark` takes (kube-bench's names).
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Cis1_10 => "cis-1.10",
            Benchmark::Cis1_12 => "cis-1.12",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Benchmark::Cis1_10 => "CIS Kubernetes Benchmark v1.10.0",
            Benchmark::Cis1_12 => "CIS Kubernetes Benchmark v1.12.0",
        }
    }

    /// The Kubernetes version the benchmark was written for.
    pub fn kubernetes(self) -> &'static str {
        match self {
            Benchmark::Cis1_10 => "v1.28",
            Benchmark::Cis1_12 => "v1.32",
        }
    }

    /// The benchmark's checks, in benchmark order.
    pub fn checks(self) -> impl Iterator<Item = &'static Check> {
        CHECKS
            .iter()
            .filter(move |c| c.only.is_empty() || c.only.contains(&self))
    }
}

impl FromStr for Benchmark {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" | "cis-1.12" | "1.12" | "v1.12.0" => Ok(Benchmark::Cis1_12),
            "cis-1.10" | "1.10" | "v1.10.0" => Ok(Benchmark::Cis1_10),
            _ => Err(format!(
                "unknown benchmark {s:?} (expected cis-1.12 or cis-1.10, or latest)"
            )),
        }
    }
}

/// A section or group heading of the benchmark.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
}

pub static SECTIONS: &[Section] = &[
    Section {
        id: "1",
        title: "Control Plane Security Configuration",
    },
    Section {
        id: "1.1",
        title: "Control Plane Node Configuration Files",
    },
    Section {
        id: "1.2",
        title: "API Server",
    },
    Section {
        id: "1.3",
        title: "Controller Manager",
    },
    Section {
        id: "1.4",
        title: "Scheduler",
    },
    Section {
        id: "2",
        title: "Etcd Node Configuration",
    },
    Section {
        id: "3",
        title: "Control Plane Configuration",
    },
    Section {
        id: "3.1",
        title: "Authentication and Authorization",
    },
    Section {
        id: "3.2",
        title: "Logging",
    },
    Section {
        id: "4",
        title: "Worker Node Security Configuration",
    },
    Section {
        id: "4.1",
        title: "Worker Node Configuration Files",
    },
    Section {
        id: "4.2",
        title: "Kubelet",
    },
    Section {
        id: "4.3",
        title: "kube-proxy",
    },
];

/// The title of a section or group ID.
pub fn section_title(id: &str) -> &'static str {
    SECTIONS.iter().find(|s| s.id == id).map_or("", |s| s.title)
}

/// One recommendation.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    /// The recommendation's title, without the "(Automated)"/"(Manual)" suffix.
    pub title: &'static str,
    /// The benchmark says "(Automated)": a failure is a FAIL. A Manual recommendation that
    /// kubeward can still test gives WARN on failure, as kube-bench does.
    pub automated: bool,
    pub severity: Severity,
    /// The benchmarks that have this check; empty means all of them.
    pub only: &'static [Benchmark],
    pub test: Test,
    pub remediation: &'static str,
}

impl Check {
    /// `1.2` for `1.2.3`; `2` for `2.1` (section 2 has no groups).
    pub fn group(&self) -> &'static str {
        let (head, _) = self.id.rsplit_once('.').unwrap_or((self.id, ""));
        head
    }

    /// `1` for `1.2.3`.
    pub fn section(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }

    /// Sections 1 to 3 concern control-plane nodes, section 4 every node.
    pub fn is_control_plane(&self) -> bool {
        self.section() != "4"
    }

    /// `1.2.1 Ensure that ... (Automated)` as the benchmark prints it.
    pub fn full_title(&self) -> String {
        let kind = if self.automated {
            "Automated"
        } else {
            "Manual"
        };
        format!("{} ({kind})", self.title)
    }
}

/// What a check tests.
#[derive(Debug)]
pub enum Test {
    /// All of these conditions on component settings hold.
    Flags(&'static [FlagTest]),
    File(FileTest),
    /// The API server's EncryptionConfiguration, the file `--encryption-provider-config`
    /// names, read from the node: kubeward decides these itself, so a failure is FAIL even
    /// though the benchmark calls them Manual.
    Encryption(EncryptionTest),
    /// Needs a human: reported MANUAL with the remediation.
    Manual,
}

/// What [`Test::Encryption`] requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptionTest {
    /// 1.2.27: `--encryption-provider-config` names a readable EncryptionConfiguration.
    ConfigSet,
    /// 1.2.28: the provider that writes Secrets (the first provider of the first resource
    /// entry that covers `secrets`) encrypts: not `identity`, and some entry covers them.
    SecretsEncrypted,
}

/// A component setting: a flag, and for components with a config file (kubelet `--config`,
/// kube-proxy `--config`) the field of that file that sets the same thing (dotted path). A
/// flag overrides the file, as the components do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    pub component: Component,
    /// Without dashes.
    pub flag: &'static str,
    pub config: Option<&'static str>,
}

impl Setting {
    /// `--anonymous-auth` (or `--anonymous-auth / authentication.anonymous.enabled`).
    pub fn describe(&self) -> String {
        match self.config {
            Some(path) => format!("--{} / {path}", self.flag),
            None => format!("--{}", self.flag),
        }
    }
}

#[derive(Debug)]
pub struct FlagTest {
    pub at: Setting,
    pub cond: Cond,
}

/// A condition on a setting's value. `Set`/`Unset` look at whether the setting is given
/// explicitly; every other condition at the value in effect, the component's default when
/// nothing sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    Set,
    Unset,
    /// Equal (booleans compared as Go reads them: `1`, `t`, `True`...).
    Is(&'static str),
    IsNot(&'static str),
    /// A comma-separated list that includes the item.
    Has(&'static str),
    /// A comma-separated list that does not include the item (holds when unset).
    Lacks(&'static str),
    /// A number at least this.
    AtLeast(i64),
    /// A non-empty list whose every element is one of these.
    OnlyFrom(&'static [&'static str]),
    /// A duration other than zero (`0`, `0s`, `0m0s`).
    NonZeroDuration,
    /// A feature-gate list that does not set this gate to false.
    GateNotDisabled(&'static str),
    /// An address (`host` or `host:port`) on the loopback interface.
    Loopback,
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn same(value: &str, want: &str) -> bool {
    match (parse_bool(value), parse_bool(want)) {
        (Some(a), Some(b)) => a == b,
        _ => value == want,
    }
}

/// Every number in a Go duration is zero. (No crate reads Go's duration syntax, and zero is
/// all this needs to know.)
fn is_zero_duration(value: &str) -> bool {
    value.chars().any(|c| c.is_ascii_digit())
        && value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.')
            .all(|c| c == '0' || c == '.')
}

fn host_of(address: &str) -> &str {
    let a = address.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match a.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => a,
    }
}

impl Cond {
    /// Whether the condition holds: `explicit` is what a flag or the config file sets,
    /// `effective` the value in effect (explicit, else the default).
    pub fn holds(&self, explicit: Option<&str>, effective: Option<&str>) -> bool {
        match *self {
            Cond::Set => explicit.is_some_and(|v| !v.trim().is_empty()),
            Cond::Unset => explicit.is_none(),
            Cond::Is(want) => effective.is_some_and(|v| same(v, want)),
            Cond::IsNot(bad) => !effective.is_some_and(|v| same(v, bad)),
            Cond::Has(item) => effective.is_some_and(|v| list(v).any(|x| x == item)),
            Cond::Lacks(item) => !effective.is_some_and(|v| list(v).any(|x| x == item)),
            Cond::AtLeast(n) => effective
                .and_then(|v| v.trim().parse::<f64>().ok())
                .is_some_and(|v| v >= n as f64),
            Cond::OnlyFrom(allowed) => effective
                .is_some_and(|v| list(v).next().is_some() && list(v).all(|x| allowed.contains(&x))),
            Cond::NonZeroDuration => !effective.is_some_and(is_zero_duration),
            Cond::GateNotDisabled(gate) => !effective.is_some_and(|v| {
                list(v).any(|pair| {
                    let (k, val) = pair.split_once('=').unwrap_or((pair, "true"));
                    k.trim() == gate && parse_bool(val.trim()) == Some(false)
                })
            }),
            Cond::Loopback => effective.is_some_and(|v| {
                matches!(host_of(v), "127.0.0.1" | "localhost" | "::1")
                    || host_of(v).starts_with("127.")
            }),
        }
    }

    /// The expected value, for reports.
    pub fn expected(&self) -> String {
        match *self {
            Cond::Set => "set".to_string(),
            Cond::Unset => "not set".to_string(),
            Cond::Is(v) => v.to_string(),
            Cond::IsNot(v) => format!("not {v}"),
            Cond::Has(v) => format!("includes {v}"),
            Cond::Lacks(v) => format!("does not include {v}"),
            Cond::AtLeast(n) => format!(">= {n}"),
            Cond::OnlyFrom(l) => format!("only of {}", l.join(",")),
            Cond::NonZeroDuration => "a duration other than 0".to_string(),
            Cond::GateNotDisabled(g) => format!("{g} not set to false"),
            Cond::Loopback => "a loopback address (127.0.0.1)".to_string(),
        }
    }
}

/// A check of one or more files.
#[derive(Debug)]
pub struct FileTest {
    pub target: FileTarget,
    pub cond: FileCond,
}

/// Which files a file check looks at. Paths are host paths (under `--root`).
#[derive(Debug)]
pub enum FileTarget {
    /// The component's static pod manifest (the one discovered, else the kubeadm path).
    Manifest(Component),
    /// The path a setting names; else the first of `fallback` that exists (else the first).
    /// With `if_exists`, a missing file passes ("if the file exists, ...").
    Path {
        at: Option<Setting>,
        fallback: &'static [&'static str],
        if_exists: bool,
    },
    /// Each of these that exists (at least one must).
    Each(&'static [&'static str]),
    /// Everything under these directories (those that exist), recursively: files whose name
    /// ends with `suffix` (any file if `None`), and the directories too with `dirs`.
    Tree {
        roots: &'static [&'static str],
        suffix: Option<&'static str>,
        dirs: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileCond {
    /// Permissions no wider than this (`600`: no bit outside rw-------).
    ModeAtMost(u32),
    /// `user:group`, by name as the host's /etc/passwd and /etc/group give them.
    Owner(&'static str),
}

impl FileCond {
    pub fn expected(&self) -> String {
        match self {
            FileCond::ModeAtMost(m) => format!("permissions {m:o} or more restrictive"),
            FileCond::Owner(o) => format!("owner {o}"),
        }
    }
}

/// The default a component uses when nothing sets a setting, for the versions the benchmark
/// covers. The kubelet has two: without `--config` it keeps the "legacy" flag defaults
/// (`applyLegacyDefaults` in cmd/kubelet/app/options: anonymous auth on, AlwaysAllow, read-only
/// port 10255); with a config file, the KubeletConfiguration v1beta1 defaults apply (anonymous
/// off, Webhook, read-only port 0).
pub fn default_value(component: Component, flag: &str, config_file: bool) -> Option<&'static str> {
    use Component::*;
    Some(match (component, flag) {
        (ApiServer, "anonymous-auth") => "true",
        (ApiServer, "profiling") => "true",
        (ApiServer, "authorization-mode") => "AlwaysAllow",
        (ApiServer, "service-account-lookup") => "true",
        (ApiServer, "service-account-extend-token-expiration") => "true",
        (ApiServer, "audit-log-maxage" | "audit-log-maxbackup" | "audit-log-maxsize") => "0",
        (ApiServer, "request-timeout") => "1m0s",
        (ControllerManager, "profiling") => "true",
        (ControllerManager, "use-service-account-credentials") => "false",
        (ControllerManager, "bind-address") => "0.0.0.0",
        (ControllerManager, "terminated-pod-gc-threshold") => "12500",
        (Scheduler, "profiling") => "true",
        (Scheduler, "bind-address") => "0.0.0.0",
        (Etcd, "client-cert-auth" | "peer-client-cert-auth") => "false",
        (Etcd, "auto-tls" | "peer-auto-tls") => "false",
        (Kubelet, "anonymous-auth") => {
            if config_file {
                "false"
            } else {
                "true"
            }
        }
        (Kubelet, "authorization-mode") => {
            if config_file {
                "Webhook"
            } else {
                "AlwaysAllow"
            }
        }
        (Kubelet, "read-only-port") => {
            if config_file {
                "0"
            } else {
                "10255"
            }
        }
        (Kubelet, "streaming-connection-idle-timeout") => "4h0m0s",
        (Kubelet, "make-iptables-util-chains") => "true",
        (Kubelet, "event-qps") => "50",
        (Kubelet, "rotate-certificates") => "false",
        (Kubelet, "seccomp-default") => "false",
        (Kubelet, "pod-max-pids") => "-1",
        (Proxy, "metrics-bind-address") => "127.0.0.1:10249",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

use Component::{
    ApiServer as API, ControllerManager as CM, Etcd as ETCD, Kubelet as KUBELET, Proxy as PROXY,
    Scheduler as SCHED,
};
use Severity::{Critical, High, Low, Medium};

const fn flag(component: Component, flag: &'static str) -> Setting {
    Setting {
        component,
        flag,
        config: None,
    }
}
const fn kubelet(flag: &'static str, config: &'static str) -> Setting {
    Setting {
        component: KUBELET,
        flag,
        config: Some(config),
    }
}
const fn proxy(flag: &'static str, config: &'static str) -> Setting {
    Setting {
        component: PROXY,
        flag,
        config: Some(config),
    }
}
const fn t(at: Setting, cond: Cond) -> FlagTest {
    FlagTest { at, cond }
}
const fn mode(target: FileTarget, m: u32) -> Test {
    Test::File(FileTest {
        target,
        cond: FileCond::ModeAtMost(m),
    })
}
const fn owner(target: FileTarget, o: &'static str) -> Test {
    Test::File(FileTest {
        target,
        cond: FileCond::Owner(o),
    })
}
const fn path(at: Setting, fallback: &'static [&'static str]) -> FileTarget {
    FileTarget::Path {
        at: Some(at),
        fallback,
        if_exists: false,
    }
}
const fn path_if_exists(at: Option<Setting>, fallback: &'static [&'static str]) -> FileTarget {
    FileTarget::Path {
        at,
        fallback,
        if_exists: true,
    }
}

const ALL: &[Benchmark] = &[];
const V1_12: &[Benchmark] = &[Benchmark::Cis1_12];
const V1_10: &[Benchmark] = &[Benchmark::Cis1_10];

/// The ciphers 1.2.29 accepts (v1.12.0 dropped the CBC suites of v1.10.0).
const API_CIPHERS_1_12: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];
const API_CIPHERS_1_10: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];
/// The ciphers 4.2.12 accepts (v1.12.0 dropped the two non-ECDHE suites of v1.10.0).
const KUBELET_CIPHERS_1_12: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
];
const KUBELET_CIPHERS_1_10: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
];

const KUBELET_SERVICE: &[&str] = &[
    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/etc/systemd/system/kubelet.service",
    "/lib/systemd/system/kubelet.service",
    "/usr/lib/systemd/system/kubelet.service",
];

const AUTOMATED: bool = true;
const MANUAL: bool = false;

macro_rules! check {
    ($id:literal, $auto:ident, $sev:ident, $only:ident, $title:literal, $test:expr, $fix:literal) => {
        Check {
            id: $id,
            title: $title,
            automated: $auto,
            severity: $sev,
            only: $only,
            test: $test,
            remediation: $fix,
        }
    };
}

/// Every check of every benchmark version, in benchmark order.
pub static CHECKS: &[Check] = &[
    // 1.1 Control Plane Node Configuration Files
    check!("1.1.1", AUTOMATED, Medium, ALL, "Ensure that the API server pod specification file permissions are set to 600 or more restrictive",
        mode(FileTarget::Manifest(API), 0o600), "chmod 600 the kube-apiserver manifest (/etc/kubernetes/manifests/kube-apiserver.yaml)."),
    check!("1.1.2", AUTOMATED, Medium, ALL, "Ensure that the API server pod specification file ownership is set to root:root",
        owner(FileTarget::Manifest(API), "root:root"), "chown root:root the kube-apiserver manifest."),
    check!("1.1.3", AUTOMATED, Medium, ALL, "Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive",
        mode(FileTarget::Manifest(CM), 0o600), "chmod 600 the kube-controller-manager manifest."),
    check!("1.1.4", AUTOMATED, Medium, ALL, "Ensure that the controller manager pod specification file ownership is set to root:root",
        owner(FileTarget::Manifest(CM), "root:root"), "chown root:root the kube-controller-manager manifest."),
    check!("1.1.5", AUTOMATED, Medium, ALL, "Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive",
        mode(FileTarget::Manifest(SCHED), 0o600), "chmod 600 the kube-scheduler manifest."),
    check!("1.1.6", AUTOMATED, Medium, ALL, "Ensure that the scheduler pod specification file ownership is set to root:root",
        owner(FileTarget::Manifest(SCHED), "root:root"), "chown root:root the kube-scheduler manifest."),
    check!("1.1.7", AUTOMATED, Medium, ALL, "Ensure that the etcd pod specification file permissions are set to 600 or more restrictive",
        mode(FileTarget::Manifest(ETCD), 0o600), "chmod 600 the etcd manifest (/etc/kubernetes/manifests/etcd.yaml)."),
    check!("1.1.8", AUTOMATED, Medium, ALL, "Ensure that the etcd pod specification file ownership is set to root:root",
        owner(FileTarget::Manifest(ETCD), "root:root"), "chown root:root the etcd manifest."),
    check!("1.1.9", MANUAL, Low, ALL, "Ensure that the Container Network Interface file permissions are set to 600 or more restrictive",
        mode(FileTarget::Tree { roots: &["/etc/cni/net.d", "/var/lib/cni/networks"], suffix: None, dirs: false }, 0o600),
        "chmod 600 the CNI configuration files (/etc/cni/net.d/*) and /var/lib/cni/networks files."),
    check!("1.1.10", MANUAL, Low, ALL, "Ensure that the Container Network Interface file ownership is set to root:root",
        owner(FileTarget::Tree { roots: &["/etc/cni/net.d", "/var/lib/cni/networks"], suffix: None, dirs: false }, "root:root"),
        "chown root:root the CNI configuration files."),
    check!("1.1.11", AUTOMATED, High, ALL, "Ensure that the etcd data directory permissions are set to 700 or more restrictive",
        mode(path(flag(ETCD, "data-dir"), &["/var/lib/etcd"]), 0o700), "chmod 700 the etcd data directory (etcd --data-dir, e.g. /var/lib/etcd)."),
    check!("1.1.12", AUTOMATED, Medium, ALL, "Ensure that the etcd data directory ownership is set to etcd:etcd",
        owner(path(flag(ETCD, "data-dir"), &["/var/lib/etcd"]), "etcd:etcd"), "chown etcd:etcd the etcd data directory (etcd --data-dir)."),
    check!("1.1.13", AUTOMATED, High, ALL, "Ensure that the default administrative credential file permissions are set to 600",
        mode(FileTarget::Each(&["/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf"]), 0o600),
        "chmod 600 /etc/kubernetes/admin.conf (and /etc/kubernetes/super-admin.conf on Kubernetes 1.29+)."),
    check!("1.1.14", AUTOMATED, High, ALL, "Ensure that the default administrative credential file ownership is set to root:root",
        owner(FileTarget::Each(&["/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf"]), "root:root"),
        "chown root:root /etc/kubernetes/admin.conf (and super-admin.conf)."),
    check!("1.1.15", AUTOMATED, Medium, ALL, "Ensure that the scheduler.conf file permissions are set to 600 or more restrictive",
        mode(path(flag(SCHED, "kubeconfig"), &["/etc/kubernetes/scheduler.conf"]), 0o600), "chmod 600 the scheduler kubeconfig (/etc/kubernetes/scheduler.conf)."),
    check!("1.1.16", AUTOMATED, Medium, ALL, "Ensure that the scheduler.conf file ownership is set to root:root",
        owner(path(flag(SCHED, "kubeconfig"), &["/etc/kubernetes/scheduler.conf"]), "root:root"), "chown root:root the scheduler kubeconfig."),
    check!("1.1.17", AUTOMATED, Medium, ALL, "Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive",
        mode(path(flag(CM, "kubeconfig"), &["/etc/kubernetes/controller-manager.conf"]), 0o600), "chmod 600 the controller-manager kubeconfig (/etc/kubernetes/controller-manager.conf)."),
    check!("1.1.18", AUTOMATED, Medium, ALL, "Ensure that the controller-manager.conf file ownership is set to root:root",
        owner(path(flag(CM, "kubeconfig"), &["/etc/kubernetes/controller-manager.conf"]), "root:root"), "chown root:root the controller-manager kubeconfig."),
    check!("1.1.19", AUTOMATED, High, ALL, "Ensure that the Kubernetes PKI directory and file ownership is set to root:root",
        owner(FileTarget::Tree { roots: &["/etc/kubernetes/pki"], suffix: None, dirs: true }, "root:root"), "chown -R root:root /etc/kubernetes/pki/"),
    check!("1.1.20", MANUAL, Low, ALL, "Ensure that the Kubernetes PKI certificate file permissions are set to 644 or more restrictive",
        mode(FileTarget::Tree { roots: &["/etc/kubernetes/pki"], suffix: Some(".crt"), dirs: false }, 0o644), "chmod -R 644 /etc/kubernetes/pki/*.crt"),
    check!("1.1.21", MANUAL, High, ALL, "Ensure that the Kubernetes PKI key file permissions are set to 600",
        mode(FileTarget::Tree { roots: &["/etc/kubernetes/pki"], suffix: Some(".key"), dirs: false }, 0o600), "chmod -R 600 /etc/kubernetes/pki/*.key"),
    // 1.2 API Server
    check!("1.2.1", MANUAL, High, ALL, "Ensure that the --anonymous-auth argument is set to false",
        Test::Flags(&[t(flag(API, "anonymous-auth"), Cond::Is("false"))]), "Set --anonymous-auth=false in the kube-apiserver manifest (keep health checks working with an AuthenticationConfiguration that allows anonymous access to /livez, /readyz, /healthz only)."),
    check!("1.2.2", AUTOMATED, High, ALL, "Ensure that the --token-auth-file parameter is not set",
        Test::Flags(&[t(flag(API, "token-auth-file"), Cond::Unset)]), "Use another authentication mechanism and remove --token-auth-file from the kube-apiserver manifest."),
    check!("1.2.3", MANUAL, Medium, ALL, "Ensure that the --DenyServiceExternalIPs is set",
        Test::Flags(&[t(flag(API, "enable-admission-plugins"), Cond::Has("DenyServiceExternalIPs"))]), "Add DenyServiceExternalIPs to --enable-admission-plugins of kube-apiserver."),
    check!("1.2.4", AUTOMATED, High, ALL, "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate",
        Test::Flags(&[t(flag(API, "kubelet-client-certificate"), Cond::Set), t(flag(API, "kubelet-client-key"), Cond::Set)]),
        "Set up TLS between the API server and kubelets and set --kubelet-client-certificate and --kubelet-client-key on kube-apiserver."),
    check!("1.2.5", AUTOMATED, High, ALL, "Ensure that the --kubelet-certificate-authority argument is set as appropriate",
        Test::Flags(&[t(flag(API, "kubelet-certificate-authority"), Cond::Set)]), "Set --kubelet-certificate-authority on kube-apiserver to the CA that signs kubelet serving certificates."),
    check!("1.2.6", AUTOMATED, Critical, ALL, "Ensure that the --authorization-mode argument is not set to AlwaysAllow",
        Test::Flags(&[t(flag(API, "authorization-mode"), Cond::Lacks("AlwaysAllow"))]), "Set --authorization-mode to modes other than AlwaysAllow, e.g. --authorization-mode=Node,RBAC."),
    check!("1.2.7", AUTOMATED, High, ALL, "Ensure that the --authorization-mode argument includes Node",
        Test::Flags(&[t(flag(API, "authorization-mode"), Cond::Has("Node"))]), "Set --authorization-mode=Node,RBAC on kube-apiserver."),
    check!("1.2.8", AUTOMATED, High, ALL, "Ensure that the --authorization-mode argument includes RBAC",
        Test::Flags(&[t(flag(API, "authorization-mode"), Cond::Has("RBAC"))]), "Set --authorization-mode=Node,RBAC on kube-apiserver."),
    check!("1.2.9", MANUAL, Low, ALL, "Ensure that the admission control plugin EventRateLimit is set",
        Test::Flags(&[t(flag(API, "enable-admission-plugins"), Cond::Has("EventRateLimit"))]), "Add EventRateLimit to --enable-admission-plugins and configure its limits with --admission-control-config-file."),
    check!("1.2.10", AUTOMATED, Critical, ALL, "Ensure that the admission control plugin AlwaysAdmit is not set",
        Test::Flags(&[t(flag(API, "enable-admission-plugins"), Cond::Lacks("AlwaysAdmit"))]), "Remove AlwaysAdmit from --enable-admission-plugins."),
    check!("1.2.11", MANUAL, Medium, ALL, "Ensure that the admission control plugin AlwaysPullImages is set",
        Test::Flags(&[t(flag(API, "enable-admission-plugins"), Cond::Has("AlwaysPullImages"))]), "Add AlwaysPullImages to --enable-admission-plugins."),
    check!("1.2.12", AUTOMATED, High, ALL, "Ensure that the admission control plugin ServiceAccount is set",
        Test::Flags(&[t(flag(API, "disable-admission-plugins"), Cond::Lacks("ServiceAccount"))]), "Remove ServiceAccount from --disable-admission-plugins."),
    check!("1.2.13", AUTOMATED, Medium, ALL, "Ensure that the admission control plugin NamespaceLifecycle is set",
        Test::Flags(&[t(flag(API, "disable-admission-plugins"), Cond::Lacks("NamespaceLifecycle"))]), "Remove NamespaceLifecycle from --disable-admission-plugins."),
    check!("1.2.14", AUTOMATED, High, ALL, "Ensure that the admission control plugin NodeRestriction is set",
        Test::Flags(&[t(flag(API, "enable-admission-plugins"), Cond::Has("NodeRestriction"))]), "Add NodeRestriction to --enable-admission-plugins (with the Node authorizer and kubelets using system:node credentials)."),
    check!("1.2.15", AUTOMATED, Low, ALL, "Ensure that the --profiling argument is set to false",
        Test::Flags(&[t(flag(API, "profiling"), Cond::Is("false"))]), "Set --profiling=false on kube-apiserver."),
    check!("1.2.16", AUTOMATED, Medium, ALL, "Ensure that the --audit-log-path argument is set",
        Test::Flags(&[t(flag(API, "audit-log-path"), Cond::Set)]), "Set --audit-log-path on kube-apiserver, e.g. --audit-log-path=/var/log/apiserver/audit.log."),
    check!("1.2.17", AUTOMATED, Low, ALL, "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate",
        Test::Flags(&[t(flag(API, "audit-log-maxage"), Cond::AtLeast(30))]), "Set --audit-log-maxage=30 (days) or more on kube-apiserver."),
    check!("1.2.18", AUTOMATED, Low, ALL, "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate",
        Test::Flags(&[t(flag(API, "audit-log-maxbackup"), Cond::AtLeast(10))]), "Set --audit-log-maxbackup=10 or more on kube-apiserver."),
    check!("1.2.19", AUTOMATED, Low, ALL, "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate",
        Test::Flags(&[t(flag(API, "audit-log-maxsize"), Cond::AtLeast(100))]), "Set --audit-log-maxsize=100 (MB) or more on kube-apiserver."),
    check!("1.2.20", MANUAL, Low, ALL, "Ensure that the --request-timeout argument is set as appropriate",
        Test::Manual, "Set --request-timeout on kube-apiserver as appropriate, if needed (e.g. --request-timeout=300s)."),
    check!("1.2.21", AUTOMATED, Medium, ALL, "Ensure that the --service-account-lookup argument is set to true",
        Test::Flags(&[t(flag(API, "service-account-lookup"), Cond::Is("true"))]), "Set --service-account-lookup=true on kube-apiserver, or remove the flag so the default (true) applies."),
    check!("1.2.22", AUTOMATED, High, ALL, "Ensure that the --service-account-key-file argument is set as appropriate",
        Test::Flags(&[t(flag(API, "service-account-key-file"), Cond::Set)]), "Set --service-account-key-file on kube-apiserver to the public key that verifies service account tokens."),
    check!("1.2.23", AUTOMATED, High, ALL, "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate",
        Test::Flags(&[t(flag(API, "etcd-certfile"), Cond::Set), t(flag(API, "etcd-keyfile"), Cond::Set)]), "Set up TLS to etcd and set --etcd-certfile and --etcd-keyfile on kube-apiserver."),
    check!("1.2.24", AUTOMATED, High, ALL, "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate",
        Test::Flags(&[t(flag(API, "tls-cert-file"), Cond::Set), t(flag(API, "tls-private-key-file"), Cond::Set)]), "Set --tls-cert-file and --tls-private-key-file on kube-apiserver."),
    check!("1.2.25", AUTOMATED, High, ALL, "Ensure that the --client-ca-file argument is set as appropriate",
        Test::Flags(&[t(flag(API, "client-ca-file"), Cond::Set)]), "Set --client-ca-file on kube-apiserver."),
    check!("1.2.26", AUTOMATED, High, ALL, "Ensure that the --etcd-cafile argument is set as appropriate",
        Test::Flags(&[t(flag(API, "etcd-cafile"), Cond::Set)]), "Set --etcd-cafile on kube-apiserver to the CA of etcd's serving certificate."),
    check!("1.2.27", MANUAL, High, ALL, "Ensure that the --encryption-provider-config argument is set as appropriate",
        Test::Encryption(EncryptionTest::ConfigSet), "Write an EncryptionConfiguration and set --encryption-provider-config on kube-apiserver to its path."),
    check!("1.2.28", MANUAL, High, ALL, "Ensure that encryption providers are appropriately configured",
        Test::Encryption(EncryptionTest::SecretsEncrypted), "In the EncryptionConfiguration, use aescbc, kms or secretbox as the first provider for secrets."),
    check!("1.2.29", MANUAL, Medium, V1_12, "Ensure that the API Server only makes use of Strong Cryptographic Ciphers",
        Test::Flags(&[t(flag(API, "tls-cipher-suites"), Cond::OnlyFrom(API_CIPHERS_1_12))]), "Set --tls-cipher-suites on kube-apiserver to the strong ciphers the benchmark lists (TLS 1.3 and ECDHE with AES-GCM or ChaCha20-Poly1305), or a subset."),
    check!("1.2.29", MANUAL, Medium, V1_10, "Ensure that the API Server only makes use of Strong Cryptographic Ciphers",
        Test::Flags(&[t(flag(API, "tls-cipher-suites"), Cond::OnlyFrom(API_CIPHERS_1_10))]), "Set --tls-cipher-suites on kube-apiserver to the ciphers the benchmark lists, or a subset."),
    check!("1.2.30", AUTOMATED, Medium, V1_12, "Ensure that the --service-account-extend-token-expiration parameter is set to false",
        Test::Flags(&[t(flag(API, "service-account-extend-token-expiration"), Cond::Is("false"))]), "Set --service-account-extend-token-expiration=false on kube-apiserver (the default is true)."),
    // 1.3 Controller Manager
    check!("1.3.1", MANUAL, Low, ALL, "Ensure that the --terminated-pod-gc-threshold argument is set as appropriate",
        Test::Flags(&[t(flag(CM, "terminated-pod-gc-threshold"), Cond::Set)]), "Set --terminated-pod-gc-threshold on kube-controller-manager, e.g. --terminated-pod-gc-threshold=10."),
    check!("1.3.2", AUTOMATED, Low, ALL, "Ensure that the --profiling argument is set to false",
        Test::Flags(&[t(flag(CM, "profiling"), Cond::Is("false"))]), "Set --profiling=false on kube-controller-manager."),
    check!("1.3.3", AUTOMATED, High, ALL, "Ensure that the --use-service-account-credentials argument is set to true",
        Test::Flags(&[t(flag(CM, "use-service-account-credentials"), Cond::Is("true"))]), "Set --use-service-account-credentials=true on kube-controller-manager."),
    check!("1.3.4", AUTOMATED, High, ALL, "Ensure that the --service-account-private-key-file argument is set as appropriate",
        Test::Flags(&[t(flag(CM, "service-account-private-key-file"), Cond::Set)]), "Set --service-account-private-key-file on kube-controller-manager to the key that signs service account tokens."),
    check!("1.3.5", AUTOMATED, Medium, ALL, "Ensure that the --root-ca-file argument is set as appropriate",
        Test::Flags(&[t(flag(CM, "root-ca-file"), Cond::Set)]), "Set --root-ca-file on kube-controller-manager to the cluster CA bundle."),
    check!("1.3.6", AUTOMATED, Medium, ALL, "Ensure that the RotateKubeletServerCertificate argument is set to true",
        Test::Flags(&[t(flag(CM, "feature-gates"), Cond::GateNotDisabled("RotateKubeletServerCertificate"))]), "Remove RotateKubeletServerCertificate=false from --feature-gates of kube-controller-manager (or set it to true)."),
    check!("1.3.7", AUTOMATED, Medium, ALL, "Ensure that the --bind-address argument is set to 127.0.0.1",
        Test::Flags(&[t(flag(CM, "bind-address"), Cond::Is("127.0.0.1"))]), "Set --bind-address=127.0.0.1 on kube-controller-manager (the default, 0.0.0.0, serves on every interface)."),
    // 1.4 Scheduler
    check!("1.4.1", AUTOMATED, Low, ALL, "Ensure that the --profiling argument is set to false",
        Test::Flags(&[t(flag(SCHED, "profiling"), Cond::Is("false"))]), "Set --profiling=false on kube-scheduler."),
    check!("1.4.2", AUTOMATED, Medium, ALL, "Ensure that the --bind-address argument is set to 127.0.0.1",
        Test::Flags(&[t(flag(SCHED, "bind-address"), Cond::Is("127.0.0.1"))]), "Set --bind-address=127.0.0.1 on kube-scheduler (the default, 0.0.0.0, serves on every interface)."),
    // 2 Etcd
    check!("2.1", AUTOMATED, High, ALL, "Ensure that the --cert-file and --key-file arguments are set as appropriate",
        Test::Flags(&[t(flag(ETCD, "cert-file"), Cond::Set), t(flag(ETCD, "key-file"), Cond::Set)]), "Configure TLS for etcd clients: set --cert-file and --key-file on etcd."),
    check!("2.2", AUTOMATED, Critical, ALL, "Ensure that the --client-cert-auth argument is set to true",
        Test::Flags(&[t(flag(ETCD, "client-cert-auth"), Cond::Is("true"))]), "Set --client-cert-auth=true on etcd."),
    check!("2.3", AUTOMATED, High, ALL, "Ensure that the --auto-tls argument is not set to true",
        Test::Flags(&[t(flag(ETCD, "auto-tls"), Cond::IsNot("true"))]), "Remove --auto-tls from etcd or set it to false."),
    check!("2.4", AUTOMATED, High, ALL, "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate",
        Test::Flags(&[t(flag(ETCD, "peer-cert-file"), Cond::Set), t(flag(ETCD, "peer-key-file"), Cond::Set)]), "Configure peer TLS: set --peer-cert-file and --peer-key-file on etcd."),
    check!("2.5", AUTOMATED, High, ALL, "Ensure that the --peer-client-cert-auth argument is set to true",
        Test::Flags(&[t(flag(ETCD, "peer-client-cert-auth"), Cond::Is("true"))]), "Set --peer-client-cert-auth=true on etcd."),
    check!("2.6", AUTOMATED, High, ALL, "Ensure that the --peer-auto-tls argument is not set to true",
        Test::Flags(&[t(flag(ETCD, "peer-auto-tls"), Cond::IsNot("true"))]), "Remove --peer-auto-tls from etcd or set it to false."),
    check!("2.7", MANUAL, Medium, ALL, "Ensure that a unique Certificate Authority is used for etcd",
        Test::Flags(&[t(flag(ETCD, "trusted-ca-file"), Cond::Set)]), "Create a certificate authority dedicated to etcd and set --trusted-ca-file on etcd to it."),
    // 3 Control Plane Configuration
    check!("3.1.1", MANUAL, Low, ALL, "Client certificate authentication should not be used for users",
        Test::Manual, "Use OIDC or another mechanism Kubernetes supports for users instead of client certificates."),
    check!("3.1.2", MANUAL, Low, ALL, "Service account token authentication should not be used for users",
        Test::Manual, "Use OIDC or another mechanism Kubernetes supports for users instead of service account tokens."),
    check!("3.1.3", MANUAL, Low, ALL, "Bootstrap token authentication should not be used for users",
        Test::Manual, "Use OIDC or another mechanism Kubernetes supports for users instead of bootstrap tokens."),
    check!("3.2.1", MANUAL, Medium, ALL, "Ensure that a minimal audit policy is created",
        Test::Flags(&[t(flag(API, "audit-policy-file"), Cond::Set)]), "Write an audit policy and set --audit-policy-file on kube-apiserver."),
    check!("3.2.2", MANUAL, Low, ALL, "Ensure that the audit policy covers key security concerns",
        Test::Manual, "Review the audit policy: Metadata level for Secrets, ConfigMaps and TokenReviews; Pod and Deployment changes; pods/exec, pods/portforward, pods/proxy and services/proxy."),
    // 4.1 Worker Node Configuration Files
    check!("4.1.1", AUTOMATED, Medium, ALL, "Ensure that the kubelet service file permissions are set to 600 or more restrictive",
        mode(FileTarget::Path { at: None, fallback: KUBELET_SERVICE, if_exists: false }, 0o600), "chmod 600 the kubelet service file (/etc/systemd/system/kubelet.service.d/10-kubeadm.conf)."),
    check!("4.1.2", AUTOMATED, Medium, ALL, "Ensure that the kubelet service file ownership is set to root:root",
        owner(FileTarget::Path { at: None, fallback: KUBELET_SERVICE, if_exists: false }, "root:root"), "chown root:root the kubelet service file."),
    check!("4.1.3", MANUAL, Medium, ALL, "If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive",
        mode(path_if_exists(Some(proxy("kubeconfig", "clientConnection.kubeconfig")), &["/etc/kubernetes/proxy.conf"]), 0o600), "chmod 600 the kube-proxy kubeconfig."),
    check!("4.1.4", MANUAL, Medium, ALL, "If proxy kubeconfig file exists ensure ownership is set to root:root",
        owner(path_if_exists(Some(proxy("kubeconfig", "clientConnection.kubeconfig")), &["/etc/kubernetes/proxy.conf"]), "root:root"), "chown root:root the kube-proxy kubeconfig."),
    check!("4.1.5", AUTOMATED, High, ALL, "Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive",
        mode(path(flag(KUBELET, "kubeconfig"), &["/etc/kubernetes/kubelet.conf"]), 0o600), "chmod 600 the kubelet's kubeconfig (/etc/kubernetes/kubelet.conf)."),
    check!("4.1.6", AUTOMATED, High, ALL, "Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root",
        owner(path(flag(KUBELET, "kubeconfig"), &["/etc/kubernetes/kubelet.conf"]), "root:root"), "chown root:root the kubelet's kubeconfig."),
    check!("4.1.7", MANUAL, Low, ALL, "Ensure that the certificate authorities file permissions are set to 644 or more restrictive",
        mode(path_if_exists(Some(kubelet("client-ca-file", "authentication.x509.clientCAFile")), &["/etc/kubernetes/pki/ca.crt"]), 0o644), "chmod 644 the kubelet's client CA file."),
    check!("4.1.8", MANUAL, Low, ALL, "Ensure that the client certificate authorities file ownership is set to root:root",
        owner(path_if_exists(Some(kubelet("client-ca-file", "authentication.x509.clientCAFile")), &["/etc/kubernetes/pki/ca.crt"]), "root:root"), "chown root:root the kubelet's client CA file."),
    check!("4.1.9", AUTOMATED, Medium, ALL, "If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive",
        mode(path_if_exists(Some(flag(KUBELET, "config")), &["/var/lib/kubelet/config.yaml"]), 0o600), "chmod 600 the kubelet config file (/var/lib/kubelet/config.yaml)."),
    check!("4.1.10", AUTOMATED, Medium, ALL, "If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root",
        owner(path_if_exists(Some(flag(KUBELET, "config")), &["/var/lib/kubelet/config.yaml"]), "root:root"), "chown root:root the kubelet config file."),
    // 4.2 Kubelet
    check!("4.2.1", AUTOMATED, Critical, ALL, "Ensure that the --anonymous-auth argument is set to false",
        Test::Flags(&[t(kubelet("anonymous-auth", "authentication.anonymous.enabled"), Cond::Is("false"))]), "Set authentication.anonymous.enabled: false in the kubelet config file (or --anonymous-auth=false) and restart the kubelet."),
    check!("4.2.2", AUTOMATED, Critical, ALL, "Ensure that the --authorization-mode argument is not set to AlwaysAllow",
        Test::Flags(&[t(kubelet("authorization-mode", "authorization.mode"), Cond::IsNot("AlwaysAllow"))]), "Set authorization.mode: Webhook in the kubelet config file (or --authorization-mode=Webhook) and restart the kubelet."),
    check!("4.2.3", AUTOMATED, High, ALL, "Ensure that the --client-ca-file argument is set as appropriate",
        Test::Flags(&[t(kubelet("client-ca-file", "authentication.x509.clientCAFile"), Cond::Set)]), "Set authentication.x509.clientCAFile in the kubelet config file (or --client-ca-file) and restart the kubelet."),
    check!("4.2.4", MANUAL, Medium, ALL, "Verify that if defined, the --read-only-port argument is set to 0",
        Test::Flags(&[t(kubelet("read-only-port", "readOnlyPort"), Cond::Is("0"))]), "Set readOnlyPort: 0 in the kubelet config file (or --read-only-port=0) and restart the kubelet."),
    check!("4.2.5", MANUAL, Low, ALL, "Ensure that the --streaming-connection-idle-timeout argument is not set to 0",
        Test::Flags(&[t(kubelet("streaming-connection-idle-timeout", "streamingConnectionIdleTimeout"), Cond::NonZeroDuration)]), "Set streamingConnectionIdleTimeout to a value other than 0 (e.g. 5m) in the kubelet config file and restart the kubelet."),
    check!("4.2.6", AUTOMATED, Low, ALL, "Ensure that the --make-iptables-util-chains argument is set to true",
        Test::Flags(&[t(kubelet("make-iptables-util-chains", "makeIPTablesUtilChains"), Cond::Is("true"))]), "Set makeIPTablesUtilChains: true in the kubelet config file (or remove --make-iptables-util-chains) and restart the kubelet."),
    check!("4.2.7", MANUAL, Low, ALL, "Ensure that the --hostname-override argument is not set",
        Test::Flags(&[t(flag(KUBELET, "hostname-override"), Cond::Unset)]), "Remove --hostname-override from the kubelet's arguments and restart the kubelet."),
    check!("4.2.8", MANUAL, Low, ALL, "Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture",
        Test::Flags(&[t(kubelet("event-qps", "eventRecordQPS"), Cond::AtLeast(0))]), "Set eventRecordQPS in the kubelet config file to an appropriate level and restart the kubelet."),
    check!("4.2.9", MANUAL, Medium, ALL, "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate",
        Test::Flags(&[t(kubelet("tls-cert-file", "tlsCertFile"), Cond::Set), t(kubelet("tls-private-key-file", "tlsPrivateKeyFile"), Cond::Set)]),
        "Set tlsCertFile and tlsPrivateKeyFile in the kubelet config file (or --tls-cert-file and --tls-private-key-file) and restart the kubelet."),
    check!("4.2.10", AUTOMATED, Medium, ALL, "Ensure that the --rotate-certificates argument is not set to false",
        Test::Flags(&[t(kubelet("rotate-certificates", "rotateCertificates"), Cond::IsNot("false"))]), "Set rotateCertificates: true in the kubelet config file (the kubelet's own default is false) and restart the kubelet."),
    check!("4.2.11", MANUAL, Medium, ALL, "Verify that the RotateKubeletServerCertificate argument is set to true",
        Test::Flags(&[t(kubelet("feature-gates", "featureGates"), Cond::GateNotDisabled("RotateKubeletServerCertificate"))]), "Remove RotateKubeletServerCertificate=false from the kubelet's feature gates and restart the kubelet."),
    check!("4.2.12", MANUAL, Medium, V1_12, "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers",
        Test::Flags(&[t(kubelet("tls-cipher-suites", "tlsCipherSuites"), Cond::OnlyFrom(KUBELET_CIPHERS_1_12))]), "Set tlsCipherSuites in the kubelet config file to the ECDHE AES-GCM and ChaCha20-Poly1305 suites the benchmark lists, or a subset, and restart the kubelet."),
    check!("4.2.12", MANUAL, Medium, V1_10, "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers",
        Test::Flags(&[t(kubelet("tls-cipher-suites", "tlsCipherSuites"), Cond::OnlyFrom(KUBELET_CIPHERS_1_10))]), "Set tlsCipherSuites in the kubelet config file to the suites the benchmark lists, or a subset, and restart the kubelet."),
    check!("4.2.13", MANUAL, Low, ALL, "Ensure that a limit is set on pod PIDs",
        Test::Flags(&[t(kubelet("pod-max-pids", "podPidsLimit"), Cond::AtLeast(1))]), "Set podPidsLimit in the kubelet config file (or --pod-max-pids) to an appropriate limit and restart the kubelet."),
    check!("4.2.14", MANUAL, Medium, V1_12, "Ensure that the --seccomp-default parameter is set to true",
        Test::Flags(&[t(kubelet("seccomp-default", "seccompDefault"), Cond::Is("true"))]), "Set seccompDefault: true in the kubelet config file (or --seccomp-default) and restart the kubelet."),
    // 4.3 kube-proxy
    check!("4.3.1", AUTOMATED, Medium, ALL, "Ensure that the kube-proxy metrics service is bound to localhost",
        Test::Flags(&[t(proxy("metrics-bind-address", "metricsBindAddress"), Cond::Loopback)]), "Set metricsBindAddress (or --metrics-bind-address) of kube-proxy to 127.0.0.1:10249, or remove it to use that default."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        assert!(Cond::Is("false").holds(Some("False"), Some("False")));
        assert!(!Cond::Is("false").holds(None, Some("true")));
        assert!(!Cond::Is("false").holds(None, None));
        assert!(Cond::IsNot("true").holds(None, None));
        assert!(!Cond::IsNot("true").holds(Some("1"), Some("1")));
        assert!(Cond::Has("Node").holds(None, Some("Node,RBAC")));
        assert!(!Cond::Has("Node").holds(None, Some("NodeRestriction")));
        assert!(Cond::Lacks("AlwaysAdmit").holds(None, None));
        assert!(!Cond::Lacks("AlwaysAdmit").holds(None, Some("X, AlwaysAdmit")));
        assert!(Cond::AtLeast(30).holds(None, Some("30")));
        assert!(!Cond::AtLeast(30).holds(None, Some("29")));
        assert!(!Cond::AtLeast(30).holds(None, Some("thirty")));
        assert!(Cond::Set.holds(Some("/x"), Some("/x")));
        assert!(!Cond::Set.holds(Some(""), Some("")));
        assert!(!Cond::Set.holds(None, Some("default")));
        assert!(Cond::Unset.holds(None, Some("default")));
        assert!(Cond::OnlyFrom(&["A", "B"]).holds(None, Some("B,A")));
        assert!(!Cond::OnlyFrom(&["A", "B"]).holds(None, Some("A,C")));
        assert!(!Cond::OnlyFrom(&["A"]).holds(None, None));
        for zero in ["0", "0s", "0m0s", "0h0m0.000s"] {
            assert!(!Cond::NonZeroDuration.holds(None, Some(zero)), "{zero}");
        }
        assert!(Cond::NonZeroDuration.holds(None, Some("4h0m0s")));
        let gate = Cond::GateNotDisabled("RotateKubeletServerCertificate");
        assert!(gate.holds(None, None));
        assert!(gate.holds(None, Some("RotateKubeletServerCertificate=true,X=false")));
        assert!(!gate.holds(None, Some("X=true,RotateKubeletServerCertificate=false")));
        for ok in ["127.0.0.1:10249", "127.0.0.1", "localhost:1", "[::1]:10249"] {
            assert!(Cond::Loopback.holds(None, Some(ok)), "{ok}");
        }
        for bad in ["0.0.0.0:10249", ":10249", "10.0.0.1"] {
            assert!(!Cond::Loopback.holds(None, Some(bad)), "{bad}");
        }
    }

    #[test]
    fn benchmarks_differ_where_the_versions_do() {
        let ids = |b: Benchmark| b.checks().map(|c| c.id).collect::<Vec<_>>();
        let new = ids(Benchmark::Cis1_12);
        let old = ids(Benchmark::Cis1_10);
        assert!(new.contains(&"1.2.30") && !old.contains(&"1.2.30"));
        assert!(new.contains(&"4.2.14") && !old.contains(&"4.2.14"));
        // Each benchmark has each ID once.
        for list in [&new, &old] {
            let mut sorted = list.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len());
        }
        assert!(new.len() > 80, "{}", new.len());
    }

    #[test]
    fn every_check_belongs_to_a_known_group() {
        for c in CHECKS {
            assert!(!section_title(c.group()).is_empty(), "{}", c.id);
            assert!(!section_title(c.section()).is_empty(), "{}", c.id);
            assert!(!c.remediation.is_empty());
        }
    }

    #[test]
    fn kubelet_defaults_depend_on_the_config_file() {
        assert_eq!(
            default_value(KUBELET, "anonymous-auth", false),
            Some("true")
        );
        assert_eq!(
            default_value(KUBELET, "anonymous-auth", true),
            Some("false")
        );
        assert_eq!(
            default_value(KUBELET, "read-only-port", false),
            Some("10255")
        );
        assert_eq!(default_value(KUBELET, "read-only-port", true), Some("0"));
        assert_eq!(default_value(API, "token-auth-file", false), None);
    }
}
