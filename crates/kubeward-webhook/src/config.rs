//! The webhook's config file: cluster defaults, exemptions, failure mode, engine settings and,
//! for `--no-cluster`, static namespace labels.
//!
//! Read with kubeward's own YAML loader, like `.kubeward.yaml`: every problem is an error with
//! file, line and column, unknown keys are errors, and the server does not start with one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use kubeward_controls::{registry, PssVersion, Severity};
use kubeward_engine::config::Reader;
use kubeward_engine::InputError;
use kubeward_yaml::{parse_str, Limits};

use crate::policy::{Level, Levels};

/// What to answer when an object cannot be evaluated (no object in a CREATE or UPDATE, an
/// object that is not a Kubernetes object). Logged either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Levels for namespaces without kubeward labels, and for cluster-scoped objects.
    pub defaults: Levels,
    /// `all` = `restricted` plus every other per-object control at or above this severity.
    pub all_min_severity: Severity,
    pub pss_version: PssVersion,
    pub exempt_namespaces: Vec<String>,
    pub exempt_usernames: Vec<String>,
    pub exempt_runtime_classes: Vec<String>,
    pub on_error: OnError,
    pub enable: Vec<&'static str>,
    pub disable: Vec<&'static str>,
    pub severity: Vec<(&'static str, Severity)>,
    pub allowed_registries: Vec<String>,
    pub require_image_pull_always: bool,
    /// Static namespace labels (used when there is no cluster access: `--no-cluster`, tests).
    pub namespaces: HashMap<String, BTreeMap<String, String>>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            defaults: Levels {
                enforce: Level::Baseline,
                warn: Level::Restricted,
                audit: Level::Restricted,
            },
            all_min_severity: Severity::Low,
            pss_version: PssVersion::LATEST,
            exempt_namespaces: Vec::new(),
            exempt_usernames: Vec::new(),
            exempt_runtime_classes: Vec::new(),
            on_error: OnError::Deny,
            enable: Vec::new(),
            disable: Vec::new(),
            severity: Vec::new(),
            allowed_registries: Vec::new(),
            require_image_pull_always: false,
            namespaces: HashMap::new(),
        }
    }
}

impl WebhookConfig {
    pub fn load(path: &Path) -> Result<WebhookConfig, Vec<InputError>> {
        let (file, text) = kubeward_engine::config::read(path)?;
        Self::parse(&text, file)
    }

