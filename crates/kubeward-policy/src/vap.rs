//! ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding
//! (`admissionregistration.k8s.io/v1`, and `v1beta1` which has the same shape), evaluated as
//! the API server's admission plugin does (read at kubernetes/kubernetes, staging/src/k8s.io/
//! apiserver/pkg/admission/plugin/policy: `validating/dispatcher.go`, `generic/
//! policy_dispatcher.go` (`CollectParams`), `matching/matching.go` and `webhook/predicates/
//! rules/rules.go`):
//!
//! * the policy's `matchConstraints` and then the binding's `matchResources` must match:
//!   `namespaceSelector` (a cluster-scoped object other than a Namespace always matches; a
//!   Namespace is matched by its own labels; a namespaced object whose Namespace is not known
//!   is an error, as the API server answers 404), `objectSelector` (object or old object),
//!   `resourceRules` (operations, apiGroups, apiVersions, resources with `*`, `res/sub`,
//!   `*/sub`, `res/*`, resourceNames, scope) minus `excludeResourceRules`; with `matchPolicy:
//!   Equivalent` (the default) a rule also matches the same resource in another version of its
//!   group, and the groups Kubernetes moved resources between (`extensions` and `apps` /
//!   `networking.k8s.io`);
//! * params (`paramKind` + the binding's `paramRef`): by name (in `paramRef.namespace`, else
//!   the request's namespace for a namespaced kind) or by selector, each param evaluated in
//!   turn; none found: `parameterNotFoundAction: Deny` is the configuration error "no params
//!   found for policy binding with `Deny` parameterNotFoundAction", `Allow` admits; a
//!   binding without `paramRef` evaluates with `params` null;
//! * configuration errors (`failed to configure binding: ...`) and evaluation errors follow
//!   the policy's `failurePolicy` (default `Fail`: a violation; `Ignore`: an error marked
//!   [`crate::Violation::ignored`], which a scan leaves out and the webhook admits);
//! * `matchConditions`, `variables`, `validations` (`expression`, `message`,
//!   `messageExpression`, `reason`, `fieldPath`) through the CEL engine shared with
//!   Gatekeeper's K8sNativeValidation ([`crate::celeng`]), with `params` the param object and
//!   `namespaceObject` the request's Namespace;
//! * `validationActions` of the binding (Deny, Warn, Audit) give the violation's action.
//!
//! Objects reviewed on their own (a scan) are reviewed as a CREATE, with the resource guessed
//! from the kind as `kubectl` does for unknown kinds (`meta.UnsafeGuessKindToResource`:
//! lower case, `-s` → `-ses`, `-y` → `-ies`, else `+s`; `endpoints` unchanged).
//! Not supported: `auditAnnotations` (accepted and compiled, never published) and the
//! `authorizer` variable (an expression reading it fails at evaluation).

use serde_json::{Map, Value};

use crate::celeng::{CelProgram, Flavor};
use crate::constraint::{type_name, Selector};
use crate::{
    Doc, EnforcementAction, Inventory, PolicyError, PolicyErrorKind, RawResult, Review, Source,
};

/// A compiled ValidatingAdmissionPolicy.
pub(crate) struct Policy {
    pub name: String,
    pub source: Source,
    param_kind: Option<(String, String)>,
    constraints: MatchResources,
    /// The compiled expressions, or why they do not compile (a policy kept so that its
    /// failurePolicy decides the requests it matches, as the API server does).
    program: Result<CelProgram, String>,
    fail: bool,
}

/// A ValidatingAdmissionPolicyBinding, resolved to its policy.
pub(crate) struct Binding {
    pub name: String,
    pub source: Source,
    param_ref: Option<ParamRef>,
    resources: Option<MatchResources>,
    pub action: EnforcementAction,
}

struct ParamRef {
    name: String,
    namespace: String,
    selector: Option<Selector>,
    deny_not_found: bool,
}

#[derive(Default)]
struct MatchResources {
    namespace_selector: Option<Selector>,
    object_selector: Option<Selector>,
    rules: Vec<Rule>,
    exclude: Vec<Rule>,
    equivalent: bool,
}

struct Rule {
    operations: Vec<String>,
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
    scope: String,
}

