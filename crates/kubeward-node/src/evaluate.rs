//! Running the benchmark's checks over what [`crate::discover`] found.

use std::os::unix::fs::PermissionsExt;

use kubeward_controls::node::benchmark::{
    default_value, Check, EncryptionTest, FileCond, FileTarget, FlagTest, Setting, Test,
};
use kubeward_controls::node::flags::{self, Component, FlagKind};
use kubeward_controls::node::{config_lookup, config_type_problem};

use crate::discover::{discover, Discovery, Found, Source};
use crate::host::Host;
use crate::{CheckResult, ComponentInfo, Location, NodeError, NodeReport, Options, Role, Status};

pub fn evaluate(host: &Host, options: &Options) -> NodeReport {
    let mut errors = Vec::new();
    let d = discover(host, &mut errors);
    let role = options.role.unwrap_or_else(|| detect_role(&d));
    let mut results = Vec::new();
    for check in options.benchmark.checks() {
        if check.is_control_plane() && role == Role::Worker {
            continue;
        }
        results.push(run_check(host, &d, check, &mut errors));
    }
    // A bad config field read by several checks is one error.
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert(e.to_string()));
    let components = d
        .found
        .iter()
        .map(|f| ComponentInfo {
            name: f.component.binary(),
            source: f.source.clone(),
            manifest: f.manifest.clone(),
            config: f.config.as_ref().map(|c| c.path.clone()),
        })
        .collect();
    NodeReport {
        benchmark: options.benchmark,
        role,
        role_forced: options.role.is_some(),
        root: host.root.display().to_string(),
        components,
        results,
        errors,
    }
}

/// A control-plane node runs (or has a static pod manifest for) a control-plane component.
pub fn detect_role(d: &Discovery) -> Role {
    if d.found.iter().any(|f| f.component.is_control_plane()) {
        Role::Master
    } else {
        Role::Worker
    }
}

fn result(
    check: &'static Check,
    status: Status,
    observed: String,
    expected: String,
) -> CheckResult {
    CheckResult {
        check,
        status,
        observed,
        expected,
        location: None,
        source: None,
    }
}

/// FAIL for an Automated recommendation, WARN for a Manual one (as kube-bench).
fn failed(check: &Check) -> Status {
    if check.automated {
        Status::Fail
    } else {
        Status::Warn
    }
}

fn run_check(
    host: &Host,
    d: &Discovery,
    check: &'static Check,
    errors: &mut Vec<NodeError>,
) -> CheckResult {
    match &check.test {
        Test::Manual => result(
            check,
            Status::Manual,
            "not automated: review by hand".to_string(),
            "see the remediation".to_string(),
        ),
        Test::Flags(tests) => flag_check(d, check, tests, errors),
        Test::Encryption(which) => encryption_check(host, d, check, *which, errors),
        Test::File(ft) => file_check(host, d, check, &ft.target, ft.cond, errors),
    }
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// A setting as the component ends up with it.
struct Reading {
    explicit: Option<String>,
    default: Option<&'static str>,
    observed: String,
    location: Option<Location>,
}

/// Why a kubelet default is what it is.
fn default_note(c: Component, flag: &str, config_file: bool) -> &'static str {
    match (c, flag) {
        (Component::Kubelet, "anonymous-auth" | "authorization-mode" | "read-only-port") => {
            if config_file {
                ", KubeletConfiguration default"
            } else {
                ", kubelet default without --config"
            }
        }
        _ => "",
    }
}

fn manifest_location(f: &Found, item: usize) -> Option<Location> {
    match &f.source {
        Source::Manifest { file, .. } => {
            let pos = f.positions.get(item)?;
            Some(Location {
                file: file.clone(),
                line: Some(pos.line),
                column: Some(pos.column),
            })
        }
        Source::Process { .. } => None,
    }
}