    pub fn parse(text: &str, file: Arc<str>) -> Result<WebhookConfig, Vec<InputError>> {
        let parsed = parse_str(text, &Limits::default());
        if let Some(p) = parsed.error {
            return Err(vec![InputError::at(&file, p.pos, &p.message)]);
        }
        let mut cfg = WebhookConfig::default();
        let mut r = Reader::new(file);
        let Some(doc) = parsed.documents.first() else {
            return Ok(cfg);
        };
        let root = doc.root();
        if root.is_null() {
            return Ok(cfg);
        }
        if !root.is_map() {
            r.err(root, "the config file must be a mapping".to_string());
            return Err(r.into_errors());
        }
        for (key, value) in root.entries() {
            match key {
                "defaults" => {
                    for (k, v) in r.map(value, "defaults") {
                        let what = format!("defaults.{k}");
                        match k {
                            "enforce" => cfg.defaults.enforce = r.parsed::<Level>(v, &what, &format!("a level: {}", Level::NAMES)).unwrap_or(cfg.defaults.enforce),
                            "warn" => cfg.defaults.warn = r.parsed::<Level>(v, &what, &format!("a level: {}", Level::NAMES)).unwrap_or(cfg.defaults.warn),
                            "audit" => cfg.defaults.audit = r.parsed::<Level>(v, &what, &format!("a level: {}", Level::NAMES)).unwrap_or(cfg.defaults.audit),
                            other => r.err(v, format!("unknown key {other:?} in `defaults` (known: enforce, warn, audit)")),
                        }
                    }
                }
                "allMinSeverity" => {
                    if let Some(s) = r.parsed::<Severity>(value, "allMinSeverity", "a severity") {
                        cfg.all_min_severity = s;
                    }
                }
                "pssVersion" => {
                    if let Some(v) = r.parsed::<PssVersion>(value, "pssVersion", "a version such as v1.37") {
                        cfg.pss_version = v;
                    }
                }
                "exemptions" => {
                    for (k, v) in r.map(value, "exemptions") {
                        match k {
                            "namespaces" => cfg.exempt_namespaces = r.strings(v, "exemptions.namespaces"),
                            "usernames" => cfg.exempt_usernames = r.strings(v, "exemptions.usernames"),
                            "runtimeClasses" => cfg.exempt_runtime_classes = r.strings(v, "exemptions.runtimeClasses"),
                            other => r.err(v, format!("unknown key {other:?} in `exemptions` (known: namespaces, usernames, runtimeClasses)")),
                        }
                    }
                }
                "onError" => match value.scalar_text() {
                    Some("allow") => cfg.on_error = OnError::Allow,
                    Some("deny") => cfg.on_error = OnError::Deny,
                    _ => r.err(value, "`onError` must be allow or deny".to_string()),
                },
                "controls" => {
                    for (k, v) in r.map(value, "controls") {
                        match k {
                            "enable" => cfg.enable = r.control_ids(v, "controls.enable"),
                            "disable" => cfg.disable = r.control_ids(v, "controls.disable"),
                            other => r.err(v, format!("unknown key {other:?} in `controls` (known: enable, disable)")),
                        }
                    }
                }
                "severity" => {
                    for (k, v) in r.map(value, "severity") {
                        let Some(c) = registry::find(k) else {
                            r.err(v, format!("`severity`: unknown control {k:?}"));
                            continue;
                        };
                        if let Some(s) = r.parsed::<Severity>(v, &format!("severity.{k}"), "a severity") {
                            cfg.severity.push((c.meta().id, s));
                        }
                    }
                }
                "allowedRegistries" => cfg.allowed_registries = r.strings(value, "allowedRegistries"),
                "requireImagePullAlways" => cfg.require_image_pull_always = r.bool(value, "requireImagePullAlways"),
                "namespaces" => {
                    for (ns, labels) in r.map(value, "namespaces") {
                        let mut map = BTreeMap::new();
                        for (k, v) in r.map(labels, &format!("namespaces.{ns}")) {
                            if let Some(s) = r.string(v, &format!("namespaces.{ns}.{k}")) {
                                if crate::policy::LABELS.contains(&k) {
                                    if let Err(e) = s.parse::<Level>() {
                                        r.err(v, format!("`namespaces.{ns}['{k}']`: {e}"));
                                    }
                                }
                                map.insert(k.to_string(), s);
                            }
                        }
                        cfg.namespaces.insert(ns.to_string(), map);
                    }
                }
                other => r.err(
                    value,
                    format!(
                        "unknown key {other:?} (known: defaults, allMinSeverity, pssVersion, exemptions, onError, \
                         controls, severity, allowedRegistries, requireImagePullAlways, namespaces)"
                    ),
                ),
            }
        }
        if r.errors().is_empty() {
            Ok(cfg)
        } else {
            Err(r.into_errors())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WebhookConfig, Vec<InputError>> {
        WebhookConfig::parse(text, Arc::from("serve.yaml"))
    }

    #[test]
    fn full_file_parses() {
        let cfg = parse(
            "defaults: {enforce: restricted, warn: all, audit: all}\nallMinSeverity: high\n\
             pssVersion: v1.30\nexemptions:\n  namespaces: [kube-system]\n  usernames: [admin]\n  \
             runtimeClasses: [kata]\nonError: allow\ncontrols: {disable: [KW307]}\nseverity: {KW101: low}\n\
             allowedRegistries: [ghcr.io/acme]\nrequireImagePullAlways: true\n\
             namespaces:\n  team-a: {kubeward.io/enforce: privileged, other: x}\n",
        )
        .unwrap();
        assert_eq!(cfg.defaults.enforce, Level::Restricted);
        assert_eq!(cfg.defaults.warn, Level::All);
        assert_eq!(cfg.all_min_severity, Severity::High);
        assert_eq!(cfg.pss_version.minor(), 30);
        assert_eq!(cfg.exempt_runtime_classes, vec!["kata"]);
        assert_eq!(cfg.on_error, OnError::Allow);
        assert_eq!(cfg.disable, vec!["KW307"]);
        assert_eq!(cfg.severity, vec![("KW101", Severity::Low)]);
        assert_eq!(
            cfg.namespaces["team-a"]["kubeward.io/enforce"],
            "privileged"
        );
    }

    #[test]
    fn errors_are_located_and_unknown_keys_rejected() {
        let errors =
            parse("defaults:\n  enforce: strict\n  wran: all\nexemption: {}\n").unwrap_err();
        let lines: Vec<(u32, &str)> = errors
            .iter()
            .map(|e| (e.pos.unwrap().line, e.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, 2);
        assert!(
            lines[0].1.contains("unknown level \"strict\""),
            "{}",
            lines[0].1
        );
        assert_eq!(lines[1].0, 3);
        assert!(lines[1].1.contains("unknown key \"wran\" in `defaults`"));
        assert_eq!(lines[2].0, 4);
        assert!(lines[2].1.contains("unknown key \"exemption\""));
        assert!(parse("onError: maybe\n").is_err());
        assert!(parse("controls: {disable: [KW999]}\n").is_err());
        assert!(parse("namespaces: {a: {kubeward.io/warn: strict}}\n").is_err());
        assert!(parse("- a\n").is_err());
        assert!(parse("").is_ok());
    }
}