fn strings(v: Option<&Value>, at: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str()
                    .map(String::from)
                    .ok_or_else(|| format!("{at}[{i}] must be a string, found {}", type_name(x)))
            })
            .collect(),
        Some(other) => Err(format!("{at} must be a list, found {}", type_name(other))),
    }
}

fn selector(v: Option<&Value>, at: &str) -> Result<Option<Selector>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(s) => Selector::parse(s).map(Some).map_err(|e| format!("{at}{e}")),
    }
}

fn rules(v: Option<&Value>, at: &str) -> Result<Vec<Rule>, String> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("{at} must be a list, found {}", type_name(other))),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = format!("{at}[{i}]");
            if !r.is_object() {
                return Err(format!("{at} must be an object, found {}", type_name(r)));
            }
            Ok(Rule {
                operations: strings(r.get("operations"), &format!("{at}.operations"))?,
                groups: strings(r.get("apiGroups"), &format!("{at}.apiGroups"))?,
                versions: strings(r.get("apiVersions"), &format!("{at}.apiVersions"))?,
                resources: strings(r.get("resources"), &format!("{at}.resources"))?,
                names: strings(r.get("resourceNames"), &format!("{at}.resourceNames"))?,
                scope: r
                    .get("scope")
                    .and_then(Value::as_str)
                    .unwrap_or("*")
                    .to_string(),
            })
        })
        .collect()
}

impl MatchResources {
    fn parse(v: &Value, at: &str) -> Result<MatchResources, String> {
        if !v.is_object() {
            return Err(format!("{at} must be an object, found {}", type_name(v)));
        }
        let equivalent = match v.get("matchPolicy").and_then(Value::as_str) {
            None | Some("Equivalent") => true,
            Some("Exact") => false,
            Some(_) => return Err(format!("{at}.matchPolicy must be Exact or Equivalent")),
        };
        Ok(MatchResources {
            namespace_selector: selector(
                v.get("namespaceSelector"),
                &format!("{at}.namespaceSelector"),
            )?,
            object_selector: selector(v.get("objectSelector"), &format!("{at}.objectSelector"))?,
            rules: rules(v.get("resourceRules"), &format!("{at}.resourceRules"))?,
            exclude: rules(
                v.get("excludeResourceRules"),
                &format!("{at}.excludeResourceRules"),
            )?,
            equivalent,
        })
    }

    fn has_namespace_selector(&self) -> bool {
        self.namespace_selector
            .as_ref()
            .is_some_and(|s| !s.is_empty())
    }

    /// Whether the request matches; an error when a Namespace it needs is not known.
    fn matches(&self, a: &Attributes<'_>, inventory: &Inventory) -> Result<bool, String> {
        if let Some(sel) = self.namespace_selector.as_ref().filter(|s| !s.is_empty()) {
            if a.resource == "namespaces" {
                if !sel.matches(a.labels_of_object()) {
                    return Ok(false);
                }
            } else if !a.namespace.is_empty() {
                let Some(ns) = inventory.namespace(a.namespace) else {
                    return Err(format!("namespaces {:?} not found", a.namespace));
                };
                if !sel.matches(ns.pointer("/metadata/labels")) {
                    return Ok(false);
                }
            }
        }
        if let Some(sel) = self.object_selector.as_ref().filter(|s| !s.is_empty()) {
            let any = [a.object, a.old_object]
                .into_iter()
                .flatten()
                .any(|o| sel.matches(o.pointer("/metadata/labels")));
            if !any {
                return Ok(false);
            }
        }
        let matched = |rs: &[Rule]| {
            rs.iter().any(|r| r.matches(a, false))
                || (self.equivalent && rs.iter().any(|r| r.matches(a, true)))
        };
        // A binding's matchResources without resourceRules does not narrow the policy's (a
        // policy's own are required, checked when it compiles).
        Ok((self.rules.is_empty() || matched(&self.rules))
            && !self.exclude.iter().any(|r| r.matches(a, false)))
    }

    /// Whether some rule could match the object's kind (any operation): a quick filter.
    fn may_match_kind(&self, group: &str, resource: &str) -> bool {
        self.rules.iter().any(|r| {
            (r.groups.iter().any(|g| g == "*" || g == group) || self.equivalent)
                && r.resources.iter().any(|x| {
                    let base = x.split('/').next().unwrap_or("");
                    base == "*" || base == resource
                })
        })
    }
}

