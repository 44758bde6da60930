//! Compile and evaluate user policies: Gatekeeper `templates.gatekeeper.sh/v1`
//! ConstraintTemplates (Rego through [`regorus`], `K8sNativeValidation` CEL through [`cel`]) and
//! their Constraints, as Gatekeeper and its `gator` CLI evaluate them; and `gator verify` suite
//! files ([`suite::run_suite`]).
//!
//! ```no_run
//! use kubeward_policy::{load, EngineChoice, Inventory, PolicySetBuilder};
//!
//! let mut builder = PolicySetBuilder::new(EngineChoice::Auto);
//! for doc in load::read_documents(std::path::Path::new("policies.yaml")).unwrap() {
//!     builder.add(doc);
//! }
//! let (policies, errors) = builder.build();
//! for e in &errors {
//!     eprintln!("{e}"); // file:line:column: what is wrong (never an object's value)
//! }
//! let object = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
//! for v in policies.evaluate(&object, &Inventory::default()) {
//!     println!("{} {}: {}", v.template, v.constraint, v.message);
//! }
//! ```
//!
//! Errors never quote an object's values (they may be secrets); the violation messages that the
//! policies themselves produce are reported as they are.

mod accel;
pub mod authz;
mod celeng;
mod constraint;
pub mod k8scel;
pub mod k8sformat;
pub mod k8snet;
pub mod k8ssemver;
pub mod k8surl;
pub mod load;
pub mod quantity;
mod regoeng;
mod regoshim;
mod review;
mod schema;
pub mod suite;
mod template;
mod vap;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

pub use constraint::EnforcementAction;
pub use load::{Doc, Source};
pub use review::Review;
pub use vap::{denial_message, warning_message};

/// Which engine runs a template that carries code for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineChoice {
    /// As Gatekeeper (and `gator verify`) do: `K8sNativeValidation` when the template has it,
    /// Rego otherwise.
    Auto,
    /// Rego only; a template without Rego code is an error.
    Rego,
    /// `K8sNativeValidation` CEL only; a template without CEL code is an error
    /// ([`PolicyErrorKind::NoCode`]).
    Cel,
}

/// The engine that evaluated a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Rego (regorus).
    Rego,
    /// `K8sNativeValidation` (CEL).
    Cel,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Rego => "Rego",
            EngineKind::Cel => "K8sNativeValidation",
        })
    }
}

/// What kind of problem a [`PolicyError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyErrorKind {
    /// A file that cannot be read or parsed, or a document that is not an object.
    Input,
    /// A template or constraint with a wrong field (missing kind, bad match, ...).
    Invalid,
    /// Rego or CEL that does not parse or compile.
    Compile,
    /// A ValidatingAdmissionPolicy whose expressions do not compile, kept
    /// ([`PolicySetBuilder::keep_uncompiled`]): its failurePolicy decides every request it
    /// matches, as in the API server.
    CompileKept,
    /// A template's `metadata.gatekeeper.sh/requires-sync-data` that cannot be read; the
    /// template is kept and sees every kind of the inventory.
    SyncAnnotation,
    /// Constraint parameters that do not match the template's schema.
    Parameters,
    /// A constraint whose template is not loaded.
    MissingTemplate,
    /// A template without code for the engine asked for.
    NoCode,
}

/// A problem with a policy, located in the policy's file. The message names fields and types,
/// never an object's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// Where: the policy document (or the file, line 1, for a file that cannot be read).
    pub source: Source,
    /// What kind of problem.
    pub kind: PolicyErrorKind,
    /// What is wrong.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(source: &Source, kind: PolicyErrorKind, message: impl Into<String>) -> Self {
        PolicyError {
            source: source.clone(),
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for PolicyError {}

/// One result of evaluating an object: a constraint it violates, or (as Gatekeeper reports
/// them) an error while evaluating a constraint, which fails closed.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The template's name (`k8srequiredlabels`).
    pub template: String,
    /// The constraint's kind (the template's CRD kind, `K8sRequiredLabels`).
    pub constraint_kind: String,
    /// The constraint's name.
    pub constraint: String,
    /// The message the policy produced (or the evaluation error).
    pub message: String,
    /// The constraint's `enforcementAction`.
    pub enforcement_action: EnforcementAction,
    /// Rego's `details` (an empty object when the rule gives none; always empty for CEL).
    pub details: Value,
    /// The engine that produced it.
    pub engine: EngineKind,
    /// True when this is an evaluation error rather than a violation the policy reported.
    pub evaluation_error: bool,
    /// An evaluation error that the policy's `failurePolicy: Ignore` lets pass (a
    /// ValidatingAdmissionPolicy's, or a K8sNativeValidation template's): no finding in a
    /// scan ([`PolicySet::evaluate`] leaves it out), admitted by the webhook, which logs and
    /// counts it.
    pub ignored: bool,
    /// Where the constraint was defined.
    pub constraint_source: Source,
    /// The constraint's index in [`PolicySet::constraints`].
    pub index: usize,
}