/// Read a setting: the flag, else the config file, else etcd's variable, else the default.
/// Feature gates merge key by key, flags over file, as the kubelet merges them.
fn read_setting(f: &Found, s: &Setting, errors: &mut Vec<NodeError>) -> Reading {
    let c = f.component;
    let config_file = f.config.is_some();
    let default = default_value(c, s.flag, config_file);
    let flag = f.args.get(c, s.flag);
    let from_file = s.config.and_then(|path| {
        let cf = f.config.as_ref()?;
        let doc = cf.doc.as_ref()?;
        let v = config_lookup(doc.root(), path)?;
        if let Some(problem) = config_type_problem(s, v.node) {
            errors.push(NodeError::at(&cf.path, v.node.value_pos(), problem));
        }
        let pos = v.node.value_pos();
        Some((
            v.text,
            Location {
                file: cf.path.clone(),
                line: Some(pos.line),
                column: Some(pos.column),
            },
        ))
    });
    if c.flag_kind(s.flag) == FlagKind::Map {
        if let (Some(fv), Some((file_text, _))) = (&flag, &from_file) {
            let mut pairs = Vec::new();
            flags::merge_pairs(&mut pairs, file_text);
            flags::merge_pairs(&mut pairs, &fv.value);
            let merged = flags::render_pairs(&pairs);
            return Reading {
                observed: format!(
                    "--{}={} merged over the config file: {merged}",
                    s.flag, fv.value
                ),
                explicit: Some(merged),
                default,
                location: manifest_location(f, fv.item),
            };
        }
    }
    if let Some(fv) = flag {
        return Reading {
            observed: format!("--{}={}", s.flag, fv.value),
            location: manifest_location(f, fv.item),
            explicit: Some(fv.value),
            default,
        };
    }
    if let Some((text, location)) = from_file {
        return Reading {
            observed: format!("{}: {text}", s.config.unwrap_or(s.flag)),
            explicit: Some(text),
            default,
            location: Some(location),
        };
    }
    if c == Component::Etcd {
        let var = format!("ETCD_{}", s.flag.to_ascii_uppercase().replace('-', "_"));
        if let Some((_, v)) = f.env.iter().find(|(k, _)| *k == var) {
            return Reading {
                observed: format!("{var}={v}"),
                explicit: Some(v.clone()),
                default,
                location: None,
            };
        }
    }
    let observed = match default {
        Some(d) => format!(
            "{} not set (default {d}{})",
            s.describe(),
            default_note(c, s.flag, config_file)
        ),
        None => format!("{} not set", s.describe()),
    };
    Reading {
        explicit: None,
        default,
        observed,
        location: None,
    }
}

