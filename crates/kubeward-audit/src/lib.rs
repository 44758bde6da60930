//! kubeward-audit: attacks and risky actions in Kubernetes API server audit logs.
//!
//! Input is `audit.k8s.io/v1` Event JSON lines, as the API server's log backend writes them.
//! A stream is read in chunks ([`lines::LineReader`]); the complete lines of a chunk are parsed
//! and checked in parallel (rayon) into borrowed [`event::Event`]s that hold only what the
//! detections read, and results go out in input order. Memory is bounded by a chunk and the
//! longest line, whatever the size of the log. Bad lines are input errors with file, line and
//! column; everything else is analysed.

pub mod burst;
pub mod detect;
pub mod event;
pub mod input;
pub mod lines;
pub mod policy;
pub mod report;
pub mod run;

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

use kubeward_controls::audit::auth_failure_burst::AuthFailureBurst;
use kubeward_controls::{ControlMeta, Severity};
use kubeward_engine::config::Exclusion;
use kubeward_engine::{Finding, InputError, SuppressedBy, Suppression};
use kubeward_model::FieldPath;
use kubeward_yaml::Pos;
use rayon::prelude::*;
use serde::Serialize;

pub use burst::BurstRule;
use burst::Bursts;
use detect::{Detector, Hit};
use event::Event;
use lines::{line_ranges, Fill, LineReader};

/// Lines parsed by one worker task.
const TASK_LINES: usize = 1024;

/// The event a finding comes from, as the audit log tells it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRef {
    #[serde(rename = "auditID")]
    pub audit_id: String,
    /// `requestReceivedTimestamp`.
    pub time: String,
    pub stage: String,
    pub level: String,
    pub user: String,
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub impersonated_groups: Vec<String>,
    #[serde(rename = "sourceIPs")]
    pub source_ips: Vec<String>,
    pub user_agent: String,
    pub verb: String,
    #[serde(rename = "requestURI")]
    pub request_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_ref: Option<ObjectRefOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_reason: Option<String>,
    /// Microseconds since the epoch (for ordering; not in the JSON).
    #[serde(skip)]
    pub micros: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRefOut {
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub api_group: String,
    pub api_version: String,
}

impl EventRef {
    pub fn of(ev: &Event<'_>) -> EventRef {
        let o = ev.object_ref.as_ref().map(|o| ObjectRefOut {
            resource: o.resource().to_string(),
            subresource: o.subresource().to_string(),
            namespace: o.namespace.as_ref().map(|s| s.to_string()),
            name: o.name.as_ref().map(|s| s.to_string()),
            api_group: o.group().to_string(),
            api_version: o.api_version.as_deref().unwrap_or("").to_string(),
        });
        EventRef {
            audit_id: ev.audit_id.to_string(),
            time: ev.time().to_string(),
            stage: ev.stage.to_string(),
            level: ev.level.to_string(),
            user: ev.user.name().to_string(),
            groups: ev.user.groups(),
            impersonated_user: ev.impersonated_user.as_ref().map(|u| u.name().to_string()),
            impersonated_groups: ev
                .impersonated_user
                .as_ref()
                .map(|u| u.groups())
                .unwrap_or_default(),
            source_ips: ev.source_ips(),
            user_agent: ev.user_agent.as_deref().unwrap_or("").to_string(),
            verb: ev.verb.to_string(),
            request_uri: ev.request_uri().into_owned(),
            object_ref: o,
            response_code: ev.code(),
            authorization_reason: ev.authorization_reason(),
            micros: event::micros(ev.time()).unwrap_or(0),
        }
    }

    /// `auditID 1b2c…, 2026-11-23T15:25:01Z, from 10.0.0.1, kubectl/v1.29` for one-line formats.
    pub fn brief(&self) -> String {
        let mut s = format!("auditID {}, {}", self.audit_id, self.time);
        if !self.source_ips.is_empty() {
            s.push_str(&format!(", from {}", self.source_ips.join(", ")));
        }
        if !self.user_agent.is_empty() {
            s.push_str(&format!(", {}", self.user_agent));
        }
        s
    }
}

/// One finding with the event it was found in.
#[derive(Clone, Debug)]
pub struct AuditFinding {
    pub finding: Finding,
    pub event: EventRef,
}

