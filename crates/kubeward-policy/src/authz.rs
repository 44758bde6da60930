//! The Kubernetes CEL authz library (`k8s.io/apiserver/pkg/cel/library/authz.go`) and the
//! `authorizer` / `authorizer.requestResource` variables of a ValidatingAdmissionPolicy,
//! answered by kubeward's RBAC model ([`kubeward_rbac::RbacModel::authorize`]) over the RBAC
//! objects of the [`Inventory`] (a scan's Roles, ClusterRoles, RoleBindings and
//! ClusterRoleBindings, and the policy files' other documents).
//!
//! Functions: `authorizer.path(p)`, `authorizer.group(g)`, `authorizer.serviceAccount(ns,
//! name)`, `<GroupCheck>.resource(r)`, `<ResourceCheck>.subresource(s)`, `.namespace(ns)`,
//! `.name(n)`, `.fieldSelector(s)`, `.labelSelector(s)` (recorded; RBAC ignores selectors),
//! `.check(verb)` on a path or resource check, and the Decision's `allowed()`, `reason()`,
//! `errored()`, `error()`.
//!
//! Who is asking:
//! * the request's user, from `request.userInfo` (`username` and `groups`, as the API server
//!   passes them to its authorizer). An object reviewed on its own (an offline scan) has no
//!   user: then `check` gives an errored Decision (`allowed()` false, `errored()` true,
//!   `error()` saying the user is unknown) — what the API server's authorizer gives when it
//!   cannot decide — rather than a guess;
//! * `authorizer.serviceAccount(ns, name)`: that service account, exactly: user
//!   `system:serviceaccount:ns:name` with the groups `system:serviceaccounts` and
//!   `system:serviceaccounts:ns` (`serviceaccount.ServiceAccountInfo.UserInfo()`; not
//!   `system:authenticated`, which only the authenticator adds).
//!
//! Decisions: the `system:masters` group is allowed everything (the API server's
//! privileged-group authorizer, ahead of RBAC); otherwise allowed when a binding's role has a
//! rule for the request, with RBAC's reason (`RBAC: allowed by ClusterRoleBinding "x" of
//! ClusterRole "y" to User "z"`); otherwise not allowed with an empty reason (RBAC has no
//! opinion). When the inventory has no RBAC object at all, `check` gives an errored Decision
//! too (nothing is known to grant or refuse). Other authorizers of a real cluster (Node,
//! webhooks) are not modelled.
//!
//! Cost: builders and accessors 1 unit, `check` [`CHECK_COST`] (Kubernetes charges 350,000
//! per check against a per-expression limit of 1,000,000; kubeward's budget of 1,000,000 is
//! per evaluation of a whole policy, and a check here is an in-memory lookup).

use std::sync::{Arc, OnceLock};

use cel::common::types::{Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};
use kubeward_rbac::{Identity, RbacModel, Request, Target};
use serde_json::Value as Json;

use crate::k8scel::{declare, declare_type, opaque, opaque_arg, owned, string_arg, Budget};
use crate::Inventory;

/// Units charged per `check`.
pub const CHECK_COST: u64 = 10_000;

const AUTHORIZER: &str = "kubernetes.authorization.Authorizer";
const PATH_CHECK: &str = "kubernetes.authorization.PathCheck";
const GROUP_CHECK: &str = "kubernetes.authorization.GroupCheck";
const RESOURCE_CHECK: &str = "kubernetes.authorization.ResourceCheck";
const DECISION: &str = "kubernetes.authorization.Decision";

const PRIVILEGED_GROUP: &str = "system:masters";

/// The RBAC objects known to an evaluation, as one model (built once per inventory).
#[derive(Clone, Debug, Default)]
pub struct RbacCache(Arc<OnceLock<Option<Arc<RbacModel>>>>);

impl RbacCache {
    pub(crate) fn get(&self, inventory: &Inventory) -> Option<Arc<RbacModel>> {
        self.0.get_or_init(|| build_model(inventory)).clone()
    }
}

