//! The subcommands: each one wires loaders, engine and reporters together.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use kubeward_controls::{registry, Control, PssVersion, Settings, Severity};
use kubeward_engine::config::{self, Config};
use kubeward_engine::{
    baseline, collect_sources, Engine, FileResult, Framework, Policy, Sink, Source,
};
use kubeward_report::{reporter, Reporter, RunInfo};
use kubeward_yaml::Limits;
use serde_json::json;

use crate::cli::{
    AuditAction, AuditArgs, CertArgs, ColorChoice, Command, ControlsArgs, ReportCommand, ScanArgs,
    ServeArgs,
};

pub fn run(cli: crate::cli::Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args.into_args()),
        Command::Fix(args) => crate::fix::run(args),
        Command::Controls(args) => controls(args),
        Command::Explain { id } => explain(&id),
        Command::Init { path } => init(&path),
        Command::Serve(args) => serve(args),
        Command::Cert(args) => cert(args),
        Command::Node(args) => node(args),
        Command::Rbac { command } => crate::rbac::run(command),
        Command::Audit(args) => audit(args),
        Command::Cluster(args) => crate::cluster::run(args),
        Command::Image(args) => crate::image::run(args),
        Command::Db { command } => crate::db::run(command),
        Command::Netpol { command } => crate::netpol::run(command),
        Command::Risks(args) => crate::risks::run(args),
        Command::Policy { command } => crate::policy::run(command),
        Command::Report { command } => report(command),
    }
}

/// Colour only on a terminal (and not with NO_COLOR), unless asked.
pub(crate) fn use_color(choice: ColorChoice, output: Option<&std::path::Path>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `--output FILE`, or standard output.
pub(crate) fn open_output(output: Option<&std::path::Path>) -> Result<Box<dyn Write>> {
    Ok(match output {
        Some(path) => Box::new(io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

/// `kubeward node`: the CIS Benchmark checks of this node (kubeward-node).
fn node(args: crate::cli::NodeArgs) -> Result<u8> {
    if !args.root.is_dir() {
        eprintln!(
            "kubeward: error: --root {}: not a directory",
            args.root.display()
        );
        return Ok(2);
    }
    let options = kubeward_node::Options {
        root: args.root.clone(),
        proc: args.proc.clone(),
        benchmark: args.benchmark,
        role: args.role,
    };
    let report = kubeward_node::run(&options);
    let color = use_color(args.color, args.output.as_deref());
    let mut out = open_output(args.output.as_deref())?;
    use kubeward_node::report;
    match args.format {
        kubeward_report::Format::Text => {
            report::write_text(&report, &mut out, color, args.fail_on)?
        }
        kubeward_report::Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report::to_json(&report, args.fail_on))?
        )?,
        kubeward_report::Format::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report::to_sarif(&report))?
        )?,
        kubeward_report::Format::Junit => write!(out, "{}", report::to_junit(&report))?,
        kubeward_report::Format::Html => {
            kubeward_report::html::node::write(&report::to_json(&report, args.fail_on), out)?;
            for e in &report.errors {
                eprintln!("kubeward: error: {e}");
            }
            return Ok(report.exit_code(args.fail_on));
        }
    }
    out.flush().context("cannot write the report")?;
    for e in &report.errors {
        eprintln!("kubeward: error: {e}");
    }
    Ok(report.exit_code(args.fail_on))
}

/// `kubeward report merge`: JSON reports into one HTML fleet report. A report that cannot be
/// read is an error (exit 2) and is left out; the others are merged.
fn report(command: ReportCommand) -> Result<u8> {
    let ReportCommand::Merge(args) = command;
    let out = open_output(args.output.as_deref())?;
    let merged = kubeward_report::html::merge::merge(&args.reports, out, env!("CARGO_PKG_VERSION"))
        .context("cannot write the report")?;
    for e in &merged.errors {
        eprintln!("kubeward: error: {e}");
    }
    eprintln!(
        "kubeward: merged {} findings of {} of {} reports",
        merged.findings,
        merged.reports,
        args.reports.len()
    );
    Ok(if merged.errors.is_empty() { 0 } else { 2 })
}

/// `kubeward serve`: the admission webhook; its problems at start are usage errors (exit 2).
fn serve(args: ServeArgs) -> Result<u8> {
    use kubeward_webhook::{NamespaceSource, ServeOptions, WebhookConfig};
    kubeward_webhook::init_logging();
    if !crate::release_freed_memory_at_once() {
        kubeward_webhook::log::warn(
            "cannot set the allocator's purge delay: memory may peak higher",
        );
    }
    let config = match &args.config {
        None => WebhookConfig::default(),
        Some(path) => match WebhookConfig::load(path) {
            Ok(c) => c,
            Err(errors) => {
                for e in errors {
                    eprintln!("kubeward: error: {e}");
                }
                return Ok(2);
            }
        },
    };
    // A webhook does not start with part of its policies: every load error is reported and
    // the start refused (exit 2).
    let (policies, policy_errors) = if args.policies.is_empty() {
        (None, Vec::new())
    } else {
        kubeward_engine::policies::Policies::load(&args.policies)
    };
    if !policy_errors.is_empty() {
        for e in policy_errors {
            eprintln!("kubeward: error: {e}");
        }
        return Ok(2);
    }
    let cluster_policies = (!args.no_cluster && !args.no_cluster_policies).then(|| {
        kubeward_webhook::cluster_policies::ClusterPolicyOptions {
            paths: args.policies.clone(),
            interval: args.cluster_policies_interval,
        }
    });
    let opts = ServeOptions {
        policies,
        cluster_policies,
        listen: args.listen,
        tls: (!args.insecure_http).then(|| (args.tls_cert.clone(), args.tls_key.clone())),
        cert_reload_interval: args.cert_reload_interval,
        config,
        namespaces: if args.no_cluster {
            NamespaceSource::Static
        } else {
            NamespaceSource::Cluster
        },
        read_timeout: args.read_timeout,
        handshake_timeout: args.read_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections,
        max_evaluations: args.max_evaluations,
        body_budget: args.body_budget,
        max_object_values: args.max_object_values,
        shutdown_delay: args.shutdown_delay,
        shutdown_timeout: args.shutdown_timeout,
        threads: args.threads,
    };
    match kubeward_webhook::server::run(opts) {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("kubeward: error: {e:#}");
            Ok(2)
        }
    }
}

