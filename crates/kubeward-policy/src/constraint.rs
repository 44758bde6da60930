//! Constraints (`constraints.gatekeeper.sh/v1beta1`): parameters, enforcementAction and the
//! `match` criteria, evaluated as Gatekeeper's `pkg/mutation/match/match.go` does (kinds,
//! scope, namespaces, excludedNamespaces, labelSelector, namespaceSelector, name; read at
//! open-policy-agent/gatekeeper dd8507eb).

use std::fmt;

use serde_json::{Map, Value};

use crate::template::CompiledTemplate;
use crate::{Doc, Inventory, PolicyError, PolicyErrorKind, Review, Source};

/// What Gatekeeper does with a violation of the constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnforcementAction {
    /// Deny the request (the default).
    Deny,
    /// Report in audit only.
    Dryrun,
    /// Admit with a warning.
    Warn,
    /// `scoped`: the actions are per enforcement point (`scopedEnforcementActions`).
    Scoped,
}

impl fmt::Display for EnforcementAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EnforcementAction::Deny => "deny",
            EnforcementAction::Dryrun => "dryrun",
            EnforcementAction::Warn => "warn",
            EnforcementAction::Scoped => "scoped",
        })
    }
}

/// A compiled constraint.
pub(crate) struct Constraint {
    pub kind: String,
    pub name: String,
    pub source: Source,
    /// The whole constraint object (CEL's `params`).
    pub object: Value,
    /// `spec.parameters`, `{}` when absent (as Gatekeeper's Rego driver defaults it).
    pub parameters: Value,
    pub action: EnforcementAction,
    matcher: Option<Match>,
}

impl Constraint {
    pub fn parse(doc: &Doc, template: &CompiledTemplate) -> Result<Constraint, PolicyError> {
        let err = |kind, m: String| PolicyError::new(&doc.source, kind, m);
        let v = &doc.value;
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = v
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            return Err(err(
                PolicyErrorKind::Invalid,
                format!("constraint of kind {kind:?} has no metadata.name"),
            ));
        }
        let what = format!("constraint {kind}/{name}");
        let spec = match v.get("spec") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(m)) => Value::Object(m.clone()),
            Some(other) => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!("{what}: spec must be an object, found {}", type_name(other)),
                ))
            }
        };
        let parameters = match spec.get("parameters") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(p) => p.clone(),
        };
        if let Some(schema) = &template.parameters_schema {
            let mut problems = Vec::new();
            crate::schema::validate(schema, &parameters, "spec.parameters", &mut problems);
            if !problems.is_empty() {
                return Err(PolicyError::new(
                    &doc.locate("/spec/parameters"),
                    PolicyErrorKind::Parameters,
                    format!(
                        "{what}: parameters do not match the schema of ConstraintTemplate {}: {}",
                        template.name,
                        problems.join("; ")
                    ),
                ));
            }
        }
        let action = match spec.get("enforcementAction") {
            None | Some(Value::Null) => EnforcementAction::Deny,
            Some(Value::String(s)) => match s.as_str() {
                "" | "deny" => EnforcementAction::Deny,
                "dryrun" => EnforcementAction::Dryrun,
                "warn" => EnforcementAction::Warn,
                "scoped" => EnforcementAction::Scoped,
                _ => {
                    return Err(err(
                        PolicyErrorKind::Invalid,
                        format!(
                            "{what}: spec.enforcementAction must be deny, dryrun, warn or scoped"
                        ),
                    ))
                }
            },
            Some(other) => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!(
                        "{what}: spec.enforcementAction must be a string, found {}",
                        type_name(other)
                    ),
                ))
            }
        };
        let matcher = match spec.get("match") {
            None | Some(Value::Null) => None,
            Some(m) => Some(Match::parse(m).map_err(|e| {
                PolicyError::new(
                    &doc.locate("/spec/match"),
                    PolicyErrorKind::Invalid,
                    format!("{what}: spec.match{e}"),
                )
            })?),
        };
        Ok(Constraint {
            kind,
            name,
            source: doc.source.clone(),
            object: v.clone(),
            parameters,
            action,
            matcher,
        })
    }

    /// Whether the constraint selects on the object's Namespace (`namespaceSelector`), which
    /// a scan knows only once every object is read.
    pub fn has_namespace_selector(&self) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|m| m.namespace_selector.is_some())
    }

    /// Whether the constraint may apply to the object, by its group and kind alone.
    pub fn kind_matches(&self, obj: &Value) -> bool {
        self.matcher.as_ref().is_none_or(|m| m.kind_matches(obj))
    }

    /// Whether the constraint applies to the review: to its object or its old object, as
    /// Gatekeeper's target matcher (`matchAny`) decides. What every constraint reads of the
    /// review is gathered once ([`Subjects::of`]): a scan asks each of its constraints about
    /// every object.
    pub fn matches_subjects(&self, subjects: &Subjects<'_>) -> Result<bool, String> {
        let Some(m) = &self.matcher else {
            return Ok(true);
        };
        if subjects.objects.is_empty() {
            return Err("invalid request object: neither object nor old object are defined".into());
        }
        for o in &subjects.objects {
            if m.matches(o, subjects.namespace)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What constraint matching reads of a review's object and old object, and its Namespace
/// from the inventory, looked up once for all the constraints asked about it.
pub(crate) struct Subjects<'r> {
    objects: Vec<Subject<'r>>,
    namespace: Option<&'r Value>,
}

/// One object's fields that `match` reads.
struct Subject<'r> {
    group: &'r str,
    kind: &'r str,
    namespace: &'r str,
    name: &'r str,
    generate_name: &'r str,
    labels: Option<&'r Value>,
}

