//! The Kubernetes CEL quantity library (`k8s.io/apiserver/pkg/cel/library/quantity.go`,
//! tested by `library/quantity_test.go`) with quantities parsed as
//! `k8s.io/apimachinery/pkg/api/resource` parses them: an optional sign, digits with an
//! optional fraction, and a suffix (`Ki`..`Ei`, `n` `u` `m` `k` `M` `G` `T` `P` `E`, or a
//! decimal exponent `e3`/`E-2`). Values are kept exactly, in nano-units (Kubernetes' own
//! smallest scale; finer values round away from zero, as `resource.Quantity` rounds up).

use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::types::{DYN_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

/// Largest decimal exponent accepted (`1e100`); beyond, the quantity is refused rather than
/// expanded (Kubernetes accepts more, but no resource amount needs it).
const MAX_EXPONENT: i64 = 100;

/// A quantity, exactly, in nano-units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    nanos: BigInt,
}

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

const NANO: i64 = 1_000_000_000;

impl Quantity {
    /// Parse a quantity as `resource.ParseQuantity` does; None when it is not one.
    pub fn parse(s: &str) -> Option<Quantity> {
        let b = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = b.first() {
            if c == b'+' || c == b'-' {
                negative = c == b'-';
                i = 1;
            }
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &s[int_start..i];
        let mut frac_part = "";
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &s[f..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let (exp10, exp2) = match &s[i..] {
            "" => (0, 0),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            suffix => {
                let rest = suffix.strip_prefix(['e', 'E'])?;
                let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let e: i64 = rest.parse().ok()?;
                if e.abs() > MAX_EXPONENT {
                    return None;
                }
                (e, 0)
            }
        };
        let digits: BigInt = format!("{int_part}{frac_part}").parse().ok()?;
        // value = digits * 10^(exp10 - len(frac)) * 2^exp2, in nanos: * 10^9
        let scale = exp10 - frac_part.len() as i64 + 9;
        let mut n = digits << exp2;
        if scale >= 0 {
            n *= BigInt::from(10).pow(scale as u32);
        } else {
            let d = BigInt::from(10).pow((-scale) as u32);
            let (q, r): (BigInt, BigInt) = (&n / &d, &n % &d);
            n = if r.is_zero() { q } else { q + 1 };
        }
        if negative {
            n = -n;
        }
        Some(Quantity { nanos: n })
    }

    fn from_int(i: i64) -> Quantity {
        Quantity {
            nanos: BigInt::from(i) * NANO,
        }
    }

    fn as_integer(&self) -> Option<i64> {
        let nano = BigInt::from(NANO);
        if !(&self.nanos % &nano).is_zero() {
            return None;
        }
        (&self.nanos / nano).to_i64()
    }
}

fn err(f: &str, m: &str) -> ExecutionError {
    ExecutionError::function_error(f, m)
}

fn value(v: &CowVal<'_, '_>) -> Result<Value, ExecutionError> {
    Value::try_from(v.as_ref())
}

fn owned<'b, 'v>(v: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let b: Box<dyn Val> = v.try_into()?;
    Ok(CowVal::Owned(b))
}

fn quantity_arg(args: &[CowVal<'_, '_>], i: usize, f: &str) -> Result<Quantity, ExecutionError> {
    match args.get(i).map(value).transpose()? {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<Quantity>()
            .cloned()
            .ok_or_else(|| err(f, "expected a quantity")),
        Some(Value::Int(n)) if i > 0 => Ok(Quantity::from_int(n)),
        _ => Err(err(f, "expected a quantity")),
    }
}

fn quantity_value(q: Quantity) -> Value {
    Value::Opaque(Arc::new(q))
}

/// `quantity(s)`: `quantity("12Mi")`; `quantity("10Mo")` is an error (quantity_test.go).
fn quantity<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let Some(Value::String(s)) = args.first().map(value).transpose()? else {
        return Err(err("quantity", "expected a string"));
    };
    match Quantity::parse(&s) {
        Some(q) => owned(quantity_value(q)),
        // The value is not quoted: it may come from an object.
        None => Err(err(
            "quantity",
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        )),
    }
}

/// `isQuantity(s)`: `isQuantity("20Mi") == true`, `isQuantity("20Mo") == false`
/// (quantity_test.go).
fn is_quantity<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let Some(Value::String(s)) = args.first().map(value).transpose()? else {
        return Err(err("isQuantity", "expected a string"));
    };
    owned(Value::Bool(Quantity::parse(&s).is_some()))
}

/// `q.sign()`: `quantity("-50k").sign() == -1` (quantity_test.go).
fn sign<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let q = quantity_arg(&args, 0, "sign")?;
    owned(Value::Int(if q.nanos.is_zero() {
        0
    } else if q.nanos.is_negative() {
        -1
    } else {
        1
    }))
}

/// `q.isInteger()`: false for `quantity("9999999999999999999999999999999999999G")`
/// (quantity_test.go).
fn is_integer<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let q = quantity_arg(&args, 0, "isInteger")?;
    owned(Value::Bool(q.as_integer().is_some()))
}

