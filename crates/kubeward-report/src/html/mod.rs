//! `--format html`: one self-contained HTML file (docs/html-report.md).
//!
//! The page carries its data once, as one JSON document compressed with gzip and encoded in
//! base64 inside a `<script>` element; a small script written for it (`page.js`, inlined)
//! decompresses it with the browser's `DecompressionStream` and renders the summary, the top
//! risks (their chains drawn as inline SVG), the findings table (search, filters, sorting, a
//! page of rows at a time) and each finding's detail. No network request of any kind: no
//! external file, font or script, and a Content-Security-Policy that forbids them.
//!
//! The findings are streamed into the compressor as the engine hands them over, in a compact
//! form (one array per finding, repeated strings replaced by indices into a table written at
//! the end, the control's title, remediation, frameworks and documentation written once per
//! control), so memory does not grow with the report and the compressor has little to do.
//!
//! [`HtmlWriter`] is the format; [`HtmlReporter`] feeds it from a scan, and
//! `kubeward report merge` ([`merge`]) from several JSON reports.

pub mod merge;
pub mod node;
mod source;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::{self, Write};

use flate2::write::GzEncoder;
use kubeward_controls::{ControlMeta, Severity};
use kubeward_engine::{FileResult, Finding, Sink, Summary};
use serde_json::{json, Value};

use crate::json::{error_json, finding_json, summary_json, warning_json};
use crate::{Reporter, RunInfo};

pub use source::{Snippets, CONTEXT_LINES, MAX_LINE_CHARS, SOURCE_BUDGET};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// The severities in the order the page numbers them (`findings[i][2]`).
const SEVERITIES: [Severity; 5] = Severity::ALL;

fn severity_index(s: Severity) -> u8 {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(4) as u8
}

/// A control as the page describes it.
pub struct ControlInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: String,
    pub remediation: String,
    /// `{"pss": {"level", "check"}, "nsa": [...], "cis": [...], "mitre": [...]}`.
    pub frameworks: Value,
    /// `kubeward explain` text.
    pub doc: String,
}

impl ControlInfo {
    /// From the control's own metadata (the frameworks as the JSON report writes them).
    pub fn from_meta(m: &ControlMeta, frameworks: Value) -> Self {
        ControlInfo {
            id: m.id.to_string(),
            name: m.name.to_string(),
            title: m.title.to_string(),
            severity: m.severity.as_str().to_string(),
            remediation: m.remediation.to_string(),
            frameworks,
            doc: m.documentation(),
        }
    }
}

/// One finding, whatever it comes from (a scan or a JSON report).
pub struct Row<'a> {
    /// Index of the report it belongs to (0 but in a fleet report).
    pub report: u32,
    /// Index returned by [`HtmlWriter::control`].
    pub control: u32,
    pub severity: Severity,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub file: &'a str,
    pub line: u64,
    pub column: u64,
    pub path: &'a str,
    pub message: &'a str,
    /// `annotation`, `config`, `baseline`, `platform`, the reason, and the expiry of a
    /// config exclusion (`YYYY-MM-DD`, or empty).
    pub suppressed: Option<(&'a str, &'a str, &'a str)>,
}

/// Strings that repeat (kinds, namespaces, names, files, field paths, reasons), each written
/// once in the data's `strings` table; index 0 is the empty string.
struct Interner {
    map: HashMap<Box<str>, u32>,
    list: Vec<Box<str>>,
}

impl Interner {
    fn new() -> Self {
        let mut i = Interner {
            map: HashMap::new(),
            list: Vec::new(),
        };
        i.get("");
        i
    }

    fn get(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.map.get(s) {
            return n;
        }
        let n = self.list.len() as u32;
        self.list.push(s.into());
        self.map.insert(s.into(), n);
        n
    }
}

type Encoder = GzEncoder<
    base64::write::EncoderWriter<'static, base64::engine::GeneralPurpose, Box<dyn Write>>,
>;

/// The rendered findings held before they go to the compressor.
const FLUSH_BYTES: usize = 256 << 10;

/// Writes the page: the head at once, the findings as they come, the rest at [`finish`](Self::finish).
pub struct HtmlWriter {
    enc: Encoder,
    buf: Vec<u8>,
    any: bool,
    strings: Interner,
    controls: Vec<ControlInfo>,
    control_index: HashMap<String, u32>,
    rows: u64,
}

