//! `K8sNativeValidation` templates: Gatekeeper's CEL driver (`pkg/drivers/k8scel`, read at
//! open-policy-agent/gatekeeper dd8507eb) on the `cel` crate, evaluated as Kubernetes'
//! ValidatingAdmissionPolicy validator does (`k8s.io/apiserver/pkg/admission/plugin/policy/
//! validating/validator.go`):
//!
//! * variables `object`, `oldObject` (`null` when absent; `object` is `null` on DELETE),
//!   `request`, `params` (the whole constraint), `namespaceObject` (`null`, as gator has none)
//!   and `variables`: first Gatekeeper's `anyObject` and `params` (its own expressions,
//!   `transform/cel_snippets.go`), then the template's `source.variables` in order; for a
//!   ValidatingAdmissionPolicy that reads it, `authorizer` and `authorizer.requestResource`
//!   ([`crate::authz`]);
//! * `source.matchCondition(s)`: any false → the constraint does not apply; an error fails by
//!   the `failurePolicy` (default `Fail`);
//! * each validation false → a violation whose message is the `messageExpression`'s result
//!   (when it is a non-empty string on one line), else `message`, else `failed expression:
//!   <expression>`; an error → with `Fail`, a violation `expression '<expression>' resulted in
//!   error: <error>`, with `Ignore`, nothing.
//!
//! Every evaluation runs under [`crate::k8scel::Budget`]: each comprehension step and each
//! concatenation is charged through a call the compiler inserts into the expression tree.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr};
use cel::common::traits::Indexer;
use cel::common::types::{Type, MAP_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Value as CelValue;
use cel::{Context, ExecutionError};
use serde_json::{Map, Value};

use crate::k8scel::{self, Budget, COST_FN, COST_LIMIT, TIME_LIMIT};
use crate::{RawResult, Review};

/// Variable names Gatekeeper reserves.
const PARAMS: &str = "params";
const ANY_OBJECT: &str = "anyObject";
const RESERVED_PREFIX: &str = "gatekeeper_internal_";
/// The root variables of the environment.
const ROOTS: &[&str] = &[
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
    "authorizer",
];

/// Largest value (in [`value_size`] units) a variable may hold: stops a chain of variables
/// that doubles a string or a list.
const MAX_VARIABLE_SIZE: u64 = 4_000_000;

/// Most characters of an expression (the API server's limit on a request is 3 MiB; a
/// policy's expression is far smaller).
const MAX_EXPRESSION_LEN: usize = 100_000;

struct Compiled {
    source: String,
    expr: IdedExpr,
    /// `variables.<name>` this expression reads.
    reads: Vec<String>,
    /// Whether it reads `authorizer`.
    authz: bool,
}

struct Validation {
    expr: Compiled,
    message: Option<String>,
    message_expr: Option<Compiled>,
    /// ValidatingAdmissionPolicy's `reason` and `fieldPath`, given back in the result's
    /// details.
    reason: Option<String>,
    field_path: Option<String>,
}

/// Whose CEL program: a Gatekeeper template's (with Gatekeeper's own variables `anyObject`
/// and `params`, and its reserved names) or a ValidatingAdmissionPolicy's (the spec as it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    Gatekeeper,
    Vap,
}

pub(crate) struct CelProgram {
    variables: Vec<(String, Compiled)>,
    match_conditions: Vec<(String, Compiled)>,
    validations: Vec<Validation>,
    fail: bool,
    /// Some expression reads `authorizer`.
    authz: bool,
}

