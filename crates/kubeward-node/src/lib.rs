//! kubeward-node: what kube-bench does, inside kubeward. Checks how the Kubernetes components
//! of one node are configured against the CIS Kubernetes Benchmark, sections 1 to 4.
//!
//! * [`discover`] finds the components: processes under the proc directory (their NUL-separated
//!   `cmdline`, argv[0] or `comm`, `hyperkube <component>` too), static pod manifests for those
//!   not running, and the kubelet's and kube-proxy's `--config` files.
//! * [`evaluate`] runs the benchmark's checks (data, in kubeward-controls' `node::benchmark`):
//!   a setting's value is the flag, else the config file field (a flag overrides the file, as
//!   the kubelet does), else etcd's `ETCD_*` variable, else the component's default, which for
//!   the kubelet depends on whether it has a config file at all.
//! * [`report`] writes the results as text (grouped like kube-bench), JSON, SARIF or JUnit.

pub mod discover;
pub mod evaluate;
pub mod host;
pub mod report;

use std::path::PathBuf;

use kubeward_controls::node::benchmark::{Benchmark, Check};
use kubeward_controls::Severity;
use kubeward_yaml::Pos;
use serde::Serialize;

pub use discover::Source;

/// What a check found, as kube-bench users know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Manual,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Manual => "MANUAL",
        }
    }
}

/// The node's role: which sections apply (1 to 3 on control-plane nodes, 4 on every node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Master,
    Worker,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "master" | "control-plane" | "controlplane" => Ok(Role::Master),
            "worker" | "node" => Ok(Role::Worker),
            _ => Err(format!("unknown role {s:?} (expected master or worker)")),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Worker => "worker",
        }
    }
}

/// Where an observed value comes from, when it comes from a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Host path.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// One check's outcome.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub check: &'static Check,
    pub status: Status,
    pub observed: String,
    pub expected: String,
    /// The file (and place in it) the decisive value comes from.
    pub location: Option<Location>,
    /// The component instance the value comes from (`process 812`, a manifest).
    pub source: Option<String>,
}

impl CheckResult {
    pub fn severity(&self) -> Severity {
        self.check.severity
    }
}

/// Input that could not be read: an unreadable file, a malformed config file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

impl NodeError {
    pub fn at(file: &str, pos: Pos, message: impl Into<String>) -> Self {
        NodeError {
            file: file.to_string(),
            line: Some(pos.line),
            column: Some(pos.column),
            message: message.into(),
        }
    }

    pub fn file(file: &str, message: impl Into<String>) -> Self {
        NodeError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A component as the report lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ComponentInfo {
    pub name: &'static str,
    pub source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// What to check and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// The host's `/`.
    pub root: PathBuf,
    /// The host's `/proc` (default `<root>/proc`).
    pub proc: Option<PathBuf>,
    pub benchmark: Benchmark,
    /// Force the role instead of detecting it.
    pub role: Option<Role>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            root: PathBuf::from("/"),
            proc: None,
            benchmark: Benchmark::LATEST,
            role: None,
        }
    }
}

/// Everything a node check found.
#[derive(Clone, Debug)]
pub struct NodeReport {
    pub benchmark: Benchmark,
    pub role: Role,
    /// True when `--role` set it.
    pub role_forced: bool,
    pub root: String,
    pub components: Vec<ComponentInfo>,
    pub results: Vec<CheckResult>,
    pub errors: Vec<NodeError>,
}

impl NodeReport {
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// 2 for any input error, 1 for a FAIL at or above `fail_on`, 0 otherwise (as `scan`).
    pub fn exit_code(&self, fail_on: Severity) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self
            .results
            .iter()
            .any(|r| r.status == Status::Fail && r.severity() >= fail_on)
        {
            1
        } else {
            0
        }
    }
}

/// Check the node.
pub fn run(options: &Options) -> NodeReport {
    let host = host::Host::new(&options.root, options.proc.as_deref());
    evaluate::evaluate(&host, options)
}
