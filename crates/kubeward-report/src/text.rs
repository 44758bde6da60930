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
        }
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
        for line in &lines {
            let pos = line.pos();
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
                    let detail = format!("{} · {}", f.object, f.path);
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
