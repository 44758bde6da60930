//! `.kubeward.yaml`: the configuration teams commit next to their manifests.
//!
//! Read with kubeward's own YAML loader so that every error names the file, line and column;
//! unknown keys are errors (a typo must not silently disable an exclusion or a setting).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use kubeward_controls::{registry, PssVersion, Severity};
use kubeward_yaml::{parse_str, Limits, NodeRef, Pos};

use crate::{Finding, Framework, InputError};

pub const FILE_NAME: &str = ".kubeward.yaml";

/// A parsed configuration file.
#[derive(Debug, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    pub frameworks: Option<Vec<Framework>>,
    pub pss_version: Option<PssVersion>,
    /// Control IDs: only these run (empty: all selected by framework).
    pub enable: Vec<&'static str>,
    /// Control IDs that never run.
    pub disable: Vec<&'static str>,
    pub severity: Vec<(&'static str, Severity)>,
    pub allowed_registries: Vec<String>,
    pub require_image_pull_always: bool,
    /// `secretMaxAgeDays`: credential Secrets older than this are reported (KW903).
    pub secret_max_age_days: Option<u32>,
    pub exclude: Vec<Exclusion>,
    /// The `audit:` section, for `kubeward audit`.
    pub audit: AuditConfig,
    /// The `licenses:` section: the licence policy of `kubeward image` (docs/image.md).
    pub licenses: LicensePolicy,
    /// `policies:`: files and directories of users' policies, relative to the config file.
    pub policies: Vec<PathBuf>,
}

/// `licenses: {deny: [...], allow: [...]}`: SPDX licence IDs. A package whose declared licence
/// expression cannot be satisfied without a denied licence, or (with an allow list) cannot be
/// satisfied with allowed licences only, is a finding of `kubeward image`. The IDs are
/// checked against the SPDX licence list where they are used (kubeward-image), with `pos`.
#[derive(Clone, Debug, Default)]
pub struct LicensePolicy {
    pub deny: Vec<String>,
    pub allow: Vec<String>,
    /// Where the section is written.
    pub pos: Option<Pos>,
}

/// The `audit:` section: settings of `kubeward audit` (docs/audit.md).
#[derive(Clone, Debug, Default)]
pub struct AuditConfig {
    /// How many 401/403 responses to one user or source address make a burst (KW1009).
    pub auth_failure_threshold: Option<u32>,
    /// The time window those responses must fall in.
    pub auth_failure_window: Option<std::time::Duration>,
    /// User names (globs) treated like system components: their secret reads, token
    /// requests and webhook, CSR and event changes are expected.
    pub trusted_users: Vec<String>,
}

/// A time window: `90s`, `5m`, `1h`, or a number of seconds.
pub fn parse_window(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => 0,
    };
    // `n * scale` overflows for hours past u64::MAX / 3600: checked, so a huge window is
    // refused instead of wrapping to a short one (or panicking where overflow is checked).
    match number.parse::<u64>().map(|n| (n, n.checked_mul(scale))) {
        Ok((n, Some(secs))) if n > 0 && scale > 0 => Ok(std::time::Duration::from_secs(secs)),
        _ => Err(format!(
            "invalid window {text:?} (expected a positive number of seconds, or e.g. 90s, 5m, 1h)"
        )),
    }
}

/// Findings to exclude, each with a reason and an optional expiry date.
#[derive(Clone, Debug)]
pub struct Exclusion {
    pub paths: Vec<GlobMatcher>,
    pub namespaces: Vec<GlobMatcher>,
    pub kinds: Vec<GlobMatcher>,
    pub names: Vec<GlobMatcher>,
    pub controls: Vec<&'static str>,
    /// Vulnerability IDs (OSV, CVE, GHSA; an alias matches too) for `kubeward image`: an
    /// exclusion that lists some applies to image findings of those vulnerabilities only.
    pub vulnerabilities: Vec<String>,
    pub reason: String,
    /// (year, month, day)
    pub expires: Option<(i32, u32, u32)>,
    /// Where it is written, to report it when it expires.
    pub pos: Pos,
}

impl Exclusion {
    pub fn expired(&self, today: (i32, u32, u32)) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// Whether it suppresses `f`, a finding that is not about a vulnerability.
    pub fn matches(&self, f: &Finding) -> bool {
        self.vulnerabilities.is_empty() && self.matches_selectors(f)
    }

