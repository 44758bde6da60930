//! The report of `kubeward image`: text and JSON of its own (packages, vulnerabilities,
//! licences per image; schema in docs/image.md), SARIF and JUnit through kubeward-report's
//! reporters, CycloneDX and SPDX through [`crate::sbom`]. Warnings (a stale database, an
//! expired or unused exclusion) are in every format.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use anstyle::Style;
use kubeward_controls::{Control, PssVersion, Severity};
use kubeward_engine::{FileResult, InputError, Summary, Warning};
use kubeward_report::{finding_json, reporter, sev_style, Format as SharedFormat, RunInfo};
use serde::Serialize;
use serde_json::{json, Value};

use crate::findings::ImageFinding;
use crate::sbom;
use crate::vulns::{MatchNotes, Vulnerability};
use crate::Catalog;

/// Bumped on any incompatible change of the image JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// The output formats of `kubeward image`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    CycloneDx,
    Spdx,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "cyclonedx" => Format::CycloneDx,
            "spdx" => Format::Spdx,
            _ => {
                return Err(format!(
                    "unknown format {s:?} (expected text, json, sarif, junit, cyclonedx or spdx)"
                ))
            }
        })
    }
}

/// One image (or SBOM) scanned.
#[derive(Debug)]
pub struct ImageResult {
    /// What the user named.
    pub input: String,
    pub catalog: Catalog,
    /// Every vulnerability matched (before `--ignore-unfixed` / `--severity` / exclusions).
    pub vulnerabilities: Vec<Vulnerability>,
    /// The findings reported (filtered; suppressed ones marked).
    pub findings: Vec<ImageFinding>,
    pub notes: MatchNotes,
}

/// The database facts the report states.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseInfo {
    pub path: String,
    pub sources: Vec<kubeward_vulndb::SourceStatus>,
    /// Seconds since the newest import.
    pub age_seconds: u64,
    pub stale: bool,
}

/// The settings the report states.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub fail_on: Severity,
    pub ignore_unfixed: bool,
    pub severities: Vec<Severity>,
}

/// Everything a run found.
pub struct Report {
    pub images: Vec<ImageResult>,
    pub database: Option<DatabaseInfo>,
    pub settings: Settings,
    /// Stale database, expired or unused exclusions, unsupported ecosystems.
    pub warnings: Vec<String>,
    /// Inputs that could not be read (each names its input, never quotes content).
    pub errors: Vec<String>,
    pub tool_version: &'static str,
}

impl Report {
    /// Unsuppressed findings.
    fn active(&self) -> impl Iterator<Item = &ImageFinding> {
        self.images
            .iter()
            .flat_map(|i| &i.findings)
            .filter(|f| f.finding.suppressed.is_none())
    }

