//! Constraint parameters checked against the template's `openAPIV3Schema`, as the API server
//! validates a custom resource: `type`, `properties`, `items`, `additionalProperties`, `enum`,
//! `required`, `nullable`, `minimum`/`maximum`, `minItems`/`maxItems`, `minLength`/`maxLength`,
//! `pattern`. Unknown fields are not an error (the API server prunes them). Messages name the
//! field path and the types, never the value.

use serde_json::Value;

use crate::constraint::type_name;

const MAX_PROBLEMS: usize = 20;

pub(crate) fn validate(schema: &Value, v: &Value, path: &str, problems: &mut Vec<String>) {
    if problems.len() >= MAX_PROBLEMS {
        return;
    }
    let Some(s) = schema.as_object() else { return };
    if v.is_null() {
        if s.get("nullable").and_then(Value::as_bool) == Some(true) || !s.contains_key("type") {
            return;
        }
        problems.push(format!("{path}: must not be null"));
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
            "number" => v.is_number(),
            _ => true,
        };
        // int-or-string
        let int_or_string = s.get("x-kubernetes-int-or-string").and_then(Value::as_bool)
            == Some(true)
            && (v.is_string() || v.is_i64() || v.is_u64());
        if !ok && !int_or_string {
            problems.push(format!("{path}: expected {t}, found {}", type_name(v)));
            return;
        }
    }
    if let Some(Value::Array(e)) = s.get("enum") {
        if !e.contains(v) {
            problems.push(format!("{path}: not one of the allowed values"));
        }
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(req)) = s.get("required") {
                for r in req.iter().filter_map(Value::as_str) {
                    if !m.contains_key(r) {
                        problems.push(format!("{path}.{r}: required"));
                    }
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, x) in m {
                let sub = format!("{path}.{k}");
                if let Some(ps) = props.and_then(|p| p.get(k)) {
                    validate(ps, x, &sub, problems);
                } else if let Some(ap) = s.get("additionalProperties") {
                    if ap.is_object() {
                        validate(ap, x, &sub, problems);
                    }
                }
            }
        }
        Value::Array(a) => {
            if let Some(n) = s.get("minItems").and_then(Value::as_u64) {
                if (a.len() as u64) < n {
                    problems.push(format!("{path}: should have at least {n} items"));
                }
            }
            if let Some(n) = s.get("maxItems").and_then(Value::as_u64) {
                if (a.len() as u64) > n {
                    problems.push(format!("{path}: should have at most {n} items"));
                }
            }
            if let Some(items) = s.get("items") {
                for (i, x) in a.iter().enumerate() {
                    validate(items, x, &format!("{path}[{i}]"), problems);
                }
            }
        }
        Value::String(st) => {
            let n = st.chars().count() as u64;
            if let Some(m) = s.get("minLength").and_then(Value::as_u64) {
                if n < m {
                    problems.push(format!("{path}: should be at least {m} characters long"));
                }
            }
            if let Some(m) = s.get("maxLength").and_then(Value::as_u64) {
                if n > m {
                    problems.push(format!("{path}: should be at most {m} characters long"));
                }
            }
            if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                if let Ok(re) = regex::Regex::new(p) {
                    if !re.is_match(st) {
                        problems.push(format!("{path}: does not match the pattern {p:?}"));
                    }
                }
            }
        }
        Value::Number(n) => {
            if let (Some(x), Some(min)) = (n.as_f64(), s.get("minimum").and_then(Value::as_f64)) {
                if x < min {
                    problems.push(format!("{path}: should be greater than or equal to {min}"));
                }
            }
            if let (Some(x), Some(max)) = (n.as_f64(), s.get("maximum").and_then(Value::as_f64)) {
                if x > max {
                    problems.push(format!("{path}: should be less than or equal to {max}"));
                }
            }
        }
        _ => {}
    }
}