fn compile(src: &str, what: &str) -> Result<Compiled, String> {
    if src.len() > MAX_EXPRESSION_LEN {
        return Err(format!(
            "{what}: expression longer than {MAX_EXPRESSION_LEN} characters"
        ));
    }
    let env = k8scel::env();
    let mut expr = env
        .parser()
        .parse(src)
        .map_err(|e| format!("{what}: compilation failed: {}", one_line(&e.to_string())))?;
    let mut reads = Vec::new();
    let mut bad_root = None;
    let mut authz = false;
    scan(
        &expr,
        &mut Vec::new(),
        &mut reads,
        &mut bad_root,
        &mut authz,
    );
    if let Some(id) = bad_root {
        return Err(format!(
            "{what}: compilation failed: undeclared reference to {id:?}"
        ));
    }
    rewrite(&mut expr);
    Ok(Compiled {
        source: src.to_string(),
        expr,
        reads,
        authz,
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collects `variables.<name>` reads and checks that free identifiers are roots of the
/// environment (or comprehension variables in scope).
fn scan(
    e: &IdedExpr,
    scope: &mut Vec<String>,
    reads: &mut Vec<String>,
    bad: &mut Option<String>,
    authz: &mut bool,
) {
    if let Expr::Ident(name) = &e.expr {
        if name == "authorizer" && !scope.iter().any(|s| s == name) {
            *authz = true;
        }
    }
    match &e.expr {
        // Type names and namespaces of functions (`sets.contains`, ...) are identifiers too.
        Expr::Ident(name)
            if !ROOTS.contains(&name.as_str())
                && !scope.iter().any(|s| s == name)
                && !name.starts_with('@')
                && bad.is_none()
                && !matches!(
                    name.as_str(),
                    "int"
                        | "uint"
                        | "double"
                        | "bool"
                        | "string"
                        | "bytes"
                        | "list"
                        | "map"
                        | "null_type"
                        | "type"
                        | "dyn"
                        | "sets"
                        | "strings"
                        | "lists"
                        | "math"
                        | "base64"
                        | "optional"
                        | "cel"
                        // Kubernetes libraries: `ip.isCanonical`, `format.dns1123Label()`,
                        // the type names `net.IP` and `net.CIDR`
                        | "ip"
                        | "format"
                        | "net"
                ) =>
        {
            *bad = Some(name.clone());
        }
        Expr::Select(s) => {
            if let Expr::Ident(root) = &s.operand.expr {
                if root == "variables" && !scope.iter().any(|x| x == "variables") {
                    reads.push(s.field.clone());
                    return;
                }
            }
            scan(&s.operand, scope, reads, bad, authz);
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                scan(t, scope, reads, bad, authz);
            }
            for a in &c.args {
                scan(a, scope, reads, bad, authz);
            }
        }
        Expr::List(l) => {
            for x in &l.elements {
                scan(x, scope, reads, bad, authz);
            }
        }
        Expr::Map(m) => {
            for en in &m.entries {
                if let EntryExpr::MapEntry(me) = &en.expr {
                    scan(&me.key, scope, reads, bad, authz);
                    scan(&me.value, scope, reads, bad, authz);
                } else if let EntryExpr::StructField(sf) = &en.expr {
                    scan(&sf.value, scope, reads, bad, authz);
                }
            }
        }
        Expr::Struct(s) => {
            for en in &s.entries {
                if let EntryExpr::StructField(sf) = &en.expr {
                    scan(&sf.value, scope, reads, bad, authz);
                } else if let EntryExpr::MapEntry(me) = &en.expr {
                    scan(&me.key, scope, reads, bad, authz);
                    scan(&me.value, scope, reads, bad, authz);
                }
            }
        }
        Expr::Comprehension(c) => {
            scan(&c.iter_range, scope, reads, bad, authz);
            scan(&c.accu_init, scope, reads, bad, authz);
            let n = scope.len();
            scope.push(c.iter_var.clone());
            if let Some(v2) = &c.iter_var2 {
                scope.push(v2.clone());
            }
            scope.push(c.accu_var.clone());
            scan(&c.loop_cond, scope, reads, bad, authz);
            scan(&c.loop_step, scope, reads, bad, authz);
            scan(&c.result, scope, reads, bad, authz);
            scope.truncate(n);
        }
        _ => {}
    }
}

fn charged(e: IdedExpr) -> IdedExpr {
    IdedExpr {
        id: e.id,
        expr: Expr::Call(CallExpr {
            func_name: COST_FN.to_string(),
            target: None,
            args: vec![e],
        }),
    }
}

fn take(e: &mut IdedExpr) -> IdedExpr {
    std::mem::take(e)
}

/// Inserts the cost calls: around every `_+_` (charged by the size of its result), and once
/// per comprehension step. A `map`/`filter` step keeps the shape the interpreter appends in
/// place (`@result + [e]`, optionally guarded): the element (or the guard) is charged
/// instead of the step.
fn rewrite(e: &mut IdedExpr) {
    match &mut e.expr {
        Expr::Call(c) => {
            if let Some(t) = &mut c.target {
                rewrite(t);
            }
            for a in &mut c.args {
                rewrite(a);
            }
            if c.func_name == "_+_" && c.target.is_none() {
                *e = charged(take(e));
            }
        }
        Expr::Select(s) => rewrite(&mut s.operand),
        Expr::List(l) => {
            for x in &mut l.elements {
                rewrite(x);
            }
        }
        Expr::Map(m) => {
            for en in &mut m.entries {
                match &mut en.expr {
                    EntryExpr::MapEntry(me) => {
                        rewrite(&mut me.key);
                        rewrite(&mut me.value);
                    }
                    EntryExpr::StructField(sf) => rewrite(&mut sf.value),
                }
            }
        }
        Expr::Struct(s) => {
            for en in &mut s.entries {
                match &mut en.expr {
                    EntryExpr::MapEntry(me) => {
                        rewrite(&mut me.key);
                        rewrite(&mut me.value);
                    }
                    EntryExpr::StructField(sf) => rewrite(&mut sf.value),
                }
            }
        }
        Expr::Comprehension(c) => {
            rewrite(&mut c.iter_range);
            rewrite(&mut c.accu_init);
            rewrite(&mut c.result);
            let accu = c.accu_var.clone();
            let literal_cond = matches!(c.loop_cond.expr, Expr::Literal(_));
            if literal_cond && rewrite_append_step(&mut c.loop_step, &accu) {
                return;
            }
            rewrite(&mut c.loop_step);
            rewrite(&mut c.loop_cond);
            c.loop_cond = charged(take(&mut c.loop_cond));
        }
        _ => {}
    }
}

/// `@result + [e]` → `@result + [cost(e)]`; `g ? @result + [e] : @result` →
/// `cost(g) ? @result + [e] : @result`. False (and nothing changed) for another shape.
fn rewrite_append_step(step: &mut IdedExpr, accu: &str) -> bool {
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let is_append = |e: &IdedExpr| match &e.expr {
        Expr::Call(c) if c.func_name == "_+_" && c.target.is_none() => {
            matches!(c.args.as_slice(), [l, r] if is_accu(l) && matches!(r.expr, Expr::List(_)))
        }
        _ => false,
    };
    let rewrite_items = |e: &mut IdedExpr| {
        if let Expr::Call(c) = &mut e.expr {
            if let Some(Expr::List(l)) = c.args.get_mut(1).map(|a| &mut a.expr) {
                for x in &mut l.elements {
                    rewrite(x);
                    *x = charged(take(x));
                }
            }
        }
    };
    if is_append(step) {
        rewrite_items(step);
        return true;
    }
    if let Expr::Call(c) = &mut step.expr {
        if c.func_name == "_?_:_"
            && c.target.is_none()
            && c.args.len() == 3
            && is_append(&c.args[1])
            && is_accu(&c.args[2])
        {
            {
                rewrite(&mut c.args[0]);
                c.args[0] = charged(take(&mut c.args[0]));
                // the element is charged too (it may be large)
                rewrite_items(&mut c.args[1]);
                return true;
            }
        }
    }
    false
}

fn strings_field(src: &Value, k: &str) -> Result<Vec<Value>, String> {
    match src.get(k) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(format!("source.{k} must be a list")),
    }
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl CelProgram {
    pub fn compile(src: &Value) -> Result<CelProgram, String> {
        Self::compile_as(src, Flavor::Gatekeeper)
    }

    pub fn compile_as(src: &Value, flavor: Flavor) -> Result<CelProgram, String> {
        if !src.is_object() {
            return Err("source must be an object".into());
        }
        let fail = match src.get("failurePolicy") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) if s == "Fail" => true,
            Some(Value::String(s)) if s == "Ignore" => false,
            Some(_) => return Err("unrecognized failure policy (want Fail or Ignore)".into()),
        };
        let gatekeeper = flavor == Flavor::Gatekeeper;
        let mut variables = Vec::new();
        if gatekeeper {
            variables = vec![
            (
                ANY_OBJECT.to_string(),
                compile(
                    r#"has(request.operation) && request.operation == "DELETE" && object == null ? oldObject : object"#,
                    "variables.anyObject",
                )?,
            ),
            (
                PARAMS.to_string(),
                compile(
                    "!has(params.spec) ? null : !has(params.spec.parameters) ? null: params.spec.parameters",
                    "variables.params",
                )?,
            ),
        ];
        }
        for (i, v) in strings_field(src, "variables")?.iter().enumerate() {
            let name = str_field(v, "name").unwrap_or("");
            if name.is_empty() {
                return Err(format!("variables[{i}]: name is required"));
            }
            if gatekeeper && name.starts_with(RESERVED_PREFIX) {
                return Err(format!(
                    "variables[{i}]: {name} is not a valid variable; cannot have {RESERVED_PREFIX:?} as a prefix"
                ));
            }
            if gatekeeper && (name == PARAMS || name == ANY_OBJECT) {
                return Err(format!(
                    "variables[{i}]: {name} an invalid variable name, {name:?} is a reserved keyword"
                ));
            }
            let expr = str_field(v, "expression")
                .ok_or_else(|| format!("variables[{i}] ({name}): expression is required"))?;
            let c = compile(expr, &format!("variables[{i}] ({name})"))?;
            variables.push((name.to_string(), c));
        }
        let mut match_conditions = Vec::new();
        // Gatekeeper's JSON name is `matchCondition`; `matchConditions` (the VAP name) is
        // accepted too.
        let mut mcs = strings_field(src, "matchCondition")?;
        mcs.extend(strings_field(src, "matchConditions")?);
        for (i, m) in mcs.iter().enumerate() {
            let name = str_field(m, "name").unwrap_or("").to_string();
            if gatekeeper && name.starts_with(RESERVED_PREFIX) {
                return Err(format!(
                    "matchConditions[{i}]: {name} is not a valid match condition; cannot have {RESERVED_PREFIX:?} as a prefix"
                ));
            }
            let expr = str_field(m, "expression")
                .ok_or_else(|| format!("matchConditions[{i}]: expression is required"))?;
            match_conditions.push((name, compile(expr, &format!("matchConditions[{i}]"))?));
        }
        let mut validations = Vec::new();
        let vs = strings_field(src, "validations")?;
        if vs.is_empty() && gatekeeper {
            return Err("source.validations must not be empty".into());
        }
        for (i, v) in vs.iter().enumerate() {
            let expr = str_field(v, "expression")
                .ok_or_else(|| format!("validations[{i}]: expression is required"))?;
            let message_expr = match str_field(v, "messageExpression") {
                Some(m) if !m.is_empty() => {
                    Some(compile(m, &format!("validations[{i}].messageExpression"))?)
                }
                _ => None,
            };
            validations.push(Validation {
                expr: compile(expr, &format!("validations[{i}]"))?,
                message: str_field(v, "message")
                    .filter(|m| !m.is_empty())
                    .map(String::from),
                message_expr,
                reason: str_field(v, "reason")
                    .filter(|m| !m.is_empty())
                    .map(String::from),
                field_path: str_field(v, "fieldPath")
                    .filter(|m| !m.is_empty())
                    .map(String::from),
            });
        }
        // Every variables.<name> read must be declared (a compile error in Kubernetes).
        let declared: Vec<&str> = variables.iter().map(|(n, _)| n.as_str()).collect();
        let all = variables
            .iter()
            .map(|(n, c)| (format!("variables.{n}"), c))
            .chain(
                match_conditions
                    .iter()
                    .map(|(n, c)| (format!("matchCondition {n}"), c)),
            )
            .chain(validations.iter().enumerate().flat_map(|(i, v)| {
                std::iter::once((format!("validations[{i}]"), &v.expr)).chain(
                    v.message_expr
                        .iter()
                        .map(move |m| (format!("validations[{i}].messageExpression"), m)),
                )
            }));
        for (what, c) in all {
            if let Some(r) = c.reads.iter().find(|r| !declared.contains(&r.as_str())) {
                return Err(format!(
                    "{what}: compilation failed: undefined field 'variables.{r}'"
                ));
            }
        }
        let authz = variables.iter().any(|(_, c)| c.authz)
            || match_conditions.iter().any(|(_, c)| c.authz)
            || validations
                .iter()
                .any(|v| v.expr.authz || v.message_expr.as_ref().is_some_and(|m| m.authz));
        Ok(CelProgram {
            variables,
            match_conditions,
            validations,
            fail,
            authz,
        })
    }

    pub fn evaluate(&self, constraint: &Value, review: &Review) -> Result<Vec<RawResult>, String> {
        self.evaluate_with(constraint, &Value::Null, review)
    }

    /// Whether some expression reads `authorizer`.
    pub fn uses_authorizer(&self) -> bool {
        self.authz
    }

    /// Evaluate with `params` and `namespaceObject` bound as given.
    pub fn evaluate_with(
        &self,
        params: &Value,
        namespace: &Value,
        review: &Review,
    ) -> Result<Vec<RawResult>, String> {
        self.evaluate_vap(params, namespace, review, None)
    }

    /// Evaluate with `params`, `namespaceObject` and (for a ValidatingAdmissionPolicy)
    /// `authorizer` and `authorizer.requestResource` bound as given.
    pub fn evaluate_vap(
        &self,
        params: &Value,
        namespace: &Value,
        review: &Review,
        authorizer: Option<&(CelValue, CelValue)>,
    ) -> Result<Vec<RawResult>, String> {
        let mut out = Budget::run(COST_LIMIT, TIME_LIMIT, || {
            self.evaluate_inner(params, namespace, review, authorizer)
        })?;
        for r in &mut out {
            if r.error {
                r.message = crate::redact(&r.message, review);
            }
        }
        Ok(out)
    }

    fn evaluate_inner(
        &self,
        constraint: &Value,
        namespace: &Value,
        review: &Review,
        authorizer: Option<&(CelValue, CelValue)>,
    ) -> Result<Vec<RawResult>, String> {
        let base = Base {
            review,
            params: k8scel::from_json(constraint),
            namespace: k8scel::from_json(namespace),
            authorizer: authorizer.cloned(),
            lazy: Default::default(),
        };
        let vars = LazyVars {
            program: self,
            base: &base,
            slots: self.variables.iter().map(|_| OnceLock::new()).collect(),
            busy: Mutex::new(vec![false; self.variables.len()]),
        };
        let run = |c: &Compiled| -> Result<CelValue, String> {
            vars.eval(&c.expr).map_err(|e| one_line(&e.to_string()))
        };

        // matchConditions: any false → no match; otherwise an error decides by policy.
        let mut match_error = None;
        for (name, c) in &self.match_conditions {
            match run(c) {
                Ok(CelValue::Bool(false)) => return Ok(Vec::new()),
                Ok(CelValue::Bool(true)) => {}
                Ok(other) => {
                    match_error.get_or_insert(format!(
                        "matchCondition {name:?}: expected a bool, found {}",
                        other.type_of()
                    ));
                }
                Err(e) => {
                    match_error.get_or_insert(format!("matchCondition {name:?}: {e}"));
                }
            }
        }
        if let Some(e) = match_error {
            return Ok(vec![RawResult {
                message: e,
                details: Value::Object(Map::new()),
                error: true,
                ignored: !self.fail,
            }]);
        }

        let mut out = Vec::new();
        for v in &self.validations {
            let expr_text = v.expr.source.trim();
            match run(&v.expr) {
                Ok(CelValue::Bool(true)) => {}
                Ok(CelValue::Bool(false)) => {
                    let mut message = None;
                    if let Some(m) = &v.message_expr {
                        if let Ok(CelValue::String(s)) = run(m) {
                            if !s.trim().is_empty() && !s.contains('\n') {
                                message = Some(s.to_string());
                            }
                        }
                    }
                    let message = message
                        .or_else(|| v.message.clone())
                        .unwrap_or_else(|| format!("failed expression: {expr_text}"));
                    let mut details = Map::new();
                    if let Some(r) = &v.reason {
                        details.insert("reason".into(), Value::from(r.as_str()));
                    }
                    if let Some(f) = &v.field_path {
                        details.insert("fieldPath".into(), Value::from(f.as_str()));
                    }
                    out.push(RawResult {
                        message,
                        details: Value::Object(details),
                        error: false,
                        ignored: false,
                    });
                }
                Ok(other) => out.push(RawResult {
                    message: format!(
                        "expression '{expr_text}' resulted in error: validation failed due to a non-bool result ({})",
                        other.type_of()
                    ),
                    details: Value::Object(Map::new()),
                    error: true,
                    ignored: !self.fail,
                }),
                Err(e) => out.push(RawResult {
                    message: format!("expression '{expr_text}' resulted in error: {e}"),
                    details: Value::Object(Map::new()),
                    error: true,
                    ignored: !self.fail,
                }),
            }
        }
        Ok(out)
    }
}