fn any_is(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == "*" || x == v)
}

/// Groups Kubernetes served the same resources under (for `matchPolicy: Equivalent`).
fn equivalent_groups(group: &str, resource: &str) -> &'static [&'static str] {
    match (group, resource) {
        ("apps" | "extensions", "deployments" | "daemonsets" | "replicasets") => {
            &["apps", "extensions"]
        }
        ("networking.k8s.io" | "extensions", "networkpolicies" | "ingresses") => {
            &["networking.k8s.io", "extensions"]
        }
        ("policy" | "extensions", "podsecuritypolicies") => &["policy", "extensions"],
        _ => &[],
    }
}

impl Rule {
    fn matches(&self, a: &Attributes<'_>, equivalent: bool) -> bool {
        if !any_is(&self.operations, a.operation) {
            return false;
        }
        let group_ok = any_is(&self.groups, a.group)
            || (equivalent
                && equivalent_groups(a.group, &a.resource)
                    .iter()
                    .any(|g| any_is(&self.groups, g)));
        if !group_ok {
            return false;
        }
        if !equivalent && !any_is(&self.versions, a.version) {
            return false;
        }
        let res_ok = self.resources.iter().any(|r| {
            let (res, sub) = r.split_once('/').unwrap_or((r.as_str(), ""));
            if r == "*/*" {
                return true;
            }
            if sub.is_empty() {
                return a.subresource.is_empty() && (res == "*" || res == a.resource.as_str());
            }
            (res == "*" || res == a.resource.as_str()) && (sub == "*" || sub == a.subresource)
        });
        if !res_ok {
            return false;
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| n == a.name) {
            return false;
        }
        match self.scope.as_str() {
            "Namespaced" => a.resource != "namespaces" && !a.namespace.is_empty(),
            "Cluster" => a.resource == "namespaces" || a.namespace.is_empty(),
            _ => true,
        }
    }
}

/// What matching reads of a request.
pub(crate) struct Attributes<'a> {
    operation: &'a str,
    pub group: &'a str,
    version: &'a str,
    pub resource: String,
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    object: Option<&'a Value>,
    old_object: Option<&'a Value>,
}

impl<'a> Attributes<'a> {
    pub fn of(review: &'a Review) -> Attributes<'a> {
        let r = &review.request;
        let s = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or("");
        let kind = s("/kind/kind");
        let resource = match s("/resource/resource") {
            "" => guess_resource(kind),
            res => res.to_string(),
        };
        let group = match s("/resource/resource") {
            "" => s("/kind/group"),
            _ => s("/resource/group"),
        };
        let version = match s("/resource/resource") {
            "" => s("/kind/version"),
            _ => s("/resource/version"),
        };
        let operation = match s("/operation") {
            "" => "CREATE",
            op => op,
        };
        Attributes {
            operation,
            group,
            version,
            resource,
            subresource: s("/subResource"),
            namespace: s("/namespace"),
            name: s("/name"),
            object: review.object(),
            old_object: review.old_object(),
        }
    }

    fn labels_of_object(&self) -> Option<&'a Value> {
        self.object
            .or(self.old_object)
            .and_then(|o| o.pointer("/metadata/labels"))
    }
}

