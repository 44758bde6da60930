//! The Kubernetes CEL environment on the `cel` crate: the standard library, the strings
//! extension (cel-go `ext.Strings`, from the crate), the lists extension, and ports of the
//! Kubernetes CEL libraries (`k8s.io/apiserver/pkg/cel/library`) that the crate lacks, each
//! function citing the upstream source and test table it follows; plus the cost accounting
//! that bounds every evaluation ([`Budget`]).
//!
//! Kubernetes functions here:
//! * lists (`library/lists.go`, tested by `library/lists_test.go`): `isSorted()`, `sum()`,
//!   `min()`, `max()`, `indexOf(x)`, `lastIndexOf(x)` on lists;
//! * regex (`library/regex.go`, `library/regex_test.go`): `find(re)`, `findAll(re)`,
//!   `findAll(re, n)` on strings;
//! * quantity (`library/quantity.go`, `library/quantity_test.go`): `quantity`, `isQuantity`
//!   and the Quantity methods, in [`crate::quantity`];
//! * sets (cel-go `ext/sets.go`, `ext/sets_test.go`, in the Kubernetes base environment since
//!   1.29): `sets.contains`, `sets.equivalent`, `sets.intersects`;
//! * url, ip and cidr, format, semver and authz, in [`crate::k8surl`], [`crate::k8snet`],
//!   [`crate::k8sformat`], [`crate::k8ssemver`] and [`crate::authz`].

use std::cell::Cell;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cel::common::types::{Type, DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};

/// Name of the internal function that charges the cost of a comprehension step or of a
/// concatenation; it cannot be written in an expression (`@` is not an identifier character).
pub(crate) const COST_FN: &str = "@kubeward_cost";

/// Cost budget of one evaluation, in the spirit of Kubernetes' per-call limit
/// (`k8s.io/apiserver/pkg/apis/cel.PerCallLimit`, 1,000,000): one unit per comprehension
/// step, and per concatenation the size of its result.
pub const COST_LIMIT: u64 = 1_000_000;

/// Wall-clock budget of one evaluation (one template, one constraint, one object).
pub const TIME_LIMIT: Duration = Duration::from_secs(1);

thread_local! {
    static BUDGET: Cell<Option<(u64, Instant, u32)>> = const { Cell::new(None) };
}

/// Runs `f` with a fresh budget of `cost` units and `time`; the cost function fails every
/// call once the budget is spent.
pub struct Budget;

impl Budget {
    /// Run `f` under a budget. Budgets do not nest: the inner one replaces the outer.
    pub fn run<R>(cost: u64, time: Duration, f: impl FnOnce() -> R) -> R {
        let prev = BUDGET.with(|b| b.replace(Some((cost, Instant::now() + time, 0))));
        let r = f();
        BUDGET.with(|b| b.set(prev));
        r
    }

    /// Charge `units` to the running budget (nothing when none runs).
    pub(crate) fn charge(units: u64) -> Result<(), ExecutionError> {
        BUDGET.with(|b| {
            let Some((left, deadline, n)) = b.get() else {
                return Ok(());
            };
            if left < units {
                b.set(Some((0, deadline, n)));
                return Err(ExecutionError::function_error(
                    "cost",
                    "operation cancelled: actual cost limit exceeded",
                ));
            }
            let n = n.wrapping_add(1);
            if n % 256 == 0 && Instant::now() > deadline {
                b.set(Some((0, deadline, n)));
                return Err(ExecutionError::function_error(
                    "cost",
                    "operation cancelled: evaluation time limit exceeded",
                ));
            }
            b.set(Some((left - units, deadline, n)));
            Ok(())
        })
    }
}

fn size_of(v: &dyn Val) -> u64 {
    match Value::try_from(v) {
        Ok(Value::String(s)) => 1 + s.len() as u64 / 16,
        Ok(Value::List(l)) => 1 + l.len() as u64,
        Ok(Value::Bytes(b)) => 1 + b.len() as u64 / 16,
        Ok(Value::Map(m)) => 1 + m.map.len() as u64,
        _ => 1,
    }
}