/// Counts over a run.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    pub lines: u64,
    /// Lines that were audit events.
    pub events: u64,
    /// Events judged: one per request (its final stage).
    pub requests: u64,
    pub errors: u64,
}

/// Where results go, in input order.
pub trait Output {
    fn results(&mut self, findings: Vec<AuditFinding>, errors: Vec<InputError>) -> io::Result<()>;
}

/// An output that keeps everything (tests, small inputs).
#[derive(Default)]
pub struct Collect {
    pub findings: Vec<AuditFinding>,
    pub errors: Vec<InputError>,
}

impl Output for Collect {
    fn results(&mut self, findings: Vec<AuditFinding>, errors: Vec<InputError>) -> io::Result<()> {
        self.findings.extend(findings);
        self.errors.extend(errors);
        Ok(())
    }
}

impl Options {
    /// Every audit detection, the default burst rule, no config.
    pub fn defaults() -> Options {
        let ids = kubeward_controls::registry::all()
            .iter()
            .filter(|c| c.is_audit_detection())
            .map(|c| c.meta().id)
            .collect();
        Options {
            detector: Detector::new(&[], ids).expect("no patterns"),
            burst: BurstRule::default(),
            judge: Judge::default(),
            max_line: 64 << 20,
        }
    }
}

/// Analyse text in memory as one input named `name`.
pub fn analyse_text(opts: Options, name: &str, text: &[u8]) -> (Collect, Stats) {
    let mut analyzer = Analyzer::new(opts);
    let mut out = Collect::default();
    let name: Arc<str> = Arc::from(name);
    let mut reader = text;
    // Writing to memory cannot fail.
    let _ = analyzer.read_stream(&name, &mut reader, &mut out);
    (out, analyzer.stats)
}

/// How findings are judged: the config file's severity overrides and exclusions.
#[derive(Default)]
pub struct Judge {
    pub severity: HashMap<&'static str, Severity>,
    pub exclusions: Vec<Exclusion>,
    pub today: (i32, u32, u32),
}

pub struct Options {
    pub detector: Detector,
    pub burst: BurstRule,
    pub judge: Judge,
    /// Longer lines are skipped and reported.
    pub max_line: usize,
}

/// The analysis of one run: detections, the burst windows, counts.
pub struct Analyzer {
    opts: Options,
    by_user: Bursts,
    by_address: Bursts,
    pub stats: Stats,
}

/// The hits of one line: its number, its index in the chunk, its event and object.
type LineHits = (
    u64,
    usize,
    EventRef,
    Arc<kubeward_model::ObjectId>,
    Vec<Hit>,
);

/// What a worker task found in its lines.
#[derive(Default)]
struct TaskOut {
    hits: Vec<LineHits>,
    failures: Vec<Failure>,
    errors: Vec<(u64, u32, String)>,
    events: u64,
    requests: u64,
}

/// A 401/403 answer, for the burst windows.
struct Failure {
    line: u64,
    /// Index of the line in the chunk's ranges.
    index: usize,
    micros: i64,
    user: String,
    address: String,
}

impl Analyzer {
    pub fn new(opts: Options) -> Self {
        Analyzer {
            opts,
            by_user: Bursts::default(),
            by_address: Bursts::default(),
            stats: Stats::default(),
        }
    }

    /// Analyse one whole stream (a file, a decompressed file, stdin).
    pub fn read_stream(
        &mut self,
        name: &Arc<str>,
        reader: &mut dyn Read,
        out: &mut dyn Output,
    ) -> io::Result<()> {
        self.stats.files += 1;
        let mut lines = LineReader::new(self.opts.max_line);
        loop {
            let fill = match lines.fill(reader) {
                Ok(f) => f,
                Err(e) => {
                    // Every complete line before the failure has been analysed; the cut last
                    // one is analysed too (and said to be incomplete), as it would be if the
                    // stream had simply ended there. Then the failure, at that line.
                    let at = Pos {
                        line: lines.line() as u32,
                        column: 1,
                    };
                    self.finish_stream(name, &mut lines, out)?;
                    self.stats.errors += 1;
                    out.results(
                        Vec::new(),
                        vec![InputError::at(
                            name,
                            at,
                            &format!(
                                "cannot read further: {e} (every complete line before this one was analysed)"
                            ),
                        )],
                    )?;
                    return Ok(());
                }
            };
            self.drain_complete(name, &mut lines, out)?;
            self.after_fill(name, &fill, out)?;
            if fill == Fill::Read(0) {
                break;
            }
        }
        self.finish_stream(name, &mut lines, out)
    }