/// A bound on a value's size (string bytes / 16, list and map entries), stopping at `cap`.
fn value_size(v: &CelValue, cap: u64) -> u64 {
    match v {
        CelValue::String(s) => 1 + s.len() as u64 / 16,
        CelValue::Bytes(b) => 1 + b.len() as u64 / 16,
        CelValue::List(l) => {
            let mut n = 1;
            for x in l.iter() {
                n += value_size(x, cap);
                if n > cap {
                    break;
                }
            }
            n
        }
        CelValue::Map(m) => {
            let mut n = 1;
            for x in m.map.values() {
                n += value_size(x, cap);
                if n > cap {
                    break;
                }
            }
            n
        }
        _ => 1,
    }
}

/// The values every expression sees besides `variables`, lent to each expression as they
/// are (a resolver), not bound by value (which converts a value whole at every binding).
struct Base<'r> {
    /// `object`, `oldObject` and `request`, converted once per review.
    review: &'r Review,
    params: CelValue,
    namespace: CelValue,
    /// `authorizer` and `authorizer.requestResource` (ValidatingAdmissionPolicy only).
    authorizer: Option<(CelValue, CelValue)>,
    /// params, namespaceObject, authorizer, authorizer.requestResource: converted on first
    /// use by an expression of this evaluation.
    lazy: [OnceLock<Option<Box<dyn Val>>>; 4],
}

