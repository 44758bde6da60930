//! Reports: findings streamed in input order with their event, then a timeline and a summary
//! by detection and by user. Text and JSON are audit-specific (docs/audit.md); SARIF and
//! JUnit go through kubeward-report's reporters, with the event reference in the message.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use kubeward_controls::{Control, PssVersion, Severity};
use kubeward_engine::{FileResult, Finding, InputError, Summary};
use kubeward_report::{finding_json, Format, Reporter, RunInfo};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{AuditFinding, Output, Stats};

/// Bumped on any incompatible change of the audit JSON output.
pub const SCHEMA_VERSION: u32 = 1;
/// At most this many timeline entries are kept (the earliest in input order).
pub const TIMELINE_MAX: usize = 10_000;
/// At most this many input errors are listed (all are counted).
pub const ERRORS_MAX: usize = 1_000;

/// What the report says about the run's settings.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub fail_on: Severity,
    pub auth_failure_threshold: u32,
    pub auth_failure_window_seconds: u64,
    pub trusted_users: Vec<String>,
    pub follow: bool,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct TimelineEntry {
    time: String,
    id: &'static str,
    severity: Severity,
    user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    impersonated_user: Option<String>,
    verb: String,
    object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_code: Option<i64>,
    #[serde(rename = "auditID")]
    audit_id: String,
    file: String,
    line: u32,
    #[serde(skip)]
    micros: i64,
}

#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct UserSummary {
    findings: usize,
    by_detection: BTreeMap<&'static str, usize>,
}

/// Counts and the timeline, whatever the format.
#[derive(Default)]
struct Tally {
    by_severity: BTreeMap<Severity, usize>,
    by_detection: BTreeMap<&'static str, usize>,
    by_user: BTreeMap<String, UserSummary>,
    timeline: Vec<TimelineEntry>,
    timeline_dropped: usize,
    suppressed: usize,
    /// Findings in an engine summary, for SARIF and JUnit.
    summary: Summary,
}

impl Tally {
    fn add(&mut self, f: &AuditFinding) {
        let ff = &f.finding;
        if ff.suppressed.is_some() {
            self.suppressed += 1;
            return;
        }
        *self.by_severity.entry(ff.severity).or_default() += 1;
        *self.by_detection.entry(ff.control.id).or_default() += 1;
        let user = if f.event.user.is_empty() {
            "(unauthenticated)".to_string()
        } else {
            f.event.user.clone()
        };
        let u = self.by_user.entry(user).or_default();
        u.findings += 1;
        *u.by_detection.entry(ff.control.id).or_default() += 1;
        if self.timeline.len() < TIMELINE_MAX {
            self.timeline.push(TimelineEntry {
                time: f.event.time.clone(),
                id: ff.control.id,
                severity: ff.severity,
                user: f.event.user.clone(),
                impersonated_user: f.event.impersonated_user.clone(),
                verb: f.event.verb.clone(),
                object: object_text(f),
                response_code: f.event.response_code,
                audit_id: f.event.audit_id.clone(),
                file: ff.file.to_string(),
                line: ff.pos.line,
                micros: f.event.micros,
            });
        } else {
            self.timeline_dropped += 1;
        }
    }

    fn sorted_timeline(&mut self) -> &[TimelineEntry] {
        self.timeline.sort_by_key(|e| e.micros);
        &self.timeline
    }

    fn findings(&self) -> usize {
        self.by_severity.values().sum()
    }

    fn at_least(&self, s: Severity) -> usize {
        self.by_severity.range(s..).map(|(_, n)| n).sum()
    }
}

/// `secrets default/db`, `pods/exec prod/web-0`, or a non-resource path.
fn object_text(f: &AuditFinding) -> String {
    match &f.event.object_ref {
        None => f
            .event
            .request_uri
            .split('?')
            .next()
            .unwrap_or("")
            .to_string(),
        Some(o) => {
            let kind = if o.subresource.is_empty() {
                o.resource.clone()
            } else {
                format!("{}/{}", o.resource, o.subresource)
            };
            match (&o.namespace, &o.name) {
                (Some(ns), Some(n)) => format!("{kind} {ns}/{n}"),
                (None, Some(n)) => format!("{kind} {n}"),
                (Some(ns), None) => format!("{kind} (namespace {ns})"),
                (None, None) => kind,
            }
        }
    }
}