fn flag_check(
    d: &Discovery,
    check: &'static Check,
    tests: &[FlagTest],
    errors: &mut Vec<NodeError>,
) -> CheckResult {
    let expected = kubeward_controls::node::expected_text(&tests.iter().collect::<Vec<_>>());
    let component = tests[0].at.component;
    let Some(found) = d.get(component) else {
        return result(
            check,
            Status::Warn,
            if component.is_control_plane() {
                format!("{component} not found on this node (no process, no static pod manifest)")
            } else {
                format!("{component} not found on this node (no process)")
            },
            expected,
        );
    };
    let readings: Vec<(bool, Reading)> = tests
        .iter()
        .map(|t| {
            let r = read_setting(found, &t.at, errors);
            let explicit = r.explicit.as_deref();
            let holds = t.cond.holds(explicit, explicit.or(r.default));
            (holds, r)
        })
        .collect();
    let failing: Vec<&Reading> = readings
        .iter()
        .filter(|(h, _)| !h)
        .map(|(_, r)| r)
        .collect();
    let shown: Vec<&Reading> = if failing.is_empty() {
        readings.iter().map(|(_, r)| r).collect()
    } else {
        failing.clone()
    };
    let status = if failing.is_empty() {
        Status::Pass
    } else {
        failed(check)
    };
    let mut r = result(
        check,
        status,
        shown
            .iter()
            .map(|r| r.observed.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        expected,
    );
    r.location = shown.iter().find_map(|r| r.location.clone()).or_else(|| {
        found
            .config
            .as_ref()
            .filter(|_| tests.iter().any(|t| t.at.config.is_some()))
            .map(|c| Location {
                file: c.path.clone(),
                line: None,
                column: None,
            })
    });
    r.source = Some(format!("{component} {}", found.source));
    r
}

// ---------------------------------------------------------------------------------------
// Encryption at rest
// ---------------------------------------------------------------------------------------

/// The provider that writes Secrets, as the API server picks it: the first provider of the
/// first `resources` entry whose list covers `secrets` (`secrets`, or the wildcards `*.` for
/// the core group and `*.*` for everything). `Err` says why there is none.
fn secrets_provider<'a>(
    root: kubeward_yaml::NodeRef<'a>,
) -> Result<(&'a str, kubeward_yaml::NodeRef<'a>), String> {
    if root.get("kind").and_then(|k| k.as_str()) != Some("EncryptionConfiguration") {
        return Err("the file is not an EncryptionConfiguration".to_string());
    }
    let Some(entries) = root.get("resources").filter(|r| r.is_seq()) else {
        return Err("the EncryptionConfiguration has no `resources` list".to_string());
    };
    for entry in entries.items() {
        let covers = entry
            .get("resources")
            .map(|r| {
                r.items()
                    .filter_map(|n| n.as_str())
                    .any(|r| matches!(r, "secrets" | "*." | "*.*"))
            })
            .unwrap_or(false);
        if !covers {
            continue;
        }
        let first = entry
            .get("providers")
            .and_then(|p| p.items().next())
            .and_then(|p| p.entries().next());
        return match first {
            Some((name, node)) => Ok((name, node)),
            None => Err("the entry for secrets lists no provider".to_string()),
        };
    }
    Err("no resources entry covers secrets, so they are written unencrypted (identity)".to_string())
}

/// CIS 1.2.27 and 1.2.28 from the EncryptionConfiguration the API server reads.
fn encryption_check(
    host: &Host,
    d: &Discovery,
    check: &'static Check,
    which: EncryptionTest,
    errors: &mut Vec<NodeError>,
) -> CheckResult {
    let expected = match which {
        EncryptionTest::ConfigSet => {
            "--encryption-provider-config set to a readable EncryptionConfiguration"
        }
        EncryptionTest::SecretsEncrypted => {
            "the first provider for secrets encrypts (aescbc, aesgcm, secretbox or kms), not identity"
        }
    }
    .to_string();
    let Some(found) = d.get(Component::ApiServer) else {
        return result(
            check,
            Status::Warn,
            "kube-apiserver not found on this node (no process, no static pod manifest)"
                .to_string(),
            expected,
        );
    };
    let setting = Setting {
        component: Component::ApiServer,
        flag: "encryption-provider-config",
        config: None,
    };
    let reading = read_setting(found, &setting, errors);
    let source = Some(format!("kube-apiserver {}", found.source));
    let Some(path) = reading.explicit.clone().filter(|p| !p.is_empty()) else {
        let mut r = result(
            check,
            Status::Fail,
            "--encryption-provider-config not set: Secrets are written to etcd unencrypted"
                .to_string(),
            expected,
        );
        r.location = reading.location;
        r.source = source;
        return r;
    };
    let text = match std::fs::read_to_string(host.resolve(&path)) {
        Ok(t) => t,
        Err(e) => {
            errors.push(NodeError::file(&path, format!("cannot read: {e}")));
            let mut r = result(
                check,
                Status::Warn,
                format!("--encryption-provider-config={path}, which cannot be read"),
                expected,
            );
            r.source = source;
            return r;
        }
    };
    let parsed = kubeward_yaml::parse_str(&text, &kubeward_yaml::Limits::default());
    if let Some(p) = &parsed.error {
        errors.push(NodeError::at(&path, p.pos, p.message.clone()));
    }
    let at = |pos: Option<kubeward_yaml::Pos>| Location {
        file: path.clone(),
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
    };
    let verdict = match parsed.documents.first() {
        Some(doc) if parsed.error.is_none() => secrets_provider(doc.root()),
        _ => Err("the file does not parse".to_string()),
    };
    let (status, observed, location) = match (which, verdict) {
        (EncryptionTest::ConfigSet, Ok(_)) => (
            Status::Pass,
            format!("--encryption-provider-config={path}"),
            at(None),
        ),
        (EncryptionTest::ConfigSet, Err(why)) if why.starts_with("no resources entry") => (
            Status::Pass,
            format!("--encryption-provider-config={path}"),
            at(None),
        ),
        (EncryptionTest::ConfigSet, Err(why)) => (
            Status::Fail,
            format!("--encryption-provider-config={path}: {why}"),
            at(None),
        ),
        (EncryptionTest::SecretsEncrypted, Ok(("identity", node))) => (
            Status::Fail,
            format!("{path}: the first provider for secrets is identity: Secrets are written unencrypted"),
            at(Some(node.pos())),
        ),
        (EncryptionTest::SecretsEncrypted, Ok((name, node))) => (
            Status::Pass,
            format!("{path}: the first provider for secrets is {name}"),
            at(Some(node.pos())),
        ),
        (EncryptionTest::SecretsEncrypted, Err(why)) => {
            (Status::Fail, format!("{path}: {why}"), at(None))
        }
    };
    let mut r = result(check, status, observed, expected);
    r.location = Some(location);
    r.source = source;
    r
}

