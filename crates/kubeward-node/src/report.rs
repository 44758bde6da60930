//! Writing a [`NodeReport`]: text grouped like kube-bench, JSON (docs/node.md), SARIF 2.1.0
//! and JUnit. In SARIF and JUnit the FAILs are the results (failures); WARN and MANUAL are
//! kept as skipped test cases in JUnit and as properties in the JSON.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use kubeward_controls::node::benchmark::section_title;
use kubeward_controls::Severity;
use quick_xml::escape::escape;
use serde_json::{json, Value};

use crate::{CheckResult, NodeReport, Status};

/// Bumped on any incompatible change of the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

fn status_style(s: Status) -> Style {
    let c = match s {
        Status::Pass => AnsiColor::Green,
        Status::Fail => AnsiColor::Red,
        Status::Warn => AnsiColor::Yellow,
        Status::Manual => AnsiColor::Cyan,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

fn role_text(r: &NodeReport) -> String {
    format!(
        "{} ({})",
        r.role.as_str(),
        if r.role_forced { "forced" } else { "detected" }
    )
}

/// kube-bench's layout: `[INFO]` section headings, one `[STATUS] id title` line per check
/// with observed and expected values under the ones that are not PASS, the remediations of
/// FAIL and WARN, and a summary of counts.
pub fn write_text(
    r: &NodeReport,
    out: &mut dyn Write,
    color: bool,
    fail_on: Severity,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    writeln!(
        out,
        "{} {} ({}, Kubernetes {}) · role {} · root {}",
        paint(color, bold, "kubeward node:"),
        r.benchmark.title(),
        r.benchmark.name(),
        r.benchmark.kubernetes(),
        role_text(r),
        r.root
    )?;
    if r.components.is_empty() {
        writeln!(out, "components: none found")?;
    } else {
        writeln!(out, "components:")?;
        for c in &r.components {
            let mut line = format!("  {:<24} {}", c.name, c.source);
            if let Some(m) = c
                .manifest
                .as_ref()
                .filter(|_| matches!(c.source, crate::Source::Process { .. }))
            {
                line.push_str(&format!(" · manifest {m}"));
            }
            if let Some(cfg) = &c.config {
                line.push_str(&format!(" · config {cfg}"));
            }
            writeln!(out, "{line}")?;
        }
    }
    let mut section = "";
    let mut group = "";
    for res in &r.results {
        let c = res.check;
        if c.section() != section {
            section = c.section();
            writeln!(
                out,
                "\n{} {section} {}",
                paint(color, bold, "[INFO]"),
                section_title(section)
            )?;
        }
        if c.group() != group {
            group = c.group();
            if group != section {
                writeln!(
                    out,
                    "{} {group} {}",
                    paint(color, bold, "[INFO]"),
                    section_title(group)
                )?;
            }
        }
        let tag = paint(
            color,
            status_style(res.status),
            &format!("[{}]", res.status.as_str()),
        );
        writeln!(out, "{tag} {} {}", c.id, c.full_title())?;
        if matches!(res.status, Status::Fail | Status::Warn) {
            writeln!(
                out,
                "       {}",
                paint(color, dim, &format!("observed: {}", res.observed))
            )?;
            writeln!(
                out,
                "       {}",
                paint(color, dim, &format!("expected: {}", res.expected))
            )?;
            if let Some(l) = &res.location {
                let at = match (l.line, l.column) {
                    (Some(line), Some(col)) => format!("{}:{line}:{col}", l.file),
                    _ => l.file.clone(),
                };
                writeln!(out, "       {}", paint(color, dim, &format!("at: {at}")))?;
            }
        }
    }
    let todo: Vec<&CheckResult> = r
        .results
        .iter()
        .filter(|x| matches!(x.status, Status::Fail | Status::Warn))
        .collect();
    if !todo.is_empty() {
        writeln!(out, "\n{}", paint(color, bold, "== Remediations =="))?;
        for x in todo {
            writeln!(
                out,
                "{} [{}] {}",
                x.check.id,
                x.status.as_str(),
                x.check.remediation
            )?;
        }
    }
    if !r.errors.is_empty() {
        writeln!(out, "\n{}", paint(color, bold, "== Input errors =="))?;
        for e in &r.errors {
            writeln!(
                out,
                "{} {e}",
                paint(color, status_style(Status::Fail), "error:")
            )?;
        }
    }
    writeln!(out, "\n{}", paint(color, bold, "== Summary =="))?;
    for s in [Status::Pass, Status::Fail, Status::Warn, Status::Manual] {
        let n = r.count(s);
        writeln!(
            out,
            "{n} checks {}",
            paint(color && n > 0, status_style(s), s.as_str())
        )?;
    }
    let failing = failing_count(r, fail_on);
    writeln!(
        out,
        "{failing} FAIL at or above {fail_on}{}",
        if r.errors.is_empty() {
            String::new()
        } else {
            format!("; {} input errors", r.errors.len())
        }
    )?;
    out.flush()
}

fn failing_count(r: &NodeReport, fail_on: Severity) -> usize {
    r.results
        .iter()
        .filter(|x| x.status == Status::Fail && x.severity() >= fail_on)
        .count()
}

fn result_json(x: &CheckResult) -> Value {
    let c = x.check;
    let mut v = json!({
        "id": c.id,
        "section": c.section(),
        "group": c.group(),
        "title": c.title,
        "automated": c.automated,
        "status": x.status,
        "severity": c.severity.as_str(),
        "observed": x.observed,
        "expected": x.expected,
        "remediation": c.remediation,
    });
    if let Some(l) = &x.location {
        v["location"] = json!(l);
    }
    if let Some(s) = &x.source {
        v["source"] = json!(s);
    }
    v
}

/// The JSON document (schema: `schema/kubeward-node-report.schema.json`, docs/node.md).
pub fn to_json(r: &NodeReport, fail_on: Severity) -> Value {
    let mut sections: Vec<Value> = Vec::new();
    for x in &r.results {
        for id in [x.check.section(), x.check.group()] {
            if !sections.iter().any(|s| s["id"] == id) {
                sections.push(json!({"id": id, "title": section_title(id)}));
            }
        }
    }
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeward", "version": TOOL_VERSION},
        "benchmark": {
            "name": r.benchmark.name(),
            "title": r.benchmark.title(),
            "kubernetes": r.benchmark.kubernetes(),
        },
        "node": {
            "role": r.role,
            "roleSource": if r.role_forced { "forced" } else { "detected" },
            "root": r.root,
        },
        "components": r.components,
        "sections": sections,
        "results": r.results.iter().map(result_json).collect::<Vec<_>>(),
        "errors": r.errors,
        "summary": {
            "pass": r.count(Status::Pass),
            "fail": r.count(Status::Fail),
            "warn": r.count(Status::Warn),
            "manual": r.count(Status::Manual),
            "total": r.results.len(),
            "failOn": fail_on.as_str(),
            "failing": failing_count(r, fail_on),
            "errors": r.errors.len(),
        },
    })
}