/// `q.asInteger()`: `quantity("50k").asInteger() == 50000`; an error when not an int64
/// (quantity_test.go).
fn as_integer<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let q = quantity_arg(&args, 0, "asInteger")?;
    match q.as_integer() {
        Some(i) => owned(Value::Int(i)),
        None => Err(err("asInteger", "cannot convert value to integer")),
    }
}

/// `q.asApproximateFloat()`: `quantity("50.703k").asApproximateFloat() == 50703.0`
/// (quantity_test.go).
fn as_approximate_float<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let q = quantity_arg(&args, 0, "asApproximateFloat")?;
    let f = q.nanos.to_f64().unwrap_or(f64::NAN) / NANO as f64;
    owned(Value::Float(f))
}

/// `q.add(q2|int)`: `quantity("50k").add(quantity("20")) == quantity("50.02k")`,
/// `quantity("50k").add(20) == quantity("50020")` (quantity_test.go).
fn add<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = quantity_arg(&args, 0, "add")?;
    let b = quantity_arg(&args, 1, "add")?;
    owned(quantity_value(Quantity {
        nanos: a.nanos + b.nanos,
    }))
}

/// `q.sub(q2|int)`: `quantity("50k").sub(20) == quantity("49980")` (quantity_test.go).
fn sub<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = quantity_arg(&args, 0, "sub")?;
    let b = quantity_arg(&args, 1, "sub")?;
    owned(quantity_value(Quantity {
        nanos: a.nanos - b.nanos,
    }))
}

fn compared(args: &[CowVal<'_, '_>], f: &str) -> Result<Ordering, ExecutionError> {
    let a = quantity_arg(args, 0, f)?;
    match args.get(1).map(value).transpose()? {
        Some(Value::Opaque(o)) => match o.downcast_ref::<Quantity>() {
            Some(b) => Ok(a.cmp(b)),
            None => Err(err(f, "expected a quantity")),
        },
        _ => Err(err(f, "expected a quantity")),
    }
}

/// `q.isLessThan(q2)`: `quantity("50M").isLessThan(quantity("50Mi")) == true`
/// (quantity_test.go).
fn is_less_than<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("isLessThan", compared(&args, "isLessThan")?)
}

/// `q.isGreaterThan(q2)`: `quantity("50Mi").isGreaterThan(quantity("50M")) == true`
/// (quantity_test.go).
fn is_greater_than<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("isGreaterThan", compared(&args, "isGreaterThan")?)
}

/// `q.compareTo(q2)`: `quantity("50M").compareTo(quantity("50Mi")) == -1`
/// (quantity_test.go).
fn compare_to<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::ordering_result("compareTo", compared(&args, "compareTo")?)
}

/// Register the library.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    let mut check = |what: &str, r: Result<(), cel::DeclarationError>| {
        if let Err(e) = r {
            failed.push(format!("{what}: {e:?}"));
        }
    };
    check(
        "quantity",
        env.add_overload(
            "quantity",
            "string_to_quantity",
            vec![STRING_TYPE],
            quantity,
        ),
    );
    check(
        "isQuantity",
        env.add_overload(
            "isQuantity",
            "is_quantity_string",
            vec![STRING_TYPE],
            is_quantity,
        ),
    );
    type F = cel::common::functions::Function;
    let members: [(&str, &str, usize, F); 9] = [
        ("sign", "quantity_sign", 0, sign),
        ("isInteger", "quantity_is_integer", 0, is_integer),
        ("asInteger", "quantity_as_integer", 0, as_integer),
        (
            "asApproximateFloat",
            "quantity_as_approximate_float",
            0,
            as_approximate_float,
        ),
        ("add", "quantity_add", 1, add),
        ("sub", "quantity_sub", 1, sub),
        ("isLessThan", "quantity_is_less_than", 1, is_less_than),
        (
            "isGreaterThan",
            "quantity_is_greater_than",
            1,
            is_greater_than,
        ),
        ("compareTo", "quantity_compare_to", 1, compare_to),
    ];
    for (name, id, arity, f) in members {
        check(
            name,
            // Typed receiver: `compareTo`, `isLessThan`, `isGreaterThan` are Semver
            // methods too.
            env.add_member_overload(
                name,
                id,
                cel::common::types::Type::new_opaque_type("kubernetes.Quantity"),
                (0..arity).map(|_| DYN_TYPE).collect(),
                f,
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_apimachinery() {
        let n = |s: &str| Quantity::parse(s).map(|q| q.nanos.to_string());
        assert_eq!(n("12Mi"), Some((12i128 << 20).to_string() + "000000000"));
        assert_eq!(n("1.5"), Some("1500000000".into()));
        assert_eq!(n("100m"), Some("100000000".into()));
        assert_eq!(n("-1k"), Some("-1000000000000".into()));
        assert_eq!(n("1e3"), Some("1000000000000".into()));
        assert_eq!(n("1E-3"), Some("1000000".into()));
        assert_eq!(n(".5"), Some("500000000".into()));
        assert_eq!(n("0.0000000001"), Some("1".into()));
        for bad in [
            "", "10Mo", "Mi", "1.2.3", " 1", "1 ", "e3", "1e", "1e+", "1e1000",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }
}