    /// Report a skipped over-long line.
    pub(crate) fn after_fill(
        &mut self,
        name: &Arc<str>,
        fill: &Fill,
        out: &mut dyn Output,
    ) -> io::Result<()> {
        if let Fill::TooLong(at) = fill {
            self.stats.errors += 1;
            self.stats.lines += 1;
            let at = Pos {
                line: *at as u32,
                column: 1,
            };
            let e = InputError::at(name, at, &too_long(self.opts.max_line));
            out.results(Vec::new(), vec![e])?;
        }
        Ok(())
    }

    /// Analyse the complete lines waiting in `lines`.
    pub(crate) fn drain_complete(
        &mut self,
        name: &Arc<str>,
        lines: &mut LineReader,
        out: &mut dyn Output,
    ) -> io::Result<()> {
        let (bytes, first) = lines.complete();
        if bytes.is_empty() {
            return Ok(());
        }
        let count = self.analyse(name, bytes, first, false, out)?;
        let n = bytes.len();
        lines.consume(n, count);
        Ok(())
    }

    /// At the end of a stream: its unfinished last line is analysed too (and said to be cut
    /// if it does not parse).
    pub(crate) fn finish_stream(
        &mut self,
        name: &Arc<str>,
        lines: &mut LineReader,
        out: &mut dyn Output,
    ) -> io::Result<()> {
        if let Some((rest, line)) = lines.take_rest() {
            self.analyse(name, &rest, line, true, out)?;
        }
        Ok(())
    }

    /// Parse and check lines (`bytes` holds whole lines; the last may lack its newline).
    /// Returns the number of lines.
    fn analyse(
        &mut self,
        name: &Arc<str>,
        bytes: &[u8],
        first_line: u64,
        last_is_cut: bool,
        out: &mut dyn Output,
    ) -> io::Result<u64> {
        let ranges = line_ranges(bytes);
        self.stats.bytes += bytes.len() as u64;
        self.stats.lines += ranges.len() as u64;
        let detector = &self.opts.detector;
        let max_line = self.opts.max_line;
        let tasks: Vec<TaskOut> = ranges
            .par_chunks(TASK_LINES)
            .enumerate()
            .map(|(t, chunk)| {
                let mut o = TaskOut::default();
                for (i, &(s, e)) in chunk.iter().enumerate() {
                    let index = t * TASK_LINES + i;
                    let line_no = first_line + index as u64;
                    let cut = last_is_cut && index + 1 == ranges.len();
                    if e - s > max_line {
                        o.errors.push((line_no, 1, too_long(max_line)));
                        continue;
                    }
                    check_line(detector, &bytes[s..e], line_no, index, cut, &mut o);
                }
                o
            })
            .collect();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for task in tasks {
            self.stats.events += task.events;
            self.stats.requests += task.requests;
            self.stats.errors += task.errors.len() as u64;
            for (line, column, message) in task.errors {
                errors.push(InputError::at(
                    name,
                    Pos {
                        line: line as u32,
                        column,
                    },
                    &message,
                ));
            }
            let mut lines_hits = task.hits;
            for f in task.failures {
                if let Some(h) = self.burst(&f, bytes, &ranges) {
                    lines_hits.push(h);
                }
            }
            lines_hits.sort_by_key(|h| h.0);
            for (line_no, index, event, object, hits) in lines_hits {
                let (s, e) = ranges[index];
                let text = std::str::from_utf8(&bytes[s..e]).unwrap_or("");
                let text = text.strip_suffix('\r').unwrap_or(text);
                for hit in hits {
                    findings.push(self.finding(name, text, line_no, &event, &object, hit));
                }
            }
        }
        if !findings.is_empty() || !errors.is_empty() {
            out.results(findings, errors)?;
        }
        Ok(ranges.len() as u64)
    }