/// `kubeward cert`: CA and serving certificate files, and the caBundle on standard output.
fn cert(args: CertArgs) -> Result<u8> {
    let bundle = kubeward_webhook::cert::generate(&args.names, args.days)?;
    kubeward_webhook::cert::write(&bundle, &args.out_dir)?;
    eprintln!(
        "kubeward: wrote ca.crt, ca.key, tls.crt and tls.key in {} for {}; the caBundle follows",
        args.out_dir.display(),
        args.names.join(", ")
    );
    let mut out = io::stdout().lock();
    writeln!(out, "{}", bundle.ca_bundle())?;
    Ok(0)
}

/// `kubeward init`: a commented starter config; never overwrites a file.
fn init(path: &std::path::Path) -> Result<u8> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    match file {
        Ok(mut f) => {
            f.write_all(config::STARTER.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("kubeward: wrote {}", path.display());
            Ok(0)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            eprintln!(
                "kubeward: error: {} already exists; not overwriting it",
                path.display()
            );
            Ok(2)
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// The config file the scan uses: `--config`, else the nearest `.kubeward.yaml` upward.
/// Its problems are usage errors: a scan under a policy other than the one written is wrong.
pub(crate) fn load_config(
    no_config: bool,
    config: Option<&std::path::Path>,
) -> Result<Option<Config>, u8> {
    if no_config {
        return Ok(None);
    }
    let path = match config {
        Some(p) => p.to_path_buf(),
        None => match std::env::current_dir().ok().and_then(|d| config::find(&d)) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    match Config::load(&path) {
        Ok(c) => Ok(Some(c)),
        Err(errors) => {
            for e in errors {
                eprintln!("kubeward: error: {e}");
            }
            Err(2)
        }
    }
}

/// Controls to run: the frameworks' controls, then the config's enable/disable lists.
pub(crate) fn chosen(frameworks: &[Framework], cfg: Option<&Config>) -> Vec<&'static dyn Control> {
    let mut list = selected(frameworks);
    if let Some(cfg) = cfg {
        if !cfg.enable.is_empty() {
            list.retain(|c| cfg.enable.contains(&c.meta().id));
        }
        list.retain(|c| !cfg.disable.contains(&c.meta().id));
    }
    list
}

fn selected(frameworks: &[Framework]) -> Vec<&'static dyn Control> {
    registry::all()
        .iter()
        .copied()
        .filter(|c| frameworks.iter().any(|f| f.includes(*c)))
        .collect()
}

fn framework_name(f: Framework) -> &'static str {
    match f {
        Framework::All => "all",
        Framework::PssBaseline => "pss-baseline",
        Framework::PssRestricted => "pss-restricted",
        Framework::Nsa => "nsa",
        Framework::Cis => "cis",
        Framework::Mitre => "mitre",
    }
}

/// Shows progress on long scans, on a terminal only.
/// Also keeps the containers' images for `--images`.
struct Progress<'a> {
    inner: &'a mut dyn Reporter,
    bar: Option<indicatif::ProgressBar>,
    images: Vec<kubeward_engine::ImageUse>,
    /// The risk graph's facts, gathered by the engine.
    risk_input: crate::risks::Facts,
}

