//! The decision: which levels apply to a request, what the engine finds, and the response.
//!
//! Levels are nested: `privileged` (nothing) ⊂ `baseline` (the PSS baseline controls) ⊂
//! `restricted` (every PSS control) ⊂ `all` (restricted plus every other per-object control
//! whose severity, after the config's overrides, is at or above `allMinSeverity`). The object is
//! evaluated once, with the widest level any mode needs, and each mode keeps the findings of
//! its own level. Cross-object controls (KW8xx) never run here: one object is not a cluster.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubeward_controls::{registry, Control, PssLevel, Settings, Severity};
use kubeward_engine::{Engine, Finding, Framework, Policy};
use kubeward_yaml::Limits;
use serde_json::Value;

use crate::config::{OnError, WebhookConfig};
use crate::review::{Operation, Request, Response};

/// The namespace labels kubeward reads, in mode order: enforce, warn, audit.
pub const LABELS: [&str; 3] = [
    "kubeward.io/enforce",
    "kubeward.io/warn",
    "kubeward.io/audit",
];

/// Longest warning we send: the API server asks for 120 characters and may truncate longer ones.
pub const MAX_WARNING: usize = 120;
/// At most this many violations are listed in a message, warnings or audit annotations.
pub const MAX_LISTED: usize = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
    All,
}