    /// For a finding about a vulnerability known by `ids` (its ID and aliases): the selectors
    /// match, and the exclusion lists none of the IDs or one of them.
    pub fn matches_vulnerability(&self, f: &Finding, ids: &[&str]) -> bool {
        (self.vulnerabilities.is_empty()
            || self
                .vulnerabilities
                .iter()
                .any(|v| ids.iter().any(|id| id.eq_ignore_ascii_case(v))))
            && self.matches_selectors(f)
    }

    fn matches_selectors(&self, f: &Finding) -> bool {
        let any = |globs: &[GlobMatcher], value: &str| {
            globs.is_empty() || globs.iter().any(|g| g.is_match(value))
        };
        let file = f.file.strip_prefix("./").unwrap_or(&f.file);
        (self.controls.is_empty() || self.controls.contains(&f.control.id))
            && any(&self.paths, file)
            && any(
                &self.namespaces,
                f.object.namespace.as_deref().unwrap_or(""),
            )
            && any(&self.kinds, &f.object.kind)
            && any(&self.names, &f.object.name)
    }
}

/// Today's date in UTC as (year, month, day).
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// Howard Hinnant's `civil_from_days`: a date from days since 1970-01-01. Ten lines of
/// arithmetic do not warrant a date-time crate for comparing expiry dates.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d) && s.len() == 10).then_some((y, m, d))
}

/// Find `.kubeward.yaml` in `start` or the nearest parent directory.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads a config file's tree, collecting every problem with its line and column instead
/// of stopping at the first. Shared by every config file kubeward reads (`.kubeward.yaml`,
/// the webhook's config), so they accept and reject values the same way.
pub struct Reader {
    file: Arc<str>,
    errors: Vec<InputError>,
}

impl Reader {
    pub fn new(file: Arc<str>) -> Self {
        Reader {
            file,
            errors: Vec::new(),
        }
    }

    /// The problems found so far.
    pub fn errors(&self) -> &[InputError] {
        &self.errors
    }

    pub fn into_errors(self) -> Vec<InputError> {
        self.errors
    }

    pub fn err(&mut self, at: NodeRef<'_>, msg: String) {
        self.errors.push(InputError::at(&self.file, at.pos(), &msg));
    }

