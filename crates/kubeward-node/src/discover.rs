//! Finding the components of a node: running processes (from /proc) first, then static pod
//! manifests, and the config files their `--config` flags name.

use std::path::Path;

use kubeward_controls::node::flags::{self, Args, Component};
use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_str, Document, Limits, Pos};
use serde::Serialize;

use crate::host::Host;
use crate::NodeError;

/// Where a component's command line was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// A running process.
    Process { pid: u32 },
    /// A container of a static pod manifest (host path).
    Manifest { file: String, container: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Process { pid } => write!(f, "process {pid}"),
            Source::Manifest { file, container } => {
                write!(f, "{file} (container {container:?})")
            }
        }
    }
}

/// A component config file (`--config` of the kubelet or kube-proxy).
pub struct ConfigFile {
    /// The host path, as the flag gives it.
    pub path: String,
    /// `None` when it could not be read or parsed (an input error says why).
    pub doc: Option<Document>,
}

/// A component found on the node.
pub struct Found {
    pub component: Component,
    pub source: Source,
    pub argv: Vec<String>,
    /// For a manifest source: where each word of `argv` is.
    pub positions: Vec<Pos>,
    pub args: Args,
    /// `ETCD_*` variables (etcd reads a flag from its variable when the flag is not given).
    pub env: Vec<(String, String)>,
    pub config: Option<ConfigFile>,
    /// The component's static pod manifest, if it has one (host path), whatever the source.
    pub manifest: Option<String>,
}

impl Found {
    fn new(component: Component, source: Source, argv: Vec<String>, start: usize) -> Found {
        let args = flags::parse(component, &argv, start);
        Found {
            component,
            source,
            argv,
            positions: Vec::new(),
            args,
            env: Vec::new(),
            config: None,
            manifest: None,
        }
    }
}

/// The manifest directories kubeadm and common distributions use.
pub const MANIFEST_DIRS: &[&str] = &["/etc/kubernetes/manifests"];

/// What the node runs.
#[derive(Default)]
pub struct Discovery {
    pub found: Vec<Found>,
    /// Static pod manifests seen (host paths), components or not.
    pub manifests: Vec<String>,
}

impl Discovery {
    pub fn get(&self, c: Component) -> Option<&Found> {
        self.found.iter().find(|f| f.component == c)
    }
}

/// Find the components: processes, then static pod manifests for those not running, then
/// the config files of the kubelet and kube-proxy.
pub fn discover(host: &Host, errors: &mut Vec<NodeError>) -> Discovery {
    let mut d = Discovery::default();
    processes(host, &mut d.found);
    for dir in MANIFEST_DIRS {
        manifests(host, dir, &mut d, errors);
    }
    for f in &mut d.found {
        if matches!(f.component, Component::Kubelet | Component::Proxy) {
            if let Some(path) = f.args.get(f.component, "config").map(|v| v.value) {
                if !path.is_empty() {
                    f.config = Some(load_config(host, &path, f.component, errors));
                }
            }
        }
    }
    d.found.sort_by_key(|f| f.component);
    d
}