impl cel::context::VariableResolver for Base<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let review = |i: usize| -> Option<CowVal<'b, 'b>> {
            match self.review.cel_vals() {
                Some(vals) => Some(CowVal::Borrowed(vals[i].as_ref())),
                // A value that does not convert: bound as before, where it fails.
                None => self.review.cel_values()[i]
                    .clone()
                    .try_into()
                    .ok()
                    .map(CowVal::Owned),
            }
        };
        let lazy = |i: usize, v: &CelValue| -> Option<CowVal<'b, 'b>> {
            self.lazy[i]
                .get_or_init(|| v.clone().try_into().ok())
                .as_deref()
                .map(CowVal::Borrowed)
        };
        match variable {
            "object" => review(0),
            "oldObject" => review(1),
            "request" => review(2),
            "params" => lazy(0, &self.params),
            "namespaceObject" => lazy(1, &self.namespace),
            "authorizer" => self.authorizer.as_ref().and_then(|(a, _)| lazy(2, a)),
            "authorizer.requestResource" => self.authorizer.as_ref().and_then(|(_, r)| lazy(3, r)),
            _ => None,
        }
    }
}

/// `variables`, evaluated lazily and once each, as Kubernetes' composited compiler does: a
/// variable that fails only fails the expressions that read it when they read it.
struct LazyVars<'a> {
    program: &'a CelProgram,
    base: &'a Base<'a>,
    slots: Vec<OnceLock<Result<Box<dyn Val>, String>>>,
    /// Variables being evaluated, to refuse a cycle instead of recursing.
    busy: Mutex<Vec<bool>>,
}