fn rule_id(x: &CheckResult) -> String {
    format!("CIS-{}", x.check.id)
}

/// SARIF 2.1.0: one rule per check evaluated, one result per FAIL (located at the file the
/// value comes from when there is one), input errors as tool notifications.
pub fn to_sarif(r: &NodeReport) -> Value {
    use kubeward_report::{file_uri, sarif_level, security_severity};
    let rules: Vec<Value> = r
        .results
        .iter()
        .map(|x| {
            let c = x.check;
            json!({
                "id": rule_id(x),
                "name": format!("{} {}", r.benchmark.name(), c.id),
                "shortDescription": {"text": c.full_title()},
                "fullDescription": {"text": c.remediation},
                "help": {"text": c.remediation},
                "defaultConfiguration": {"level": sarif_level(c.severity)},
                "properties": {
                    "tags": ["security", "kubernetes", "cis", format!("CIS-{}", c.id)],
                    "security-severity": security_severity(c.severity),
                    "kubeward-severity": c.severity.as_str(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = r
        .results
        .iter()
        .enumerate()
        .filter(|(_, x)| x.status == Status::Fail)
        .map(|(i, x)| {
            let mut v = json!({
                "ruleId": rule_id(x),
                "ruleIndex": i,
                "level": sarif_level(x.check.severity),
                "message": {"text": format!(
                    "CIS {} {}: observed {}; expected {}. {}",
                    x.check.id, x.check.title, x.observed, x.expected, x.check.remediation
                )},
                "properties": {"observed": x.observed, "expected": x.expected},
            });
            if let Some(l) = &x.location {
                let mut physical = json!({"artifactLocation": {"uri": file_uri(&l.file)}});
                if let (Some(line), Some(col)) = (l.line, l.column) {
                    physical["region"] = json!({"startLine": line, "startColumn": col});
                }
                v["locations"] = json!([{"physicalLocation": physical}]);
            }
            v
        })
        .collect();
    let notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| {
            let mut physical = json!({"artifactLocation": {"uri": file_uri(&e.file)}});
            if let (Some(line), Some(col)) = (e.line, e.column) {
                physical["region"] = json!({"startLine": line, "startColumn": col});
            }
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": physical}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubeward",
                "version": TOOL_VERSION,
                "informationUri": "https://example.invalid/kubeward",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": r.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "benchmark": r.benchmark.name(),
                "role": r.role,
            },
        }],
    })
}

/// JUnit: one suite per group (1.1, 1.2, ...), one case per check; FAIL is a failure, WARN
/// and MANUAL are skipped with the reason, input errors are errored cases of their own suite.
pub fn to_junit(r: &NodeReport) -> String {
    let mut suites: Vec<(String, Vec<String>, usize, usize, usize)> = Vec::new();
    for x in &r.results {
        let group = x.check.group();
        let name = format!("{} {group} {}", r.benchmark.name(), section_title(group));
        if suites.last().is_none_or(|s| s.0 != name) {
            suites.push((name, Vec::new(), 0, 0, 0));
        }
        let suite = suites.last_mut().expect("pushed above");
        let case_name = escape(format!("{} {}", x.check.id, x.check.full_title())).into_owned();
        let class = escape(&suite.0).into_owned();
        let detail = escape(format!(
            "observed: {}\nexpected: {}\nfix: {}",
            x.observed, x.expected, x.check.remediation
        ))
        .into_owned();
        let case = match x.status {
            Status::Pass => format!("<testcase classname=\"{class}\" name=\"{case_name}\"/>"),
            Status::Fail => {
                suite.2 += 1;
                format!(
                    "<testcase classname=\"{class}\" name=\"{case_name}\"><failure type=\"{}\" message=\"{}\">{detail}</failure></testcase>",
                    x.check.severity,
                    escape(&x.observed)
                )
            }
            Status::Warn | Status::Manual => {
                suite.4 += 1;
                format!(
                    "<testcase classname=\"{class}\" name=\"{case_name}\"><skipped message=\"{}: {}\"/></testcase>",
                    x.status.as_str(),
                    escape(&x.observed)
                )
            }
        };
        suite.1.push(case);
    }
    if !r.errors.is_empty() {
        let cases = r
            .errors
            .iter()
            .map(|e| {
                format!(
                    "<testcase classname=\"input errors\" name=\"{}\"><error message=\"{}\"/></testcase>",
                    escape(&e.file),
                    escape(e.to_string())
                )
            })
            .collect();
        suites.push(("input errors".to_string(), cases, 0, r.errors.len(), 0));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures: usize = suites.iter().map(|s| s.2).sum();
    let errors: usize = suites.iter().map(|s| s.3).sum();
    let tests: usize = suites.iter().map(|s| s.1.len()).sum();
    out.push_str(&format!(
        "<testsuites name=\"kubeward node\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    ));
    for (name, cases, f, e, skipped) in &suites {
        out.push_str(&format!(
            "<testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{skipped}\">\n",
            escape(name.as_str()),
            cases.len()
        ));
        for c in cases {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str("</testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