/// `@kubeward_cost(x)`: charges for `x` and returns it unchanged.
fn cost<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let mut it = args.into_iter();
    let Some(v) = it.next() else {
        return Err(ExecutionError::invalid_argument_count(1, 0));
    };
    Budget::charge(size_of(v.as_ref()))?;
    Ok(v)
}

/// The shared environment: built once.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build_env().0)).clone()
}

/// Build the environment; also returns the declarations that failed (none, as tested).
pub(crate) fn build_env() -> (Env, Vec<String>) {
    let mut env = Env::stdlib();
    let mut failed = Vec::new();
    let mut check = |what: &str, r: Result<(), cel::DeclarationError>| {
        if let Err(e) = r {
            failed.push(format!("{what}: {e:?}"));
        }
    };
    check("strings", env.add_extension(cel::extensions::strings));
    check("lists", env.add_extension(cel::extensions::lists));
    check(
        COST_FN,
        env.add_overload(COST_FN, "kubeward_cost_dyn", vec![DYN_TYPE], cost),
    );
    // lists.go: isSorted, sum, min, max, indexOf, lastIndexOf
    check(
        "isSorted",
        env.add_member_overload("isSorted", "list_is_sorted", LIST_TYPE, vec![], is_sorted),
    );
    check(
        "sum",
        env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], sum),
    );
    check(
        "min",
        env.add_member_overload("min", "list_min", LIST_TYPE, vec![], list_min),
    );
    check(
        "max",
        env.add_member_overload("max", "list_max", LIST_TYPE, vec![], list_max),
    );
    check(
        "indexOf",
        env.add_member_overload(
            "indexOf",
            "list_index_of",
            LIST_TYPE,
            vec![DYN_TYPE],
            index_of,
        ),
    );
    check(
        "lastIndexOf",
        env.add_member_overload(
            "lastIndexOf",
            "list_last_index_of",
            LIST_TYPE,
            vec![DYN_TYPE],
            last_index_of,
        ),
    );
    // regex.go: find, findAll
    check(
        "find",
        env.add_member_overload(
            "find",
            "string_find_string",
            STRING_TYPE,
            vec![STRING_TYPE],
            find,
        ),
    );
    check(
        "findAll",
        env.add_member_overload(
            "findAll",
            "string_find_all_string",
            STRING_TYPE,
            vec![STRING_TYPE],
            find_all,
        ),
    );
    check(
        "findAll",
        env.add_member_overload(
            "findAll",
            "string_find_all_string_int",
            STRING_TYPE,
            vec![STRING_TYPE, INT_TYPE],
            find_all_n,
        ),
    );
    // cel-go ext/sets.go
    check(
        "sets.contains",
        env.add_overload(
            "sets.contains",
            "list_sets_contains_list",
            vec![LIST_TYPE, LIST_TYPE],
            sets_contains,
        ),
    );
    check(
        "sets.equivalent",
        env.add_overload(
            "sets.equivalent",
            "list_sets_equivalent_list",
            vec![LIST_TYPE, LIST_TYPE],
            sets_equivalent,
        ),
    );
    check(
        "sets.intersects",
        env.add_overload(
            "sets.intersects",
            "list_sets_intersects_list",
            vec![LIST_TYPE, LIST_TYPE],
            sets_intersects,
        ),
    );
    crate::quantity::register(&mut env, &mut failed);
    crate::k8snet::register(&mut env, &mut failed);
    crate::k8ssemver::register(&mut env, &mut failed);
    crate::k8surl::register(&mut env, &mut failed);
    crate::k8sformat::register(&mut env, &mut failed);
    crate::authz::register(&mut env, &mut failed);
    (env, failed)
}

pub(crate) fn value(v: &CowVal<'_, '_>) -> Result<Value, ExecutionError> {
    Value::try_from(v.as_ref())
}

pub(crate) fn owned<'b, 'v>(v: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let b: Box<dyn Val> = v.try_into()?;
    Ok(CowVal::Owned(b))
}

