//! `kubeward audit`, wired: settings from flags over the config file over defaults, inputs,
//! the analysis, the report, the exit code.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use kubeward_controls::{registry, Control, Severity};
use kubeward_engine::config::{self, Config};
use kubeward_report::Format;

use crate::detect::Detector;
use crate::input::{self, Input};
use crate::report::{Report, Settings};
use crate::{Analyzer, BurstRule, Judge, Options, Output};

pub struct RunArgs {
    pub paths: Vec<String>,
    pub format: Format,
    pub color: bool,
    pub fail_on: Option<Severity>,
    pub follow: bool,
    pub poll_interval: Duration,
    pub auth_failure_threshold: Option<u32>,
    pub auth_failure_window: Option<Duration>,
    pub trusted_users: Vec<String>,
    pub max_line: usize,
    pub tool_version: &'static str,
}

/// The audit detections to run: all, less the config's `controls.disable`; its
/// `controls.enable` only narrows them when it names an audit detection (a list written for
/// manifest scans must not switch the audit off).
pub fn detections(cfg: Option<&Config>) -> Vec<&'static dyn Control> {
    let mut list: Vec<&'static dyn Control> = registry::all()
        .iter()
        .copied()
        .filter(|c| c.is_audit_detection())
        .collect();
    if let Some(cfg) = cfg {
        if list.iter().any(|c| cfg.enable.contains(&c.meta().id)) {
            list.retain(|c| cfg.enable.contains(&c.meta().id));
        }
        list.retain(|c| !cfg.disable.contains(&c.meta().id));
    }
    list
}

fn usage_error(message: &str) -> anyhow::Result<u8> {
    eprintln!("kubeward: error: {message}");
    Ok(2)
}

pub fn run(args: RunArgs, cfg: Option<&Config>, out: Box<dyn Write>) -> anyhow::Result<u8> {
    let audit_cfg = cfg.map(|c| c.audit.clone()).unwrap_or_default();
    let fail_on = args
        .fail_on
        .or(cfg.and_then(|c| c.fail_on))
        .unwrap_or(Severity::Low);
    let threshold = args
        .auth_failure_threshold
        .or(audit_cfg.auth_failure_threshold)
        .unwrap_or(BurstRule::default().threshold);
    let window = args
        .auth_failure_window
        .or(audit_cfg.auth_failure_window)
        .unwrap_or(Duration::from_secs(60));
    let mut trusted = audit_cfg.trusted_users.clone();
    trusted.extend(args.trusted_users.iter().cloned());

    if args.follow {
        if args.paths.len() != 1 || args.paths[0] == "-" {
            return usage_error("--follow takes exactly one file");
        }
        if matches!(args.format, Format::Sarif | Format::Junit | Format::Html) {
            return usage_error("--follow writes text or json (one object per line); SARIF, JUnit and HTML need a finished run");
        }
    }
    let controls = detections(cfg);
    let detector = match Detector::new(&trusted, controls.iter().map(|c| c.meta().id).collect()) {
        Ok(d) => d,
        Err(e) => return usage_error(&format!("--trusted-user: {e}")),
    };
    let judge = Judge {
        severity: cfg
            .map(|c| c.severity.iter().copied().collect())
            .unwrap_or_default(),
        exclusions: cfg.map(|c| c.exclude.clone()).unwrap_or_default(),
        today: config::today(),
    };
    let mut analyzer = Analyzer::new(Options {
        detector,
        burst: BurstRule {
            threshold,
            window: i64::try_from(window.as_micros()).unwrap_or(i64::MAX),
        },
        judge,
        max_line: args.max_line,
    });
    let settings = Settings {
        fail_on,
        auth_failure_threshold: threshold,
        auth_failure_window_seconds: window.as_secs(),
        trusted_users: trusted,
        follow: args.follow,
    };
    let mut report = Report::new(
        args.format,
        out,
        args.color,
        settings,
        args.tool_version,
        controls,
    )?;

    if args.follow {
        let path = PathBuf::from(&args.paths[0]);
        input::follow(
            &mut analyzer,
            &path,
            args.poll_interval,
            &mut report,
            &|| false,
        )?;
    } else {
        let (inputs, errors): (Vec<Input>, _) = input::collect(&args.paths);
        if !errors.is_empty() {
            analyzer.stats.errors += errors.len() as u64;
            report.results(Vec::new(), errors)?;
        }
        input::analyse_all(&mut analyzer, &inputs, &mut report)?;
    }
    Ok(report.finish(&analyzer.stats)?)
}
