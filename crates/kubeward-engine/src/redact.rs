//! Messages about input that never quote the input's values (issue 13, D02: no output may
//! carry a credential). serde_json's data errors quote the value they refused
//! (`invalid type: string "hunter2", expected i64`); [`json_error`] keeps what was wrong and
//! where, and drops the value.

use serde_json::error::Category;

/// `e`'s message with any quoted value removed: `invalid type: string, expected i64 at line
/// 1 column 80`. Syntax and end-of-input errors name no value and are kept as they are.
pub fn json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match e.classify() {
        Category::Data => without_values(&message),
        Category::Syntax | Category::Eof | Category::Io => message,
    }
}

/// Drop the value from serde's data messages: `invalid type: <kind> <value>, expected ...`,
/// `invalid value: ...` and `unknown variant <value>, expected ...`. The expected part is
/// the program's own text, so the value ends at the last `, expected ` (a value may hold that
/// text itself). Any other data message is replaced by a generic one, since serde does not
/// say where its value is.
pub fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unexpected, tail) = split_expected(rest);
            // `string "..."`, `integer `5``, `map`: the kind is what precedes the value.
            let kind = unexpected.split(['"', '`']).next().unwrap_or("").trim_end();
            return format!("{prefix}{kind}{tail}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (_, tail) = split_expected(rest);
        return format!("unknown variant{tail}");
    }
    for safe in [
        "missing field `",
        "unknown field `",
        "duplicate field `",
        "invalid length ",
    ] {
        if message.starts_with(safe) {
            // Field names are keys, lengths are counts: no value.
            return message.to_string();
        }
    }
    match message.rfind(" at line ") {
        Some(i) => format!("a value of the wrong type or form{}", &message[i..]),
        None => "a value of the wrong type or form".to_string(),
    }
}

fn split_expected(rest: &str) -> (&str, &str) {
    match rest
        .rfind(", expected ")
        .or_else(|| rest.rfind(", there are no variants"))
    {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (
            rest,
            match rest.rfind(" at line ") {
                Some(i) => &rest[i..],
                None => "",
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Event {
        code: Option<i64>,
        #[serde(rename = "dryRun")]
        dry_run: Option<bool>,
        level: Option<Level>,
        list: Option<Vec<u8>>,
    }

    #[derive(Debug, serde::Deserialize)]
    enum Level {
        Metadata,
        Request,
    }

    fn error_of(json: &str) -> String {
        json_error(&serde_json::from_str::<Event>(json).expect_err("refused"))
    }

    /// Found by the audit and admission fuzz targets: serde's messages quoted the refused
    /// value, so `kubeward audit` and the webhook's 400 answers and logs printed credentials.
    #[test]
    fn data_errors_name_the_kind_never_the_value() {
        let cases = [
            (
                r#"{"code":"Sh0rt9-kwS3cr3t"}"#,
                "invalid type: string, expected i64 at line 1 column",
            ),
            (
                r#"{"code":739184625501.5}"#,
                "invalid type: floating point, expected i64",
            ),
            (
                r#"{"dryRun":"kwS3cr3t, expected x"}"#,
                "invalid type: string, expected a boolean",
            ),
            (
                r#"{"level":"kwS3cr3t`, expected `Request`"}"#,
                "unknown variant, expected `Metadata` or `Request`",
            ),
            (
                r#"{"list":[739184625501]}"#,
                "invalid value: integer, expected u8",
            ),
            (
                r#"{"code":"\u00e9kwS3cr3t\"\\"}"#,
                "invalid type: string, expected i64",
            ),
        ];
        for (json, want) in cases {
            let got = error_of(json);
            assert!(got.starts_with(want), "{json}: {got}");
            assert!(
                !got.contains("kwS3cr3t") && !got.contains("739184625501"),
                "{got}"
            );
            assert!(!got.contains("Sh0rt9"), "{got}");
        }
    }

    #[test]
    fn syntax_errors_and_field_names_are_kept() {
        assert_eq!(
            error_of(r#"{"code":1,"code":2}"#),
            "duplicate field `code` at line 1 column 16"
        );
        assert!(error_of("{\"code\":").starts_with("EOF while parsing a value"));
        assert!(error_of("{\"code\" 1}").starts_with("expected `:`"));
        assert_eq!(
            without_values("some custom error about kwS3cr3t at line 3 column 9"),
            "a value of the wrong type or form at line 3 column 9"
        );
    }
}