/// The process table: every numeric entry of the proc directory whose command line (or,
/// when argv[0] was rewritten, whose `comm`) names a component. The first process of each
/// component (lowest PID) is the one checked.
fn processes(host: &Host, out: &mut Vec<Found>) {
    let Ok(entries) = std::fs::read_dir(&host.proc) else {
        return;
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    let me = std::process::id();
    for pid in pids.into_iter().filter(|p| *p != me) {
        let dir = host.proc.join(pid.to_string());
        // A process may exit between the listing and the read: skip it.
        let Ok(raw) = std::fs::read(dir.join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = raw
            .strip_suffix(&[0])
            .unwrap_or(&raw)
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        if argv.first().is_none_or(|a| a.is_empty()) {
            continue; // kernel thread or zombie
        }
        let (component, start) = match Component::of_command_line(&argv) {
            Some(hit) => hit,
            None => match comm_component(&dir) {
                Some(c) => (c, 1),
                None => continue,
            },
        };
        if out.iter().any(|f| f.component == component) {
            continue;
        }
        let mut found = Found::new(component, Source::Process { pid }, argv, start);
        if component == Component::Etcd {
            found.env = etcd_env(&std::fs::read(dir.join("environ")).unwrap_or_default());
        }
        out.push(found);
    }
}

/// The component a process's `comm` names (the kernel keeps 15 bytes of it).
fn comm_component(dir: &Path) -> Option<Component> {
    let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
    let comm = comm.trim_end_matches('\n');
    Component::ALL.into_iter().find(|c| {
        let b = c.binary();
        !comm.is_empty() && (comm == b || (comm.len() == 15 && b.starts_with(comm)))
    })
}

/// The `ETCD_*` variables of a NUL-separated environment block.
fn etcd_env(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            let (k, v) = kv.split_once('=')?;
            k.starts_with("ETCD_")
                .then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Read the static pod manifests of a directory. Components already found as processes
/// only learn their manifest path; the others are read from the manifest.
fn manifests(host: &Host, dir: &str, d: &mut Discovery, errors: &mut Vec<NodeError>) {
    let Ok(entries) = std::fs::read_dir(host.resolve(dir)) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            [".yaml", ".yml", ".json", ".manifest"]
                .iter()
                .any(|ext| n.ends_with(ext))
        })
        .collect();
    names.sort();
    for name in names {
        let host_path = format!("{}/{name}", dir.trim_end_matches('/'));
        let text = match std::fs::read(host.resolve(&host_path)) {
            Ok(bytes) => match kubeward_yaml::decode(&bytes) {
                Ok(t) => t.to_string(),
                Err(p) => {
                    errors.push(NodeError::at(&host_path, p.pos, p.message));
                    continue;
                }
            },
            Err(e) => {
                errors.push(NodeError::file(&host_path, format!("cannot read: {e}")));
                continue;
            }
        };
        d.manifests.push(host_path.clone());
        let parsed = parse_str(&text, &Limits::default());
        if let Some(p) = parsed.error {
            errors.push(NodeError::at(&host_path, p.pos, p.message));
        }
        for doc in &parsed.documents {
            for item in objects_in(doc) {
                let object = match item {
                    Item::Object(o) => o,
                    Item::Invalid(p) => {
                        errors.push(NodeError::at(&host_path, p.pos, p.message));
                        continue;
                    }
                    Item::NotAnObject { .. } => continue,
                };
                let Some(pod) = object.pod() else { continue };
                for c in pod.containers() {
                    manifest_container(&host_path, &c, d);
                }
            }
        }
    }
}

fn manifest_container(file: &str, c: &kubeward_model::Container<'_>, d: &mut Discovery) {
    for component in Component::ALL {
        let Some((words, start)) = kubeward_controls::node::component_words(c, component) else {
            continue;
        };
        if let Some(f) = d.found.iter_mut().find(|f| f.component == component) {
            f.manifest.get_or_insert_with(|| file.to_string());
            return;
        }
        let argv: Vec<String> = words.iter().map(|w| w.1.to_string()).collect();
        let source = Source::Manifest {
            file: file.to_string(),
            container: c.name.to_string(),
        };
        let mut found = Found::new(component, source, argv, start);
        found.positions = words.iter().map(|w| w.0.pos()).collect();
        found.manifest = Some(file.to_string());
        if component == Component::Etcd {
            found.env = container_env(c);
        }
        d.found.push(found);
        return;
    }
}

/// Literal `ETCD_*` variables of a container.
fn container_env(c: &kubeward_model::Container<'_>) -> Vec<(String, String)> {
    let Some(list) = c.node.get("env").filter(|l| l.is_seq()) else {
        return Vec::new();
    };
    list.items()
        .filter_map(|e| {
            let name = e.get("name")?.as_str()?;
            let value = e.get("value")?.scalar_text()?;
            name.starts_with("ETCD_")
                .then(|| (name.to_string(), value.to_string()))
        })
        .collect()
}

/// Read a component config file. Problems are input errors with their location; the checks
/// then fall back to flags and defaults.
fn load_config(host: &Host, path: &str, c: Component, errors: &mut Vec<NodeError>) -> ConfigFile {
    let mut out = ConfigFile {
        path: path.to_string(),
        doc: None,
    };
    let bytes = match std::fs::read(host.resolve(path)) {
        Ok(b) => b,
        Err(e) => {
            errors.push(NodeError::file(
                path,
                format!("cannot read the {c} config file (--config): {e}"),
            ));
            return out;
        }
    };
    let text = match kubeward_yaml::decode(&bytes) {
        Ok(t) => t,
        Err(p) => {
            errors.push(NodeError::at(path, p.pos, p.message));
            return out;
        }
    };
    let mut parsed = parse_str(text, &Limits::default());
    if let Some(p) = parsed.error {
        errors.push(NodeError::at(path, p.pos, p.message));
        return out;
    }
    let Some(doc) = parsed.documents.drain(..).next() else {
        errors.push(NodeError::file(
            path,
            format!("the {c} config file is empty"),
        ));
        return out;
    };
    let root = doc.root();
    let want = match c {
        Component::Kubelet => "KubeletConfiguration",
        _ => "KubeProxyConfiguration",
    };
    if !root.is_map() {
        errors.push(NodeError::at(
            path,
            root.value_pos(),
            format!(
                "expected a {want} mapping, found {}",
                root.value_type().describe()
            ),
        ));
        return out;
    }
    match root.get("kind") {
        Some(k) if k.as_str() == Some(want) => {}
        Some(k) => {
            errors.push(NodeError::at(
                path,
                k.value_pos(),
                format!(
                    "`kind` must be {want}, found {}",
                    k.scalar_text().unwrap_or("a collection")
                ),
            ));
            return out;
        }
        None => {
            errors.push(NodeError::at(
                path,
                root.value_pos(),
                format!("no `kind`: expected kind: {want}"),
            ));
            return out;
        }
    }
    out.doc = Some(doc);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_variables() {
        let env = etcd_env(b"PATH=/bin\0ETCD_CERT_FILE=/c.crt\0ETCD_AUTO_TLS=true\0junk\0");
        assert_eq!(
            env,
            vec![
                ("ETCD_CERT_FILE".to_string(), "/c.crt".to_string()),
                ("ETCD_AUTO_TLS".to_string(), "true".to_string())
            ]
        );
    }
}
