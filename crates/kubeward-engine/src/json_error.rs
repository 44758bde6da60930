//! serde_json's error messages without the input's values.
//!
//! serde quotes the value it did not expect (`invalid type: string "hunter2", expected i64`,
//! ``unknown variant `hunter2` ``): printed as it is, a type error on a credential field prints
//! the credential. [`describe`] keeps what the message says about the *type* (the kind of value
//! found, and what was expected, which comes from kubeward's own types) and drops the value.
//! Messages it does not recognise become a generic "invalid value", never the original text.

/// [`describe`] followed by serde's line and column, for callers that do not locate errors
/// themselves.
pub fn with_position(e: &serde_json::Error) -> String {
    format!("{} at line {} column {}", describe(e), e.line(), e.column())
}

/// The message of a serde_json error with no value from the input and no position (callers
/// locate errors themselves).
pub fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) if e.line() != 0 => &text[..i],
        _ => &text[..],
    };
    match e.classify() {
        // Syntax errors and the end of the input are serde_json's own fixed words
        // ("expected `,` or `}`", "EOF while parsing a string").
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => text.to_string(),
        serde_json::error::Category::Data => describe_data(text),
    }
}

/// `found` of `invalid type: <found>, expected <what>` named by its kind only.
fn kind_of(found: &str) -> &'static str {
    const KINDS: [(&str, &str); 16] = [
        ("string", "a string"),
        ("integer", "an integer"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("character", "a character"),
        ("byte array", "a byte array"),
        ("unit value", "null"),
        ("Option value", "an optional value"),
        ("newtype struct", "a value"),
        ("sequence", "a list"),
        ("map", "a mapping"),
        ("enum", "an enum"),
        ("unit variant", "an enum variant"),
        ("newtype variant", "an enum variant"),
        ("tuple variant", "an enum variant"),
        ("struct variant", "an enum variant"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| {
            found == *prefix || found.starts_with(&format!("{prefix} `")) || {
                found.starts_with(&format!("{prefix} \""))
            }
        })
        .map_or("a value", |(_, name)| name)
}

fn describe_data(text: &str) -> String {
    // What follows ", expected" is the `expecting` text of kubeward's own types; the part
    // before it may hold input. The last occurrence: the input could contain the words too.
    let expected = |rest: &str| -> Option<String> {
        rest.rfind(", expected ")
            .map(|i| rest[i + 2..].to_string())
            .or_else(|| {
                rest.rfind(", there are no ")
                    .map(|i| rest[i + 2..].to_string())
            })
    };
    for (prefix, name) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            if let Some(i) = rest.rfind(", expected ") {
                return format!("{name}: {}, {}", kind_of(&rest[..i]), &rest[i + 2..]);
            }
            return format!("{name}: {}", kind_of(rest));
        }
    }
    for (prefix, name) in [
        ("unknown variant ", "unknown variant"),
        ("unknown field ", "unknown field"),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return match expected(rest) {
                Some(e) => format!("{name}, {e}"),
                None => name.to_string(),
            };
        }
    }
    if let Some(rest) = text.strip_prefix("invalid length ") {
        if let Some((n, e)) = rest.split_once(", expected ") {
            if n.bytes().all(|b| b.is_ascii_digit()) {
                return format!("invalid length {n}, expected {e}");
            }
        }
    }
    // `missing field `x``, `duplicate field `x``: x is one of the type's own field names.
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            if let Some(field) = rest.strip_suffix('`') {
                if field
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b))
                {
                    return text.to_string();
                }
            }
        }
    }
    "invalid value".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        #[serde(default)]
        n: Option<i64>,
        #[serde(default)]
        s: Option<String>,
        #[serde(default)]
        b: Option<bool>,
        #[serde(default)]
        e: Option<E>,
        #[serde(default)]
        small: Option<u8>,
        #[serde(default)]
        pair: Option<(u8, u8)>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    enum E {
        Alpha,
        Beta,
    }

    fn message(json: &str) -> String {
        describe(&serde_json::from_str::<T>(json).unwrap_err())
    }

    #[test]
    fn values_are_dropped_and_types_kept() {
        let secret = "wtEnv-Qa1Ws2Ed3";
        let cases = [
            (
                format!(r#"{{"n": "{secret}"}}"#),
                "invalid type: a string, expected i64",
            ),
            (
                r#"{"s": 739184625501}"#.to_string(),
                "invalid type: an integer, expected a string",
            ),
            (
                r#"{"s": 7391846.25501}"#.to_string(),
                "invalid type: a number, expected a string",
            ),
            (
                r#"{"n": true}"#.to_string(),
                "invalid type: a boolean, expected i64",
            ),
            (
                format!(r#"{{"s": ["{secret}"]}}"#),
                "invalid type: a list, expected a string",
            ),
            (
                format!(r#"{{"s": {{"k": "{secret}"}}}}"#),
                "invalid type: a mapping, expected a string",
            ),
            (
                r#"{"small": 739184625501}"#.to_string(),
                "invalid value: an integer, expected u8",
            ),
            (
                format!(r#"{{"e": "{secret}"}}"#),
                "unknown variant, expected `Alpha` or `Beta`",
            ),
            (
                format!(r#"{{"{secret}": 1}}"#),
                "unknown field, expected one of `n`, `s`, `b`, `e`, `small`, `pair`",
            ),
            (
                r#"{"pair": [1]}"#.to_string(),
                "invalid length 1, expected a tuple of size 2",
            ),
            (r#"{"n": 1, "n": 2}"#.to_string(), "duplicate field `n`"),
        ];
        for (json, want) in cases {
            let got = message(&json);
            assert_eq!(got, want, "{json}");
            assert!(
                !got.contains(secret) && !got.contains("739184625501") && !got.contains("7391846")
            );
        }
    }

    #[test]
    fn an_input_that_imitates_the_message_does_not_get_through() {
        let got = message(r#"{"n": "pw-Qa1, expected i64, pw-Ws2"}"#);
        assert_eq!(got, "invalid type: a string, expected i64");
        let got = message(r#"{"e": "pw-Qa1`, expected pw-Ws2"}"#);
        assert!(!got.contains("pw-"), "{got}");
    }

    #[test]
    fn syntax_errors_keep_their_fixed_words() {
        assert_eq!(message(r#"{"n": 1"#), "EOF while parsing an object");
        assert_eq!(message(r#"{"n" 1}"#), "expected `:`");
    }
}
