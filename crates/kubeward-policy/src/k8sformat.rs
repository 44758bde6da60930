//! The Kubernetes CEL format library (`k8s.io/apiserver/pkg/cel/library/format.go`, tested
//! by `format_test.go`): `format.named(name)` (an optional `kubernetes.NamedFormat`),
//! `format.<name>()` for each named format, and `<Format>.validate(s)`: `optional.none()`
//! when `s` is valid, else `optional.of` the list of what is wrong.
//!
//! The checks are those format.go calls: apimachinery's name validations
//! (`NameIsDNSLabel`, `NameIsDNSSubdomain`, `NameIsDNS1035Label` with their `prefix` form,
//! `IsQualifiedName`, `IsValidLabelValue`) with their messages; `uri` is
//! `url.ParseRequestURI` ([`crate::k8surl`], its message without the URL); and kube-openapi's
//! strfmt `uuid` (its regular expression), `byte` (govalidator's base64 regular expression),
//! `date` (`time.Parse("2006-01-02")`: four-digit year, two-digit month and day, the day in
//! its month) and `datetime` (strfmt's `IsDateTime`: the date, a `T` (any case), then
//! `hh:mm:ss[.frac](Z|±hh:mm)`, with hour ≤ 23 and minutes, seconds ≤ 59).

use std::sync::{Arc, OnceLock};

use cel::common::types::{CelOptional, Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};
use regex::Regex;

use crate::k8scel::{charge_traversal, declare, declare_type, opaque_arg, string_arg, Budget};

const FORMAT_TYPE_NAME: &str = "kubernetes.NamedFormat";

fn format_type() -> Type {
    Type::new_opaque_type(FORMAT_TYPE_NAME)
}

/// The named formats, in format.go's `ConstantFormats` order.
pub const NAMES: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// A `kubernetes.NamedFormat`: an index into [`NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format(usize);

impl Opaque for Format {
    fn runtime_type_name(&self) -> &str {
        FORMAT_TYPE_NAME
    }
}

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn dns1123_subdomain_fmt() -> String {
    format!("{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*")
}

struct Regexes {
    label: Regex,
    subdomain: Regex,
    dns1035: Regex,
    qualified: Regex,
    label_value: Regex,
    uuid: Regex,
    base64: Regex,
    time: Regex,
}

fn anchored(f: &str) -> Regex {
    // The patterns are constants of this file, tested below; a failure cannot happen.
    Regex::new(&format!("^(?:{f})$")).unwrap_or_else(|_| Regex::new("$^").expect("trivial"))
}

fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| Regexes {
        label: anchored(DNS1123_LABEL_FMT),
        subdomain: anchored(&dns1123_subdomain_fmt()),
        dns1035: anchored(DNS1035_LABEL_FMT),
        qualified: anchored(QUALIFIED_NAME_FMT),
        label_value: anchored(&format!("({QUALIFIED_NAME_FMT})?")),
        // kube-openapi strfmt UUIDPattern
        uuid: anchored("(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"),
        // govalidator Base64
        base64: anchored(
            "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})",
        ),
        // strfmt DateTimePattern (matched on the lowercased time part)
        time: anchored("([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))"),
    })
}

/// apimachinery `RegexError`: `msg (e.g. 'a',  or 'b', regex used for validation is 'f')`.
fn regex_error(msg: &str, f: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{f}')");
    }
    let e: Vec<String> = examples.iter().map(|x| format!("'{x}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{f}')",
        e.join(" or ")
    )
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// apimachinery validation's `maskTrailingDash` (its `len-2` slice kept, as upstream).
fn mask_trailing_dash(s: &str) -> String {
    if s.len() > 1 && s.ends_with('-') {
        // The dash is ASCII; the byte before it may start a multi-byte character, in which
        // case Go's byte slice would cut it: keep whole characters instead.
        let cut = s.len() - 2;
        let cut = (0..=cut)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}a", &s[..cut])
    } else {
        s.to_string()
    }
}

fn is_dns1123_label(s: &str) -> Vec<String> {
    let r = regexes();
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !r.label.is_match(s) {
        if r.subdomain.is_match(s) {
            errs.push("must not contain dots".into());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

fn is_dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !regexes().subdomain.is_match(s) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            &dns1123_subdomain_fmt(),
            &["example.com"],
        ));
    }
    errs
}

fn is_dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().dns1035.is_match(s) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// apimachinery `IsQualifiedName`.
fn is_qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".into());
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )]
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".into());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !regexes().qualified.is_match(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// apimachinery `IsValidLabelValue`.
fn is_valid_label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().label_value.is_match(s) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            &format!("({QUALIFIED_NAME_FMT})?"),
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `time.Parse("2006-01-02", s)` succeeds.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) {
        return false;
    }
    if !digits(8..10) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// kube-openapi strfmt `IsDateTime`.