impl<'r> Subjects<'r> {
    pub(crate) fn of(review: &'r Review, inventory: &'r Inventory) -> Subjects<'r> {
        let ns_name = review.namespace();
        let namespace = if ns_name.is_empty() {
            None
        } else {
            inventory.namespace(ns_name)
        };
        let text = |o: &'r Value, p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or("");
        let objects = [review.object(), review.old_object()]
            .into_iter()
            .flatten()
            .map(|o| {
                let (group, kind) = crate::review::group_kind(o);
                let meta = o.get("metadata");
                Subject {
                    group,
                    kind,
                    namespace: meta.map_or("", |m| text(m, "/namespace")),
                    name: meta.map_or("", |m| text(m, "/name")),
                    generate_name: meta.map_or("", |m| text(m, "/generateName")),
                    labels: meta.and_then(|m| m.get("labels")),
                }
            })
            .collect();
        Subjects { objects, namespace }
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

struct KindMatch {
    groups: Vec<String>,
    kinds: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Any,
    Cluster,
    Namespaced,
}

/// A Gatekeeper wildcard: `prefix*`, `*suffix` or an exact name.
struct Wildcard(String);

impl Wildcard {
    fn matches(&self, s: &str) -> bool {
        let w = &self.0;
        if let Some(p) = w.strip_suffix('*') {
            if let Some(p2) = p.strip_prefix('*') {
                return s.contains(p2);
            }
            return s.starts_with(p);
        }
        if let Some(suf) = w.strip_prefix('*') {
            return s.ends_with(suf);
        }
        w == s
    }

    /// `name` also matches an object's `generateName` when it ends in `*`.
    fn matches_generate_name(&self, generate_name: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(p) if !generate_name.is_empty() && !p.starts_with('*') => {
                generate_name.starts_with(p)
            }
            _ => false,
        }
    }
}

pub(crate) struct Match {
    kinds: Vec<KindMatch>,
    scope: Scope,
    namespaces: Vec<Wildcard>,
    excluded_namespaces: Vec<Wildcard>,
    label_selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    name: Option<Wildcard>,
}