impl LazyVars<'_> {
    fn eval(&self, expr: &IdedExpr) -> Result<CelValue, ExecutionError> {
        let mut ctx = Context::with_env(k8scel::env());
        ctx.set_variable_resolver(self.base);
        ctx.add_variable_as_val("variables", Box::new(VarsRef(self)));
        CelValue::resolve(expr, &ctx)
    }

    fn compute(&self, i: usize) -> Result<Box<dyn Val>, String> {
        let (_, c) = &self.program.variables[i];
        let v = self.eval(&c.expr).map_err(|e| one_line(&e.to_string()))?;
        if value_size(&v, MAX_VARIABLE_SIZE) > MAX_VARIABLE_SIZE {
            return Err("operation cancelled: actual cost limit exceeded".into());
        }
        v.try_into()
            .map_err(|e: ExecutionError| one_line(&e.to_string()))
    }
}

#[derive(Clone, Copy)]
struct VarsRef<'a>(&'a LazyVars<'a>);

impl fmt::Debug for VarsRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variables")
    }
}

static VARIABLES_TYPE: Type = MAP_TYPE;

impl Val for VarsRef<'_> {
    fn get_type(&self) -> &Type {
        &VARIABLES_TYPE
    }

    fn cel_type() -> &'static Type
    where
        Self: Sized,
    {
        &VARIABLES_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(*self)
    }
}