// ---------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------

/// Which host paths a file check looks at, or why there are none (and whether that passes).
fn targets(
    host: &Host,
    d: &Discovery,
    target: &FileTarget,
    errors: &mut Vec<NodeError>,
) -> Result<Vec<String>, (Status, String)> {
    let exists = |p: &str| host.resolve(p).exists();
    match target {
        FileTarget::Manifest(c) => {
            let path = d
                .get(*c)
                .and_then(|f| f.manifest.clone())
                .unwrap_or_else(|| format!("/etc/kubernetes/manifests/{}.yaml", c.binary()));
            if exists(&path) {
                Ok(vec![path])
            } else {
                Err((
                    Status::Warn,
                    format!("{path} not found ({c} has no static pod manifest here)"),
                ))
            }
        }
        FileTarget::Path {
            at,
            fallback,
            if_exists,
        } => {
            let named = at.and_then(|s| {
                let f = d.get(s.component)?;
                read_setting(f, &s, errors).explicit.map(|p| (p, s))
            });
            let path = match &named {
                Some((p, _)) => Some(p.clone()),
                None => fallback.iter().find(|p| exists(p)).map(|p| p.to_string()),
            };
            match path {
                Some(p) if exists(&p) => Ok(vec![p]),
                missing => {
                    let what = match (&missing, &named) {
                        (Some(p), Some((_, s))) => {
                            format!("{p} (from {}) does not exist", s.describe())
                        }
                        _ => format!("not found: {}", fallback.join(", ")),
                    };
                    let status = if *if_exists {
                        Status::Pass
                    } else {
                        Status::Warn
                    };
                    Err((status, what))
                }
            }
        }
        FileTarget::Each(paths) => {
            let present: Vec<String> = paths
                .iter()
                .filter(|p| exists(p))
                .map(|p| p.to_string())
                .collect();
            if present.is_empty() {
                Err((Status::Warn, format!("not found: {}", paths.join(", "))))
            } else {
                Ok(present)
            }
        }
        FileTarget::Tree {
            roots,
            suffix,
            dirs,
        } => {
            let mut out = Vec::new();
            let mut any_root = false;
            for root in *roots {
                let base = host.resolve(root);
                if !base.is_dir() {
                    continue;
                }
                any_root = true;
                for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
                    let entry = match entry {
                        Ok(e) => e,
                        Err(e) => {
                            let at = e
                                .path()
                                .map(|p| host_path(host, p))
                                .unwrap_or_else(|| root.to_string());
                            errors.push(NodeError::file(&at, format!("cannot read: {e}")));
                            continue;
                        }
                    };
                    let is_dir = entry.file_type().is_dir();
                    let wanted = if is_dir {
                        *dirs
                    } else {
                        suffix.is_none_or(|s| entry.file_name().to_string_lossy().ends_with(s))
                    };
                    if wanted {
                        out.push(host_path(host, entry.path()));
                    }
                }
            }
            if !any_root {
                Err((Status::Warn, format!("not found: {}", roots.join(", "))))
            } else if out.is_empty() {
                let what = suffix.map_or("files".to_string(), |s| format!("*{s} files"));
                Err((
                    Status::Warn,
                    format!("no {what} under {}", roots.join(", ")),
                ))
            } else {
                Ok(out)
            }
        }
    }
}

