//! npm: reads `package.json` of installed packages, `node_modules/<name>/package.json` and
//! `node_modules/@<scope>/<name>/package.json` at any depth, taking `name`, `version` and the
//! licence (`license` as a string or a legacy `{type}` object, or the legacy `licenses` array,
//! its entries as alternatives), kept when it is an SPDX expression.
//!
//! A file without a name and version, or `"private": true`, is not a published package and is
//! skipped; package.json files deeper in a package (`dist/esm/package.json`) are not wanted.
//! At most 1 MiB is read. Ecosystem `npm`, purl `pkg:npm/%40scope/name@version`.

use std::io::Read;

use serde_json::Value;

use super::license::spdx_expression;
use super::purl::purl;
use super::read::read_bounded;
use crate::{Cataloger, Evidence, FileRef, Location, Package};

const MAX_SIZE: u64 = 1 << 20;

/// The npm cataloger.
pub struct Npm;

impl Cataloger for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        is_installed_package_json(file.path)
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let bytes = read_bounded(content, MAX_SIZE)?;
        // serde_json's syntax errors name a position, never content.
        let json: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))?;
        if json.get("private").and_then(Value::as_bool) == Some(true) {
            return Ok(Vec::new());
        }
        let text = |k: &str| {
            json.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let (Some(name), Some(version)) = (text("name"), text("version")) else {
            return Ok(Vec::new());
        };
        let (namespace, short) = match name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
            _ => (None, name),
        };
        Ok(vec![Evidence::Package(Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: "npm".to_string(),
            purl: purl("npm", namespace, short, version, &[]),
            source_name: None,
            source_version: None,
            license: license(&json),
            found_by: "npm".to_string(),
            location: Location {
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
                line: None,
            },
        })])
    }
}

/// `license` (a string, or `{ "type": ... }`), else `licenses` (entries as alternatives).
fn license(json: &Value) -> Option<String> {
    let of = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    if let Some(l) = json.get("license") {
        return of(l).and_then(|s| spdx_expression(&s));
    }
    let list: Vec<String> = json
        .get("licenses")?
        .as_array()?
        .iter()
        .filter_map(of)
        .map(|s| if s.contains(' ') { format!("({s})") } else { s })
        .collect();
    spdx_expression(&list.join(" OR "))
}

/// `.../node_modules/<name>/package.json` or `.../node_modules/@scope/<name>/package.json`.
fn is_installed_package_json(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    if parts.next() != Some("package.json") {
        return false;
    }
    let (Some(dir), Some(parent)) = (parts.next(), parts.next()) else {
        return false;
    };
    if dir.starts_with('@') {
        return false;
    }
    parent == "node_modules" || (parent.starts_with('@') && parts.next() == Some("node_modules"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_installed_package_json(
            "app/node_modules/lodash/package.json"
        ));
        assert!(is_installed_package_json(
            "node_modules/@babel/core/package.json"
        ));
        assert!(is_installed_package_json(
            "a/node_modules/x/node_modules/y/package.json"
        ));
        assert!(!is_installed_package_json("app/package.json"));
        assert!(!is_installed_package_json(
            "node_modules/x/dist/package.json"
        ));
        assert!(!is_installed_package_json(
            "node_modules/@babel/package.json"
        ));
    }

    #[test]
    fn licence_forms() {
        let j = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(license(&j(r#"{"license":"MIT"}"#)).as_deref(), Some("MIT"));
        assert_eq!(
            license(&j(r#"{"license":{"type":"ISC"}}"#)).as_deref(),
            Some("ISC")
        );
        assert_eq!(
            license(&j(r#"{"licenses":[{"type":"MIT"},"Apache-2.0"]}"#)).as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(license(&j(r#"{"license":"SEE LICENSE IN x"}"#)), None);
    }
}