/// What a scan needs to know about a loaded constraint.
#[derive(Clone, Debug)]
pub struct ConstraintInfo {
    /// The template's name (`k8srequiredlabels`).
    pub template: String,
    /// The constraint's kind (`K8sRequiredLabels`).
    pub kind: String,
    /// The constraint's name.
    pub name: String,
    /// Its `enforcementAction`.
    pub action: EnforcementAction,
    /// Where it is defined.
    pub source: Source,
    /// It can be evaluated only once every object of the input is known: its template reads
    /// `data.inventory`, or it selects on Namespaces (`namespaceSelector`), or (a
    /// ValidatingAdmissionPolicy's binding) it reads params.
    pub needs_all_objects: bool,
    /// A ValidatingAdmissionPolicyBinding (`template` is the policy's name, `kind`
    /// `ValidatingAdmissionPolicy`, `name` `<policy>/<binding>`), not a Gatekeeper constraint.
    pub vap: bool,
}

/// What [`PolicySet::sync_requirements`] asks a server to sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRequirements {
    /// (apiVersion, kind) to list from the cluster.
    pub kinds: Vec<(String, String)>,
    /// Templates that read `data.inventory` without naming the kinds they need: nothing can
    /// be synced for them.
    pub unnamed: Vec<String>,
}

/// Which constraints an evaluation runs ([`PolicySet::review_stage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Every constraint.
    All,
    /// Those that need only the object ([`ConstraintInfo::needs_all_objects`] false).
    Object,
    /// Those that need every object of the input.
    AllObjects,
}

static NEXT_INVENTORY_ID: AtomicU64 = AtomicU64::new(1);

/// `data.inventory` as Gatekeeper builds it from synced objects: cluster-scoped objects at
/// `cluster[groupVersion][kind][name]`, namespaced ones at
/// `namespace[ns][groupVersion][kind][name]`; and the Namespaces, for `namespaceSelector`.
///
/// Objects are kept as compact JSON text and parsed only when read: a parsed
/// `serde_json::Value` costs about 25 times its text (a B-tree node per map), and a large
/// scan may sync tens of thousands of objects. Each reader gets what it asks for: Rego the
/// kinds its template syncs ([`Inventory::rego_data`]), `objects_of` one kind.
#[derive(Clone, Debug)]
pub struct Inventory {
    id: u64,
    /// By (apiVersion, kind).
    kinds: std::sync::Arc<std::collections::BTreeMap<(String, String), KindObjects>>,
    namespaces: std::collections::HashMap<String, Value>,
    /// The RBAC model of its RBAC objects, for `authorizer` (built when first needed).
    rbac: authz::RbacCache,
    /// The whole `data.inventory` document as JSON, built when first asked for.
    data: std::sync::Arc<std::sync::OnceLock<Value>>,
    /// `{"inventory": ...}` as a Rego value for each set of synced kinds asked for (`None`:
    /// every kind), converted once and shared by every engine of the templates that sync
    /// those kinds (regorus values are reference-counted).
    rego: std::sync::Arc<std::sync::Mutex<RegoViews>>,
}

type RegoViews = std::collections::HashMap<Option<Vec<String>>, Result<regorus::Value, String>>;

/// The objects of one apiVersion and kind.
#[derive(Debug, Default)]
struct KindObjects {
    /// (namespace or "", name) -> the object as JSON text.
    objects: std::collections::BTreeMap<(String, String), Box<[u8]>>,
    /// The same, parsed, when first read through [`Inventory::objects_of`].
    parsed: std::sync::OnceLock<Vec<Value>>,
}

impl KindObjects {
    fn parsed(&self) -> &[Value] {
        self.parsed.get_or_init(|| {
            self.objects
                .values()
                .filter_map(|j| serde_json::from_slice(j).ok())
                .collect()
        })
    }
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory::new(std::iter::empty())
    }
}