impl Sink for Progress<'_> {
    fn file(&mut self, mut r: FileResult) -> io::Result<()> {
        if let Some(bar) = &self.bar {
            bar.inc(r.bytes);
        }
        self.images.append(&mut r.images);
        crate::risks::take(&mut r, &mut self.risk_input);
        self.inner.file(r)
    }
}

/// What every manifest-scanning command takes from its flags and the config file.
pub(crate) struct Base {
    pub fail_on: Severity,
    pub pss_version: PssVersion,
    pub frameworks: Vec<Framework>,
    pub settings: Settings,
    pub policy: Policy,
}

/// Flags win over the config file, which wins over the defaults.
pub(crate) fn base(
    cfg: Option<&Config>,
    fail_on: Option<Severity>,
    pss_version: Option<PssVersion>,
    framework: &[Framework],
) -> Base {
    let fail_on = fail_on
        .or(cfg.and_then(|c| c.fail_on))
        .unwrap_or(Severity::Low);
    let pss_version = pss_version
        .or(cfg.and_then(|c| c.pss_version))
        .unwrap_or(PssVersion::LATEST);
    let frameworks = if !framework.is_empty() {
        framework.to_vec()
    } else {
        cfg.and_then(|c| c.frameworks.clone())
            .unwrap_or_else(|| vec![Framework::All])
    };
    let settings = Settings {
        pss_version,
        allowed_registries: cfg
            .map(|c| c.allowed_registries.clone())
            .unwrap_or_default(),
        require_pull_always: cfg.is_some_and(|c| c.require_image_pull_always),
        secret_max_age_days: cfg
            .and_then(|c| c.secret_max_age_days)
            .unwrap_or(Settings::default().secret_max_age_days),
        ..Settings::default()
    };
    let mut policy = Policy {
        today: config::today(),
        ..Policy::default()
    };
    if let Some(cfg) = cfg {
        policy.severity = cfg.severity.iter().copied().collect();
        policy.exclusions = cfg.exclude.clone();
        policy.config_file = cfg
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }
    Base {
        fail_on,
        pss_version,
        frameworks,
        settings,
        policy,
    }
}