/// The RbacModel of the inventory's RBAC objects (read through kubeward-rbac's own reader:
/// each object is written as JSON, which is YAML), `None` when there is none.
fn build_model(inventory: &Inventory) -> Option<Arc<RbacModel>> {
    let mut text = String::new();
    for o in inventory.rbac_objects() {
        text.push_str("---\n");
        text.push_str(&o.to_string());
        text.push('\n');
    }
    if text.is_empty() {
        return None;
    }
    let file: Arc<str> = Arc::from("<inventory>");
    let (objects, _) =
        kubeward_rbac::load::read_text(&file, &text, &kubeward_yaml::Limits::default());
    if objects.is_empty() {
        return None;
    }
    Some(Arc::new(RbacModel::from_objects(objects)))
}

/// Who an authorizer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Principal {
    /// The request's user had no name (an object reviewed on its own).
    Unknown,
    Known(Identity),
}

/// A `kubernetes.authorization.Authorizer`.
#[derive(Clone, Debug)]
pub struct Authorizer {
    model: Option<Arc<RbacModel>>,
    principal: Principal,
}

impl PartialEq for Authorizer {
    fn eq(&self, other: &Self) -> bool {
        self.principal == other.principal
            && match (&self.model, &other.model) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl Eq for Authorizer {}

/// A `PathCheck`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathCheck {
    authorizer: Authorizer,
    path: String,
}

/// A `GroupCheck`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupCheck {
    authorizer: Authorizer,
    group: String,
}

/// A `ResourceCheck`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceCheck {
    authorizer: Authorizer,
    group: String,
    resource: String,
    subresource: String,
    namespace: String,
    name: String,
    field_selector: String,
    label_selector: String,
}

/// A `Decision`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
    pub error: Option<String>,
}

macro_rules! opaque_type {
    ($($t:ty => $name:expr),*) => {
        $(impl Opaque for $t {
            fn runtime_type_name(&self) -> &str {
                $name
            }
        })*
    };
}

opaque_type!(
    Authorizer => AUTHORIZER,
    PathCheck => PATH_CHECK,
    GroupCheck => GROUP_CHECK,
    ResourceCheck => RESOURCE_CHECK,
    Decision => DECISION
);

impl Authorizer {
    fn authorize(&self, req: &Request) -> Decision {
        let errored = |m: &str| Decision {
            allowed: false,
            reason: String::new(),
            error: Some(m.to_string()),
        };
        let Principal::Known(identity) = &self.principal else {
            return errored(
                "kubeward: the requesting user is unknown (the request has no userInfo.username: \
                 an object reviewed on its own has no user); authorizer.serviceAccount(namespace, \
                 name) checks a known identity",
            );
        };
        if identity.groups.iter().any(|g| g == PRIVILEGED_GROUP) {
            return Decision {
                allowed: true,
                reason: String::new(),
                error: None,
            };
        }
        let Some(model) = &self.model else {
            return errored(
                "kubeward: no RBAC objects are known (no Role, ClusterRole, RoleBinding or \
                 ClusterRoleBinding among the scanned objects and the policy files)",
            );
        };
        match model.authorize(identity, req) {
            Some(g) => {
                let b = &model.bindings[g.binding as usize];
                let s = &b.subjects[g.subject as usize];
                let subject = if s.kind == "ServiceAccount" {
                    format!("{} \"{}/{}\"", s.kind, s.name, s.namespace)
                } else {
                    format!("{} {:?}", s.kind, s.name)
                };
                let binding = if b.cluster {
                    format!("ClusterRoleBinding {:?}", b.name)
                } else {
                    format!("RoleBinding \"{}/{}\"", b.name, b.namespace)
                };
                Decision {
                    allowed: true,
                    reason: format!(
                        "RBAC: allowed by {binding} of {} {:?} to {subject}",
                        b.role_kind, b.role_name
                    ),
                    error: None,
                }
            }
            None => Decision {
                allowed: false,
                reason: String::new(),
                error: None,
            },
        }
    }
}