/// A library value (`net.IP`, `kubernetes.URL`, ...) as a CEL value.
pub(crate) fn opaque<'b, 'v, T: Opaque>(t: T) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Opaque(Arc::new(t)))
}

/// Argument `i` as the library value `T` (`what` names its CEL type in the error).
pub(crate) fn opaque_arg<T: Opaque + Clone>(
    args: &[CowVal<'_, '_>],
    i: usize,
    f: &str,
    what: &str,
) -> Result<T, ExecutionError> {
    match args.get(i).map(value).transpose()? {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| ExecutionError::function_error(f, format!("expected a {what}"))),
        Some(other) => Err(ExecutionError::function_error(
            f,
            format!("expected a {what}, found {}", other.type_of()),
        )),
        None => Err(ExecutionError::invalid_argument_count(i + 1, args.len())),
    }
}

/// Charges a traversal of a string argument, as Kubernetes' `CostEstimator.CallCost` does
/// for the parsing functions (`url`, `ip`, `cidr`, `semver`, ...): its size times
/// `StringTraversalCostFactor` (0.1), plus one.
pub(crate) fn charge_traversal(len: usize) -> Result<(), ExecutionError> {
    Budget::charge(1 + len as u64 / 10)
}

/// `compareTo`, `isLessThan` or `isGreaterThan` (`f`) answered from an ordering, as the
/// quantity and semver libraries answer them.
pub(crate) fn ordering_result<'b, 'v>(
    f: &str,
    o: std::cmp::Ordering,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    use std::cmp::Ordering::*;
    owned(match f {
        "compareTo" => Value::Int(match o {
            Less => -1,
            Equal => 0,
            Greater => 1,
        }),
        "isLessThan" => Value::Bool(o == Less),
        _ => Value::Bool(o == Greater),
    })
}

/// Declares a library type (`net.IP`, ...), so that expressions can name it.
pub(crate) fn declare_type(env: &mut Env, failed: &mut Vec<String>, name: &'static str) {
    if let Err(e) = env.add_type(Type::new_opaque_type(name)) {
        failed.push(format!("type {name}: {e:?}"));
    }
}

/// Declares one overload; a failure is recorded in `failed` (the environment test checks
/// there is none). `receiver` makes it a member function.
pub(crate) fn declare(
    env: &mut Env,
    failed: &mut Vec<String>,
    name: &str,
    id: &str,
    receiver: Option<Type>,
    args: Vec<Type>,
    f: cel::common::functions::Function,
) {
    let r = match receiver {
        Some(t) => env.add_member_overload(name, id, t, args, f),
        None => env.add_overload(name, id, args, f),
    };
    if let Err(e) = r {
        failed.push(format!("{name} ({id}): {e:?}"));
    }
}

fn list_arg(args: &[CowVal<'_, '_>], i: usize, f: &str) -> Result<Arc<Vec<Value>>, ExecutionError> {
    match args.get(i).map(value).transpose()? {
        Some(Value::List(l)) => Ok(l),
        Some(other) => Err(ExecutionError::function_error(
            f,
            format!("expected a list, found {}", other.type_of()),
        )),
        None => Err(ExecutionError::invalid_argument_count(i + 1, args.len())),
    }
}

pub(crate) fn string_arg(
    args: &[CowVal<'_, '_>],
    i: usize,
    f: &str,
) -> Result<Arc<String>, ExecutionError> {
    match args.get(i).map(value).transpose()? {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ExecutionError::function_error(
            f,
            format!("expected a string, found {}", other.type_of()),
        )),
        None => Err(ExecutionError::invalid_argument_count(i + 1, args.len())),
    }
}

/// Ordering of comparable values (same-kind numbers, strings, bools, durations, timestamps),
/// as `lists.go` requires of `isSorted`, `min` and `max` (`traits.Comparer`).
fn compare(a: &Value, b: &Value, f: &str) -> Result<std::cmp::Ordering, ExecutionError> {
    use Value::*;
    let o = match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (UInt(x), UInt(y)) => Some(x.cmp(y)),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Int(x), Float(y)) => (*x as f64).partial_cmp(y),
        (Float(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (String(x), String(y)) => Some(x.cmp(y)),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Duration(x), Duration(y)) => Some(x.cmp(y)),
        (Timestamp(x), Timestamp(y)) => Some(x.cmp(y)),
        _ => None,
    };
    o.ok_or_else(|| {
        ExecutionError::function_error(
            f,
            format!(
                "no such overload: {} and {} are not comparable",
                a.type_of(),
                b.type_of()
            ),
        )
    })
}