impl Level {
    pub const NAMES: &'static str = "privileged, baseline, restricted or all";

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
            Level::All => "all",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            "all" => Ok(Level::All),
            _ => Err(format!("unknown level {s:?} (expected {})", Level::NAMES)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    pub enforce: Level,
    pub warn: Level,
    pub audit: Level,
}

impl Levels {
    fn widest(&self) -> Level {
        self.enforce.max(self.warn).max(self.audit)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Enforce,
    Warn,
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// Where namespace labels come from: a watch cache of the cluster's namespaces in production,
/// a static map from the config file with `--no-cluster` and in tests.
pub trait NamespaceLabels: Send + Sync {
    /// The values of [`LABELS`] on `namespace`, or `None` when the namespace is unknown.
    fn levels(&self, namespace: &str) -> Option<[Option<String>; 3]>;
    /// Whether the source is ready to answer (a cache has synced).
    fn ready(&self) -> bool;
}

/// Namespace labels from the config file.
pub struct StaticNamespaces(pub std::collections::HashMap<String, BTreeMap<String, String>>);

impl NamespaceLabels for StaticNamespaces {
    fn levels(&self, namespace: &str) -> Option<[Option<String>; 3]> {
        let labels = self.0.get(namespace)?;
        Some(LABELS.map(|k| labels.get(k).cloned()))
    }
    fn ready(&self) -> bool {
        true
    }
}

/// How a request was decided, for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Evaluated by the engine.
    Evaluated,
    /// DELETE or CONNECT, or a subresource other than ephemeralcontainers.
    NotEvaluated,
    /// Every level is `privileged`.
    Privileged,
    /// A Pod update that leaves the spec as it was.
    UnchangedPodSpec,
    Exempt(&'static str),
    /// The object could not be evaluated; answered by `onError`.
    Error,
}

impl Path {
    pub fn as_str(self) -> &'static str {
        match self {
            Path::Evaluated => "evaluated",
            Path::NotEvaluated => "not-evaluated",
            Path::Privileged => "privileged",
            Path::UnchangedPodSpec => "unchanged-pod-spec",
            Path::Exempt(_) => "exempt",
            Path::Error => "error",
        }
    }
}

/// The answer to one request, with what logs and metrics need.
#[derive(Debug)]
pub struct Outcome {
    pub response: Response,
    pub path: Path,
    pub levels: Option<Levels>,
    /// (control ID, mode) for each reported violation.
    pub violations: Vec<(&'static str, Mode)>,
    /// Why the object could not be evaluated, or input problems worth logging.
    pub errors: Vec<String>,
    /// (policy control ID, `deny` or `allow`) for each users' policy that could not be
    /// evaluated, as its failurePolicy (or, for a Gatekeeper constraint, `onError`) decided.
    pub policy_failures: Vec<(&'static str, &'static str)>,
}

/// The configured decision maker: engines per level, exemptions, failure mode.
pub struct Decider {
    baseline: Engine,
    restricted: Engine,
    all: Engine,
    cfg: WebhookConfig,
    namespaces: Arc<dyn NamespaceLabels>,
    /// Most JSON values (object and oldObject together) a request may have to be evaluated.
    max_values: usize,
    /// Users' policies (Gatekeeper constraints, ValidatingAdmissionPolicies), judged apart
    /// from the levels; replaced whole when the cluster's policies change.
    policies: arc_swap::ArcSwapOption<kubeward_engine::policies::Policies>,
    /// The policies to be read from the cluster are in (true when none are to be read).
    policies_ready: std::sync::atomic::AtomicBool,
}

/// The default of [`Decider::with_max_values`] (`--max-object-values`): a large Deployment
/// update with its managedFields has a few thousand values in object and oldObject together.
/// Evaluating costs up to ~450 bytes of memory per value of the object (measured; most of it
/// is the YAML scanner's token queue inside flow collections), so 50,000 values stay under
/// 25 MB (docs/serve.md, "Memory").
pub const DEFAULT_MAX_VALUES: usize = 50_000;

/// The values of a JSON text (scalars, keys, lists and mappings each count one), counted up
/// to a little over `limit`. A linear scan with no allocation, to refuse an object before any
/// parser spends memory on it.
pub fn count_values(json: &str, limit: usize) -> usize {
    let b = json.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < b.len() && n <= limit {
        match b[i] {
            b'"' => {
                n += 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => n += 1,
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                n += 1;
                while i + 1 < b.len() && !b",]}: \t\r\n".contains(&b[i + 1]) {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    n
}

fn severity_of(c: &dyn Control, overrides: &[(&'static str, Severity)]) -> Severity {
    overrides
        .iter()
        .find(|(id, _)| *id == c.meta().id)
        .map_or(c.meta().severity, |(_, s)| *s)
}

impl Decider {
    pub fn new(cfg: WebhookConfig, namespaces: Arc<dyn NamespaceLabels>) -> Decider {
        let settings = Settings {
            pss_version: cfg.pss_version,
            allowed_registries: cfg.allowed_registries.clone(),
            require_pull_always: cfg.require_image_pull_always,
            ..Settings::default()
        };
        let limits = Limits {
            max_document_bytes: crate::MAX_BODY,
            ..Limits::default()
        };
        let chosen = |keep: &dyn Fn(&dyn Control) -> bool| -> Vec<&'static dyn Control> {
            registry::all()
                .iter()
                .copied()
                .filter(|c| !c.is_cross_object())
                .filter(|c| cfg.enable.is_empty() || cfg.enable.contains(&c.meta().id))
                .filter(|c| !cfg.disable.contains(&c.meta().id))
                .filter(|c| keep(*c))
                .collect()
        };
        let engine = |controls| {
            Engine::new(controls, settings.clone(), limits.clone()).with_policy(Policy {
                severity: cfg.severity.iter().copied().collect(),
                today: kubeward_engine::config::today(),
                ..Policy::default()
            })
        };
        let baseline = engine(chosen(&|c| Framework::PssBaseline.includes(c)));
        let restricted = engine(chosen(&|c| Framework::PssRestricted.includes(c)));
        let all = engine(chosen(&|c| {
            Framework::PssRestricted.includes(c)
                || severity_of(c, &cfg.severity) >= cfg.all_min_severity
        }));
        Decider {
            baseline,
            restricted,
            all,
            cfg,
            namespaces,
            max_values: DEFAULT_MAX_VALUES,
            policies: arc_swap::ArcSwapOption::empty(),
            policies_ready: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Also judge every evaluated request by users' policies: each violation denies, warns or
    /// is audited as its constraint's `enforcementAction` says (deny and scoped: enforce,
    /// warn: warn, dryrun: audit), whatever the namespace's kubeward levels.
    pub fn with_policies(
        self,
        policies: Option<Arc<kubeward_engine::policies::Policies>>,
    ) -> Decider {
        self.policies.store(policies);
        self
    }

    /// Not ready until [`Decider::set_policies`] is first called: the cluster's policies
    /// are to be read.
    pub fn with_policies_pending(self) -> Decider {
        self.policies_ready
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Replace the users' policies (requests being decided keep the set they started with).
    pub fn set_policies(&self, policies: Option<Arc<kubeward_engine::policies::Policies>>) {
        self.policies.store(policies);
        self.policies_ready
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Refuse to evaluate requests whose object and oldObject hold more than `max` JSON
    /// values (answered by `onError`): the memory budget of one evaluation.
    pub fn with_max_values(mut self, max: usize) -> Decider {
        self.max_values = max;
        self
    }

    pub fn ready(&self) -> bool {
        self.namespaces.ready() && self.policies_ready()
    }

    /// Whether the cluster's policies have been read (or are not to be read).
    pub fn policies_ready(&self) -> bool {
        self.policies_ready
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.cfg
    }

    fn in_level(&self, level: Level, f: &Finding) -> bool {
        let pss = f.control.frameworks.pss;
        match level {
            Level::Privileged => false,
            Level::Baseline => pss.is_some_and(|p| p.level == PssLevel::Baseline),
            Level::Restricted => pss.is_some(),
            Level::All => pss.is_some() || f.severity >= self.cfg.all_min_severity,
        }
    }

    /// The levels for a namespace: each kubeward label overrides its mode's default; a label
    /// with an unknown value counts as `restricted` (fail closed, as Pod Security Admission
    /// does) and is reported in a warning.
    fn levels(&self, namespace: &str, warnings: &mut Vec<String>) -> Levels {
        let mut levels = self.cfg.defaults;
        if namespace.is_empty() {
            return levels;
        }
        let Some(labels) = self.namespaces.levels(namespace) else {
            return levels;
        };
        let slots = [&mut levels.enforce, &mut levels.warn, &mut levels.audit];
        for ((slot, value), key) in slots.into_iter().zip(labels).zip(LABELS) {
            if let Some(v) = value {
                *slot = v.parse().unwrap_or_else(|_| {
                    warnings.push(truncate(&format!(
                        "kubeward: namespace label {key}={v:?} is not a level; using restricted"
                    )));
                    Level::Restricted
                });
            }
        }
        levels
    }

    fn engine(&self, level: Level) -> Option<&Engine> {
        match level {
            Level::Privileged => None,
            Level::Baseline => Some(&self.baseline),
            Level::Restricted => Some(&self.restricted),
            Level::All => Some(&self.all),
        }
    }

    pub(crate) fn on_error(
        &self,
        req: &Request<'_>,
        why: String,
        mut warnings: Vec<String>,
    ) -> Outcome {
        let response = match self.cfg.on_error {
            OnError::Allow => {
                warnings.push(truncate(&format!("kubeward: not evaluated: {why}")));
                let mut r = Response::allow(&req.uid);
                r.warnings = warnings;
                r
            }
            OnError::Deny => {
                let mut r = Response::deny(
                    &req.uid,
                    format!("kubeward: the object cannot be evaluated (onError: deny): {why}"),
                );
                r.warnings = warnings;
                r
            }
        };
        Outcome {
            response,
            path: Path::Error,
            levels: None,
            violations: Vec::new(),
            errors: vec![why],
            policy_failures: Vec::new(),
        }
    }

    /// Decide one admission request.
    pub fn decide(&self, req: &Request<'_>) -> Outcome {
        let simple = |path: Path| Outcome {
            response: Response::allow(&req.uid),
            path,
            levels: None,
            violations: Vec::new(),
            errors: Vec::new(),
            policy_failures: Vec::new(),
        };
        if matches!(req.operation, Operation::Delete | Operation::Connect) {
            return simple(Path::NotEvaluated);
        }
        let ephemeral =
            req.resource.resource == "pods" && req.sub_resource == "ephemeralcontainers";
        if !req.sub_resource.is_empty() && !ephemeral {
            return simple(Path::NotEvaluated);
        }
        let exempt = |by: &'static str| {
            let mut o = simple(Path::Exempt(by));
            o.response
                .audit_annotations
                .insert("exempt".to_string(), by.to_string());
            o
        };
        if self.cfg.exempt_usernames.contains(&req.user_info.username) {
            return exempt("username");
        }
        if !req.namespace.is_empty() && self.cfg.exempt_namespaces.contains(&req.namespace) {
            return exempt("namespace");
        }
        let mut warnings = Vec::new();
        let levels = self.levels(&req.namespace, &mut warnings);
        let Some(engine) = self.engine(levels.widest()) else {
            let mut o = simple(Path::Privileged);
            o.levels = Some(levels);
            o.response.warnings = warnings;
            if self.policies.load().is_some() {
                return self.judge_by_policies(req, o);
            }
            return o;
        };
        let Some(object) = req.object else {
            return self.on_error(
                req,
                format!("{} request without an object", req.operation.as_str()),
                warnings,
            );
        };

        // The memory budget, before any parser runs: values cost memory, bytes barely do.
        let values = count_values(object.get(), self.max_values)
            + req
                .old_object
                .map_or(0, |o| count_values(o.get(), self.max_values));
        if values > self.max_values {
            return self.on_error(
                req,
                format!(
                    "the object is too large to evaluate: more than {} JSON values in object and oldObject (the webhook's --max-object-values)",
                    self.max_values
                ),
                warnings,
            );
        }

        // Only parsed into a tree when something needs one: a runtimeClass exemption, a Pod
        // update (unchanged spec), an ephemeral container update.
        let is_pod_update = req.operation == Operation::Update
            && req.resource.resource == "pods"
            && req.sub_resource.is_empty();
        let need_tree = !self.cfg.exempt_runtime_classes.is_empty() || is_pod_update || ephemeral;
        let tree: Option<Value> = need_tree
            .then(|| serde_json::from_str(object.get()).ok())
            .flatten();
        if need_tree && tree.is_none() {
            return self.on_error(req, "the object is not valid JSON".to_string(), warnings);
        }
        let old_tree = || -> Option<Value> {
            req.old_object
                .and_then(|o| serde_json::from_str(o.get()).ok())
        };
        if let Some(tree) = &tree {
            if !self.cfg.exempt_runtime_classes.is_empty() {
                let rc = [
                    "/spec/runtimeClassName",
                    "/spec/template/spec/runtimeClassName",
                    "/spec/jobTemplate/spec/template/spec/runtimeClassName",
                ]
                .iter()
                .find_map(|p| tree.pointer(p).and_then(Value::as_str));
                if rc.is_some_and(|rc| self.cfg.exempt_runtime_classes.iter().any(|e| e == rc)) {
                    return exempt("runtimeClass");
                }
            }
            if is_pod_update {
                if let Some(old) = old_tree() {
                    if tree.get("spec").is_some() && tree.get("spec") == old.get("spec") {
                        let mut o = simple(Path::UnchangedPodSpec);
                        o.levels = Some(levels);
                        return o;
                    }
                }
            }
        }
        // For an ephemeral container update, only the containers it adds are judged: the rest
        // of the Pod was judged when it was created.
        let new_ephemeral: Option<Vec<String>> = ephemeral.then(|| {
            let names = |v: Option<&Value>| -> Vec<String> {
                v.and_then(|v| v.pointer("/spec/ephemeralContainers"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|c| {
                                c.get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string()
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let old = old_tree();
            let before = names(old.as_ref());
            names(tree.as_ref())
                .iter()
                .enumerate()
                .filter(|(_, n)| !before.contains(n))
                .map(|(i, _)| format!("spec.ephemeralContainers[{i}]"))
                .collect()
        });
        if new_ephemeral.as_ref().is_some_and(Vec::is_empty) {
            let mut o = simple(Path::NotEvaluated);
            o.levels = Some(levels);
            return o;
        }

        let result = engine.scan_text("object", object.get());
        let mut errors: Vec<String> = result.errors.iter().map(|e| e.message.clone()).collect();
        if result.objects == 0 {
            let why = if errors.is_empty() {
                "the object is not a Kubernetes object".to_string()
            } else {
                errors.join("; ")
            };
            return self.on_error(req, why, warnings);
        }
        // Problems with an object that was evaluated (a malformed kubeward.io/ignore, say) do
        // not let it through: its findings stand, and the problems come back as warnings.
        for e in &errors {
            warnings.push(truncate(&format!("kubeward: {e}")));
        }
        let findings: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .filter(|f| match &new_ephemeral {
                None => true,
                Some(prefixes) => prefixes.iter().any(|p| {
                    let path = f.path.as_str();
                    path.strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                }),
            })
            .collect();

        let mut violations = Vec::new();
        let what = describe(req);
        let mut response = Response::allow(&req.uid);

        let enforced: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| self.in_level(levels.enforce, f))
            .collect();
        violations.extend(enforced.iter().map(|f| (f.control.id, Mode::Enforce)));
        if !enforced.is_empty() {
            let mut msg = format!(
                "kubeward: {what} violates the enforce level {:?} ({} violation{}):",
                levels.enforce.as_str(),
                enforced.len(),
                if enforced.len() == 1 { "" } else { "s" }
            );
            for f in enforced.iter().take(MAX_LISTED) {
                msg.push_str(&format!(
                    "\n- {} {} at {}: {}",
                    f.control.id, f.control.name, f.path, f.message
                ));
            }
            if enforced.len() > MAX_LISTED {
                msg.push_str(&format!("\n- ... and {} more", enforced.len() - MAX_LISTED));
            }
            response = Response::deny(&req.uid, msg);
        }

        let warned: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| self.in_level(levels.warn, f))
            .collect();
        violations.extend(warned.iter().map(|f| (f.control.id, Mode::Warn)));
        for f in warned.iter().take(MAX_LISTED) {
            // With the field path when it fits; the messages name the container and field.
            let full = format!("{} {}: {}", f.control.id, f.path, f.message);
            warnings.push(if full.chars().count() <= MAX_WARNING {
                full
            } else {
                truncate(&format!("{}: {}", f.control.id, f.message))
            });
        }
        if warned.len() > MAX_LISTED {
            warnings.push(format!(
                "kubeward: {} more violations of warn level {:?} not listed",
                warned.len() - MAX_LISTED,
                levels.warn.as_str()
            ));
        }

        let audited: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| self.in_level(levels.audit, f))
            .collect();
        violations.extend(audited.iter().map(|f| (f.control.id, Mode::Audit)));
        if !audited.is_empty() {
            let mut by_control: BTreeMap<String, String> = BTreeMap::new();
            for f in &audited {
                let entry = by_control.entry(f.control.id.to_string()).or_default();
                if !entry.is_empty() {
                    entry.push_str("; ");
                }
                entry.push_str(&format!("{}: {}", f.path, f.message));
            }
            by_control.insert(
                "audit-level".to_string(),
                format!("{} ({} violations)", levels.audit.as_str(), audited.len()),
            );
            response.audit_annotations = by_control;
        }
        response.warnings = warnings;
        let outcome = Outcome {
            response,
            path: Path::Evaluated,
            levels: Some(levels),
            violations,
            errors: std::mem::take(&mut errors),
            policy_failures: Vec::new(),
        };
        if self.policies.load().is_some() {
            return self.judge_by_policies(req, outcome);
        }
        outcome
    }

    /// Add the users' policies' verdict to an outcome: Gatekeeper's messages
    /// (`[constraint] message`) in the denial, the warnings or the audit annotations.
    /// A policy that cannot be evaluated (Gatekeeper fails closed) is answered by `onError`.
    fn judge_by_policies(&self, req: &Request<'_>, mut o: Outcome) -> Outcome {
        let Some(policies) = self.policies.load_full() else {
            return o;
        };
        let parse = |raw: Option<&serde_json::value::RawValue>| -> Result<Value, ()> {
            raw.map_or(Ok(Value::Null), |r| {
                serde_json::from_str(r.get()).map_err(|_| ())
            })
        };
        let (Ok(object), Ok(old_object)) = (parse(req.object), parse(req.old_object)) else {
            return self.on_error(
                req,
                "the object is not valid JSON".to_string(),
                o.response.warnings,
            );
        };
        let mut request = serde_json::Map::new();
        request.insert("uid".into(), Value::from(req.uid.as_str()));
        request.insert("kind".into(), serde_json::json!(req.kind));
        request.insert("resource".into(), serde_json::json!(req.resource));
        if !req.sub_resource.is_empty() {
            request.insert("subResource".into(), Value::from(req.sub_resource.as_str()));
        }
        if !req.name.is_empty() {
            request.insert("name".into(), Value::from(req.name.as_str()));
        }
        if !req.namespace.is_empty() {
            request.insert("namespace".into(), Value::from(req.namespace.as_str()));
        }
        request.insert("operation".into(), Value::from(req.operation.as_str()));
        request.insert("userInfo".into(), serde_json::json!(req.user_info));
        request.insert("object".into(), object);
        request.insert("oldObject".into(), old_object);
        request.insert("dryRun".into(), Value::Bool(req.dry_run));
        let doc = serde_json::json!({"request": Value::Object(request)});
        let review = match kubeward_policy::Review::from_admission_review(&doc) {
            Ok(r) => r,
            Err(e) => return self.on_error(req, e, o.response.warnings),
        };
        let violations = policies.set().review(&review, &policies.base_inventory());
        let mut denied = Vec::new();
        for v in violations {
            let Some(meta) = policies.meta(&v) else {
                continue;
            };
            let vap = v.constraint_kind == "ValidatingAdmissionPolicy";
            if v.evaluation_error {
                // A ValidatingAdmissionPolicy's failurePolicy decides, as in the API server
                // (a K8sNativeValidation template's too when it says Ignore); a Gatekeeper
                // constraint has none of its own: `onError` stands for the failurePolicy of
                // Gatekeeper's webhook.
                let (deny, by) = if v.ignored {
                    (false, "failurePolicy: Ignore")
                } else if vap {
                    (true, "failurePolicy: Fail")
                } else if self.cfg.on_error == OnError::Deny {
                    (true, "onError: deny")
                } else {
                    (false, "onError: allow")
                };
                o.policy_failures
                    .push((meta.id, if deny { "deny" } else { "allow" }));
                let why = format!(
                    "policy {} could not be evaluated ({by}): {}",
                    meta.id, v.message
                );
                if deny {
                    denied.push(if vap {
                        kubeward_policy::denial_message(&v.template, &v.constraint, &v.message)
                    } else {
                        format!("({by}) [{}] could not be evaluated: {}", meta.id, v.message)
                    });
                } else if !v.ignored {
                    // onError: allow says so to the client, as for objects; a failurePolicy
                    // Ignore admits silently, as the API server does.
                    o.response
                        .warnings
                        .push(truncate(&format!("kubeward: not evaluated: {why}")));
                }
                o.errors.push(why);
                continue;
            }
            let line = match v.enforcement_action {
                kubeward_policy::EnforcementAction::Warn if vap => {
                    kubeward_policy::warning_message(&v.template, &v.constraint, &v.message)
                }
                _ if vap => kubeward_policy::denial_message(&v.template, &v.constraint, &v.message),
                _ => format!("[{}] {}", v.constraint, v.message),
            };
            let mode = match v.enforcement_action {
                kubeward_policy::EnforcementAction::Deny
                | kubeward_policy::EnforcementAction::Scoped => Mode::Enforce,
                kubeward_policy::EnforcementAction::Warn => Mode::Warn,
                kubeward_policy::EnforcementAction::Dryrun => Mode::Audit,
            };
            o.violations.push((meta.id, mode));
            match mode {
                Mode::Enforce => denied.push(line),
                Mode::Warn => o.response.warnings.push(truncate(&line)),
                Mode::Audit => {
                    let entry = o
                        .response
                        .audit_annotations
                        .entry(meta.id.to_string())
                        .or_default();
                    if !entry.is_empty() {
                        entry.push_str("; ");
                    }
                    entry.push_str(&v.message);
                }
            }
        }
        if !denied.is_empty() {
            let n = denied.len();
            let mut msg = if o.response.allowed {
                format!(
                    "kubeward: {} violates {n} polic{}:",
                    describe(req),
                    if n == 1 { "y" } else { "ies" }
                )
            } else {
                let prev = o
                    .response
                    .status
                    .as_ref()
                    .map_or(String::new(), |s| s.message.clone());
                format!("{prev}\nand {n} polic{}:", if n == 1 { "y" } else { "ies" })
            };
            for d in denied.iter().take(MAX_LISTED) {
                msg.push_str(&format!("\n- {d}"));
            }
            if n > MAX_LISTED {
                msg.push_str(&format!("\n- ... and {} more", n - MAX_LISTED));
            }
            let warnings = std::mem::take(&mut o.response.warnings);
            let annotations = std::mem::take(&mut o.response.audit_annotations);
            o.response = Response::deny(&req.uid, msg);
            o.response.warnings = warnings;
            o.response.audit_annotations = annotations;
        }
        if o.path != Path::Evaluated {
            o.path = Path::Evaluated;
        }
        o
    }
}

/// `Deployment "web" in namespace "team-a"`.
fn describe(req: &Request<'_>) -> String {
    let kind = if req.kind.kind.is_empty() {
        "object"
    } else {
        &req.kind.kind
    };
    let mut s = if req.name.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} {:?}", req.name)
    };
    if !req.namespace.is_empty() {
        s.push_str(&format!(" in namespace {:?}", req.namespace));
    }
    s
}

/// Cut a warning to [`MAX_WARNING`] characters (on a character boundary), on one line.
pub fn truncate(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.chars().count() <= MAX_WARNING {
        return s;
    }
    let mut out: String = s.chars().take(MAX_WARNING - 3).collect();
    out.push_str("...");
    out
}