/// The identity of `request.userInfo` (`username`, `groups`); unknown without a username.
fn principal_of(request: &Json) -> Principal {
    let user = request
        .pointer("/userInfo/username")
        .and_then(Json::as_str)
        .unwrap_or("");
    if user.is_empty() {
        return Principal::Unknown;
    }
    let groups = request
        .pointer("/userInfo/groups")
        .and_then(Json::as_array)
        .map(|g| {
            g.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Principal::Known(Identity {
        user: Some(user.to_string()),
        groups,
    })
}

/// The `authorizer` and `authorizer.requestResource` values for a request.
pub(crate) fn variables(
    inventory: &Inventory,
    request: &Json,
    attributes: &crate::vap::Attributes<'_>,
) -> (Value, Value) {
    let authorizer = Authorizer {
        model: inventory.rbac_cache().get(inventory),
        principal: principal_of(request),
    };
    let rr = ResourceCheck {
        authorizer: authorizer.clone(),
        group: attributes.group.to_string(),
        resource: attributes.resource.clone(),
        subresource: attributes.subresource.to_string(),
        namespace: attributes.namespace.to_string(),
        name: attributes.name.to_string(),
        field_selector: String::new(),
        label_selector: String::new(),
    };
    (
        Value::Opaque(Arc::new(authorizer)),
        Value::Opaque(Arc::new(rr)),
    )
}

fn err(f: &str, m: &str) -> ExecutionError {
    ExecutionError::function_error(f, m)
}

fn arg<T: Opaque + Clone>(
    args: &[CowVal<'_, '_>],
    f: &str,
    what: &str,
) -> Result<T, ExecutionError> {
    Budget::charge(1)?;
    opaque_arg::<T>(args, 0, f, what)
}

/// `authorizer.path(p)`: `authorizer.path('')` is an error "path must not be empty".
fn path<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let authorizer = arg::<Authorizer>(&args, "path", AUTHORIZER)?;
    let path = string_arg(&args, 1, "path")?;
    if path.trim().is_empty() {
        return Err(err("path", "path must not be empty"));
    }
    opaque(PathCheck {
        authorizer,
        path: path.to_string(),
    })
}

/// `authorizer.group(g)`: `authorizer.group('')` is the core group.
fn group<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let authorizer = arg::<Authorizer>(&args, "group", AUTHORIZER)?;
    let group = string_arg(&args, 1, "group")?;
    opaque(GroupCheck {
        authorizer,
        group: group.to_string(),
    })
}

fn dns_label(s: &str) -> bool {
    s.len() <= 63
        && !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

/// `authorizer.serviceAccount(ns, name)`: `serviceAccount('not@a#valid!namespace',
/// 'validname')` is an error (authz.go).
fn service_account<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let authorizer = arg::<Authorizer>(&args, "serviceAccount", AUTHORIZER)?;
    let namespace = string_arg(&args, 1, "serviceAccount")?;
    let name = string_arg(&args, 2, "serviceAccount")?;
    // ValidateServiceAccountName (a DNS subdomain), then ValidateNamespaceName (a label).
    if !dns_subdomain(&name) {
        return Err(err("serviceAccount", "Invalid service account name"));
    }
    if !dns_label(&namespace) {
        return Err(err("serviceAccount", "Invalid service account namespace"));
    }
    opaque(Authorizer {
        model: authorizer.model,
        principal: Principal::Known(Identity {
            user: Some(format!("system:serviceaccount:{namespace}:{name}")),
            groups: vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{namespace}"),
            ],
        }),
    })
}

/// `<GroupCheck>.resource(r)`: `authorizer.group('apps').resource('')` is an error "resource
/// must not be empty".
fn resource<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let g = arg::<GroupCheck>(&args, "resource", GROUP_CHECK)?;
    let resource = string_arg(&args, 1, "resource")?;
    if resource.trim().is_empty() {
        return Err(err("resource", "resource must not be empty"));
    }
    opaque(ResourceCheck {
        authorizer: g.authorizer,
        group: g.group,
        resource: resource.to_string(),
        subresource: String::new(),
        namespace: String::new(),
        name: String::new(),
        field_selector: String::new(),
        label_selector: String::new(),
    })
}

/// The ResourceCheck setters: `subresource`, `namespace`, `name`, `fieldSelector`,
/// `labelSelector` (`""` unsets).
fn set_field<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    f: &str,
    set: fn(&mut ResourceCheck, String),
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let mut r = arg::<ResourceCheck>(&args, f, RESOURCE_CHECK)?;
    set(&mut r, string_arg(&args, 1, f)?.to_string());
    opaque(r)
}