/// `lists.go` `isSorted`: `[1, 2, 3].isSorted() == true`, `['a', 'b', 'b'].isSorted() ==
/// true`, `[2.0, 1.0].isSorted() == false` (lists_test.go).
fn is_sorted<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let l = list_arg(&args, 0, "isSorted")?;
    for w in l.windows(2) {
        if compare(&w[0], &w[1], "isSorted")? == std::cmp::Ordering::Greater {
            return owned(Value::Bool(false));
        }
    }
    owned(Value::Bool(true))
}

/// `lists.go` `sum`: `[1, 2].sum() == 3`, `[].sum() == 0`, `[1.0, 2.5].sum() == 3.5`
/// (lists_test.go; the empty list sums to int 0).
fn sum<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let l = list_arg(&args, 0, "sum")?;
    let mut acc = Value::Int(0);
    for (i, x) in l.iter().enumerate() {
        acc = match (&acc, x) {
            (Value::Int(a), Value::Int(b)) => Value::Int(
                a.checked_add(*b)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?,
            ),
            (Value::Int(_), Value::UInt(b)) if i == 0 => Value::UInt(*b),
            (Value::UInt(a), Value::UInt(b)) => {
                Value::UInt(a.checked_add(*b).ok_or_else(|| {
                    ExecutionError::function_error("sum", "unsigned integer overflow")
                })?)
            }
            (Value::Int(_), Value::Float(b)) if i == 0 => Value::Float(*b),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            (Value::Int(_), Value::Duration(b)) if i == 0 => Value::Duration(*b),
            (Value::Duration(a), Value::Duration(b)) => Value::Duration(*a + *b),
            _ => {
                return Err(ExecutionError::function_error(
                    "sum",
                    format!("no such overload: cannot add {}", x.type_of()),
                ))
            }
        };
    }
    owned(acc)
}

fn extreme<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    f: &str,
    want: std::cmp::Ordering,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let l = list_arg(&args, 0, f)?;
    let Some(mut best) = l.first().cloned() else {
        return Err(ExecutionError::function_error(
            f,
            format!("{f} called on empty list"),
        ));
    };
    for x in l.iter().skip(1) {
        if compare(x, &best, f)? == want {
            best = x.clone();
        }
    }
    owned(best)
}

/// `lists.go` `min`: `[1, 3, 2].min() == 1`; `[].min()` is an error "min called on empty
/// list" (lists_test.go).
fn list_min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, "min", std::cmp::Ordering::Less)
}

/// `lists.go` `max`: `[1, 3, 2].max() == 3`; `[].max()` is an error (lists_test.go).
fn list_max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, "max", std::cmp::Ordering::Greater)
}

fn position(args: &[CowVal<'_, '_>], f: &str, last: bool) -> Result<i64, ExecutionError> {
    let l = list_arg(args, 0, f)?;
    let Some(x) = args.get(1).map(value).transpose()? else {
        return Err(ExecutionError::invalid_argument_count(2, args.len()));
    };
    let found = if last {
        l.iter().rposition(|e| *e == x)
    } else {
        l.iter().position(|e| *e == x)
    };
    Ok(found.map(|i| i as i64).unwrap_or(-1))
}

/// `lists.go` `indexOf`: `[1, 2, 2, 3].indexOf(2) == 1`, `['a'].indexOf('b') == -1`
/// (lists_test.go).
fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(position(&args, "indexOf", false)?))
}

/// `lists.go` `lastIndexOf`: `[1, 2, 2, 3].lastIndexOf(2) == 2` (lists_test.go).
fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(position(&args, "lastIndexOf", true)?))
}