fn strings(v: Option<&Value>, path: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "{path}[{i}] must be a string, found {}",
                    type_name(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!("{path} must be a list, found {}", type_name(other))),
    }
}

impl Match {
    fn parse(m: &Value) -> Result<Match, String> {
        let Some(obj) = m.as_object() else {
            return Err(format!(" must be an object, found {}", type_name(m)));
        };
        let mut kinds = Vec::new();
        match obj.get("kinds") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, k) in a.iter().enumerate() {
                    if !k.is_object() {
                        return Err(format!(
                            ".kinds[{i}] must be an object, found {}",
                            type_name(k)
                        ));
                    }
                    kinds.push(KindMatch {
                        groups: strings(k.get("apiGroups"), &format!(".kinds[{i}].apiGroups"))?,
                        kinds: strings(k.get("kinds"), &format!(".kinds[{i}].kinds"))?,
                    });
                }
            }
            Some(other) => {
                return Err(format!(".kinds must be a list, found {}", type_name(other)))
            }
        }
        let scope = match obj.get("scope").and_then(Value::as_str) {
            Some("Cluster") => Scope::Cluster,
            Some("Namespaced") => Scope::Namespaced,
            // Gatekeeper treats any other value (including typos) as "*".
            _ => Scope::Any,
        };
        let wild = |k: &str| -> Result<Vec<Wildcard>, String> {
            Ok(strings(obj.get(k), &format!(".{k}"))?
                .into_iter()
                .map(Wildcard)
                .collect())
        };
        let selector = |k: &str| -> Result<Option<Selector>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(s) => Selector::parse(s).map(Some).map_err(|e| format!(".{k}{e}")),
            }
        };
        let name = match obj.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(Wildcard(s.clone())),
            Some(other) => {
                return Err(format!(
                    ".name must be a string, found {}",
                    type_name(other)
                ))
            }
        };
        if let Some(Value::String(s)) = obj.get("source") {
            if !matches!(s.as_str(), "" | "All" | "Original" | "Generated") {
                return Err(".source must be All, Original or Generated".into());
            }
        }
        Ok(Match {
            kinds,
            scope,
            namespaces: wild("namespaces")?,
            excluded_namespaces: wild("excludedNamespaces")?,
            label_selector: selector("labelSelector")?,
            namespace_selector: selector("namespaceSelector")?,
            name,
        })
    }

    fn kind_matches(&self, obj: &Value) -> bool {
        let (group, kind) = crate::review::group_kind(obj);
        self.kinds.is_empty()
            || self.kinds.iter().any(|k| {
                (k.kinds.is_empty() || k.kinds.iter().any(|x| x == "*" || x == kind))
                    && (k.groups.is_empty() || k.groups.iter().any(|g| g == "*" || g == group))
            })
    }

    fn matches(&self, obj: &Subject<'_>, ns: Option<&Value>) -> Result<bool, String> {
        let (group, kind) = (obj.group, obj.kind);
        let is_namespace = kind == "Namespace" && group.is_empty();
        let obj_ns = obj.namespace;
        let name = obj.name;
        // kinds
        if !self.kinds.is_empty()
            && !self.kinds.iter().any(|k| {
                (k.kinds.is_empty() || k.kinds.iter().any(|x| x == "*" || x == kind))
                    && (k.groups.is_empty() || k.groups.iter().any(|g| g == "*" || g == group))
            })
        {
            return Ok(false);
        }
        // scope
        let has_namespace = !obj_ns.is_empty() || ns.is_some();
        match self.scope {
            Scope::Cluster if !is_namespace && has_namespace => return Ok(false),
            Scope::Namespaced if is_namespace || !has_namespace => return Ok(false),
            _ => {}
        }
        let ns_name = ns
            .and_then(|n| n.pointer("/metadata/name"))
            .and_then(Value::as_str);
        let namespace = if is_namespace {
            Some(name)
        } else if let Some(n) = ns_name {
            Some(n)
        } else if !obj_ns.is_empty() {
            Some(obj_ns)
        } else {
            None
        };
        // namespaces
        if !self.namespaces.is_empty() {
            if let Some(n) = namespace {
                if !self.namespaces.iter().any(|w| w.matches(n)) {
                    return Ok(false);
                }
            }
        }
        // excludedNamespaces
        if let Some(n) = namespace {
            if self.excluded_namespaces.iter().any(|w| w.matches(n)) {
                return Ok(false);
            }
        }
        // labelSelector
        if let Some(sel) = &self.label_selector {
            if !sel.matches(obj.labels) {
                return Ok(false);
            }
        }
        // namespaceSelector
        if let Some(sel) = &self.namespace_selector {
            if is_namespace {
                if !sel.matches(obj.labels) {
                    return Ok(false);
                }
            } else if ns.is_none() && obj_ns.is_empty() {
                // cluster-scoped objects match
            } else {
                let Some(ns) = ns else {
                    return Err(
                        "namespace selector for namespace-scoped object but missing Namespace"
                            .into(),
                    );
                };
                if !sel.matches(ns.pointer("/metadata/labels")) {
                    return Ok(false);
                }
            }
        }
        // name
        if let Some(w) = &self.name {
            if !(w.matches(name) || w.matches_generate_name(obj.generate_name)) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

enum Op {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

/// A Kubernetes label selector (`matchLabels`, `matchExpressions`).
pub(crate) struct Selector {
    labels: Vec<(String, String)>,
    exprs: Vec<(String, Op)>,
}

impl Selector {
    /// A selector that selects everything (`{}`).
    pub(crate) fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.exprs.is_empty()
    }

    pub(crate) fn parse(v: &Value) -> Result<Selector, String> {
        let Some(obj) = v.as_object() else {
            return Err(format!(" must be an object, found {}", type_name(v)));
        };
        let mut labels = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match v {
                        Value::String(s) => labels.push((k.clone(), s.clone())),
                        other => {
                            return Err(format!(
                                ".matchLabels[{k:?}] must be a string, found {}",
                                type_name(other)
                            ))
                        }
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    ".matchLabels must be an object, found {}",
                    type_name(other)
                ))
            }
        }
        let mut exprs = Vec::new();
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, e) in a.iter().enumerate() {
                    let at = format!(".matchExpressions[{i}]");
                    let key = e
                        .get("key")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("{at}.key must be a string"))?;
                    let values = strings(e.get("values"), &format!("{at}.values"))?;
                    let op = match e.get("operator").and_then(Value::as_str) {
                        Some("In") | Some("NotIn") if values.is_empty() => {
                            return Err(format!(
                                "{at}.values must be non-empty for the operators In and NotIn"
                            ))
                        }
                        Some("In") => Op::In(values),
                        Some("NotIn") => Op::NotIn(values),
                        Some("Exists") | Some("DoesNotExist") if !values.is_empty() => {
                            return Err(format!(
                                "{at}.values must be empty for the operators Exists and DoesNotExist"
                            ))
                        }
                        Some("Exists") => Op::Exists,
                        Some("DoesNotExist") => Op::DoesNotExist,
                        _ => {
                            return Err(format!(
                                "{at}.operator must be In, NotIn, Exists or DoesNotExist"
                            ))
                        }
                    };
                    exprs.push((key.to_string(), op));
                }
            }
            Some(other) => {
                return Err(format!(
                    ".matchExpressions must be a list, found {}",
                    type_name(other)
                ))
            }
        }
        Ok(Selector { labels, exprs })
    }

    pub(crate) fn matches(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.labels.iter().all(|(k, v)| get(k) == Some(v.as_str()))
            && self.exprs.iter().all(|(k, op)| match op {
                Op::In(vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
                Op::NotIn(vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
                Op::Exists => get(k).is_some(),
                Op::DoesNotExist => get(k).is_none(),
            })
    }
}