fn subresource<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    set_field(args, "subresource", |r, v| r.subresource = v)
}

fn namespace<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    set_field(args, "namespace", |r, v| r.namespace = v)
}

fn name<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    set_field(args, "name", |r, v| r.name = v)
}

fn field_selector<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    set_field(args, "fieldSelector", |r, v| r.field_selector = v)
}

fn label_selector<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    set_field(args, "labelSelector", |r, v| r.label_selector = v)
}

/// `<PathCheck>.check(verb)`: a non-resource request (`nonResourceURLs` rules).
fn path_check<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let p = arg::<PathCheck>(&args, "check", PATH_CHECK)?;
    let verb = string_arg(&args, 1, "check")?;
    Budget::charge(CHECK_COST)?;
    opaque(p.authorizer.authorize(&Request {
        verb: verb.to_string(),
        namespace: String::new(),
        target: Target::NonResource { path: p.path },
    }))
}

/// `<ResourceCheck>.check(verb)`: a resource request (API version `*`).
fn resource_check<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let r = arg::<ResourceCheck>(&args, "check", RESOURCE_CHECK)?;
    let verb = string_arg(&args, 1, "check")?;
    Budget::charge(CHECK_COST)?;
    opaque(r.authorizer.authorize(&Request {
        verb: verb.to_string(),
        namespace: r.namespace,
        target: Target::Resource {
            group: r.group,
            resource: r.resource,
            subresource: r.subresource,
            name: r.name,
        },
    }))
}

fn decision(args: &[CowVal<'_, '_>], f: &str) -> Result<Decision, ExecutionError> {
    arg::<Decision>(args, f, DECISION)
}

fn allowed<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Bool(decision(&args, "allowed")?.allowed))
}

fn reason<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::String(Arc::new(decision(&args, "reason")?.reason)))
}

fn errored<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Bool(decision(&args, "errored")?.error.is_some()))
}

fn error<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let d = decision(&args, "error")?;
    owned(Value::String(Arc::new(d.error.unwrap_or_default())))
}

/// Register the library.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    let t = |n: &'static str| Type::new_opaque_type(n);
    for n in [
        AUTHORIZER,
        PATH_CHECK,
        GROUP_CHECK,
        RESOURCE_CHECK,
        DECISION,
    ] {
        declare_type(env, failed, n);
    }
    let s = || vec![STRING_TYPE];
    let a = || Some(t(AUTHORIZER));
    declare(env, failed, "path", "authorizer_path", a(), s(), path);
    declare(env, failed, "group", "authorizer_group", a(), s(), group);
    declare(
        env,
        failed,
        "serviceAccount",
        "authorizer_serviceaccount",
        a(),
        vec![STRING_TYPE, STRING_TYPE],
        service_account,
    );
    declare(
        env,
        failed,
        "resource",
        "groupcheck_resource",
        Some(t(GROUP_CHECK)),
        s(),
        resource,
    );
    type F = cel::common::functions::Function;
    let setters: [(&str, &str, F); 5] = [
        ("subresource", "resourcecheck_subresource", subresource),
        ("namespace", "resourcecheck_namespace", namespace),
        ("name", "resourcecheck_name", name),
        ("fieldSelector", "authorizer_fieldselector", field_selector),
        ("labelSelector", "authorizer_labelselector", label_selector),
    ];
    for (n, id, f) in setters {
        declare(env, failed, n, id, Some(t(RESOURCE_CHECK)), s(), f);
    }
    declare(
        env,
        failed,
        "check",
        "pathcheck_check",
        Some(t(PATH_CHECK)),
        s(),
        path_check,
    );
    declare(
        env,
        failed,
        "check",
        "resourcecheck_check",
        Some(t(RESOURCE_CHECK)),
        s(),
        resource_check,
    );
    let accessors: [(&str, &str, F); 4] = [
        ("allowed", "decision_allowed", allowed),
        ("reason", "decision_reason", reason),
        ("errored", "decision_errored", errored),
        ("error", "decision_error", error),
    ];
    for (n, id, f) in accessors {
        declare(env, failed, n, id, Some(t(DECISION)), vec![], f);
    }
}
