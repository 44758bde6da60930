//! OSV records (the OSV schema, ossf.github.io/osv-schema) as parsed from JSON or YAML.
//!
//! Only the fields matching and reporting need are kept; `ecosystem_specific`, `database_specific`
//! (except its `severity` rating), `details`, `credits` and unknown fields are ignored.

use serde::Deserialize;
use std::fmt;

/// One OSV vulnerability record.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// RFC 3339 time of the last change (required by the schema; empty if a record omits it).
    #[serde(default)]
    pub modified: String,
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was withdrawn: such records never match.
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub database_specific: Option<DatabaseSpecific>,
}

/// One `affected[]` entry: a package and the versions of it that are affected.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "strings")]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    #[serde(default)]
    pub database_specific: Option<DatabaseSpecific>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Package {
    /// `PyPI`, `Go`, `Debian:12`, `Alpine:v3.20`, ...
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT` (other values are kept and never match).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One event; exactly one field is set in a valid record.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Event {
    #[serde(default, deserialize_with = "opt_string")]
    pub introduced: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub fixed: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub last_affected: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeverityEntry {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub url: String,
}

/// The one part of `database_specific` we read: a textual severity rating (GitHub's
/// `"HIGH"`/`"MODERATE"`, distributions' ratings). Anything else in it is ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DatabaseSpecific {
    #[serde(default)]
    pub severity: Option<serde_json::Value>,
}

impl DatabaseSpecific {
    pub fn rating(&self) -> Option<&str> {
        self.severity.as_ref()?.as_str()
    }
}

/// A version may be written as a YAML/JSON number; keep its text.
fn version_text(v: serde_json::Value) -> Result<String, &'static str> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err("a version must be a string"),
    }
}

fn opt_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => version_text(v).map(Some).map_err(serde::de::Error::custom),
    }
}

fn strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Option<Vec<serde_json::Value>> = Option::deserialize(d)?;
    v.unwrap_or_default()
        .into_iter()
        .map(|v| version_text(v).map_err(serde::de::Error::custom))
        .collect()
}

/// A record that could not be read: where, and what was wrong, never the values themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The file, and for a zip export `all.zip:MEMBER.json`.
    pub source: String,
    /// 1-based line and column where known.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.source, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.source, self.message)
        }
    }
}

impl std::error::Error for RecordError {}

/// serde's messages can quote the offending value (`invalid type: string "x"`); keep the shape of
/// the message and drop every quoted value. Field names in backticks after `field` stay: they come
/// from the schema.
fn redact(msg: &str) -> String {
    let msg = match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => &msg[..i],
        _ => msg,
    };
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(['"', '`', '\'']) {
        let q = rest.as_bytes()[i] as char;
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(q) else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let keep = q == '`' && out.trim_end().ends_with("field");
        out.push(q);
        out.push_str(if keep { &after[..end] } else { "…" });
        out.push(q);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

impl Record {
    /// Parse one OSV record from JSON. `source` names it in errors.
    pub fn from_json(bytes: &[u8], source: &str) -> Result<Record, RecordError> {
        serde_json::from_slice(bytes).map_err(|e| RecordError {
            source: source.to_string(),
            line: e.line(),
            column: e.column(),
            message: redact(&e.to_string()),
        })
    }

    /// Parse one OSV record from YAML (the layout of e.g. pypa/advisory-database). Every scalar is
    /// read as its text, so an unquoted `1.10` stays `1.10`.
    pub fn from_yaml(bytes: &[u8], source: &str) -> Result<Record, RecordError> {
        let err = |line: u32, column: u32, message: String| RecordError {
            source: source.to_string(),
            line: line as usize,
            column: column as usize,
            message,
        };
        let text =
            kubeward_yaml::decode(bytes).map_err(|p| err(p.pos.line, p.pos.column, p.message))?;
        let parsed = kubeward_yaml::parse_str(text, &kubeward_yaml::Limits::default());
        if let Some(p) = parsed.error {
            return Err(err(p.pos.line, p.pos.column, p.message));
        }
        let Some(doc) = parsed.documents.first() else {
            return Err(err(0, 0, "no YAML document".to_string()));
        };
        let root = doc.root();
        let value = yaml_to_json(root);
        let pos = root.pos();
        serde_json::from_value(value).map_err(|e| err(pos.line, pos.column, redact(&e.to_string())))
    }

    /// Parse by file name: `.yaml`/`.yml` as YAML, anything else as JSON.
    pub fn from_file_bytes(bytes: &[u8], source: &str) -> Result<Record, RecordError> {
        if source.ends_with(".yaml") || source.ends_with(".yml") {
            Record::from_yaml(bytes, source)
        } else {
            Record::from_json(bytes, source)
        }
    }

    /// The record's severity: the CVSS base score of its (or its packages') vectors, preferring
    /// v4 then v3, and the textual rating of `database_specific.severity`.
    pub fn severity(&self) -> Severity {
        let mut entries: Vec<&SeverityEntry> = self.severity.iter().collect();
        entries.extend(self.affected.iter().flat_map(|a| &a.severity));
        let mut sev = Severity::default();
        for kind in ["CVSS_V4", "CVSS_V3"] {
            for e in entries.iter().filter(|e| e.kind == kind) {
                if let Some(score) = cvss_base_score(&e.score) {
                    if sev.score.is_none_or(|s| score > s) {
                        sev.score = Some(score);
                        sev.vector = Some(e.score.clone());
                    }
                }
            }
            if sev.score.is_some() {
                break;
            }
        }
        sev.rating = self
            .database_specific
            .as_ref()
            .and_then(DatabaseSpecific::rating)
            .or_else(|| {
                self.affected
                    .iter()
                    .filter_map(|a| a.database_specific.as_ref()?.rating())
                    .next()
            })
            .map(str::to_string);
        sev
    }
}

/// Convert a YAML node to JSON keeping every scalar as text (null stays null).
fn yaml_to_json(n: kubeward_yaml::NodeRef<'_>) -> serde_json::Value {
    use serde_json::Value;
    if n.is_map() {
        Value::Object(
            n.entries()
                .map(|(k, v)| (k.to_string(), yaml_to_json(v)))
                .collect(),
        )
    } else if n.is_seq() {
        Value::Array(n.items().map(yaml_to_json).collect())
    } else if n.is_null() {
        Value::Null
    } else {
        Value::String(n.scalar_text().unwrap_or("").to_string())
    }
}

/// A record's severity as reported.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Severity {
    /// CVSS base score, 0.0 to 10.0.
    pub score: Option<f64>,
    /// The CVSS vector the score came from.
    pub vector: Option<String>,
    /// The source's own rating, e.g. `HIGH`, `MODERATE`.
    pub rating: Option<String>,
}

impl Severity {
    /// The qualitative level: from the CVSS score (CVSS's bands), else from the rating.
    pub fn level(&self) -> Option<&'static str> {
        if let Some(s) = self.score {
            return Some(match s {
                s if s >= 9.0 => "critical",
                s if s >= 7.0 => "high",
                s if s >= 4.0 => "medium",
                s if s > 0.0 => "low",
                _ => "none",
            });
        }
        let r = self.rating.as_deref()?.to_ascii_lowercase();
        Some(match r.as_str() {
            "critical" => "critical",
            "high" | "important" => "high",
            "moderate" | "medium" => "medium",
            "low" | "negligible" | "unimportant" => "low",
            _ => return None,
        })
    }
}

/// The base score of a CVSS v3.0/v3.1 or v4.0 vector, computed by the `cvss` crate.
pub fn cvss_base_score(vector: &str) -> Option<f64> {
    if vector.starts_with("CVSS:4.0/") {
        let v: cvss::v4::Vector = vector.parse().ok()?;
        Some(v.score().value())
    } else if vector.starts_with("CVSS:3.") {
        let v: cvss::v3::Vector = vector.parse().ok()?;
        Some(v.base_score().value())
    } else {
        None
    }
}
