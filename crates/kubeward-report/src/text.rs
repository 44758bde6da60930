//! `--format text`: grouped by file, sorted by line, colour only when asked (the CLI asks on a
//! terminal), and a summary line with counts by severity.

use std::io::{self, Write};
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use kubeward_controls::Severity;
use kubeward_engine::{FileResult, Sink, Summary};
use kubeward_yaml::Pos;

use crate::{Reporter, RunInfo};

pub struct TextReporter {
    out: Box<dyn Write>,
    color: bool,
    current_file: Option<Arc<str>>,
    /// Objects (by file and identity) with an unsuppressed finding: a set, not a count of
    /// runs, because findings of one object can come in more than one result (the image
    /// findings `scan --images` attaches after the scan).
    objects_with_findings: std::collections::HashSet<(Arc<str>, Arc<kubeward_model::ObjectId>)>,
    /// Findings on platform objects, listed apart after the user's (they are few: the objects
    /// Kubernetes creates itself).
    platform: Vec<kubeward_engine::Finding>,
    top_risks: crate::risks::TopRisks,
    /// One line per finding (`--compact`), instead of findings grouped by object, each with
    /// its source line and a marker under the field.
    compact: bool,
}

/// The colour of a severity in text reports (shared by the commands with their own text).
pub fn sev_style(s: Severity) -> Style {
    let c = match s {
        Severity::Critical => AnsiColor::Magenta,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

impl TextReporter {
    pub fn new(out: Box<dyn Write>, _info: RunInfo, color: bool) -> Self {
        TextReporter {
            out,
            color,
            current_file: None,
            objects_with_findings: Default::default(),
            platform: Vec::new(),
            top_risks: Default::default(),
            compact: true,
        }
    }

    /// Findings grouped by object, each with its source line (when the engine kept it:
    /// [`kubeward_engine::Policy::snippets`]) and a marker under the field, as rustc and
    /// cargo-deny show them.
    pub fn with_snippets(mut self) -> Self {
        self.compact = false;
        self
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }
}

enum Line<'a> {
    Finding(&'a kubeward_engine::Finding),
    Error(&'a kubeward_engine::InputError),
    Warning(&'a kubeward_engine::Warning),
}

impl Line<'_> {
    fn pos(&self) -> Pos {
        match self {
            Line::Finding(f) => f.pos,
            Line::Error(e) => e.pos.unwrap_or_default(),
            Line::Warning(n) => n.pos,
        }
    }
}

impl Sink for TextReporter {
    fn file(&mut self, mut r: FileResult) -> io::Result<()> {
        self.platform
            .extend(r.findings.extract_if(.., |f| f.is_platform()));
        let mut lines: Vec<Line<'_>> = r
            .errors
            .iter()
            .map(Line::Error)
            .chain(r.findings.iter().map(Line::Finding))
            .chain(r.warnings.iter().map(Line::Warning))
            .collect();
        if lines.is_empty() {
            return Ok(());
        }
        lines.sort_by_key(|l| l.pos());
        let mut last_object = None;
        for f in r.findings.iter().filter(|f| f.suppressed.is_none()) {
            if last_object != Some(Arc::as_ptr(&f.object)) {
                self.objects_with_findings
                    .insert((r.file.clone(), f.object.clone()));
                last_object = Some(Arc::as_ptr(&f.object));
            }
        }
        if self.current_file.as_deref() != Some(&*r.file) {
            if self.current_file.is_some() {
                writeln!(self.out)?;
            }
            let header = self.paint(Style::new().bold().underline(), &r.file);
            writeln!(self.out, "{header}")?;
            self.current_file = Some(r.file.clone());
        }
        let dim = Style::new().dimmed();
        let mut object: Option<*const kubeward_model::ObjectId> = None;
        for line in &lines {
            let pos = line.pos();
            if !self.compact {
                if let Line::Finding(f) = line {
                    if object != Some(Arc::as_ptr(&f.object)) {
                        object = Some(Arc::as_ptr(&f.object));
                        let label = self.paint(Style::new().bold(), &f.object.to_string());
                        match r.origin_of(f) {
                            Some(o) => {
                                let from = self.paint(dim, &from_text(o));
                                writeln!(self.out, "  {label}  {from}")?
                            }
                            None => writeln!(self.out, "  {label}")?,
                        }
                    }
                    if f.suppressed.is_none() {
                        self.write_snippet(f, r.snippets.get(&pos.line).map(|l| &**l))?;
                        continue;
                    }
                }
            }
            let at = format!("{:>5}:{:<4}", pos.line, pos.column);
            match line {
                Line::Finding(f) => {
                    if let Some(s) = &f.suppressed {
                        let label = self.paint(dim, &format!("{:<8}", "ignored"));
                        writeln!(
                            self.out,
                            "{at} {label} {}  {} [suppressed by {}: {}]",
                            f.control.id,
                            f.message,
                            s.by.as_str(),
                            s.reason
                        )?;
                        continue;
                    }
                    let sev = self.paint(
                        sev_style(f.severity),
                        &format!("{:<8}", f.severity.as_str()),
                    );
                    writeln!(self.out, "{at} {sev} {}  {}", f.control.id, f.message)?;
                    let detail = match r.origin_of(f) {
                        Some(o) => format!("{} · {} · {}", f.object, f.path, from_text(o)),
                        None => format!("{} · {}", f.object, f.path),
                    };
                    writeln!(self.out, "{:>27}{}", "", self.paint(dim, &detail))?;
                }
                Line::Error(e) => {
                    let label = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                        "error   ",
                    );
                    let at = if e.pos.is_some() {
                        at
                    } else {
                        format!("{:>10}", "")
                    };
                    writeln!(self.out, "{at} {label}        {}", e.message)?;
                }
                Line::Warning(n) => {
                    let label = self.paint(
                        Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                        "warning ",
                    );
                    writeln!(
                        self.out,
                        "{at} {label}        {}",
                        self.paint(dim, &n.message)
                    )?;
                }
            }
        }
        Ok(())
    }
}

impl TextReporter {
    /// A finding with its source line:
    ///
    /// ```text
    ///     critical KW101  Container "app" must not set securityContext.privileged=true
    ///       --> deploy.yaml:21:11
    ///     21 |           privileged: true
    ///        |           ^^^^^^^^^^ spec.template.spec.containers[0].securityContext.privileged
    /// ```
    ///
    /// Without a source line (a cluster object, a cross-object finding's object elsewhere)
    /// the location and field path stand alone.
    fn write_snippet(
        &mut self,
        f: &kubeward_engine::Finding,
        source: Option<&str>,
    ) -> io::Result<()> {
        let sev = self.paint(sev_style(f.severity), f.severity.as_str());
        writeln!(self.out, "    {sev} {}  {}", f.control.id, f.message)?;
        let (line, col) = (f.pos.line, f.pos.column);
        let dim = Style::new().dimmed();
        let Some(source) = source else {
            let at = format!("--> {}:{line}:{col} · {}", f.file, f.path);
            return writeln!(self.out, "      {}", self.paint(dim, &at));
        };
        let at = format!("--> {}:{line}:{col}", f.file);
        writeln!(self.out, "      {}", self.paint(dim, &at))?;
        let (shown, marker_at, marker_len) = snippet_window(source, col as usize);
        let number = line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(
            self.out,
            "    {} {shown}",
            self.paint(dim, &format!("{number} |"))
        )?;
        let marker = self.paint(sev_style(f.severity), &"^".repeat(marker_len));
        writeln!(
            self.out,
            "    {} {}{marker} {}",
            self.paint(dim, &format!("{gutter} |")),
            " ".repeat(marker_at),
            self.paint(dim, f.path.as_str())
        )
    }

    /// The platform group: one line per finding, by file and position, after the user's.
    fn write_platform(&mut self) -> io::Result<()> {
        if self.platform.is_empty() {
            return Ok(());
        }
        let mut platform = std::mem::take(&mut self.platform);
        platform.sort_by(|a, b| (&a.file, a.pos).cmp(&(&b.file, b.pos)));
        let objects: std::collections::HashSet<_> =
            platform.iter().map(|f| (&f.file, &f.object)).collect();
        let header = format!(
            "Platform objects: {} on {} that Kubernetes creates itself (not counted; --include-platform counts them)",
            plural(platform.len(), "finding", "findings"),
            plural(objects.len(), "object", "objects"),
        );
        writeln!(self.out, "{}", self.paint(Style::new().bold(), &header))?;
        let dim = Style::new().dimmed();
        for f in &platform {
            let at = format!("{}:{}:{}", f.file, f.pos.line, f.pos.column);
            let sev = format!("{:<8}", f.severity.as_str());
            writeln!(
                self.out,
                "  {} {} {}  {}  {}",
                self.paint(dim, &at),
                self.paint(dim, &sev),
                f.control.id,
                f.message,
                self.paint(dim, &format!("· {}", f.object)),
            )?;
        }
        writeln!(self.out)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Reporter for TextReporter {
    fn risks(&mut self, top: crate::risks::TopRisks) {
        self.top_risks = top;
    }

    fn finish(mut self: Box<Self>, s: &Summary) -> io::Result<()> {
        if self.current_file.is_some() {
            writeln!(self.out)?;
        }
        self.write_platform()?;
        if !self.top_risks.is_empty() {
            let header = format!(
                "Top risks: {} of {} attack paths, by score (docs/risks.md)",
                self.top_risks.json.len(),
                self.top_risks.total
            );
            writeln!(self.out, "{}", self.paint(Style::new().bold(), &header))?;
            writeln!(self.out, "{}", self.top_risks.text)?;
        }
        let n = s.findings();
        let files = plural(s.files, "file", "files");
        let mut line = if n == 0 {
            self.paint(
                Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
                "No findings",
            ) + &format!(
                " ({} in {files}, {} controls)",
                plural(s.objects, "object", "objects"),
                s.controls_run
            )
        } else {
            let parts: Vec<String> = Severity::ALL
                .iter()
                .filter_map(|sev| {
                    let c = s.by_severity.get(sev).copied().unwrap_or(0);
                    (c > 0).then(|| self.paint(sev_style(*sev), &format!("{c} {sev}")))
                })
                .collect();
            format!(
                "{} ({}) in {} of {} objects, {files}",
                plural(n, "finding", "findings"),
                parts.join(", "),
                self.objects_with_findings.len(),
                s.objects
            )
        };
        if s.errors > 0 {
            line.push_str(&format!(
                "; {}",
                self.paint(
                    Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                    &plural(s.errors, "input error", "input errors")
                )
            ));
        }
        if s.warnings > 0 {
            line.push_str(&format!("; {}", plural(s.warnings, "warning", "warnings")));
        }
        if s.suppressed > 0 {
            line.push_str(&format!("; {} suppressed", s.suppressed));
        }
        if s.platform > 0 {
            line.push_str(&format!("; {} on platform objects", s.platform));
        }
        writeln!(self.out, "{line}")?;
        if !s.frameworks.is_empty() {
            let parts: Vec<String> = s
                .frameworks
                .iter()
                .map(|f| {
                    format!(
                        "{} {}% ({}/{} controls)",
                        f.framework,
                        f.score(),
                        f.controls_passed,
                        f.controls_evaluated
                    )
                })
                .collect();
            writeln!(self.out, "compliance: {}", parts.join(", "))?;
        }
        self.out.flush()
    }
}

/// The part of a source line to show (tabs as spaces, at most
/// [`kubeward_engine::snippet::MAX_LINE_CHARS`] characters around the column), the marker's
/// offset in it and its length: the key or value that starts at the 1-based `column`.
fn snippet_window(source: &str, column: usize) -> (String, usize, usize) {
    let chars: Vec<char> = source
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let at = column.saturating_sub(1).min(chars.len());
    // The token at the column: up to a `:` that ends a key, or a flow delimiter, or a space.
    let mut len = 0;
    let mut quote = None;
    for &c in &chars[at..] {
        match (quote, c) {
            (None, '"' | '\'') if len == 0 => quote = Some(c),
            (Some(q), c) if c == q => {
                len += 1;
                break;
            }
            (Some(_), _) => {}
            (None, ':' | ',' | '}' | ']' | ' ' | '#') => break,
            _ => {}
        }
        len += 1;
    }
    let len = len.max(1);
    let max = kubeward_engine::snippet::MAX_LINE_CHARS;
    if chars.len() <= max {
        return (chars.iter().collect(), at, len);
    }
    // A long line (minified JSON): a window around the column, cut with an ellipsis.
    let start = at.saturating_sub(max / 3);
    let end = (start + max).min(chars.len());
    let mut shown = String::new();
    let mut offset = at - start;
    if start > 0 {
        shown.push('…');
        offset += 1;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, offset, len.min(end.saturating_sub(at)).max(1))
}

/// `from chart/templates/x.yaml (.Values: image.tag, securityContext)` or
/// `from base/deployment.yaml (kustomize)`.
fn from_text(o: &kubeward_engine::origin::Origin) -> String {
    match o.tool {
        "helm" if !o.values.is_empty() => {
            format!("from {} (.Values: {})", o.path, o.values.join(", "))
        }
        "helm" => format!("from {} (helm)", o.path),
        _ => match &o.repo {
            Some(repo) => format!("from {} in {repo} (kustomize)", o.path),
            None => format!("from {} (kustomize)", o.path),
        },
    }
}