pub(crate) fn scan(args: ScanArgs) -> Result<u8> {
    // Helm charts are rendered first (crate::helm); the other paths are read as usual.
    let (charts, paths): (Vec<String>, Vec<String>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| crate::helm::is_chart(p));
    let (mut sources, mut source_errors) = collect_sources(&paths);
    let mut values = std::collections::HashMap::new();
    for dir in &charts {
        match crate::helm::render(dir) {
            Ok(s) => {
                sources.push(s);
                values.extend(crate::helm::template_values(std::path::Path::new(dir)));
            }
            Err(e) => source_errors.push(e),
        }
    }
    // Paths that could not be read are reported like any other input error.
    let early = source_errors
        .into_iter()
        .map(|e| {
            let mut r = FileResult::new(Arc::clone(&e.file));
            r.errors.push(e);
            r
        })
        .collect();
    let mut args = args;
    args.template_values = values;
    scan_with(&args, &sources, early, Default::default())
}

/// Scan `sources` under the options of `args` (its paths are not read): `early` results are
/// reported first, and `covered` objects are left to their owners (`kubeward cluster`).
pub(crate) fn scan_with(
    args: &ScanArgs,
    sources: &[Source],
    early: Vec<FileResult>,
    covered: std::collections::HashSet<kubeward_model::ObjectId>,
) -> Result<u8> {
    scan_with_policies(args, sources, early, covered, Vec::new())
}