    /// Count a failure in both windows; a burst becomes a hit on the failure that completed it.
    fn burst(&mut self, f: &Failure, bytes: &[u8], ranges: &[(usize, usize)]) -> Option<LineHits> {
        let rule = self.opts.burst;
        let mut found = Vec::new();
        if !f.user.is_empty() {
            if let Some(b) = self.by_user.failure(rule, &f.user, f.micros) {
                found.push((format!("user {}", f.user), b));
            }
        }
        if !f.address.is_empty() {
            if let Some(b) = self.by_address.failure(rule, &f.address, f.micros) {
                found.push((format!("source address {}", f.address), b));
            }
        }
        if found.is_empty() || !self.opts.detector.enabled(&AuthFailureBurst::META) {
            return None;
        }
        // Bursts are rare: parse the completing line again for its full reference.
        let (s, e) = ranges[f.index];
        let text = std::str::from_utf8(&bytes[s..e]).ok()?;
        let text = text.strip_suffix('\r').unwrap_or(text);
        let ev = Event::parse(text).ok()?;
        let offset = locate(text, "responseStatus.code");
        let hits = found
            .into_iter()
            .map(|(who, b)| Hit {
                control: &AuthFailureBurst::META,
                severity: AuthFailureBurst::META.severity,
                path: "responseStatus.code".to_string(),
                offset,
                message: format!(
                    "{} requests answered 401/403 for {who} within {}s (threshold {} in {}s); the last: {} {} by {}: {}",
                    b.count,
                    b.span / 1_000_000,
                    rule.threshold,
                    rule.window / 1_000_000,
                    ev.verb,
                    detect::target(&ev),
                    detect::actor(&ev),
                    detect::outcome(&ev),
                ),
            })
            .collect();
        Some((
            f.line,
            f.index,
            EventRef::of(&ev),
            detect::object_id(&ev),
            hits,
        ))
    }

    fn finding(
        &self,
        file: &Arc<str>,
        line: &str,
        line_no: u64,
        event: &EventRef,
        object: &Arc<kubeward_model::ObjectId>,
        hit: Hit,
    ) -> AuditFinding {
        let offset = hit.offset.or_else(|| locate(line, &hit.path)).unwrap_or(0);
        let column = char_column(line, offset);
        let severity = self
            .opts
            .judge
            .severity
            .get(hit.control.id)
            .copied()
            .unwrap_or(hit.severity);
        let mut finding = Finding {
            control: hit.control,
            severity,
            object: object.clone(),
            file: file.clone(),
            pos: Pos {
                line: line_no as u32,
                column,
            },
            path: FieldPath::from(hit.path.as_str()),
            message: hit.message,
            suppressed: None,
        };
        if let Some(x) = self
            .opts
            .judge
            .exclusions
            .iter()
            .find(|x| !x.expired(self.opts.judge.today) && x.matches(&finding))
        {
            finding.suppressed = Some(Suppression {
                by: SuppressedBy::Config,
                reason: x.reason.clone(),
                expires: x.expires,
            });
        }
        AuditFinding {
            finding,
            event: event.clone(),
        }
    }
}

/// Parse and check one line into `o`.
fn check_line(
    detector: &Detector,
    raw: &[u8],
    line_no: u64,
    index: usize,
    cut: bool,
    o: &mut TaskOut,
) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => {
            let column = char_column_bytes(raw, e.valid_up_to());
            o.errors
                .push((line_no, column, "not UTF-8 text".to_string()));
            return;
        }
    };
    let ev = match Event::parse(text) {
        Ok(ev) => ev,
        Err(e) => {
            let offset = if e.line() <= 1 {
                e.column().saturating_sub(1)
            } else {
                0
            };
            // The field and what was wrong with it, never the value (it may be a credential).
            let field = match e.classify() {
                serde_json::error::Category::Data => field_at(text, offset),
                _ => None,
            };
            let mut message = match field {
                Some(field) => format!(
                    "not an audit event: {field}: {}",
                    kubeward_engine::json_error::describe(&e)
                ),
                None => format!(
                    "not an audit event: {}",
                    kubeward_engine::json_error::describe(&e)
                ),
            };
            if cut && e.is_eof() {
                message.push_str(
                    " (the last line is incomplete: was the file cut while being written?)",
                );
            }
            o.errors.push((line_no, char_column(text, offset), message));
            return;
        }
    };
    if ev.kind.as_deref().is_some_and(|k| k != "Event") {
        o.errors.push((
            line_no,
            char_column(text, locate(text, "kind").unwrap_or(0)),
            "not an audit event: kind is not Event".to_string(),
        ));
        return;
    }
    if ev
        .api_version
        .as_deref()
        .is_some_and(|v| !v.starts_with("audit.k8s.io/"))
    {
        o.errors.push((
            line_no,
            char_column(text, locate(text, "apiVersion").unwrap_or(0)),
            "not an audit event: apiVersion is not audit.k8s.io/v1".to_string(),
        ));
        return;
    }
    o.events += 1;
    if !ev.is_final() {
        return;
    }
    o.requests += 1;
    if matches!(ev.code(), Some(401) | Some(403)) && !detector.trusted(&ev.user) {
        o.failures.push(Failure {
            line: line_no,
            index,
            micros: event::micros(ev.time()).unwrap_or(0),
            user: ev.user.name().to_string(),
            address: ev.source_ips().into_iter().next().unwrap_or_default(),
        });
    }
    let hits = detector.check(&ev, text);
    if !hits.is_empty() {
        o.hits.push((
            line_no,
            index,
            EventRef::of(&ev),
            detect::object_id(&ev),
            hits,
        ));
    }
}

