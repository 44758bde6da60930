//! The Kubernetes CEL semver library (`k8s.io/apiserver/pkg/cel/library/semverlib.go`,
//! tested by `semver_test.go`): `semver(s)`, `semver(s, normalize)`, `isSemver(s)`,
//! `isSemver(s, normalize)` and the `kubernetes.Semver` methods `major()`, `minor()`,
//! `patch()`, `compareTo(v)`, `isLessThan(v)`, `isGreaterThan(v)`.
//!
//! Versions are parsed by the `semver` crate, which implements semver.org 2.0.0 as
//! `github.com/blang/semver/v4`'s `Parse` does (three numeric parts without leading zeros, an
//! optional pre-release and build metadata, no `v` prefix, no whitespace). Comparison and
//! equality use the precedence of the specification (`Version::cmp_precedence`: build
//! metadata ignored), as blang's `Compare` and `EQ` do; the crate's own `Ord` would compare
//! build metadata too. Normalization is `normalizeAndParse` of semverlib.go.

use std::cmp::Ordering;

use cel::common::types::{Type, BOOL_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};

use crate::k8scel::{
    charge_traversal, declare, declare_type, opaque, opaque_arg, owned, string_arg, value,
};

const SEMVER_TYPE_NAME: &str = "kubernetes.Semver";

fn semver_type() -> Type {
    Type::new_opaque_type(SEMVER_TYPE_NAME)
}

/// A `kubernetes.Semver`.
#[derive(Clone, Debug)]
pub struct Semver(pub semver::Version);

impl PartialEq for Semver {
    fn eq(&self, other: &Self) -> bool {
        self.0.cmp_precedence(&other.0) == Ordering::Equal
    }
}

impl Eq for Semver {}

impl Opaque for Semver {
    fn runtime_type_name(&self) -> &str {
        SEMVER_TYPE_NAME
    }
}

/// `semver.Parse` (blang): the version, or blang's message for the common mistakes (the
/// value is never quoted).
pub fn parse(s: &str) -> Result<semver::Version, &'static str> {
    if s.is_empty() {
        return Err("Version string empty");
    }
    if s.splitn(3, '.').count() != 3 {
        return Err("No Major.Minor.Patch elements found");
    }
    semver::Version::parse(s).map_err(|_| "invalid semantic version (semver.org 2.0.0)")
}

/// `normalizeAndParse` (semverlib.go): drops a `v` prefix, leading zeros of each part, and
/// fills in a missing minor and patch.
pub fn normalize_and_parse(s: &str) -> Result<semver::Version, &'static str> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts: Vec<String> = s
        .splitn(3, '.')
        .map(|p| {
            if p.len() > 1 {
                let t = p.trim_start_matches('0');
                if t.is_empty() || !t.as_bytes()[0].is_ascii_digit() {
                    format!("0{t}")
                } else {
                    t.to_string()
                }
            } else {
                p.to_string()
            }
        })
        .collect();
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err("short version cannot contain PreRelease/Build meta data");
        }
        while parts.len() < 3 {
            parts.push("0".into());
        }
    }
    parse(&parts.join("."))
}

fn err(f: &str, m: &str) -> ExecutionError {
    ExecutionError::function_error(f, m)
}

fn parse_args(
    args: &[CowVal<'_, '_>],
    f: &str,
) -> Result<Result<semver::Version, &'static str>, ExecutionError> {
    let s = string_arg(args, 0, f)?;
    charge_traversal(s.len())?;
    let normalize = match args.get(1).map(value).transpose()? {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(err(f, "expected a bool")),
    };
    Ok(if normalize {
        normalize_and_parse(&s)
    } else {
        parse(&s)
    })
}

/// `semver(s[, normalize])`: `semver("1.2.3")`; `semver("v1.0")` is an error "No
/// Major.Minor.Patch elements found"; `semver("v01.01", true) == semver("1.1.0")`
/// (semver_test.go).
fn to_semver<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    match parse_args(&args, "semver")? {
        Ok(v) => opaque(Semver(v)),
        Err(m) => Err(err("semver", m)),
    }
}

/// `isSemver(s[, normalize])`: `isSemver("1.2.3-beta.1+build.1") == true`,
/// `isSemver("01.01.01") == false`, `isSemver("01.01.01", true) == true` (semver_test.go).
fn is_semver<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Bool(parse_args(&args, "isSemver")?.is_ok()))
}

fn version(args: &[CowVal<'_, '_>], i: usize, f: &str) -> Result<semver::Version, ExecutionError> {
    crate::k8scel::Budget::charge(1)?;
    Ok(opaque_arg::<Semver>(args, i, f, SEMVER_TYPE_NAME)?.0)
}

/// `v.major()`: `semver("1.2.3").major() == 1` (a number beyond int64 wraps, as Go's
/// conversion does).
fn major<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(version(&args, 0, "major")?.major as i64))
}

/// `v.minor()`: `semver("1.2.3").minor() == 2`.
fn minor<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(version(&args, 0, "minor")?.minor as i64))
}

/// `v.patch()`: `semver("1.2.3").patch() == 3`.
fn patch<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(version(&args, 0, "patch")?.patch as i64))
}

fn compared(args: &[CowVal<'_, '_>], f: &str) -> Result<Ordering, ExecutionError> {
    let a = version(args, 0, f)?;
    let b = version(args, 1, f)?;
    Ok(a.cmp_precedence(&b))
}

/// `v.compareTo(w)`: `semver("1.0.0").compareTo(semver("1.2.3")) == -1`.
fn compare_to<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("compareTo", compared(&args, "compareTo")?)
}

/// `v.isLessThan(w)`: `semver("1.0.0").isLessThan(semver("1.2.3")) == true`.
fn is_less_than<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("isLessThan", compared(&args, "isLessThan")?)
}

/// `v.isGreaterThan(w)`: `semver("1.2.3").isGreaterThan(semver("1.0.0")) == true`.
fn is_greater_than<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("isGreaterThan", compared(&args, "isGreaterThan")?)
}

/// Register the library.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    declare_type(env, failed, SEMVER_TYPE_NAME);
    let s = || vec![STRING_TYPE];
    let sb = || vec![STRING_TYPE, BOOL_TYPE];
    declare(
        env,
        failed,
        "semver",
        "string_to_semver",
        None,
        s(),
        to_semver,
    );
    declare(
        env,
        failed,
        "semver",
        "string_bool_to_semver",
        None,
        sb(),
        to_semver,
    );
    declare(
        env,
        failed,
        "isSemver",
        "is_semver_string",
        None,
        s(),
        is_semver,
    );
    declare(
        env,
        failed,
        "isSemver",
        "is_semver_string_bool",
        None,
        sb(),
        is_semver,
    );
    let v = || Some(semver_type());
    declare(env, failed, "major", "semver_major", v(), vec![], major);
    declare(env, failed, "minor", "semver_minor", v(), vec![], minor);
    declare(env, failed, "patch", "semver_patch", v(), vec![], patch);
    let w = || vec![semver_type()];
    declare(
        env,
        failed,
        "compareTo",
        "semver_compare_to",
        v(),
        w(),
        compare_to,
    );
    declare(
        env,
        failed,
        "isLessThan",
        "semver_is_less_than",
        v(),
        w(),
        is_less_than,
    );
    declare(
        env,
        failed,
        "isGreaterThan",
        "semver_is_greater_than",
        v(),
        w(),
        is_greater_than,
    );
}