fn compile_regex(re: &str, f: &str) -> Result<regex::Regex, ExecutionError> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| ExecutionError::function_error(f, "invalid regular expression"))
}

/// `regex.go` `find`: `"abc 123".find('[0-9]+') == "123"`, no match gives `""`
/// (regex_test.go).
fn find<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "find")?;
    let re = compile_regex(&string_arg(&args, 1, "find")?, "find")?;
    owned(Value::String(Arc::new(
        re.find(&s)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
    )))
}

fn find_all_impl(s: &str, re: &regex::Regex, n: i64) -> Value {
    let it = re
        .find_iter(s)
        .map(|m| Value::String(Arc::new(m.as_str().to_string())));
    let v: Vec<Value> = if n < 0 {
        it.collect()
    } else {
        it.take(n as usize).collect()
    };
    Value::List(Arc::new(v))
}

/// `regex.go` `findAll`: `"123 abc 456".findAll('[0-9]+') == ['123', '456']` (regex_test.go).
fn find_all<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "findAll")?;
    let re = compile_regex(&string_arg(&args, 1, "findAll")?, "findAll")?;
    owned(find_all_impl(&s, &re, -1))
}

/// `regex.go` `findAll(re, n)`: `"123 abc 456".findAll('[0-9]+', 1) == ['123']`; `n < 0`
/// means all, `n == 0` none (regex_test.go).
fn find_all_n<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "findAll")?;
    let re = compile_regex(&string_arg(&args, 1, "findAll")?, "findAll")?;
    let n = match args.get(2).map(value).transpose()? {
        Some(Value::Int(n)) => n,
        _ => return Err(ExecutionError::function_error("findAll", "expected an int")),
    };
    owned(find_all_impl(&s, &re, n))
}

/// `ext/sets.go` `sets.contains(a, b)`: every element of `b` is in `a`;
/// `sets.contains([1, 2], [2]) == true`, `sets.contains([], [1]) == false` (sets_test.go).
fn sets_contains<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = list_arg(&args, 0, "sets.contains")?;
    let b = list_arg(&args, 1, "sets.contains")?;
    owned(Value::Bool(b.iter().all(|x| a.contains(x))))
}

/// `ext/sets.go` `sets.equivalent(a, b)`: same elements, ignoring order and duplicates;
/// `sets.equivalent([1, 2], [2, 1, 1]) == true` (sets_test.go).
fn sets_equivalent<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = list_arg(&args, 0, "sets.equivalent")?;
    let b = list_arg(&args, 1, "sets.equivalent")?;
    owned(Value::Bool(
        b.iter().all(|x| a.contains(x)) && a.iter().all(|x| b.contains(x)),
    ))
}

/// `ext/sets.go` `sets.intersects(a, b)`: a common element; `sets.intersects([1], []) ==
/// false` (sets_test.go).
fn sets_intersects<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = list_arg(&args, 0, "sets.intersects")?;
    let b = list_arg(&args, 1, "sets.intersects")?;
    owned(Value::Bool(b.iter().any(|x| a.contains(x))))
}