/// HTML-escape text for an element or an attribute.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl HtmlWriter {
    /// Start the page titled `title`, writing to `out`.
    pub fn new(mut out: Box<dyn Write>, title: &str) -> io::Result<Self> {
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <meta name=\"generator\" content=\"kubeward\">\n\
             <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
             <a class=\"skip\" href=\"#findings\">Skip to the findings</a>\n\
             <div id=\"app\" aria-live=\"polite\"><p class=\"loading\">Loading the report…</p></div>\n\
             <noscript><p class=\"loading\">This report is drawn by its own inline script: \
             allow scripts for this file to see it.</p></noscript>\n\
             <script type=\"application/octet-stream\" id=\"kw-data\" data-encoding=\"gzip+base64\">",
            escape(title)
        )?;
        let b64 =
            base64::write::EncoderWriter::new(out, &base64::engine::general_purpose::STANDARD);
        // Level 1: the data is mostly repeated small integers and strings already shared
        // through the string table; higher levels cost time for a few percent.
        let mut enc = GzEncoder::new(b64, flate2::Compression::fast());
        enc.write_all(b"{\"findings\":[")?;
        Ok(HtmlWriter {
            enc,
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
            any: false,
            strings: Interner::new(),
            controls: Vec::new(),
            control_index: HashMap::new(),
            rows: 0,
        })
    }

    /// The index of the control `id`, described by `info()` the first time it is seen.
    pub fn control(&mut self, id: &str, info: impl FnOnce() -> ControlInfo) -> u32 {
        if let Some(&n) = self.control_index.get(id) {
            return n;
        }
        let n = self.controls.len() as u32;
        self.controls.push(info());
        self.control_index.insert(id.to_string(), n);
        n
    }

    /// Index of `s` in the data's string table.
    pub fn string(&mut self, s: &str) -> u32 {
        self.strings.get(s)
    }

    /// Add a finding:
    /// `[report, control, severity, apiVersion, kind, namespace, name, file, line, column,
    /// path, message, suppressedBy, suppressedReason, suppressionExpires]`, strings as
    /// indices but the message.
    pub fn row(&mut self, r: &Row) -> io::Result<()> {
        let s = &mut self.strings;
        let ids = [
            s.get(r.api_version),
            s.get(r.kind),
            s.get(r.namespace),
            s.get(r.name),
            s.get(r.file),
        ];
        let path = s.get(r.path);
        let (by, reason, expires) = match r.suppressed {
            Some((by, reason, expires)) => (s.get(by), s.get(reason), s.get(expires)),
            None => (0, 0, 0),
        };
        let b = &mut self.buf;
        if self.any {
            b.push(b',');
        }
        self.any = true;
        write!(
            b,
            "[{},{},{},{},{},{},{},{},{},{},{},",
            r.report,
            r.control,
            severity_index(r.severity),
            ids[0],
            ids[1],
            ids[2],
            ids[3],
            ids[4],
            r.line,
            r.column,
            path
        )?;
        serde_json::to_writer(&mut *b, r.message)?;
        write!(b, ",{by},{reason},{expires}]")?;
        self.rows += 1;
        if self.buf.len() >= FLUSH_BYTES {
            self.enc.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Findings added so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Close the data with `meta` (an object: `kind`, `title`, `tool`, `reports`, ...), the
    /// string and control tables and `sources`, then write the script.
    pub fn finish(mut self, meta: Value, sources: Option<Value>) -> io::Result<()> {
        self.enc.write_all(&self.buf)?;
        self.buf.clear();
        self.enc.write_all(b"],\"strings\":")?;
        serde_json::to_writer(&mut self.enc, &self.strings.list)?;
        self.enc.write_all(b",\"controls\":")?;
        let controls: Vec<Value> = self
            .controls
            .iter()
            .map(|c| {
                json!({
                    "id": c.id, "name": c.name, "title": c.title, "severity": c.severity,
                    "remediation": c.remediation, "frameworks": c.frameworks, "doc": c.doc,
                })
            })
            .collect();
        serde_json::to_writer(&mut self.enc, &controls)?;
        if let Some(sources) = sources {
            self.enc.write_all(b",\"sources\":")?;
            serde_json::to_writer(&mut self.enc, &sources)?;
        }
        self.enc.write_all(b",\"meta\":")?;
        serde_json::to_writer(&mut self.enc, &meta)?;
        self.enc.write_all(b"}")?;
        let mut b64 = self.enc.finish()?;
        let mut out = b64.finish()?;
        // `</script` cannot occur in the script: it is checked by a test, and escaped here
        // in case an edit ever adds one.
        let js = JS.replace("</script", "<\\/script");
        write!(
            out,
            "</script>\n<script>\n{js}\n</script>\n</body>\n</html>\n"
        )?;
        out.flush()
    }
}

/// The scan's reporter: findings go to an [`HtmlWriter`], the source lines around them to
/// [`Snippets`] when asked for, the rest is kept for the end.
pub struct HtmlReporter {
    page: Option<HtmlWriter>,
    out: Option<Box<dyn Write>>,
    info: RunInfo,
    kind: &'static str,
    snippets: Option<Snippets>,
    errors: Vec<Value>,
    warnings: Vec<Value>,
    risks: Option<crate::risks::TopRisks>,
    sections: serde_json::Map<String, Value>,
}

impl HtmlReporter {
    /// `kind` names the report (`scan`, `cluster`, `audit`, ...). With `sources`, the lines
    /// around each finding are read back from its file (when it is a regular file) and embedded,
    /// redacted ([`Snippets`]).
    pub fn new(out: Box<dyn Write>, info: RunInfo, kind: &'static str, sources: bool) -> Self {
        HtmlReporter {
            page: None,
            out: Some(out),
            info,
            kind,
            snippets: sources.then(Snippets::default),
            errors: Vec::new(),
            warnings: Vec::new(),
            risks: None,
            sections: serde_json::Map::new(),
        }
    }

    fn page(&mut self) -> io::Result<&mut HtmlWriter> {
        if self.page.is_none() {
            let out = self.out.take().unwrap_or_else(|| Box::new(io::sink()));
            self.page = Some(HtmlWriter::new(
                out,
                &format!("kubeward {} report", self.kind),
            )?);
        }
        Ok(self.page.as_mut().expect("set above"))
    }

    fn add(&mut self, f: &Finding) -> io::Result<()> {
        let expires = f
            .suppressed
            .as_ref()
            .and_then(|s| s.expires_iso())
            .unwrap_or_default();
        let page = self.page()?;
        let control = page.control(f.control.id, || {
            ControlInfo::from_meta(f.control, finding_json(f)["frameworks"].take())
        });
        let o = &f.object;
        page.row(&Row {
            report: 0,
            control,
            severity: f.severity,
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref().unwrap_or(""),
            name: &o.name,
            file: &f.file,
            line: f.pos.line.into(),
            column: f.pos.column.into(),
            path: f.path.as_str(),
            message: &f.message,
            suppressed: f
                .suppressed
                .as_ref()
                .map(|s| (s.by.as_str(), s.reason.as_str(), expires.as_str())),
        })?;
        if let Some(s) = &mut self.snippets {
            s.want(f);
        }
        Ok(())
    }
}

impl Sink for HtmlReporter {
    fn file(&mut self, r: FileResult) -> io::Result<()> {
        self.page()?;
        for f in &r.findings {
            self.add(f)?;
        }
        if let Some(s) = &mut self.snippets {
            for e in &r.errors {
                s.error(e);
            }
        }
        self.errors.extend(r.errors.iter().map(error_json));
        self.warnings.extend(r.warnings.iter().map(warning_json));
        Ok(())
    }
}

impl Reporter for HtmlReporter {
    fn risks(&mut self, top: crate::risks::TopRisks) {
        self.risks = Some(top);
    }

    fn section(&mut self, name: &'static str, data: Value) {
        self.sections.insert(name.to_string(), data);
    }

    fn wants_suppressed(&self) -> bool {
        true
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<()> {
        self.page()?;
        let page = self.page.take().expect("started above");
        let info = &self.info;
        let (risks, risks_total) = match self.risks.take() {
            Some(r) => (Some(r.json), r.total),
            None => (None, 0),
        };
        let report = json!({
            "name": self.kind,
            "tool": {"name": "kubeward", "version": info.tool_version},
            "settings": {
                "pssVersion": info.pss_version.to_string(),
                "frameworks": info.frameworks,
                "failOn": info.fail_on.as_str(),
            },
            "summary": summary_json(summary, info),
            "errors": self.errors,
            "warnings": self.warnings,
            "risks": risks,
            "risksTotal": risks_total,
            "sections": self.sections,
        });
        let meta = json!({
            "kind": self.kind,
            "title": format!("kubeward {} report", self.kind),
            "tool": info.tool_version,
            "reports": [report],
        });
        let sources = self.snippets.take().map(Snippets::read);
        page.finish(meta, sources)
    }
}