/// `meta.UnsafeGuessKindToResource` (k8s.io/apimachinery/pkg/api/meta/restmapper.go): the
/// plural resource name of a kind.
pub(crate) fn guess_resource(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.is_empty() || lower.ends_with("endpoints") {
        return lower;
    }
    if lower.ends_with('s') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The kinds of documents this module reads.
pub(crate) fn is_policy(v: &Value) -> bool {
    kind_of(v).is_some()
}

pub(crate) enum VapDoc {
    Policy,
    Binding,
}

pub(crate) fn kind_of(v: &Value) -> Option<VapDoc> {
    let api = v.get("apiVersion")?.as_str()?;
    if !matches!(
        api,
        "admissionregistration.k8s.io/v1"
            | "admissionregistration.k8s.io/v1beta1"
            | "admissionregistration.k8s.io/v1alpha1"
    ) {
        return None;
    }
    match v.get("kind")?.as_str()? {
        "ValidatingAdmissionPolicy" => Some(VapDoc::Policy),
        "ValidatingAdmissionPolicyBinding" => Some(VapDoc::Binding),
        _ => None,
    }
}

fn name_of(v: &Value) -> &str {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Policy {
    /// Compile a policy. Its own errors are `Err`; expressions that do not compile give the
    /// policy (which answers every request it matches with an evaluation error) and the error.
    pub fn compile(doc: &Doc) -> Result<(Policy, Option<PolicyError>), PolicyError> {
        let v = &doc.value;
        let name = name_of(v).to_string();
        let invalid =
            |at: &str, m: String| PolicyError::new(&doc.locate(at), PolicyErrorKind::Invalid, m);
        if name.is_empty() {
            return Err(invalid(
                "",
                "ValidatingAdmissionPolicy has no metadata.name".into(),
            ));
        }
        let what = format!("ValidatingAdmissionPolicy {name}");
        let Some(spec) = v.get("spec").filter(|s| s.is_object()) else {
            return Err(invalid("", format!("{what}: spec must be an object")));
        };
        let param_kind = match spec.get("paramKind") {
            None | Some(Value::Null) => None,
            Some(p) => {
                let api = p.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                let kind = p.get("kind").and_then(Value::as_str).unwrap_or("");
                if api.is_empty() || kind.is_empty() {
                    return Err(invalid(
                        "/spec/paramKind",
                        format!("{what}: spec.paramKind needs apiVersion and kind"),
                    ));
                }
                Some((api.to_string(), kind.to_string()))
            }
        };
        let constraints = match spec.get("matchConstraints") {
            Some(m) => MatchResources::parse(m, "spec.matchConstraints")
                .map_err(|e| invalid("/spec/matchConstraints", format!("{what}: {e}")))?,
            None => {
                return Err(invalid(
                    "/spec",
                    format!("{what}: spec.matchConstraints is required"),
                ))
            }
        };
        if constraints.rules.is_empty() {
            return Err(invalid(
                "/spec/matchConstraints",
                format!("{what}: spec.matchConstraints.resourceRules is required"),
            ));
        }
        let has_validations = spec
            .get("validations")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let has_audit = spec
            .get("auditAnnotations")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !has_validations && !has_audit {
            return Err(invalid(
                "/spec",
                format!("{what}: spec.validations or spec.auditAnnotations must have an item"),
            ));
        }
        let compiled = CelProgram::compile_as(spec, Flavor::Vap);
        let error = compiled.as_ref().err().map(|m| {
            PolicyError::new(
                &crate::template::locate_cel(doc, "/spec", m),
                PolicyErrorKind::Compile,
                format!("{what}: {m}"),
            )
        });
        let program = compiled;
        let fail = !matches!(
            spec.get("failurePolicy").and_then(Value::as_str),
            Some("Ignore")
        );
        Ok((
            Policy {
                name,
                source: doc.source.clone(),
                param_kind,
                constraints,
                program,
                fail,
            },
            error,
        ))
    }
}

impl Binding {
    /// A binding and the name of the policy it binds.
    pub fn parse(doc: &Doc) -> Result<(Binding, String), PolicyError> {
        let v = &doc.value;
        let name = name_of(v).to_string();
        let invalid =
            |at: &str, m: String| PolicyError::new(&doc.locate(at), PolicyErrorKind::Invalid, m);
        if name.is_empty() {
            return Err(invalid(
                "",
                "ValidatingAdmissionPolicyBinding has no metadata.name".into(),
            ));
        }
        let what = format!("ValidatingAdmissionPolicyBinding {name}");
        let spec = v.get("spec").cloned().unwrap_or(Value::Null);
        let policy = spec
            .get("policyName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if policy.is_empty() {
            return Err(invalid(
                "/spec",
                format!("{what}: spec.policyName is required"),
            ));
        }
        let actions = strings(spec.get("validationActions"), "spec.validationActions")
            .map_err(|e| invalid("/spec/validationActions", format!("{what}: {e}")))?;
        if actions.is_empty() {
            return Err(invalid(
                "/spec",
                format!("{what}: spec.validationActions must have Deny, Warn and/or Audit"),
            ));
        }
        if let Some(a) = actions
            .iter()
            .find(|a| !matches!(a.as_str(), "Deny" | "Warn" | "Audit"))
        {
            return Err(invalid(
                "/spec/validationActions",
                format!("{what}: unknown validation action {a:?} (Deny, Warn or Audit)"),
            ));
        }
        let has = |a: &str| actions.iter().any(|x| x == a);
        if has("Deny") && has("Warn") {
            return Err(invalid(
                "/spec/validationActions",
                format!("{what}: validationActions must not contain both Deny and Warn"),
            ));
        }
        let action = if has("Deny") {
            EnforcementAction::Deny
        } else if has("Warn") {
            EnforcementAction::Warn
        } else {
            EnforcementAction::Dryrun
        };
        let param_ref = match spec.get("paramRef") {
            None | Some(Value::Null) => None,
            Some(p) => {
                let at = "/spec/paramRef";
                let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let name = s("name");
                let sel = selector(p.get("selector"), "spec.paramRef.selector")
                    .map_err(|e| invalid(at, format!("{what}: {e}")))?;
                if name.is_empty() == sel.is_none() {
                    return Err(invalid(
                        at,
                        format!("{what}: spec.paramRef needs exactly one of name and selector"),
                    ));
                }
                let deny_not_found = match p.get("parameterNotFoundAction").and_then(Value::as_str)
                {
                    Some("Deny") => true,
                    Some("Allow") | None => false,
                    Some(_) => {
                        return Err(invalid(
                            at,
                            format!(
                            "{what}: spec.paramRef.parameterNotFoundAction must be Allow or Deny"
                        ),
                        ))
                    }
                };
                Some(ParamRef {
                    name,
                    namespace: s("namespace"),
                    selector: sel,
                    deny_not_found,
                })
            }
        };
        let resources = match spec.get("matchResources") {
            None | Some(Value::Null) => None,
            Some(m) => Some(
                MatchResources::parse(m, "spec.matchResources")
                    .map_err(|e| invalid("/spec/matchResources", format!("{what}: {e}")))?,
            ),
        };
        Ok((
            Binding {
                name,
                source: doc.source.clone(),
                param_ref,
                resources,
                action,
            },
            policy,
        ))
    }

    /// It can be evaluated only with every object of the input: its params are objects, it
    /// selects on Namespaces, or it asks the `authorizer` (answered from the RBAC objects).
    pub fn needs_all_objects(&self, p: &Policy) -> bool {
        p.param_kind.is_some() && self.param_ref.is_some()
            || p.program.as_ref().is_ok_and(CelProgram::uses_authorizer)
            || p.constraints.has_namespace_selector()
            || self
                .resources
                .as_ref()
                .is_some_and(MatchResources::has_namespace_selector)
    }

    /// Whether it selects on Namespaces (its policy's or its own `namespaceSelector`).
    pub fn selects_namespaces(&self, p: &Policy) -> bool {
        p.constraints.has_namespace_selector()
            || self
                .resources
                .as_ref()
                .is_some_and(MatchResources::has_namespace_selector)
    }

    /// Whether the binding may apply to an object, by its group and kind alone.
    pub fn may_match(&self, p: &Policy, object: &Value) -> bool {
        let (group, kind) = crate::review::group_kind(object);
        let resource = guess_resource(kind);
        p.constraints.may_match_kind(group, &resource)
            && self
                .resources
                .as_ref()
                .is_none_or(|r| r.rules.is_empty() || r.may_match_kind(group, &resource))
    }

    /// Whether its policy reads `authorizer` (then the inventory needs the RBAC objects).
    pub fn uses_authorizer(&self, p: &Policy) -> bool {
        p.program.as_ref().is_ok_and(CelProgram::uses_authorizer)
    }

    /// The param kind's `(apiVersion, kind)`, when the binding reads params.
    pub fn param_kind<'p>(&self, p: &'p Policy) -> Option<(&'p str, &'p str)> {
        self.param_ref.as_ref()?;
        p.param_kind.as_ref().map(|(a, k)| (a.as_str(), k.as_str()))
    }

    /// Evaluate the binding on a request.
    pub fn evaluate(&self, p: &Policy, review: &Review, inventory: &Inventory) -> Vec<RawResult> {
        let a = Attributes::of(review);
        let config_error = |m: String| -> Vec<RawResult> {
            vec![RawResult {
                message: m,
                details: Value::Object(Map::new()),
                error: true,
                ignored: !p.fail,
            }]
        };
        match p.constraints.matches(&a, inventory) {
            Ok(true) => {}
            Ok(false) => return Vec::new(),
            // The API server refuses the request when a Namespace it matches on is not found.
            Err(e) => {
                return vec![RawResult {
                    message: e,
                    details: Value::Object(Map::new()),
                    error: true,
                    ignored: false,
                }]
            }
        }
        if let Some(r) = &self.resources {
            match r.matches(&a, inventory) {
                Ok(true) => {}
                Ok(false) => return Vec::new(),
                Err(e) => {
                    return vec![RawResult {
                        message: e,
                        details: Value::Object(Map::new()),
                        error: true,
                        ignored: false,
                    }]
                }
            }
        }
        let params = match self.params(p, &a, inventory) {
            Ok(ps) => ps,
            Err(e) => return config_error(format!("failed to configure binding: {e}")),
        };
        let namespace = if a.resource == "namespaces" || a.namespace.is_empty() {
            Value::Null
        } else {
            inventory
                .namespace(a.namespace)
                .cloned()
                .unwrap_or(Value::Null)
        };
        let program = match &p.program {
            Ok(program) => program,
            // The API server answers a request that a policy with expressions that do not
            // compile matches by the policy's failurePolicy.
            Err(m) => {
                return vec![RawResult {
                    message: format!("the policy's expressions do not compile: {m}"),
                    details: Value::Object(Map::new()),
                    error: true,
                    ignored: !p.fail,
                }]
            }
        };
        let authorizer = program
            .uses_authorizer()
            .then(|| crate::authz::variables(inventory, &review.request, &a));
        let mut out = Vec::new();
        for param in params {
            match program.evaluate_vap(param, &namespace, review, authorizer.as_ref()) {
                Ok(rs) => out.extend(rs),
                Err(e) => out.extend(config_error(e)),
            }
        }
        out
    }

    fn params<'i>(
        &self,
        p: &Policy,
        a: &Attributes<'_>,
        inventory: &'i Inventory,
    ) -> Result<Vec<&'i Value>, String> {
        static NULL: Value = Value::Null;
        let (Some((api, kind)), Some(r)) = (&p.param_kind, &self.param_ref) else {
            return Ok(vec![&NULL]);
        };
        let candidates = inventory.objects_of(api, kind);
        // Whether the kind is namespaced: known from a param found in a namespace.
        let namespaced = candidates.iter().any(|o| {
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
        }) || !r.namespace.is_empty();
        let ns = if !r.namespace.is_empty() {
            r.namespace.as_str()
        } else if namespaced {
            if a.namespace.is_empty() {
                return Err(
                    "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources"
                        .into(),
                );
            }
            a.namespace
        } else {
            ""
        };
        let in_ns = |o: &&Value| {
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                == ns
        };
        let found: Vec<&Value> = if !r.name.is_empty() {
            candidates
                .into_iter()
                .filter(in_ns)
                .filter(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(&r.name))
                .collect()
        } else {
            let sel = r.selector.as_ref();
            candidates
                .into_iter()
                .filter(in_ns)
                .filter(|o| sel.is_none_or(|s| s.matches(o.pointer("/metadata/labels"))))
                .collect()
        };
        if found.is_empty() && r.deny_not_found {
            return Err(
                "no params found for policy binding with `Deny` parameterNotFoundAction".into(),
            );
        }
        Ok(found)
    }
}

/// The message the API server gives for a denial by a binding.
pub fn denial_message(policy: &str, binding: &str, message: &str) -> String {
    format!(
        "ValidatingAdmissionPolicy '{policy}' with binding '{binding}' denied request: {message}"
    )
}

/// The warning the API server gives for a binding with `Warn`.
pub fn warning_message(policy: &str, binding: &str, message: &str) -> String {
    format!("Validation failed for ValidatingAdmissionPolicy '{policy}' with binding '{binding}': {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_guessed_as_kubectl_guesses_them() {
        // Rows of k8s.io/apimachinery/pkg/api/meta/restmapper_test.go TestKindToResource.
        for (kind, plural) in [
            ("Pod", "pods"),
            ("ReplicationController", "replicationcontrollers"),
            ("ImageRepository", "imagerepositories"),
            ("miss", "misses"),
            ("Endpoints", "endpoints"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
        ] {
            assert_eq!(guess_resource(kind), plural, "{kind}");
        }
    }
}