fn sev_style(s: Severity) -> Style {
    let c = match s {
        Severity::Critical => AnsiColor::Magenta,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

/// The JSON of a finding: the scan's finding object plus the event it was found in.
pub fn finding_value(f: &AuditFinding) -> Value {
    let mut v = finding_json(&f.finding);
    v["event"] = serde_json::to_value(&f.event).unwrap_or(Value::Null);
    v
}

fn error_value(e: &InputError) -> Value {
    let mut v = json!({"file": &*e.file, "message": e.message});
    if let Some(p) = e.pos {
        v["line"] = json!(p.line);
        v["column"] = json!(p.column);
    }
    v
}

enum Writer {
    Text {
        color: bool,
        file: Option<Arc<str>>,
        errors_shown: usize,
    },
    Json {
        any: bool,
        errors: Vec<Value>,
    },
    /// `--follow` with JSON: one object per line.
    JsonLines,
    /// SARIF or JUnit through kubeward-report.
    Shared {
        reporter: Box<dyn Reporter>,
        seen: std::collections::HashSet<Arc<str>>,
    },
}

/// A report being written.
pub struct Report {
    out: Box<dyn Write>,
    writer: Writer,
    tally: Tally,
    settings: Settings,
    tool_version: &'static str,
    follow: bool,
}

impl Report {
    /// `controls`: the audit controls that run (SARIF lists them as rules).
    pub fn new(
        format: Format,
        mut out: Box<dyn Write>,
        color: bool,
        settings: Settings,
        tool_version: &'static str,
        controls: Vec<&'static dyn Control>,
    ) -> io::Result<Report> {
        let follow = settings.follow;
        let writer = match format {
            Format::Text => Writer::Text {
                color,
                file: None,
                errors_shown: 0,
            },
            Format::Json if follow => Writer::JsonLines,
            Format::Json => {
                let header = json!({
                    "schemaVersion": SCHEMA_VERSION,
                    "kind": "audit",
                    "tool": {"name": "kubeward", "version": tool_version},
                    "settings": &settings,
                });
                let header = serde_json::to_string(&header)?;
                write!(out, "{},\"findings\":[", &header[..header.len() - 1])?;
                Writer::Json {
                    any: false,
                    errors: Vec::new(),
                }
            }
            Format::Sarif | Format::Junit | Format::Html => {
                let info = RunInfo {
                    tool_version,
                    pss_version: PssVersion::LATEST,
                    frameworks: vec!["audit".to_string()],
                    fail_on: settings.fail_on,
                    controls,
                    attack_paths: false,
                };
                // The shared reporters own their writer; this one stays unused.
                let shared = std::mem::replace(&mut out, Box::new(io::sink()));
                // HTML without source lines: an audit log's lines may hold request bodies.
                let reporter: Box<dyn Reporter> = if format == Format::Html {
                    Box::new(kubeward_report::HtmlReporter::new(
                        shared, info, "audit", false,
                    ))
                } else {
                    kubeward_report::reporter(format, shared, info, false)
                };
                Writer::Shared {
                    reporter,
                    seen: Default::default(),
                }
            }
        };
        Ok(Report {
            out,
            writer,
            tally: Tally::default(),
            settings,
            tool_version,
            follow,
        })
    }

    fn paint(color: bool, style: Style, text: &str) -> String {
        if color {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Findings at or above the threshold, for the exit code.
    pub fn failing(&self) -> usize {
        self.tally.at_least(self.settings.fail_on)
    }

    /// Write the timeline and summaries; returns the exit code (2 input errors, 1 findings at
    /// or above --fail-on, 0 clean).
    pub fn finish(mut self, stats: &Stats) -> io::Result<u8> {
        let code = if stats.errors > 0 {
            2
        } else if self.failing() > 0 {
            1
        } else {
            0
        };
        let summary = self.summary_json(stats, code);
        match self.writer {
            Writer::Text { color, .. } => {
                let out = &mut self.out;
                let timeline_dropped = self.tally.timeline_dropped;
                let timeline = self.tally.sorted_timeline().to_vec();
                if !timeline.is_empty() {
                    writeln!(
                        out,
                        "\n{}",
                        Self::paint(color, Style::new().bold(), "Timeline")
                    )?;
                    for e in &timeline {
                        let sev = Self::paint(
                            color,
                            sev_style(e.severity),
                            &format!("{:<8}", e.severity.as_str()),
                        );
                        let who = match &e.impersonated_user {
                            Some(i) => format!("{} (as {i})", e.user),
                            None => e.user.clone(),
                        };
                        let code = e
                            .response_code
                            .map(|c| format!(" → {c}"))
                            .unwrap_or_default();
                        writeln!(
                            out,
                            "  {:<27} {sev} {:<6} {who}: {} {}{code}  ({}:{})",
                            e.time, e.id, e.verb, e.object, e.file, e.line
                        )?;
                    }
                    if timeline_dropped > 0 {
                        writeln!(out, "  ... and {timeline_dropped} later findings (the timeline keeps the first {TIMELINE_MAX})")?;
                    }
                    writeln!(
                        out,
                        "\n{}",
                        Self::paint(color, Style::new().bold(), "By detection")
                    )?;
                    for (id, n) in &self.tally.by_detection {
                        let title = crate::control(id).map_or("", |m| m.title);
                        writeln!(out, "  {id:<7} {n:>6}  {title}")?;
                    }
                    writeln!(
                        out,
                        "\n{}",
                        Self::paint(color, Style::new().bold(), "By user")
                    )?;
                    let mut users: Vec<_> = self.tally.by_user.iter().collect();
                    users.sort_by(|a, b| b.1.findings.cmp(&a.1.findings).then(a.0.cmp(b.0)));
                    for (user, u) in users {
                        let detail: Vec<String> = u
                            .by_detection
                            .iter()
                            .map(|(id, n)| format!("{id} ×{n}"))
                            .collect();
                        writeln!(out, "  {:>6}  {user}  ({})", u.findings, detail.join(", "))?;
                    }
                }
                let by_sev: Vec<String> = Severity::ALL
                    .iter()
                    .filter_map(|s| self.tally.by_severity.get(s).map(|n| format!("{n} {s}")))
                    .collect();
                let findings = self.tally.findings();
                writeln!(
                    out,
                    "\n{} lines, {} audit events ({} requests) in {} file(s): {} finding(s){}{}, {} input error(s){}",
                    stats.lines,
                    stats.events,
                    stats.requests,
                    stats.files,
                    findings,
                    if by_sev.is_empty() { String::new() } else { format!(" ({})", by_sev.join(", ")) },
                    if self.tally.suppressed > 0 { format!(", {} suppressed", self.tally.suppressed) } else { String::new() },
                    stats.errors,
                    if stats.errors > 0 { " (exit 2)" } else { "" }
                )?;
            }
            Writer::Json { errors, .. } => {
                let timeline = serde_json::to_string(self.tally.sorted_timeline())?;
                writeln!(
                    self.out,
                    "],\"errors\":{},\"timeline\":{timeline},\"summary\":{}}}",
                    serde_json::to_string(&errors)?,
                    serde_json::to_string(&summary)?
                )?;
            }
            Writer::JsonLines => {
                writeln!(self.out, "{}", json!({"summary": summary}))?;
            }
            Writer::Shared { mut reporter, .. } => {
                let mut s = self.tally.summary.clone();
                s.errors = stats.errors as usize;
                let timeline = serde_json::to_value(self.tally.sorted_timeline())?;
                reporter.section("audit", json!({"summary": summary, "timeline": timeline}));
                reporter.finish(&s)?;
            }
        }
        self.out.flush()?;
        Ok(code)
    }

    fn summary_json(&mut self, stats: &Stats, code: u8) -> Value {
        let by_severity: serde_json::Map<String, Value> = Severity::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    json!(self.tally.by_severity.get(s).copied().unwrap_or(0)),
                )
            })
            .collect();
        json!({
            "files": stats.files,
            "bytes": stats.bytes,
            "lines": stats.lines,
            "events": stats.events,
            "requests": stats.requests,
            "findings": self.tally.findings(),
            "suppressed": self.tally.suppressed,
            "errors": stats.errors,
            "bySeverity": by_severity,
            "byDetection": self.tally.by_detection,
            "byUser": self.tally.by_user,
            "timelineTruncated": self.tally.timeline_dropped > 0,
            "exitCode": code,
            "toolVersion": self.tool_version,
        })
    }
}

impl Output for Report {
    fn results(&mut self, findings: Vec<AuditFinding>, errors: Vec<InputError>) -> io::Result<()> {
        for f in &findings {
            self.tally.add(f);
        }
        let shown = findings.iter().filter(|f| f.finding.suppressed.is_none());
        match &mut self.writer {
            Writer::Text {
                color,
                file,
                errors_shown,
            } => {
                let color = *color;
                let mut items: Vec<(u32, Option<&AuditFinding>, Option<&InputError>)> = shown
                    .map(|f| (f.finding.pos.line, Some(f), None))
                    .chain(
                        errors
                            .iter()
                            .map(|e| (e.pos.map_or(0, |p| p.line), None, Some(e))),
                    )
                    .collect();
                items.sort_by_key(|i| i.0);
                for (_, f, e) in items {
                    let name = f
                        .map(|f| f.finding.file.clone())
                        .or_else(|| e.map(|e| e.file.clone()));
                    if let Some(name) = name {
                        if file.as_deref() != Some(&*name) {
                            if file.is_some() {
                                writeln!(self.out)?;
                            }
                            writeln!(
                                self.out,
                                "{}",
                                Self::paint(color, Style::new().bold().underline(), &name)
                            )?;
                            *file = Some(name);
                        }
                    }
                    if let Some(e) = e {
                        *errors_shown += 1;
                        if *errors_shown > ERRORS_MAX {
                            continue;
                        }
                        let label = Self::paint(
                            color,
                            sev_style(Severity::High),
                            &format!("{:<8}", "error"),
                        );
                        let at = e
                            .pos
                            .map_or(String::new(), |p| format!("{:>7}:{:<5}", p.line, p.column));
                        writeln!(self.out, "{at:>13} {label} {}", e.message)?;
                        if *errors_shown == ERRORS_MAX {
                            writeln!(
                                self.out,
                                "{:>14}(further input errors are counted, not listed)",
                                ""
                            )?;
                        }
                    }
                    if let Some(f) = f {
                        write_text_finding(&mut self.out, color, f)?;
                    }
                }
                if self.follow {
                    self.out.flush()?;
                }
            }
            Writer::Json { any, errors: kept } => {
                for f in shown {
                    if *any {
                        self.out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut self.out, &finding_value(f))?;
                    *any = true;
                }
                for e in &errors {
                    if kept.len() < ERRORS_MAX {
                        kept.push(error_value(e));
                    }
                }
            }
            Writer::JsonLines => {
                for f in shown {
                    writeln!(self.out, "{}", json!({"finding": finding_value(f)}))?;
                }
                for e in &errors {
                    writeln!(self.out, "{}", json!({"error": error_value(e)}))?;
                }
                self.out.flush()?;
            }
            Writer::Shared { reporter, seen } => {
                // One piece per file run in input order, like a scan's pieces of a large file.
                let mut pieces: Vec<FileResult> = Vec::new();
                let mut add = |file: &Arc<str>, pieces: &mut Vec<FileResult>| -> usize {
                    if let Some(i) = pieces.iter().position(|p| p.file == *file) {
                        return i;
                    }
                    let mut r = FileResult::new(file.clone());
                    r.first_piece = seen.insert(file.clone());
                    pieces.push(r);
                    pieces.len() - 1
                };
                // The HTML page lists the suppressed findings apart; the others never show them.
                let all = reporter.wants_suppressed();
                for f in findings
                    .iter()
                    .filter(|f| all || f.finding.suppressed.is_none())
                {
                    let i = add(&f.finding.file, &mut pieces);
                    let mut finding: Finding = f.finding.clone();
                    finding.message = format!("{} [{}]", finding.message, f.event.brief());
                    pieces[i].findings.push(finding);
                }
                for e in errors {
                    let i = add(&e.file, &mut pieces);
                    pieces[i].errors.push(e);
                }
                for p in pieces {
                    self.tally.summary.add(&p);
                    reporter.file(p)?;
                }
            }
        }
        Ok(())
    }
}

fn write_text_finding(out: &mut dyn Write, color: bool, f: &AuditFinding) -> io::Result<()> {
    let ff = &f.finding;
    let e = &f.event;
    let sev = Report::paint(
        color,
        sev_style(ff.severity),
        &format!("{:<8}", ff.severity.as_str()),
    );
    writeln!(
        out,
        "{:>7}:{:<5} {sev} {:<6}  {}",
        ff.pos.line, ff.pos.column, ff.control.id, ff.message
    )?;
    let dim = Style::new().dimmed();
    let mut who = format!(
        "user {}",
        if e.user.is_empty() { "(none)" } else { &e.user }
    );
    if !e.groups.is_empty() {
        who.push_str(&format!(" (groups {})", e.groups.join(", ")));
    }
    if let Some(i) = &e.impersonated_user {
        who.push_str(&format!(", impersonating {i}"));
        if !e.impersonated_groups.is_empty() {
            who.push_str(&format!(" (groups {})", e.impersonated_groups.join(", ")));
        }
    }
    if !e.source_ips.is_empty() {
        who.push_str(&format!(", from {}", e.source_ips.join(", ")));
    }
    if !e.user_agent.is_empty() {
        who.push_str(&format!(", {}", e.user_agent));
    }
    let code = e
        .response_code
        .map(|c| format!(" → {c}"))
        .unwrap_or_default();
    let lines = [
        format!(
            "{} · auditID {} · level {} · stage {}",
            e.time, e.audit_id, e.level, e.stage
        ),
        who,
        format!(
            "{} {}{code} · {} · at {}",
            e.verb,
            e.request_uri,
            object_text(f),
            ff.path
        ),
    ];
    for l in lines {
        writeln!(out, "{:>23}{}", "", Report::paint(color, dim, &l))?;
    }
    Ok(())
}