fn is_date_time(s: &str) -> bool {
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if s.len() < 4 || parts.len() < 2 || !is_date(parts[0]) {
        return false;
    }
    let Some(c) = regexes().time.captures(parts[1]) else {
        return false;
    };
    let g = |i: usize| c.get(i).map_or("", |m| m.as_str());
    g(1) <= "23" && g(2) <= "59" && g(3) <= "59"
}

fn validate(format: usize, s: &str) -> Vec<String> {
    let one = |ok: bool, m: &str| if ok { vec![] } else { vec![m.to_string()] };
    match NAMES.get(format).copied().unwrap_or("") {
        "dns1123Label" => is_dns1123_label(s),
        "dns1123Subdomain" => is_dns1123_subdomain(s),
        "dns1035Label" => is_dns1035_label(s),
        "qualifiedName" => is_qualified_name(s),
        "dns1123LabelPrefix" => is_dns1123_label(&mask_trailing_dash(s)),
        "dns1123SubdomainPrefix" => is_dns1123_subdomain(&mask_trailing_dash(s)),
        "dns1035LabelPrefix" => is_dns1035_label(&mask_trailing_dash(s)),
        "labelValue" => is_valid_label_value(s),
        "uri" => match crate::k8surl::parse_request_uri(s) {
            Ok(_) => vec![],
            Err(m) => vec![format!("parse error: {m}")],
        },
        "uuid" => one(regexes().uuid.is_match(s), "does not match the UUID format"),
        "byte" => one(regexes().base64.is_match(s), "invalid base64"),
        "date" => one(is_date(s), "invalid date"),
        "datetime" => one(is_date_time(s), "invalid datetime"),
        _ => vec!["unknown format".into()],
    }
}

fn optional<'b, 'v>(v: Option<Value>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    Ok(CowVal::Owned(Box::new(match v {
        Some(v) => CelOptional::of(v.try_into()?),
        None => CelOptional::none(),
    })))
}

/// `format.named(name)`: `format.named("unknown").hasValue() == false` (format_test.go).
fn named<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let name = string_arg(&args, 0, "format.named")?;
    Budget::charge(1)?;
    optional(
        NAMES
            .iter()
            .position(|n| **n == *name)
            .map(|i| Value::Opaque(Arc::new(Format(i)))),
    )
}

/// `<Format>.validate(s)`: `format.dns1123Label().validate("my-label-name")` is
/// `optional.none()`; with `"contains a space"` it is the list of apimachinery's messages
/// (format_test.go).
fn validate_fn<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let Format(i) = opaque_arg::<Format>(&args, 0, "validate", FORMAT_TYPE_NAME)?;
    let s = string_arg(&args, 1, "validate")?;
    charge_traversal(s.len())?;
    let errs = validate(i, &s);
    optional((!errs.is_empty()).then(|| {
        Value::List(Arc::new(
            errs.into_iter()
                .map(|e| Value::String(Arc::new(e)))
                .collect(),
        ))
    }))
}

/// `format.<name>()`: the named format `I`.
fn constant<'b, 'v, const I: usize>(
    _args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    crate::k8scel::opaque(Format(I))
}

/// Register the library.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    declare_type(env, failed, FORMAT_TYPE_NAME);
    declare(
        env,
        failed,
        "format.named",
        "format-named",
        None,
        vec![STRING_TYPE],
        named,
    );
    type F = cel::common::functions::Function;
    let constants: [F; 13] = [
        constant::<0>,
        constant::<1>,
        constant::<2>,
        constant::<3>,
        constant::<4>,
        constant::<5>,
        constant::<6>,
        constant::<7>,
        constant::<8>,
        constant::<9>,
        constant::<10>,
        constant::<11>,
        constant::<12>,
    ];
    for (name, f) in NAMES.iter().zip(constants) {
        let full = format!("format.{name}");
        declare(env, failed, &full, &full, None, vec![], f);
    }
    declare(
        env,
        failed,
        "validate",
        "format-validate",
        Some(format_type()),
        vec![STRING_TYPE],
        validate_fn,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        // `anchored` falls back to a never-matching pattern: check none did.
        let r = regexes();
        assert!(r.label.is_match("a") && r.subdomain.is_match("a.b") && r.dns1035.is_match("a"));
        assert!(r.qualified.is_match("a") && r.label_value.is_match(""));
        assert!(r.uuid.is_match("123e4567e89b12d3a456426614174000"));
        assert!(r.base64.is_match("aGVsbG8=") && r.time.is_match("00:00:00z"));
    }

    #[test]
    fn trailing_dash_masking_keeps_characters_whole() {
        assert_eq!(mask_trailing_dash("ab-"), "aa");
        assert_eq!(mask_trailing_dash("-"), "-");
        assert_eq!(mask_trailing_dash("é-"), "a");
    }
}