    /// A mapping's entries; null is an empty mapping.
    pub fn map<'a>(&mut self, node: NodeRef<'a>, what: &str) -> Vec<(&'a str, NodeRef<'a>)> {
        if node.is_null() {
            return Vec::new();
        }
        if !node.is_map() {
            self.err(node, format!("`{what}` must be a mapping"));
            return Vec::new();
        }
        node.entries().collect()
    }

    /// A scalar, as text.
    pub fn string(&mut self, node: NodeRef<'_>, what: &str) -> Option<String> {
        match node
            .scalar_text()
            .filter(|_| !node.is_map() && !node.is_seq())
        {
            Some(s) => Some(s.to_string()),
            None => {
                self.err(node, format!("`{what}` must be a string"));
                None
            }
        }
    }

    /// A list of strings; a single string is a list of one, null an empty list.
    pub fn strings(&mut self, node: NodeRef<'_>, what: &str) -> Vec<String> {
        if node.is_null() {
            return Vec::new();
        }
        if let Some(s) = node.as_str() {
            return vec![s.to_string()];
        }
        if !node.is_seq() {
            self.err(node, format!("`{what}` must be a list of strings"));
            return Vec::new();
        }
        let mut out = Vec::new();
        for item in node.items() {
            match item
                .scalar_text()
                .filter(|_| !item.is_map() && !item.is_seq())
            {
                Some(s) => out.push(s.to_string()),
                None => self.err(item, format!("`{what}` items must be strings")),
            }
        }
        out
    }

    /// A scalar parsed as `T` (a severity, a level, a version); `expected` says what a value
    /// looks like when the node is not a scalar at all.
    pub fn parsed<T: std::str::FromStr<Err = String>>(
        &mut self,
        node: NodeRef<'_>,
        what: &str,
        expected: &str,
    ) -> Option<T> {
        match node
            .scalar_text()
            .filter(|_| !node.is_map() && !node.is_seq())
            .map(str::parse::<T>)
        {
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                self.err(node, format!("`{what}`: {e}"));
                None
            }
            None => {
                self.err(node, format!("`{what}` must be {expected}"));
                None
            }
        }
    }

    /// Control IDs or names, one or a list; unknown ones are errors at their item.
    pub fn control_ids(&mut self, node: NodeRef<'_>, what: &str) -> Vec<&'static str> {
        let items: Vec<NodeRef<'_>> = if node.is_seq() {
            node.items().collect()
        } else {
            vec![node]
        };
        let mut out = Vec::new();
        for item in items {
            let text = item.scalar_text();
            let id = text
                .and_then(registry::find)
                .map(|c| c.meta().id)
                .or_else(|| text.and_then(crate::policies::policy_control_id));
            match id {
                Some(id) => out.push(id),
                None => self.err(
                    item,
                    format!(
                        "`{what}`: unknown control {:?}; `kubeward controls` lists them",
                        item.scalar_text().unwrap_or("")
                    ),
                ),
            }
        }
        out
    }

    fn globs(&mut self, node: NodeRef<'_>, what: &str) -> Vec<GlobMatcher> {
        let mut out = Vec::new();
        for pattern in self.strings(node, what) {
            match Glob::new(&pattern) {
                Ok(g) => out.push(g.compile_matcher()),
                Err(e) => self.err(node, format!("`{what}`: bad pattern {pattern:?}: {e}")),
            }
        }
        out
    }

    /// true or false (an error, read as false, otherwise).
    pub fn bool(&mut self, node: NodeRef<'_>, what: &str) -> bool {
        node.as_bool().unwrap_or_else(|| {
            self.err(node, format!("`{what}` must be true or false"));
            false
        })
    }

    fn exclusion(&mut self, node: NodeRef<'_>) -> Option<Exclusion> {
        if !node.is_map() {
            self.err(node, "each `exclude` entry must be a mapping".to_string());
            return None;
        }
        let mut x = Exclusion {
            paths: Vec::new(),
            namespaces: Vec::new(),
            kinds: Vec::new(),
            names: Vec::new(),
            controls: Vec::new(),
            vulnerabilities: Vec::new(),
            reason: String::new(),
            expires: None,
            pos: node.value_pos(),
        };
        for (key, value) in node.entries() {
            match key {
                "paths" => x.paths = self.globs(value, "paths"),
                "namespaces" => x.namespaces = self.globs(value, "namespaces"),
                "kinds" => x.kinds = self.globs(value, "kinds"),
                "names" => x.names = self.globs(value, "names"),
                "controls" => x.controls = self.control_ids(value, "controls"),
                "vulnerabilities" => x.vulnerabilities = self.strings(value, "vulnerabilities"),
                "reason" => x.reason = value.as_str().unwrap_or("").trim().to_string(),
                "expires" => match value.scalar_text().and_then(parse_date) {
                    Some(d) => x.expires = Some(d),
                    None => self.err(value, "`expires` must be a date, YYYY-MM-DD".to_string()),
                },
                other => self.err(
                    value,
                    format!("unknown key {other:?} in an exclusion (known: paths, namespaces, kinds, names, controls, vulnerabilities, reason, expires)"),
                ),
            }
        }
        if x.reason.is_empty() {
            self.err(node, "an exclusion needs a `reason`".to_string());
            return None;
        }
        Some(x)
    }

    fn licenses(&mut self, node: NodeRef<'_>) -> LicensePolicy {
        let mut l = LicensePolicy {
            pos: Some(node.value_pos()),
            ..LicensePolicy::default()
        };
        for (key, value) in self.map(node, "licenses") {
            match key {
                "deny" => l.deny = self.strings(value, "licenses.deny"),
                "allow" => l.allow = self.strings(value, "licenses.allow"),
                other => self.err(
                    value,
                    format!("unknown key {other:?} in `licenses` (known: deny, allow)"),
                ),
            }
        }
        l
    }

    fn audit(&mut self, node: NodeRef<'_>) -> AuditConfig {
        let mut a = AuditConfig::default();
        if !node.is_map() {
            self.err(node, "`audit` must be a mapping".to_string());
            return a;
        }
        for (key, value) in node.entries() {
            match key {
                "authFailures" if value.is_map() => {
                    for (k, v) in value.entries() {
                        match k {
                            "threshold" => match v.as_i64() {
                                Some(n) if n >= 1 && n <= i64::from(u32::MAX) => {
                                    a.auth_failure_threshold = Some(n as u32)
                                }
                                _ => self.err(v, "`audit.authFailures.threshold` must be a whole number of at least 1".to_string()),
                            },
                            "window" => match v.scalar_text().map(parse_window) {
                                Some(Ok(w)) => a.auth_failure_window = Some(w),
                                Some(Err(e)) => self.err(v, format!("`audit.authFailures.window`: {e}")),
                                None => self.err(v, "`audit.authFailures.window` must be a duration such as 60s".to_string()),
                            },
                            other => self.err(v, format!("unknown key {other:?} in `audit.authFailures` (known: threshold, window)")),
                        }
                    }
                }
                "authFailures" => self.err(
                    value,
                    "`audit.authFailures` must be a mapping with `threshold` and/or `window`"
                        .to_string(),
                ),
                "trustedUsers" => {
                    a.trusted_users = self.strings(value, "audit.trustedUsers");
                    for pattern in &a.trusted_users {
                        if let Err(e) = Glob::new(pattern) {
                            self.err(
                                value,
                                format!("`audit.trustedUsers`: bad pattern {pattern:?}: {e}"),
                            );
                        }
                    }
                }
                other => self.err(
                    value,
                    format!("unknown key {other:?} in `audit` (known: authFailures, trustedUsers)"),
                ),
            }
        }
        a
    }
}