/// A path under the root as the host sees it.
fn host_path(host: &Host, p: &std::path::Path) -> String {
    match p.strip_prefix(&host.root) {
        Ok(rel) => format!("/{}", rel.display()),
        Err(_) => p.display().to_string(),
    }
}

fn file_check(
    host: &Host,
    d: &Discovery,
    check: &'static Check,
    target: &FileTarget,
    cond: FileCond,
    errors: &mut Vec<NodeError>,
) -> CheckResult {
    let expected = cond.expected();
    let paths = match targets(host, d, target, errors) {
        Ok(p) => p,
        Err((status, why)) => return result(check, status, why, expected),
    };
    let mut seen = Vec::new();
    let mut bad = Vec::new();
    let mut unreadable = false;
    for p in &paths {
        let meta = match host.stat(p) {
            Ok(m) => m,
            Err(e) => {
                errors.push(NodeError::file(p, format!("cannot stat: {e}")));
                unreadable = true;
                continue;
            }
        };
        let (ok, value) = match cond {
            FileCond::ModeAtMost(max) => {
                let mode = meta.permissions().mode() & 0o7777;
                (mode & !max == 0, format!("permissions {mode:o}"))
            }
            FileCond::Owner(want) => {
                let owner = host.owner(&meta);
                (owner == want, format!("owner {owner}"))
            }
        };
        if !ok {
            bad.push((p.clone(), value.clone()));
        }
        seen.push((p.clone(), value));
    }
    let status = if !bad.is_empty() {
        failed(check)
    } else if unreadable || seen.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let observed = describe_files(&seen, &bad, unreadable);
    let mut r = result(check, status, observed, expected);
    r.location = bad.first().or(seen.first()).map(|(p, _)| Location {
        file: p.clone(),
        line: None,
        column: None,
    });
    r
}

/// `permissions 644 (/etc/kubernetes/admin.conf)`, or for many files the failing ones.
fn describe_files(seen: &[(String, String)], bad: &[(String, String)], unreadable: bool) -> String {
    const SHOWN: usize = 5;
    let list = |items: &[(String, String)]| {
        let mut parts: Vec<String> = items
            .iter()
            .take(SHOWN)
            .map(|(p, v)| format!("{v} ({p})"))
            .collect();
        if items.len() > SHOWN {
            parts.push(format!("and {} more", items.len() - SHOWN));
        }
        parts.join(", ")
    };
    let mut out = if seen.len() <= 1 && bad.len() <= 1 {
        list(if bad.is_empty() { seen } else { bad })
    } else if bad.is_empty() {
        format!("{} files, all as expected", seen.len())
    } else {
        format!("{} of {} fail: {}", bad.len(), seen.len(), list(bad))
    };
    if unreadable {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str("some could not be read");
    }
    out
}