impl Indexer for VarsRef<'_> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let name = match CelValue::try_from(idx) {
            Ok(CelValue::String(s)) => s,
            _ => {
                return Err(ExecutionError::function_error(
                    "variables",
                    "a variable name must be a string",
                ))
            }
        };
        let vars = self.0;
        let Some(i) = vars
            .program
            .variables
            .iter()
            .position(|(n, _)| **n == *name)
        else {
            return Err(ExecutionError::NoSuchKey(name));
        };
        let slot = &vars.slots[i];
        if slot.get().is_none() {
            {
                let mut busy = match vars.busy.lock() {
                    Ok(b) => b,
                    Err(p) => p.into_inner(),
                };
                if busy[i] {
                    return Err(ExecutionError::function_error(
                        "variables",
                        format!("variable {name} refers to itself"),
                    ));
                }
                busy[i] = true;
            }
            let r = vars.compute(i);
            let _ = slot.set(r);
            if let Ok(mut busy) = vars.busy.lock() {
                busy[i] = false;
            }
        }
        match slot.get() {
            Some(Ok(b)) => Ok(CowVal::Borrowed(b.as_ref())),
            Some(Err(e)) => Err(ExecutionError::function_error("variables", e.clone())),
            None => Err(ExecutionError::function_error("variables", "not evaluated")),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}