/// [`scan_with`], with policy objects read from a live cluster (`(location, object)`, see
/// [`kubeward_engine::policies::Policies::load_with`]) besides the policy files.
pub(crate) fn scan_with_policies(
    args: &ScanArgs,
    sources: &[Source],
    early: Vec<FileResult>,
    covered: std::collections::HashSet<kubeward_model::ObjectId>,
    cluster_policies: Vec<(String, serde_json::Value)>,
) -> Result<u8> {
    let cfg = match load_config(args.no_config, args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let Base {
        fail_on,
        pss_version,
        frameworks,
        mut settings,
        mut policy,
    } = base(
        cfg.as_ref(),
        args.fail_on,
        args.pss_version,
        &args.framework,
    );
    // The HTML page always holds the suppressed findings: it lists them apart (with who
    // suppressed them, why and until when) and hides them from the default view.
    let show_suppressed = args.show_suppressed
        || (args.format == kubeward_report::Format::Html && args.risks_only.is_none());
    policy.show_suppressed = show_suppressed;
    policy.include_platform = args.include_platform;
    if let Some(ns) = &args.target_namespace {
        settings.namespace = ns.clone();
    }
    // The risk graph places objects without a namespace where the cross-object controls do.
    policy.gather = (args.top_risks > 0 && !args.parse_only).then(|| {
        std::sync::Arc::new(crate::risks::RiskGather {
            namespace: Arc::from(settings.namespace.as_str()),
        }) as std::sync::Arc<dyn kubeward_engine::gather::Gather>
    });
    policy.covered = covered;
    policy.collect_images = args.images;
    policy.template_values = args.template_values.clone();
    let snippets = args.format == kubeward_report::Format::Text
        && !args.compact
        && args.risks_only.is_none()
        && !args.parse_only;
    policy.snippets = snippets;
    if let Some(path) = &args.baseline {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "kubeward: error: {}: cannot read the baseline: {e}",
                    path.display()
                );
                return Ok(2);
            }
        };
        match baseline::fingerprints(&text) {
            Ok(set) => policy.baseline = set,
            Err(e) => {
                eprintln!("kubeward: error: {}: {e}", path.display());
                return Ok(2);
            }
        }
        policy.baseline_name = path.display().to_string();
    }
    let limits = Limits {
        max_document_bytes: args.max_document_size,
        ..Limits::default()
    };
    let controls = if args.parse_only {
        Vec::new()
    } else {
        chosen(&frameworks, cfg.as_ref())
    };
    // Users' policies: a policy that does not load is an input error (exit 2) at its file,
    // line and column, reported before the scan's results; the others still run.
    let mut early = early;
    let policy_paths: Vec<std::path::PathBuf> = cfg
        .as_ref()
        .map(|c| c.policies.clone())
        .unwrap_or_default()
        .into_iter()
        .chain(args.policies.iter().cloned())
        .collect();
    let (policies, policy_errors) =
        if (policy_paths.is_empty() && cluster_policies.is_empty()) || args.parse_only {
            (None, Vec::new())
        } else {
            kubeward_engine::policies::Policies::load_with(&policy_paths, cluster_policies)
        };
    for e in policy_errors {
        let mut r = FileResult::new(Arc::clone(&e.file));
        r.errors.push(e);
        early.push(r);
    }
    let engine = Engine::new(controls, settings, limits)
        .with_policy(policy)
        .with_policies(policies);

    let color = use_color(args.color, args.output.as_deref());
    let out = open_output(args.output.as_deref())?;
    let info = RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        pss_version,
        frameworks: frameworks
            .iter()
            .map(|f| framework_name(*f).to_string())
            .collect(),
        fail_on,
        controls: engine.controls(),
        attack_paths: args.top_risks > 0 && !args.parse_only,
    };
    let mut rep: Box<dyn Reporter> = match args.risks_only {
        Some(format) => Box::new(crate::risks::RisksReporter::new(format, out, info)),
        // The HTML report embeds the source lines around each finding, read back from the
        // scanned files (kubeward-report's html::source: bounded and redacted).
        None if args.format == kubeward_report::Format::Html => Box::new(
            kubeward_report::HtmlReporter::new(out, info, args.kind.unwrap_or("scan"), true),
        ),
        None if snippets => {
            Box::new(kubeward_report::TextReporter::new(out, info, color).with_snippets())
        }
        None => reporter(args.format, out, info, color),
    };

    let total: u64 = sources
        .iter()
        .map(|s| match s {
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum();
    let bar = (io::stderr().is_terminal() && total > 16 << 20).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} scanning {bytes}/{total_bytes} {wide_bar} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });

    let mut summary;
    let mut vulns = Vec::new();
    let risk_input;
    {
        let mut sink = Progress {
            inner: rep.as_mut(),
            bar: bar.clone(),
            images: Vec::new(),
            risk_input: Default::default(),
        };
        let mut before = kubeward_engine::Summary::new(0);
        for r in early {
            before.add(&r);
            sink.file(r)?;
        }
        summary = engine.scan(sources, &mut sink)?;
        summary.errors += before.errors;
        summary.warnings += before.warnings;
        if args.images {
            if let Some(bar) = &bar {
                bar.set_message("scanning images");
            }
            let uses = std::mem::take(&mut sink.images);
            for mut r in crate::image::scan_images(uses, args, cfg.as_ref(), &engine, &mut vulns) {
                summary.add(&r);
                if !show_suppressed {
                    r.findings
                        .retain(|f| f.suppressed.is_none() || f.is_platform());
                }
                sink.file(r)?;
            }
        }
        risk_input = std::mem::take(&mut sink.risk_input);
    }
    let mut found_risks = 0;
    if args.top_risks > 0 && !args.parse_only {
        let (graph, risks) = crate::risks::analyse(risk_input, &vulns);
        found_risks = risks.risks.len();
        rep.risks(kubeward_report::risks::TopRisks::new(
            &graph,
            &risks,
            args.top_risks,
        ));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    rep.finish(&summary).context("cannot write the report")?;
    if args.risks_only.is_some() {
        return Ok(crate::risks::exit_code(summary.errors, found_risks));
    }
    Ok(summary.exit_code(fail_on) as u8)
}