/// A config file's text and the name its errors carry; an unreadable file is an input error.
pub fn read(path: &Path) -> Result<(Arc<str>, String), Vec<InputError>> {
    let file: Arc<str> = Arc::from(path.display().to_string().as_str());
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((file, text)),
        Err(e) => Err(vec![InputError::file(
            &file,
            format!("cannot read the config file: {e}"),
        )]),
    }
}

impl Config {
    /// Read and check a config file. Every problem is an input error with its location.
    pub fn load(path: &Path) -> Result<Config, Vec<InputError>> {
        let (file, text) = read(path)?;
        Self::parse(&text, file, Some(path.to_path_buf()))
    }

    pub fn parse(
        text: &str,
        file: Arc<str>,
        path: Option<PathBuf>,
    ) -> Result<Config, Vec<InputError>> {
        let parsed = parse_str(text, &Limits::default());
        if let Some(p) = parsed.error {
            return Err(vec![InputError::at(&file, p.pos, &p.message)]);
        }
        let mut r = Reader {
            file,
            errors: Vec::new(),
        };
        let mut cfg = Config {
            path,
            ..Config::default()
        };
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
                "failOn" => cfg.fail_on = r.parsed::<Severity>(value, "failOn", "a severity").or(cfg.fail_on),
                "frameworks" => {
                    let mut fw = Vec::new();
                    for name in r.strings(value, "frameworks") {
                        match name.parse::<Framework>() {
                            Ok(f) => fw.push(f),
                            Err(e) => r.err(value, format!("`frameworks`: {e}")),
                        }
                    }
                    cfg.frameworks = Some(fw);
                }
                "pssVersion" => {
                    cfg.pss_version = r.parsed::<PssVersion>(value, "pssVersion", "a version such as v1.37").or(cfg.pss_version)
                }
                "controls" => {
                    if !value.is_map() {
                        r.err(value, "`controls` must be a mapping with `enable` and/or `disable`".to_string());
                        continue;
                    }
                    for (k, v) in value.entries() {
                        match k {
                            "enable" => cfg.enable = r.control_ids(v, "controls.enable"),
                            "disable" => cfg.disable = r.control_ids(v, "controls.disable"),
                            other => r.err(v, format!("unknown key {other:?} in `controls` (known: enable, disable)")),
                        }
                    }
                }
                "severity" => {
                    if !value.is_map() {
                        r.err(value, "`severity` must map control IDs to severities".to_string());
                        continue;
                    }
                    for (k, v) in value.entries() {
                        let id = registry::find(k)
                            .map(|c| c.meta().id)
                            .or_else(|| crate::policies::policy_control_id(k));
                        let Some(id) = id else {
                            r.err(v, format!("`severity`: unknown control {k:?}"));
                            continue;
                        };
                        if let Some(s) = r.parsed::<Severity>(v, &format!("severity.{k}"), "a severity") {
                            cfg.severity.push((id, s));
                        }
                    }
                }
                "allowedRegistries" => cfg.allowed_registries = r.strings(value, "allowedRegistries"),
                "requireImagePullAlways" => cfg.require_image_pull_always = r.bool(value, "requireImagePullAlways"),
                "secretMaxAgeDays" => match value.as_i64() {
                    Some(days @ 1..=36_500) => cfg.secret_max_age_days = Some(days as u32),
                    _ => r.err(value, "`secretMaxAgeDays` must be a number of days from 1 to 36500".to_string()),
                },
                "exclude" => {
                    if !value.is_seq() {
                        r.err(value, "`exclude` must be a list of exclusions".to_string());
                        continue;
                    }
                    for item in value.items() {
                        if let Some(x) = r.exclusion(item) {
                            cfg.exclude.push(x);
                        }
                    }
                }
                "audit" => cfg.audit = r.audit(value),
                "policies" => {
                    let base = cfg
                        .path
                        .as_deref()
                        .and_then(Path::parent)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    cfg.policies = r
                        .strings(value, "policies")
                        .into_iter()
                        .map(|p| base.join(p))
                        .collect();
                }
                "licenses" => cfg.licenses = r.licenses(value),
                other => r.err(
                    value,
                    format!(
                        "unknown key {other:?} (known: failOn, frameworks, pssVersion, controls, severity, \
                         allowedRegistries, requireImagePullAlways, secretMaxAgeDays, exclude, audit, licenses, policies)"
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

/// The commented starter file `kubeward init` writes.
pub const STARTER: &str = r#"# kubeward configuration. Found in the working directory or the nearest parent, or --config.
# Command-line flags win over these settings. Unknown keys are errors.

# Exit with 1 when a finding has this severity or higher: critical, high, medium, low, info.
failOn: low

# Which controls run: all, pss-baseline, pss-restricted, nsa, cis, mitre.
frameworks: [all]

# Pod Security Standards version to evaluate (v1.0 .. v1.37, or latest).
pssVersion: latest

# controls:
#   disable: [KW307]          # IDs or names; these never run
#   enable: [KW101, KW205]    # if given, only these run

# severity:                   # override a control's severity
#   KW301: medium

# Images must come from these registries (host, or host/path prefix). Empty: any.
allowedRegistries: []

# Require imagePullPolicy: Always.
requireImagePullAlways: false

# Credential Secrets older than this many days (from metadata.creationTimestamp, so objects
# of a live cluster or a dump) are reported by KW903.
secretMaxAgeDays: 90

# Exclusions: every one needs a reason; `expires` makes it temporary (an expired exclusion
# no longer applies and is reported). Omitted selectors match everything.
exclude: []
#  - controls: [KW310]
#    namespaces: ["kube-system"]
#    kinds: ["DaemonSet"]
#    names: ["node-exporter*"]
#    paths: ["vendor/**"]
#    reason: "node agents need the API token"
#    expires: 2027-06-30
#  - vulnerabilities: [CVE-2019-10906]   # kubeward image: by OSV/CVE/GHSA ID
#    names: ["registry.example.com/team/*"]
#    reason: "sandboxed templates only; upgrade tracked in TEAM-42"
#    expires: 2027-01-31

# Your own policies (docs/policies.md): Gatekeeper ConstraintTemplates with their Constraints,
# files or directories, relative to this file. Each constraint is a control `Kind/name`.
# policies: [policy/gatekeeper]

# kubeward audit (docs/audit.md): a burst is this many 401/403 answers to one user or
# address within the window; trusted users are treated like system components.
# audit:
#   authFailures: {threshold: 10, window: 60s}
#   trustedUsers: ["system:serviceaccount:argocd:*"]

# kubeward image (docs/image.md): packages whose declared licence needs a denied licence,
# or (with an allow list) is not satisfied by allowed licences only, are findings.
# licenses:
#   deny: [AGPL-3.0-only, AGPL-3.0-or-later]
#   allow: [MIT, Apache-2.0, BSD-3-Clause]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<InputError>> {
        Config::parse(text, Arc::from(".kubeward.yaml"), None)
    }

    #[test]
    fn starter_file_parses() {
        let cfg = parse(STARTER).unwrap();
        assert_eq!(cfg.fail_on, Some(Severity::Low));
        assert!(cfg.exclude.is_empty());
    }

    #[test]
    fn unknown_keys_name_key_and_line() {
        let errors = parse("failOn: high\nexlude: []\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pos.unwrap().line, 2);
        assert!(
            errors[0].message.contains("unknown key \"exlude\""),
            "{}",
            errors[0].message
        );
        let errors = parse("exclude:\n- reason: x\n  namespace: [a]\n").unwrap_err();
        assert!(errors[0]
            .message
            .contains("unknown key \"namespace\" in an exclusion"));
        assert_eq!(errors[0].pos.unwrap().line, 3);
    }

    #[test]
    fn exclusions_need_reasons_and_valid_dates_and_controls() {
        let errors = parse("exclude:\n- controls: [KW101]\n").unwrap_err();
        assert!(errors[0].message.contains("needs a `reason`"));
        let errors = parse("exclude:\n- reason: r\n  expires: 2027-13-01\n").unwrap_err();
        assert!(errors[0].message.contains("YYYY-MM-DD"));
        let errors = parse("exclude:\n- reason: r\n  controls: [KW999]\n").unwrap_err();
        assert!(errors[0].message.contains("unknown control \"KW999\""));
        let cfg = parse(
            "exclude:\n- reason: r\n  controls: [privileged-container]\n  expires: 2020-01-31\n",
        )
        .unwrap();
        assert_eq!(cfg.exclude[0].controls, vec!["KW101"]);
        assert!(cfg.exclude[0].expired((2026, 11, 23)));
        assert!(!cfg.exclude[0].expired((2020, 1, 31)));
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(parse("failOn: severe\n").is_err());
        assert!(parse("requireImagePullAlways: maybe\n").is_err());
        assert!(parse("severity:\n  KW101: huge\n").is_err());
        assert!(parse("- a\n").is_err());
    }

    #[test]
    fn vulnerability_exclusions_and_licence_policy() {
        let cfg = parse(
            "exclude:\n- vulnerabilities: [CVE-2019-10906]\n  reason: sandboxed\n  expires: 2027-01-31\nlicenses:\n  deny: [AGPL-3.0-only]\n  allow: [MIT, Apache-2.0]\n",
        )
        .unwrap();
        assert_eq!(cfg.exclude[0].vulnerabilities, vec!["CVE-2019-10906"]);
        assert_eq!(cfg.licenses.deny, vec!["AGPL-3.0-only"]);
        assert_eq!(cfg.licenses.allow, vec!["MIT", "Apache-2.0"]);
        assert_eq!(cfg.licenses.pos.unwrap().line, 6);
        let errors = parse("licenses:\n  denied: [MIT]\n").unwrap_err();
        assert!(errors[0]
            .message
            .contains("unknown key \"denied\" in `licenses`"));
        assert_eq!(errors[0].pos.unwrap().line, 2);
    }

    #[test]
    fn audit_section() {
        let cfg = parse(
            "audit:\n  authFailures: {threshold: 5, window: 2m}\n  trustedUsers: [\"system:serviceaccount:argocd:*\"]\n",
        )
        .unwrap();
        assert_eq!(cfg.audit.auth_failure_threshold, Some(5));
        assert_eq!(
            cfg.audit.auth_failure_window,
            Some(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            cfg.audit.trusted_users,
            vec!["system:serviceaccount:argocd:*"]
        );
        let errors =
            parse("audit:\n  authFailures:\n    threshold: 0\n    windw: 1m\n").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].pos.unwrap().line, 3);
        assert!(errors[1]
            .message
            .contains("unknown key \"windw\" in `audit.authFailures`"));
        assert_eq!(errors[1].pos.unwrap().line, 4);
        let errors = parse("audit:\n  trustedUser: [a]\n").unwrap_err();
        assert!(errors[0]
            .message
            .contains("unknown key \"trustedUser\" in `audit`"));
        assert!(parse("audit:\n  authFailures: {window: 10x}\n").is_err());
        assert_eq!(parse_window("90"), Ok(std::time::Duration::from_secs(90)));
        assert!(parse_window("0s").is_err());
    }

    /// Found by the config fuzz target: hours past u64::MAX / 3600 overflowed the seconds
    /// (a panic with overflow checks, a wrapped short window without).
    #[test]
    fn windows_too_long_are_refused() {
        let max = u64::MAX;
        assert!(parse_window(&format!("{max}h")).is_err());
        assert!(parse_window(&format!("{}m", max / 60 + 1)).is_err());
        assert_eq!(
            parse_window(&format!("{}h", max / 3600)),
            Ok(std::time::Duration::from_secs(max / 3600 * 3600))
        );
        assert_eq!(
            parse_window(&format!("{max}s")),
            Ok(std::time::Duration::from_secs(max))
        );
        let errors =
            parse("audit:\n  authFailures: {window: 18446744073709551615h}\n").unwrap_err();
        assert!(errors[0].message.contains("invalid window"), "{errors:?}");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