fn too_long(max_line: usize) -> String {
    format!("line longer than {max_line} bytes: skipped (raise --max-line-size)")
}

/// The fields of an audit Event (and of what it holds) that an error message may name: keys
/// of the line outside this list are input, and are not repeated.
const EVENT_FIELDS: &[&str] = &[
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "username",
    "uid",
    "groups",
    "extra",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "resource",
    "namespace",
    "name",
    "apiGroup",
    "subresource",
    "resourceVersion",
    "responseStatus",
    "code",
    "status",
    "reason",
    "message",
    "metadata",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
];

/// The field path (`responseStatus.code`, `sourceIPs[1]`) at byte `offset` of a line of JSON,
/// found by scanning the keys before it; a key that is not an Event field ends the path.
fn field_at(line: &str, offset: usize) -> Option<String> {
    enum Frame {
        /// An object and the byte range of its current key.
        Object(Option<(usize, usize)>),
        /// A list and the index of its current item.
        List(usize),
    }
    let b = line.as_bytes();
    let end = offset.min(b.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut want_key = false;
    let mut i = 0;
    while i < end {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if want_key {
                    if let Some(Frame::Object(key)) = stack.last_mut() {
                        *key = Some((start, j.min(b.len())));
                    }
                    want_key = false;
                }
                i = j + 1;
                continue;
            }
            b'{' => {
                stack.push(Frame::Object(None));
                want_key = true;
            }
            b'[' => stack.push(Frame::List(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object(_)) => want_key = true,
                Some(Frame::List(n)) => *n += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some((s, e))) => {
                let key = &line[*s..*e];
                if !EVENT_FIELDS.contains(&key) {
                    break;
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => break,
            Frame::List(n) => path.push_str(&format!("[{n}]")),
        }
    }
    (!path.is_empty()).then_some(path)
}

/// 1-based column (in characters) of byte `offset` of `line`.
pub fn char_column(line: &str, offset: usize) -> u32 {
    char_column_bytes(line.as_bytes(), offset)
}

fn char_column_bytes(line: &[u8], offset: usize) -> u32 {
    let prefix = &line[..offset.min(line.len())];
    // Count characters: every byte that does not continue a UTF-8 sequence.
    (prefix.iter().filter(|b| (**b & 0xC0) != 0x80).count() + 1) as u32
}

/// Where the value of a field path (`responseStatus.code`, `objectRef.resource`) starts in
/// a line of JSON, found by its keys in order (the API server writes `"key":value` with no
/// spaces). For fields that are not borrowed strings; `None` if a key is not found.
pub fn locate(line: &str, path: &str) -> Option<usize> {
    let mut at = 0;
    for key in path.split('.') {
        let key = key.split('[').next().unwrap_or(key);
        let needle = format!("\"{key}\":");
        let found = memchr::memmem::find(&line.as_bytes()[at..], needle.as_bytes())?;
        at += found + needle.len();
    }
    Some(at)
}

/// The control a finding is for, by ID (for tests and reports).
pub fn control(id: &str) -> Option<&'static ControlMeta> {
    kubeward_controls::registry::find(id).map(|c| c.meta())
}