impl Inventory {
    /// Build the inventory from objects. Objects without `apiVersion`, `kind` or
    /// `metadata.name` are left out (Gatekeeper refuses to sync them).
    pub fn new<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Self {
        Self::from_json(
            objects
                .into_iter()
                .filter_map(|o| serde_json::to_vec(o).ok().map(Vec::into_boxed_slice)),
        )
    }

    /// [`Inventory::new`] from objects as JSON texts (kept as they are; a text that is not a
    /// JSON object is left out).
    pub fn from_json(objects: impl IntoIterator<Item = Box<[u8]>>) -> Self {
        /// What filing an object needs; the rest of the text is skipped, not built.
        #[derive(serde::Deserialize)]
        struct Head {
            #[serde(rename = "apiVersion")]
            api_version: Option<Value>,
            kind: Option<Value>,
            metadata: Option<Meta>,
        }
        #[derive(serde::Deserialize)]
        struct Meta {
            name: Option<Value>,
            namespace: Option<Value>,
        }
        let mut kinds: std::collections::BTreeMap<(String, String), KindObjects> =
            Default::default();
        let mut namespaces = std::collections::HashMap::new();
        for json in objects {
            let Ok(head) = serde_json::from_slice::<Head>(&json) else {
                continue;
            };
            let text = |v: Option<Value>| match v {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            let meta = head.metadata;
            let (Some(api_version), Some(kind), Some(name)) = (
                text(head.api_version),
                text(head.kind),
                meta.as_ref()
                    .and_then(|m| m.name.clone())
                    .and_then(|n| text(Some(n))),
            ) else {
                continue;
            };
            let ns = meta.and_then(|m| text(m.namespace)).unwrap_or_default();
            if kind == "Namespace" && !api_version.contains('/') {
                if let Ok(o) = serde_json::from_slice::<Value>(&json) {
                    namespaces.insert(name.clone(), o);
                }
            }
            kinds
                .entry((api_version, kind))
                .or_default()
                .objects
                .insert((ns, name), json);
        }
        Inventory {
            id: NEXT_INVENTORY_ID.fetch_add(1, Ordering::Relaxed),
            kinds: std::sync::Arc::new(kinds),
            namespaces,
            rbac: authz::RbacCache::default(),
            data: Default::default(),
            rego: Default::default(),
        }
    }

    /// `{"inventory": data}` as a Rego value, with the objects of `kinds` only (`None`: of
    /// every kind); converted from the JSON text once per set of kinds.
    pub(crate) fn rego_data(&self, kinds: Option<&[String]>) -> Result<regorus::Value, String> {
        let key = kinds.map(|k| {
            let mut k = k.to_vec();
            k.sort();
            k.dedup();
            k
        });
        let key = key.filter(|k| !k.iter().any(|k| k == "*"));
        let mut views = match self.rego.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(v) = views.get(&key) {
            return v.clone();
        }
        let v = self.convert(key.as_deref());
        views.insert(key, v.clone());
        v
    }

    fn convert(&self, kinds: Option<&[String]>) -> Result<regorus::Value, String> {
        use std::collections::BTreeMap;
        fn object(entries: impl IntoIterator<Item = (String, regorus::Value)>) -> regorus::Value {
            let mut v = regorus::Value::new_object();
            if let Ok(m) = v.as_object_mut() {
                for (k, x) in entries {
                    m.insert(regorus::Value::from(k), x);
                }
            }
            v
        }
        type Names = BTreeMap<String, regorus::Value>;
        // namespace ("" for cluster) -> apiVersion -> kind -> name -> object
        let mut tree: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, Names>>> = BTreeMap::new();
        for ((api, kind), objects) in self.kinds.iter() {
            if kinds.is_some_and(|ks| !ks.iter().any(|k| k == kind)) {
                continue;
            }
            for ((ns, name), json) in &objects.objects {
                let o = serde_json::from_slice::<regorus::Value>(json)
                    .map_err(|e| format!("converting data.inventory: {e}"))?;
                tree.entry(ns)
                    .or_default()
                    .entry(api)
                    .or_default()
                    .entry(kind)
                    .or_default()
                    .insert(name.clone(), o);
            }
        }
        let level = |apis: BTreeMap<&str, BTreeMap<&str, Names>>| {
            object(apis.into_iter().map(|(api, ks)| {
                (
                    api.to_string(),
                    object(
                        ks.into_iter()
                            .map(|(k, names)| (k.to_string(), object(names))),
                    ),
                )
            }))
        };
        let cluster = tree
            .remove("")
            .map(level)
            .unwrap_or_else(regorus::Value::new_object);
        let namespace = object(
            tree.into_iter()
                .map(|(ns, apis)| (ns.to_string(), level(apis))),
        );
        Ok(object([(
            "inventory".to_string(),
            object([
                ("cluster".to_string(), cluster),
                ("namespace".to_string(), namespace),
            ]),
        )]))
    }

    /// The `data.inventory` document (built when first asked for: the engines read the
    /// objects without it).
    pub fn data(&self) -> &Value {
        self.data.get_or_init(|| {
            let mut cluster = Map::new();
            let mut namespaced = Map::new();
            for ((api, kind), objects) in self.kinds.iter() {
                for (((ns, name), _), o) in objects.objects.iter().zip(objects.parsed()) {
                    let root = if ns.is_empty() {
                        &mut cluster
                    } else {
                        entry(&mut namespaced, ns)
                    };
                    entry(entry(root, api), kind).insert(name.clone(), o.clone());
                }
            }
            let mut data = Map::new();
            data.insert("cluster".into(), Value::Object(cluster));
            data.insert("namespace".into(), Value::Object(namespaced));
            Value::Object(data)
        })
    }

    /// A Namespace of the inventory by name.
    pub fn namespace(&self, name: &str) -> Option<&Value> {
        self.namespaces.get(name)
    }

    /// The objects of an apiVersion and kind, cluster-scoped and in every namespace.
    pub fn objects_of(&self, api_version: &str, kind: &str) -> Vec<&Value> {
        self.kinds
            .get(&(api_version.to_string(), kind.to_string()))
            .map(|k| k.parsed().iter().collect())
            .unwrap_or_default()
    }

    /// Each object of a kind (any apiVersion) with the namespace ("" for cluster-scoped),
    /// apiVersion and name it is filed under, parsed one at a time and not kept.
    pub(crate) fn each_of_kind(&self, kind: &str, mut f: impl FnMut(&str, &str, &str, &Value)) {
        for ((api, k), objects) in self.kinds.iter() {
            if k != kind {
                continue;
            }
            for ((ns, name), json) in &objects.objects {
                if let Ok(o) = serde_json::from_slice::<Value>(json) {
                    f(ns, api, name, &o);
                }
            }
        }
    }

    /// Its Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (any
    /// `rbac.authorization.k8s.io` version).
    pub fn rbac_objects(&self) -> Vec<&Value> {
        self.kinds
            .iter()
            .filter(|((api, kind), _)| {
                api.starts_with("rbac.authorization.k8s.io/")
                    && ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
                        .contains(&kind.as_str())
            })
            .flat_map(|(_, k)| k.parsed())
            .collect()
    }

    pub(crate) fn rbac_cache(&self) -> &authz::RbacCache {
        &self.rbac
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

fn entry<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Collects templates and constraints, then compiles them ([`PolicySetBuilder::build`]).
pub struct PolicySetBuilder {
    engine: EngineChoice,
    templates: Vec<Doc>,
    constraints: Vec<Doc>,
    vaps: Vec<Doc>,
    bindings: Vec<Doc>,
    objects: Vec<Value>,
    errors: Vec<PolicyError>,
    accelerate: bool,
    keep_uncompiled: bool,
}

impl PolicySetBuilder {
    /// A builder whose templates run on `engine`.
    pub fn new(engine: EngineChoice) -> Self {
        PolicySetBuilder {
            engine,
            templates: Vec::new(),
            constraints: Vec::new(),
            vaps: Vec::new(),
            bindings: Vec::new(),
            objects: Vec::new(),
            errors: Vec::new(),
            accelerate: true,
            keep_uncompiled: false,
        }
    }

    /// Keep a ValidatingAdmissionPolicy whose expressions do not compile, so that its
    /// failurePolicy decides the requests it matches (an admission server: the API server
    /// does so; `Fail` must not turn into admitting everything). Its error is still returned,
    /// as [`PolicyErrorKind::CompileKept`]. Off (a scan), such a policy is left out.
    pub fn keep_uncompiled(mut self, on: bool) -> Self {
        self.keep_uncompiled = on;
        self
    }

    /// Whether the Gatekeeper library's quadratic referential templates, unchanged, are
    /// answered by an index instead of regorus (default: yes; the module `accel` says which
    /// and why). Off, every template runs on its interpreter, as the tests comparing the two
    /// need.
    pub fn accelerate(mut self, on: bool) -> Self {
        self.accelerate = on;
        self
    }

    /// Keep an object that is not a policy (a ValidatingAdmissionPolicy's param, a
    /// Namespace): it joins the inventory every evaluation sees ([`PolicySet::objects`]).
    pub fn add_object(&mut self, object: Value) {
        self.objects.push(object);
    }

    /// Add a document: a ConstraintTemplate (`templates.gatekeeper.sh/*`), a Constraint
    /// (`constraints.gatekeeper.sh/*`), a ValidatingAdmissionPolicy or a
    /// ValidatingAdmissionPolicyBinding (`admissionregistration.k8s.io/v1`, `v1beta1`).
    /// Returns false (and keeps nothing) for anything else.
    pub fn add(&mut self, doc: Doc) -> bool {
        match policy_document_kind(&doc.value) {
            Some(PolicyDoc::Template) => self.templates.push(doc),
            Some(PolicyDoc::Constraint) => self.constraints.push(doc),
            None => match vap::kind_of(&doc.value) {
                Some(vap::VapDoc::Policy) => self.vaps.push(doc),
                Some(vap::VapDoc::Binding) => self.bindings.push(doc),
                None => return false,
            },
        }
        true
    }

    /// Record an error found while reading the policies (kept with the build's errors).
    pub fn add_error(&mut self, e: PolicyError) {
        self.errors.push(e);
    }

    /// Compile every template once, then resolve and check every constraint. A bad policy
    /// is an error and is left out; the others are kept.
    pub fn build(self) -> (PolicySet, Vec<PolicyError>) {
        let mut errors = self.errors;
        let mut templates: Vec<template::CompiledTemplate> = Vec::new();
        for doc in &self.templates {
            match template::CompiledTemplate::compile(doc, self.engine, self.accelerate) {
                Ok(mut t) => {
                    if let Some(e) = t.sync_error.take() {
                        errors.push(e);
                    }
                    if let Some(prev) = templates.iter().position(|p| p.kind == t.kind) {
                        errors.push(PolicyError::new(
                            &doc.source,
                            PolicyErrorKind::Invalid,
                            format!(
                                "ConstraintTemplate {:?} defines kind {:?} again (first at {}); this one is ignored",
                                t.name, t.kind, templates[prev].source
                            ),
                        ));
                    } else {
                        templates.push(t);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let mut constraints = Vec::new();
        for doc in &self.constraints {
            let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
            let Some(ti) = templates.iter().position(|t| t.kind == kind) else {
                let failed = self.templates.iter().any(|t| {
                    t.value
                        .pointer("/spec/crd/spec/names/kind")
                        .and_then(Value::as_str)
                        == Some(kind)
                });
                errors.push(PolicyError::new(
                    &doc.source,
                    PolicyErrorKind::MissingTemplate,
                    if failed {
                        format!(
                            "constraint of kind {kind:?}: its ConstraintTemplate did not compile"
                        )
                    } else {
                        format!(
                            "constraint of kind {kind:?}: no ConstraintTemplate defines this kind"
                        )
                    },
                ));
                continue;
            };
            match constraint::Constraint::parse(doc, &templates[ti]) {
                Ok(c) => constraints.push((ti, c)),
                Err(e) => errors.push(e),
            }
        }
        let mut vaps: Vec<vap::Policy> = Vec::new();
        for doc in &self.vaps {
            match vap::Policy::compile(doc) {
                Ok((_, Some(e))) if !self.keep_uncompiled => errors.push(e),
                Ok((p, compile_error)) => {
                    if let Some(mut e) = compile_error {
                        e.kind = PolicyErrorKind::CompileKept;
                        errors.push(e);
                    }
                    if let Some(prev) = vaps.iter().find(|x| x.name == p.name) {
                        errors.push(PolicyError::new(
                            &doc.source,
                            PolicyErrorKind::Invalid,
                            format!(
                                "ValidatingAdmissionPolicy {:?} is defined again (first at {}); this one is ignored",
                                p.name, prev.source
                            ),
                        ));
                    } else {
                        vaps.push(p);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let mut bindings = Vec::new();
        for doc in &self.bindings {
            match vap::Binding::parse(doc) {
                Ok((b, policy)) => match vaps.iter().position(|p| p.name == policy) {
                    Some(pi) => bindings.push((pi, b)),
                    None => {
                        let failed = self.vaps.iter().any(|d| {
                            d.value.pointer("/metadata/name").and_then(Value::as_str)
                                == Some(policy.as_str())
                        });
                        errors.push(PolicyError::new(
                            &doc.locate("/spec/policyName"),
                            PolicyErrorKind::MissingTemplate,
                            if failed {
                                format!("ValidatingAdmissionPolicyBinding {}: its ValidatingAdmissionPolicy {policy:?} did not compile", b.name)
                            } else {
                                format!("ValidatingAdmissionPolicyBinding {}: no ValidatingAdmissionPolicy named {policy:?}", b.name)
                            },
                        ));
                    }
                },
                Err(e) => errors.push(e),
            }
        }
        (
            PolicySet {
                templates,
                constraints,
                vaps,
                bindings,
                objects: self.objects,
            },
            errors,
        )
    }
}

enum PolicyDoc {
    Template,
    Constraint,
}

fn policy_document_kind(v: &Value) -> Option<PolicyDoc> {
    let api = v.get("apiVersion")?.as_str()?;
    let group = api.split('/').next()?;
    match group {
        "templates.gatekeeper.sh" if v.get("kind")?.as_str()? == "ConstraintTemplate" => {
            Some(PolicyDoc::Template)
        }
        "constraints.gatekeeper.sh" => Some(PolicyDoc::Constraint),
        _ => None,
    }
}

/// Compiled templates and their constraints, ready to evaluate objects. Evaluation is
/// thread-safe (`&self`).
pub struct PolicySet {
    templates: Vec<template::CompiledTemplate>,
    constraints: Vec<(usize, constraint::Constraint)>,
    vaps: Vec<vap::Policy>,
    /// ValidatingAdmissionPolicyBindings with their policy's index; their violations'
    /// [`Violation::index`] follows the constraints'.
    bindings: Vec<(usize, vap::Binding)>,
    /// Documents of the policy files that are not policies (params, Namespaces).
    objects: Vec<Value>,
}

impl PolicySet {
    /// How many templates and constraints were kept.
    pub fn len(&self) -> (usize, usize) {
        (self.templates.len(), self.constraints.len())
    }

    /// True when no constraint nor binding is loaded.
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty() && self.bindings.is_empty()
    }

    /// The documents of the policy files that are not policies ([`PolicySetBuilder::add_object`]).
    pub fn objects(&self) -> &[Value] {
        &self.objects
    }

    /// The templates answered by an index instead of their interpreter (the Gatekeeper
    /// library's quadratic referential templates, unchanged; [`PolicySetBuilder::accelerate`]).
    pub fn accelerated(&self) -> Vec<&str> {
        self.templates
            .iter()
            .filter(|t| t.accelerated())
            .map(|t| t.name.as_str())
            .collect()
    }

    /// The engine each template runs on, by template name.
    pub fn engines(&self) -> Vec<(String, EngineKind)> {
        self.templates
            .iter()
            .map(|t| (t.name.clone(), t.engine))
            .collect()
    }

    /// Evaluate an object as Gatekeeper's audit and `gator` do (a review built from the object
    /// alone, see [`Review::from_object`]). An object that is an `admission.k8s.io`
    /// AdmissionReview is reviewed as its request. Errors that a `failurePolicy: Ignore`
    /// lets pass are left out.
    pub fn evaluate(&self, object: &Value, inventory: &Inventory) -> Vec<Violation> {
        match Review::from_document(object) {
            Ok(r) => {
                let mut v = self.review(&r, inventory);
                v.retain(|v| !v.ignored);
                v
            }
            Err(message) => self
                .constraints
                .iter()
                .enumerate()
                .map(|(i, _)| self.error_violation(i, message.clone()))
                .collect(),
        }
    }

    /// The loaded constraints, in the order [`Violation::index`] counts them.
    pub fn constraints(&self) -> Vec<ConstraintInfo> {
        self.constraints
            .iter()
            .map(|(ti, c)| {
                let t = &self.templates[*ti];
                ConstraintInfo {
                    template: t.name.clone(),
                    kind: c.kind.clone(),
                    name: c.name.clone(),
                    action: c.action,
                    source: c.source.clone(),
                    needs_all_objects: Self::needs_all(t, c),
                    vap: false,
                }
            })
            .chain(self.bindings.iter().map(|(pi, b)| {
                let p = &self.vaps[*pi];
                ConstraintInfo {
                    template: p.name.clone(),
                    kind: "ValidatingAdmissionPolicy".into(),
                    name: format!("{}/{}", p.name, b.name),
                    action: b.action,
                    source: b.source.clone(),
                    needs_all_objects: b.needs_all_objects(p),
                    vap: true,
                }
            }))
            .collect()
    }

    fn needs_all(t: &template::CompiledTemplate, c: &constraint::Constraint) -> bool {
        t.uses_inventory || c.has_namespace_selector()
    }

    /// What a server must sync from its cluster into the inventory for these policies
    /// (`serve`; a scan has its input): the kinds the templates that read `data.inventory`
    /// name in `requires-sync-data`, the params of ValidatingAdmissionPolicy bindings, the
    /// RBAC objects for policies that ask the `authorizer`, and the Namespaces when a
    /// constraint or binding has a `namespaceSelector`.
    pub fn sync_requirements(&self) -> SyncRequirements {
        let mut out = SyncRequirements::default();
        for (ti, _) in &self.constraints {
            let t = &self.templates[*ti];
            if !t.uses_inventory {
                continue;
            }
            match &t.sync_gvks {
                Some(gvks) => {
                    for (g, v, k) in gvks {
                        if v.is_empty() {
                            continue;
                        }
                        let api = if g.is_empty() {
                            v.clone()
                        } else {
                            format!("{g}/{v}")
                        };
                        out.kinds.push((api, k.clone()));
                    }
                }
                None => out.unnamed.push(t.name.clone()),
            }
        }
        for (pi, b) in &self.bindings {
            if let Some((api, kind)) = b.param_kind(&self.vaps[*pi]) {
                out.kinds.push((api.to_string(), kind.to_string()));
            }
            if b.uses_authorizer(&self.vaps[*pi]) {
                for kind in ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"] {
                    out.kinds
                        .push(("rbac.authorization.k8s.io/v1".into(), kind.into()));
                }
            }
        }
        // namespaceSelector: the Namespaces, with their labels.
        if self
            .constraints
            .iter()
            .any(|(_, c)| c.has_namespace_selector())
            || self
                .bindings
                .iter()
                .any(|(pi, b)| b.selects_namespaces(&self.vaps[*pi]))
        {
            out.kinds.push(("v1".into(), "Namespace".into()));
        }
        out.kinds.sort();
        out.kinds.dedup();
        out.unnamed.sort();
        out.unnamed.dedup();
        out
    }

    /// Whether some constraint needs every object of the input ([`Stage::AllObjects`]).
    pub fn needs_all_objects(&self) -> bool {
        self.constraints
            .iter()
            .any(|(ti, c)| Self::needs_all(&self.templates[*ti], c))
            || self
                .bindings
                .iter()
                .any(|(pi, b)| b.needs_all_objects(&self.vaps[*pi]))
    }

    /// Whether a constraint of [`Stage::AllObjects`] may apply to the object (by its kind):
    /// a scan keeps such objects for the evaluation after the last object is read.
    pub fn all_objects_stage_may_apply(&self, object: &Value) -> bool {
        self.constraints
            .iter()
            .any(|(ti, c)| Self::needs_all(&self.templates[*ti], c) && c.kind_matches(object))
            || self.bindings.iter().any(|(pi, b)| {
                let p = &self.vaps[*pi];
                b.needs_all_objects(p) && b.may_match(p, object)
            })
    }

    /// Whether the inventory of [`Stage::AllObjects`] needs the object: a Namespace (for
    /// `namespaceSelector`), or a kind that a template reading `data.inventory` asks
    /// Gatekeeper to sync (any kind, for a template that does not say).
    pub fn inventory_needs(&self, object: &Value) -> bool {
        let (group, kind) = review::group_kind(object);
        if kind == "Namespace" && group.is_empty() {
            return true;
        }
        if group == "rbac.authorization.k8s.io"
            && self
                .bindings
                .iter()
                .any(|(pi, b)| b.uses_authorizer(&self.vaps[*pi]))
        {
            return true;
        }
        let api = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if self
            .bindings
            .iter()
            .any(|(pi, b)| b.param_kind(&self.vaps[*pi]) == Some((api, kind)))
        {
            return true;
        }
        self.constraints.iter().any(|(ti, _)| {
            let t = &self.templates[*ti];
            t.uses_inventory
                && t.sync_kinds
                    .as_ref()
                    .is_none_or(|kinds| kinds.iter().any(|k| k == kind || k == "*"))
        })
    }

    /// Evaluate a review against every matching constraint.
    pub fn review(&self, review: &Review, inventory: &Inventory) -> Vec<Violation> {
        self.review_stage(review, inventory, Stage::All)
    }

    /// Evaluate a review against the matching constraints of a stage.
    pub fn review_stage(
        &self,
        review: &Review,
        inventory: &Inventory,
        stage: Stage,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        // Read once for every constraint asked about this review (when one is).
        let mut subjects = None;
        for (index, (ti, c)) in self.constraints.iter().enumerate() {
            let t = &self.templates[*ti];
            match stage {
                Stage::All => {}
                Stage::Object if Self::needs_all(t, c) => continue,
                Stage::AllObjects if !Self::needs_all(t, c) => continue,
                _ => {}
            }
            match c.matches_subjects(
                subjects.get_or_insert_with(|| constraint::Subjects::of(review, inventory)),
            ) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(e) => {
                    out.push(
                        self.error_violation(index, format!("unable to match constraints: {e}")),
                    );
                    continue;
                }
            }
            match t.evaluate(c, review, inventory) {
                Ok(results) => {
                    for r in results {
                        out.push(Violation {
                            template: t.name.clone(),
                            constraint_kind: c.kind.clone(),
                            constraint: c.name.clone(),
                            message: r.message,
                            enforcement_action: c.action,
                            details: r.details,
                            engine: t.engine,
                            evaluation_error: r.error,
                            ignored: r.ignored,
                            constraint_source: c.source.clone(),
                            index,
                        })
                    }
                }
                Err(e) => out.push(self.error_violation(index, e)),
            }
        }
        let first = self.constraints.len();
        for (bi, (pi, b)) in self.bindings.iter().enumerate() {
            let p = &self.vaps[*pi];
            match stage {
                Stage::All => {}
                Stage::Object if b.needs_all_objects(p) => continue,
                Stage::AllObjects if !b.needs_all_objects(p) => continue,
                _ => {}
            }
            for r in b.evaluate(p, review, inventory) {
                out.push(Violation {
                    template: p.name.clone(),
                    constraint_kind: "ValidatingAdmissionPolicy".into(),
                    constraint: b.name.clone(),
                    message: r.message,
                    enforcement_action: b.action,
                    details: r.details,
                    engine: EngineKind::Cel,
                    evaluation_error: r.error,
                    ignored: r.ignored,
                    constraint_source: b.source.clone(),
                    index: first + bi,
                });
            }
        }
        out
    }

    fn error_violation(&self, index: usize, message: String) -> Violation {
        let (ti, c) = &self.constraints[index];
        let t = &self.templates[*ti];
        Violation {
            template: t.name.clone(),
            constraint_kind: c.kind.clone(),
            constraint: c.name.clone(),
            message,
            enforcement_action: c.action,
            details: Value::Object(Map::new()),
            engine: t.engine,
            evaluation_error: true,
            ignored: false,
            constraint_source: c.source.clone(),
            index,
        }
    }
}

/// One result of a template's code, before it is tied to its constraint.
pub(crate) struct RawResult {
    pub message: String,
    pub details: Value,
    pub error: bool,
    /// An error that the policy's `failurePolicy: Ignore` lets pass.
    pub ignored: bool,
}

/// An evaluation error's text with every string of the reviewed objects (3 characters or
/// more) replaced by `<redacted>`: an interpreter may quote the value it failed on, and an
/// object's values may be secrets.
pub(crate) fn redact(message: &str, review: &Review) -> String {
    let mut strings = Vec::new();
    for o in [review.object(), review.old_object()].into_iter().flatten() {
        collect_strings(o, &mut strings);
    }
    strings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    strings.dedup();
    let mut out = message.to_string();
    for s in strings {
        if s.chars().count() >= 3 && out.contains(s) {
            out = out.replace(s, "<redacted>");
        }
    }
    out
}

fn collect_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        // apiVersion and kind are not secrets, and are often quoted by the policy's own source
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "apiVersion" && k.as_str() != "kind")
            .for_each(|(_, x)| collect_strings(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_set_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<PolicySet>();
        send_sync::<Inventory>();
    }

    #[test]
    fn redaction_keeps_kinds_and_hides_values() {
        let object = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s"}, "data": {"password": "hunter2"}});
        let review = Review::from_object(&object).unwrap();
        assert_eq!(
            redact("Secret: cannot parse \"hunter2\"", &review),
            "Secret: cannot parse \"<redacted>\""
        );
    }
}
