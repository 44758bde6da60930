//! `--format junit`: one test suite per file, one failing test case per finding, one erroring
//! test case per input error, one passing case for a clean file. Buffered: JUnit wants counts
//! before cases.

use std::io::{self, Write};

use kubeward_engine::{FileResult, Sink, Summary};
use quick_xml::escape::escape;

use crate::{object_label, Reporter, RunInfo};

struct Suite {
    name: String,
    cases: Vec<String>,
    failures: usize,
    errors: usize,
}

pub struct JunitReporter {
    out: Box<dyn Write>,
    suites: Vec<Suite>,
    /// The platform group: findings on objects Kubernetes creates itself, as skipped cases of
    /// one suite of their own, after the files' suites.
    platform: Vec<String>,
}

impl JunitReporter {
    pub fn new(out: Box<dyn Write>, _info: RunInfo) -> Self {
        JunitReporter {
            out,
            suites: Vec::new(),
            platform: Vec::new(),
        }
    }
}

impl Sink for JunitReporter {
    fn file(&mut self, r: FileResult) -> io::Result<()> {
        if r.first_piece || self.suites.is_empty() {
            self.suites.push(Suite {
                name: r.file.to_string(),
                cases: Vec::new(),
                failures: 0,
                errors: 0,
            });
        }
        let suite = self.suites.last_mut().expect("pushed above");
        let class = escape(&*r.file).into_owned();
        for f in &r.findings {
            if let Some(s) = f.suppressed.as_ref().filter(|_| f.is_platform()) {
                self.platform.push(format!(
                    "<testcase classname=\"{class}\" name=\"{}\"><skipped message=\"{}: {}:{}:{} {}\"/></testcase>",
                    escape(format!("{} {} {}", f.control.id, object_label(f), f.path)),
                    escape(&s.reason),
                    escape(&*f.file),
                    f.pos.line,
                    f.pos.column,
                    escape(&f.message),
                ));
                continue;
            }
            if let Some(s) = &f.suppressed {
                suite.cases.push(format!(
                    "<testcase classname=\"{class}\" name=\"{}\"><skipped message=\"suppressed by {}: {}\"/></testcase>",
                    escape(format!("{} {} {}", f.control.id, object_label(f), f.path)),
                    s.by.as_str(),
                    escape(&s.reason),
                ));
                continue;
            }
            suite.failures += 1;
            suite.cases.push(format!(
                "<testcase classname=\"{class}\" name=\"{}\"><failure type=\"{}\" message=\"{}\">{}:{}:{} {}\n{}\nfix: {}</failure></testcase>",
                escape(format!("{} {} {}", f.control.id, object_label(f), f.path)),
                f.severity,
                escape(&f.message),
                escape(&*f.file),
                f.pos.line,
                f.pos.column,
                escape(f.path.as_str()),
                escape(&f.message),
                escape(f.control.remediation),
            ));
        }
        for e in &r.errors {
            suite.errors += 1;
            suite.cases.push(format!(
                "<testcase classname=\"{class}\" name=\"input error\"><error message=\"{}\">{}</error></testcase>",
                escape(&e.message),
                escape(e.to_string()),
            ));
        }
        Ok(())
    }
}

impl Reporter for JunitReporter {
    fn risks(&mut self, top: crate::risks::TopRisks) {
        if top.is_empty() {
            return;
        }
        let cases = top
            .json
            .iter()
            .map(|r| {
                let steps: Vec<String> = r["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let at = crate::risks::step_places(s)
                            .first()
                            .map(|(f, l, c, _)| format!(" ({f}:{l}:{c})"))
                            .unwrap_or_default();
                        format!(
                            "{} -> {}{at}",
                            s["edge"].as_str().unwrap_or("?"),
                            s["to"]["description"].as_str().unwrap_or("?")
                        )
                    })
                    .collect();
                format!(
                    "<testcase classname=\"top risks\" name=\"#{} {}\"><failure type=\"score {}\" message=\"{}\">{}</failure></testcase>",
                    r["rank"],
                    escape(r["id"].as_str().unwrap_or("")),
                    r["score"],
                    escape(crate::risks::chain(r)),
                    escape(steps.join("\n")),
                )
            })
            .collect::<Vec<_>>();
        self.suites.push(Suite {
            name: "top risks".to_string(),
            failures: cases.len(),
            cases,
            errors: 0,
        });
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<()> {
        if !self.platform.is_empty() {
            self.suites.push(Suite {
                name: "platform objects".to_string(),
                cases: std::mem::take(&mut self.platform),
                failures: 0,
                errors: 0,
            });
        }
        let tests: usize = self.suites.iter().map(|s| s.cases.len().max(1)).sum();
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"kubeward\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\">",
            summary.findings()
                + self
                    .suites
                    .iter()
                    .filter(|s| s.name == "top risks")
                    .map(|s| s.failures)
                    .sum::<usize>(),
            summary.errors
        )?;
        if !summary.frameworks.is_empty() {
            writeln!(self.out, "<properties>")?;
            for f in &summary.frameworks {
                writeln!(
                    self.out,
                    "<property name=\"compliance.{}\" value=\"{}% ({}/{} controls, {} failing resources)\"/>",
                    f.framework,
                    f.score(),
                    f.controls_passed,
                    f.controls_evaluated,
                    f.resources_failing
                )?;
            }
            writeln!(self.out, "</properties>")?;
        }
        for s in &self.suites {
            let name = escape(&s.name);
            writeln!(
                self.out,
                "<testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
                s.cases.len().max(1),
                s.failures,
                s.errors
            )?;
            if s.cases.is_empty() {
                writeln!(
                    self.out,
                    "<testcase classname=\"{name}\" name=\"no findings\"/>"
                )?;
            }
            for c in &s.cases {
                writeln!(self.out, "{c}")?;
            }
            writeln!(self.out, "</testsuite>")?;
        }
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
