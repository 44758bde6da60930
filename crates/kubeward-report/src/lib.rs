//! kubeward-report: render findings.
//!
//! Every reporter is an engine [`Sink`]: findings are written as the engine hands them over, in
//! input order, so output starts at once and memory does not grow with the number of findings
//! (JUnit, whose format wants counts up front, buffers per run). `finish` writes the summary.

pub mod html;
mod json;
mod junit;
pub mod risks;
mod sarif;
mod text;

use std::io::{self, Write};

use kubeward_controls::{Control, PssVersion, Severity};
use kubeward_engine::{Finding, Sink, Summary};

pub use html::HtmlReporter;
pub use json::{finding_json, JsonReporter, SCHEMA_VERSION};
pub use junit::JunitReporter;
pub use sarif::{file_uri, level as sarif_level, security_severity, SarifReporter};
pub use text::{sev_style, TextReporter};

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    /// One self-contained page (docs/html-report.md).
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown format {s:?} (expected text, json, sarif, junit or html)"
            )),
        }
    }
}

/// What every reporter may need to know about the run.
#[derive(Clone)]
pub struct RunInfo {
    pub tool_version: &'static str,
    pub pss_version: PssVersion,
    pub frameworks: Vec<String>,
    pub fail_on: Severity,
    /// The controls that ran (SARIF lists them as rules).
    pub controls: Vec<&'static dyn Control>,
    /// The run ranks attack paths (SARIF then lists rule KW1201 after the controls).
    pub attack_paths: bool,
}

/// A sink that also writes a closing summary.
pub trait Reporter: Sink {
    /// The run's top risks ([`risks::TopRisks`]), given before [`Reporter::finish`]; the
    /// reporter writes them in its format with the summary.
    fn risks(&mut self, _top: risks::TopRisks) {}
    /// A command's own summary (`kubeward audit`'s timeline and counts per user), given
    /// before [`Reporter::finish`]: the HTML page draws it as its own section, the other
    /// formats have their own way to write it and ignore it.
    fn section(&mut self, _name: &'static str, _data: serde_json::Value) {}
    /// Whether the reporter lists suppressed findings (the HTML page does, apart).
    fn wants_suppressed(&self) -> bool {
        false
    }
    fn finish(self: Box<Self>, summary: &Summary) -> io::Result<()>;
}

/// Build the reporter for `format`, writing to `out`.
pub fn reporter(
    format: Format,
    out: Box<dyn Write>,
    info: RunInfo,
    color: bool,
) -> Box<dyn Reporter> {
    match format {
        Format::Text => Box::new(TextReporter::new(out, info, color)),
        Format::Json => Box::new(JsonReporter::new(out, info)),
        Format::Sarif => Box::new(SarifReporter::new(out, info)),
        Format::Junit => Box::new(JunitReporter::new(out, info)),
        // Without the source lines: a caller whose files are manifests asks for them with
        // `HtmlReporter::new` (an audit log's lines may hold request bodies).
        Format::Html => Box::new(HtmlReporter::new(out, info, "scan", false)),
    }
}

/// `Deployment/prod/web` or `ClusterRole/admin`.
pub(crate) fn object_label(f: &Finding) -> String {
    f.object.to_string()
}

#[cfg(test)]
mod tests;