    pub fn by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut m = BTreeMap::new();
        for f in self.active() {
            *m.entry(f.finding.severity).or_default() += 1;
        }
        m
    }

    pub fn suppressed(&self) -> usize {
        self.images
            .iter()
            .flat_map(|i| &i.findings)
            .filter(|f| f.finding.suppressed.is_some())
            .count()
    }

    /// 2 for any input error, 1 for a finding at or above `fail_on`, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self
            .active()
            .any(|f| f.finding.severity >= self.settings.fail_on)
        {
            1
        } else {
            0
        }
    }

    /// Write the report in `format`.
    pub fn write(&self, format: Format, out: Box<dyn Write>, color: bool) -> io::Result<()> {
        match format {
            Format::Text => self.text(out, color),
            Format::Json => {
                let mut out = out;
                serde_json::to_writer_pretty(&mut out, &self.json())?;
                writeln!(out)?;
                out.flush()
            }
            Format::Sarif => self.shared(SharedFormat::Sarif, out),
            Format::Junit => self.shared(SharedFormat::Junit, out),
            Format::CycloneDx | Format::Spdx => self.sbom(format, out),
        }
    }

    /// The JSON form of one finding: the scan's finding object, plus the image, the package
    /// and the vulnerability.
    pub fn finding_value(image: &str, f: &ImageFinding) -> Value {
        let mut v = finding_json(&f.finding);
        v["image"] = json!(image);
        v["package"] = serde_json::to_value(&f.package).unwrap_or(Value::Null);
        if let Some(vuln) = &f.vulnerability {
            v["vulnerability"] = serde_json::to_value(vuln).unwrap_or(Value::Null);
        }
        v
    }

    /// The JSON report (schema in docs/image.md).
    pub fn json(&self) -> Value {
        let images: Vec<Value> = self
            .images
            .iter()
            .map(|i| {
                json!({
                    "input": i.input,
                    "name": i.catalog.image.name,
                    "digest": i.catalog.image.digest,
                    "platform": i.catalog.image.platform,
                    "layers": i.catalog.image.layers,
                    "os": i.catalog.os,
                    "packages": i.catalog.packages,
                    "notes": i.catalog.notes,
                    "errors": i.catalog.errors,
                    "matching": i.notes,
                })
            })
            .collect();
        let findings: Vec<Value> = self
            .images
            .iter()
            .flat_map(|i| {
                i.findings
                    .iter()
                    .map(|f| Self::finding_value(&i.catalog.image.name, f))
            })
            .collect();
        let by_severity: BTreeMap<&str, usize> = self
            .by_severity()
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect();
        json!({
            "schemaVersion": SCHEMA_VERSION,
            "kind": "image",
            "tool": {"name": "kubeward", "version": self.tool_version},
            "settings": self.settings,
            "database": self.database,
            "warnings": self.warnings,
            "errors": self.errors,
            "images": images,
            "findings": findings,
            "summary": {
                "images": self.images.len(),
                "packages": self.images.iter().map(|i| i.catalog.packages.len()).sum::<usize>(),
                "findings": by_severity.values().sum::<usize>(),
                "bySeverity": by_severity,
                "suppressed": self.suppressed(),
                "errors": self.errors.len(),
                "exitCode": self.exit_code(),
            },
        })
    }

    fn text(&self, mut out: Box<dyn Write>, color: bool) -> io::Result<()> {
        let paint = |s: Style, t: &str| {
            if color {
                format!("{}{t}{}", s.render(), s.render_reset())
            } else {
                t.to_string()
            }
        };
        let bold = Style::new().bold();
        for w in &self.warnings {
            writeln!(
                out,
                "{} {w}",
                paint(sev_style(Severity::Medium), "warning:")
            )?;
        }
        for i in &self.images {
            let os = i
                .catalog
                .os
                .as_ref()
                .map(|o| {
                    if o.pretty_name.is_empty() {
                        format!("{} {}", o.id, o.version_id)
                    } else {
                        o.pretty_name.clone()
                    }
                })
                .unwrap_or_else(|| "OS unknown".to_string());
            writeln!(
                out,
                "\n{} ({os}, {} packages)",
                paint(bold, &i.catalog.image.name),
                i.catalog.packages.len()
            )?;
            for f in &i.findings {
                let ff = &f.finding;
                let sev = format!("{:<8}", ff.severity.as_str().to_uppercase());
                let mut line = format!(
                    "  {} {} {}:{}  {}",
                    paint(sev_style(ff.severity), &sev),
                    ff.control.id,
                    ff.file,
                    ff.pos.line,
                    ff.message
                );
                if let Some(s) = &ff.suppressed {
                    line.push_str(&format!(" (suppressed by {}: {})", s.by.as_str(), s.reason));
                }
                writeln!(out, "{line}")?;
            }
            for n in &i.catalog.notes {
                writeln!(out, "  note: {}", n.message)?;
            }
            for e in &i.catalog.errors {
                writeln!(out, "  error: {e}")?;
            }
        }
        let by = self.by_severity();
        let total: usize = by.values().sum();
        let parts: Vec<String> = by
            .iter()
            .rev()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        writeln!(
            out,
            "\n{} images, {} findings{}, {} suppressed, {} errors",
            self.images.len(),
            total,
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            },
            self.suppressed(),
            self.errors.len()
        )?;
        out.flush()
    }

    /// SARIF and JUnit: one engine result per image, warnings and errors as the engine's.
    fn shared(&self, format: SharedFormat, out: Box<dyn Write>) -> io::Result<()> {
        let controls: Vec<&'static dyn Control> = kubeward_controls::image::CONTROLS.to_vec();
        let info = RunInfo {
            tool_version: self.tool_version,
            pss_version: PssVersion::LATEST,
            frameworks: vec!["image".to_string()],
            fail_on: self.settings.fail_on,
            controls,
            attack_paths: false,
        };
        // JUnit's shared reporter has no place for warnings: they are added as properties of
        // `<testsuites>` below, so the output is buffered.
        let junit = format == SharedFormat::Junit;
        let buffer = SharedBuf::default();
        let (target, mut rest): (Box<dyn Write>, Option<Box<dyn Write>>) = if junit {
            (Box::new(buffer.clone()), Some(out))
        } else {
            (out, None)
        };
        let mut rep = reporter(format, target, info, false);
        let mut summary = Summary::new(kubeward_controls::image::CONTROLS.len());
        // Line 1, column 1: where a run-level warning points.
        let at = kubeward_yaml::Pos { line: 1, column: 1 };
        let mut first = FileResult::new(Arc::from("kubeward image"));
        first.first_piece = true;
        for w in &self.warnings {
            first.warnings.push(Warning {
                file: first.file.clone(),
                pos: at,
                message: w.clone(),
            });
        }
        for e in &self.errors {
            first
                .errors
                .push(InputError::file(&first.file.clone(), e.clone()));
        }
        summary.add(&first);
        rep.file(first)?;
        for i in &self.images {
            let mut r = FileResult::new(Arc::from(i.catalog.image.name.as_str()));
            r.first_piece = true;
            r.findings = i.findings.iter().map(|f| f.finding.clone()).collect();
            summary.add(&r);
            rep.file(r)?;
        }
        rep.finish(&summary)?;
        if let Some(out) = rest.as_mut() {
            let text = buffer.take();
            out.write_all(junit_with_warnings(&text, &self.warnings).as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }

    fn sbom(&self, format: Format, mut out: Box<dyn Write>) -> io::Result<()> {
        let Some(image) = self.images.first() else {
            // Nothing could be read: the errors are on standard error; write no document.
            return out.flush();
        };
        let active: Vec<Vulnerability> = image
            .findings
            .iter()
            .filter(|f| f.finding.suppressed.is_none())
            .filter_map(|f| f.vulnerability.clone())
            .collect();
        let mut warnings = self.warnings.clone();
        warnings.extend(self.errors.iter().map(|e| format!("error: {e}")));
        let opts = sbom::WriteOptions {
            tool_version: self.tool_version,
            created: sbom::now_rfc3339(),
            warnings,
            vulnerabilities: &active,
        };
        let f = if format == Format::Spdx {
            sbom::Format::Spdx
        } else {
            sbom::Format::CycloneDx
        };
        serde_json::to_writer_pretty(&mut out, &sbom::write(&image.catalog, f, &opts))?;
        writeln!(out)?;
        out.flush()
    }
}

/// Insert `<property name="warning">` entries after the `<testsuites>` start tag.
fn junit_with_warnings(xml: &str, warnings: &[String]) -> String {
    if warnings.is_empty() {
        return xml.to_string();
    }
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_string();
    };
    let Some(end) = xml[start..].find('>').map(|e| start + e + 1) else {
        return xml.to_string();
    };
    let mut props = String::from("\n<properties>\n");
    for w in warnings {
        props.push_str(&format!(
            "<property name=\"warning\" value=\"{}\"/>\n",
            quick_escape(w)
        ));
    }
    props.push_str("</properties>");
    format!("{}{}{}", &xml[..end], props, &xml[end..])
}

/// XML attribute escaping (five entities; no crate needed for that).
fn quick_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A writer into shared memory, so the buffered JUnit text can be read after the reporter
/// (which owns its writer) is done.
#[derive(Clone, Default)]
struct SharedBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