/// JSON to CEL, as Kubernetes converts unstructured objects: integers to `int` (`uint`
/// beyond), other numbers to `double`.
pub fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(from_json).collect())),
        serde_json::Value::Object(m) => {
            let map: std::collections::HashMap<cel::objects::Key, Value> = m
                .iter()
                .map(|(k, v)| (cel::objects::Key::String(Arc::new(k.clone())), from_json(v)))
                .collect();
            Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::Context;

    fn eval(src: &str) -> Result<Value, String> {
        let env = env();
        let p = env.compile(src).map_err(|e| format!("{e}"))?;
        let ctx = Context::with_env(env);
        p.execute(&ctx).map_err(|e| format!("{e}"))
    }

    #[test]
    fn env_declares_everything() {
        let (_, failed) = build_env();
        assert!(failed.is_empty(), "{failed:?}");
    }

    // Rows of k8s.io/apiserver/pkg/cel/library/lists_test.go, regex_test.go and cel-go
    // ext/sets_test.go.
    #[test]
    fn upstream_rows() {
        for (expr, want) in [
            ("[1, 2, 3].isSorted()", true),
            ("['a', 'b', 'b'].isSorted()", true),
            ("[2.0, 1.0].isSorted()", false),
            ("[].isSorted()", true),
            ("[1, 2].sum() == 3", true),
            ("[].sum() == 0", true),
            ("[1.0, 2.5].sum() == 3.5", true),
            ("[1, 3, 2].min() == 1", true),
            ("[1, 3, 2].max() == 3", true),
            ("['b', 'a'].min() == 'a'", true),
            ("[1, 2, 2, 3].indexOf(2) == 1", true),
            ("[1, 2, 2, 3].lastIndexOf(2) == 2", true),
            ("['a'].indexOf('b') == -1", true),
            ("'abc 123'.find('[0-9]+') == '123'", true),
            ("'abc'.find('[0-9]+') == ''", true),
            ("'123 abc 456'.findAll('[0-9]+') == ['123', '456']", true),
            ("'123 abc 456'.findAll('[0-9]+', 1) == ['123']", true),
            ("'123 abc 456'.findAll('[0-9]+', 0) == []", true),
            ("sets.contains([1, 2], [2])", true),
            ("sets.contains([], [1])", false),
            ("sets.contains([1], [])", true),
            ("sets.equivalent([1, 2], [2, 1, 1])", true),
            ("sets.equivalent([1], [1, 2])", false),
            ("sets.intersects([1], [])", false),
            ("sets.intersects([1, 2], [2, 3])", true),
            // strings extension (from the crate), as the library templates use it
            ("'A,B'.lowerAscii() == 'a,b'", true),
            ("['a', 'b'].join(', ') == 'a, b'", true),
            ("'a*'.replace('*', '') == 'a'", true),
            // library/quantity_test.go
            ("isQuantity('20')", true),
            ("isQuantity('20M')", true),
            ("isQuantity('20Mi')", true),
            ("isQuantity('20Mo')", false),
            ("quantity('200M') == quantity('200M')", true),
            (
                "quantity('200M') == quantity('0.2G') && quantity('0.2G') == quantity('200M')",
                true,
            ),
            (
                "quantity('2M') == quantity('0.002G') && quantity('2000k') == quantity('2M')",
                true,
            ),
            ("quantity('200M') == quantity('0.3G')", false),
            ("quantity('50M').isLessThan(quantity('50Mi'))", true),
            ("quantity('100M').isLessThan(quantity('50M'))", false),
            ("quantity('50Mi').isGreaterThan(quantity('50M'))", true),
            ("quantity('200M').compareTo(quantity('0.2G')) == 0", true),
            ("quantity('50M').compareTo(quantity('50Mi')) == -1", true),
            ("quantity('50Mi').compareTo(quantity('50M')) == 1", true),
            (
                "quantity('50k').add(quantity('20')) == quantity('50.02k')",
                true,
            ),
            ("quantity('50k').add(20) == quantity('50020')", true),
            (
                "quantity('50k').sub(quantity('20')) == quantity('49.98k')",
                true,
            ),
            ("quantity('50k').sub(20) == quantity('49980')", true),
            (
                "quantity('50k').add(20).sub(quantity('100k')).asInteger() == -49980",
                true,
            ),
            ("quantity('50k').asInteger() == 50000", true),
            (
                "quantity('9999999999999999999999999999999999999G').isInteger()",
                false,
            ),
            ("quantity('50.703k').asApproximateFloat() == 50703.0", true),
            ("quantity('-50k').sign() == -1", true),
            ("quantity('0').sign() == 0", true),
        ] {
            assert_eq!(eval(expr), Ok(Value::Bool(want)), "{expr}");
        }
        assert!(eval("[].min()").is_err());
        assert!(eval("[].max()").is_err());
        assert!(eval("[1, 'a'].isSorted()").is_err());
        assert!(eval("'a'.find('(')").is_err());
        assert!(eval("quantity('10Mo')").is_err());
        assert!(eval("quantity('9999999999999999999999999999999999999G').asInteger()").is_err());
    }
}