/// `kubeward audit`: the audit log analysis (kubeward-audit), with the config file's
/// `audit:` section, severity overrides, exclusions and disabled controls.
fn audit(args: AuditArgs) -> Result<u8> {
    if let Some(AuditAction::Policy) = args.action {
        io::stdout()
            .lock()
            .write_all(kubeward_audit::policy::RECOMMENDED.as_bytes())?;
        return Ok(0);
    }
    let cfg = match load_config(args.no_config, args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let (out, color) = (
        open_output(args.output.as_deref())?,
        use_color(args.color, args.output.as_deref()),
    );
    let run = kubeward_audit::run::RunArgs {
        paths: args.paths,
        format: args.format,
        color,
        fail_on: args.fail_on,
        follow: args.follow,
        poll_interval: args.poll_interval,
        auth_failure_threshold: args.auth_failure_threshold,
        auth_failure_window: args.auth_failure_window,
        trusted_users: args.trusted_users,
        max_line: args.max_line_size,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    kubeward_audit::run::run(run, cfg.as_ref(), out)
}

fn frameworks_text(c: &dyn Control) -> String {
    let f = c.meta().frameworks;
    let mut parts = Vec::new();
    if let Some(p) = f.pss {
        parts.push(format!("PSS {} ({})", p.level.as_str(), p.check));
    }
    if !f.cis.is_empty() {
        parts.push(format!("CIS {}", f.cis.join(", ")));
    }
    if !f.nsa.is_empty() {
        parts.push("NSA".to_string());
    }
    if !f.mitre.is_empty() {
        parts.push(format!("MITRE {}", f.mitre.join(", ")));
    }
    parts.join("; ")
}

fn controls(args: ControlsArgs) -> Result<u8> {
    let list = selected(&[args.framework]);
    let mut out = io::stdout().lock();
    if args.format == "json" {
        let items: Vec<_> = list
            .iter()
            .map(|c| {
                let m = c.meta();
                let f = m.frameworks;
                json!({
                    "id": m.id,
                    "name": m.name,
                    "title": m.title,
                    "severity": m.severity.as_str(),
                    "remediation": m.remediation,
                    "frameworks": {
                        "pss": f.pss.map(|p| json!({"level": p.level.as_str(), "check": p.check, "since": format!("v1.{}", p.since)})),
                        "nsa": f.nsa, "cis": f.cis, "mitre": f.mitre,
                    },
                    "fix": c.fix().to_info(),
                    "documentation": m.documentation(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
    } else {
        writeln!(
            out,
            "{:<6} {:<9} {:<40} {:<10} FRAMEWORKS",
            "ID", "SEVERITY", "TITLE", "FIX"
        )?;
        for c in &list {
            let m = c.meta();
            writeln!(
                out,
                "{:<6} {:<9} {:<40} {:<10} {}",
                m.id,
                m.severity.as_str(),
                m.title,
                c.fix().kind(),
                frameworks_text(*c)
            )?;
        }
        writeln!(
            out,
            "\n{} controls. `kubeward explain ID` prints one's documentation; FIX auto: `kubeward fix` edits it, suggestion: a value only you know.",
            list.len()
        )?;
    }
    Ok(0)
}

fn explain(key: &str) -> Result<u8> {
    let Some(c) = registry::find(key) else {
        eprintln!("kubeward: error: no control {key:?}; `kubeward controls` lists them");
        return Ok(2);
    };
    let m = c.meta();
    let f = m.frameworks;
    let mut out = io::stdout().lock();
    writeln!(out, "{} {}: {}", m.id, m.name, m.title)?;
    writeln!(out, "severity: {}", m.severity)?;
    if let Some(p) = f.pss {
        writeln!(
            out,
            "Pod Security Standards: {} level, check {}, since v1.{}",
            p.level.as_str(),
            p.check,
            p.since
        )?;
    }
    if !f.nsa.is_empty() {
        writeln!(out, "NSA/CISA: {}", f.nsa.join("; "))?;
    }
    if !f.cis.is_empty() {
        writeln!(out, "CIS Kubernetes Benchmark: {}", f.cis.join(", "))?;
    }
    if !f.mitre.is_empty() {
        writeln!(out, "MITRE ATT&CK: {}", f.mitre.join(", "))?;
    }
    writeln!(out, "fix: {}", m.remediation)?;
    writeln!(out, "kubeward fix: {}\n", c.fix().describe())?;
    write!(out, "{}", m.documentation())?;
    Ok(0)
}
