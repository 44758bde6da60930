//! Risks in `scan` and `cluster`: the engine gathers the risk graph's facts from every object
//! in its one pass (kubeward-engine's `gather`), the image scan adds its vulnerabilities, and
//! the ranked attack paths go to the reporter as its "Top risks" section (docs/risks.md).

use std::any::Any;
use std::sync::Arc;

use std::io::Write;

use kubeward_engine::gather::{Gather, Gathered};
use kubeward_engine::{FileResult, Sink, Summary};
use kubeward_report::risks::{text_from_json, TopRisks};
use kubeward_report::{Reporter, RunInfo};
use serde_json::Value;

use crate::cli::{AttackPathArgs, Cli, Command, RiskFormat};
use clap::Parser;
use kubeward_model::Object;
use kubeward_risk::pack::Packed;
use kubeward_risk::{RiskGraph, RiskInput, RiskOptions, Risks};

/// One [`Facts`] per unit of the engine's work; objects without `metadata.namespace` are in
/// `namespace` (`kubeward scan -n`, `default` unless set), as for the cross-object controls.
pub(crate) struct RiskGather {
    pub namespace: Arc<str>,
}

/// What the risks need of the objects: the risk graph's facts, and the NetworkPolicy model
/// that decides which exposures the policies let through.
#[derive(Default)]
pub(crate) struct Facts {
    risk: RiskInput,
    network: kubeward_netpol::NetModel,
    /// The network model's Services, packed until a NetworkPolicy calls for the model.
    services: Packed<kubeward_netpol::model::Service>,
    namespace: Option<Arc<str>>,
}

impl Gather for RiskGather {
    fn start(&self) -> Box<dyn Gathered> {
        Box::new(Facts {
            network: kubeward_netpol::NetModel::in_namespace(&self.namespace),
            namespace: Some(self.namespace.clone()),
            ..Facts::default()
        })
    }
}

impl Gathered for Facts {
    fn add(&mut self, object: &Object<'_>, file: &Arc<str>) {
        let ns = self
            .namespace
            .as_deref()
            .unwrap_or(kubeward_risk::facts::DEFAULT_NAMESPACE);
        // Workloads go to the network model from the risk facts, and only when there is a
        // NetworkPolicy (`analyse`): one copy of them through the scan, not two.
        if self.risk.add_object_in(object, file, ns) {
            return;
        }
        // Field problems are the scan's to report (its shape checks and controls); the
        // network model keeps what it can read. Services are kept packed (most scans'
        // biggest share of the model), and go to it only when there is a NetworkPolicy.
        if let Some(service) = self.network.read_service(object, file) {
            self.services.push(&service);
            return;
        }
        let _ = self.network.add_object(object, file);
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// Move a result's gathered facts into `into` (results come in input order).
pub(crate) fn take(r: &mut FileResult, into: &mut Facts) {
    if let Some(g) = r.gathered.take() {
        if let Ok(unit) = g.into_any().downcast::<Facts>() {
            let Facts {
                risk,
                network,
                services,
                ..
            } = *unit;
            into.risk.merge(risk);
            into.network.merge(network);
            into.services.append(services);
        }
    }
}

/// An image vulnerability found by `--images`, for the VULNERABLE_IMAGE edges.
pub(crate) struct ImageVuln {
    pub image: String,
    pub severity: kubeward_controls::Severity,
    pub id: String,
    pub fixed: bool,
}

/// Build the graph and rank its risks: exposures are those the scan's NetworkPolicies let
/// through.
pub(crate) fn analyse(facts: Facts, vulns: &[ImageVuln]) -> (RiskGraph, Risks) {
    let Facts {
        risk: mut input,
        mut network,
        services,
        ..
    } = facts;
    use kubeward_controls::Severity as S;
    for v in vulns {
        let severity = match v.severity {
            S::Critical => kubeward_risk::Severity::Critical,
            S::High => kubeward_risk::Severity::High,
            S::Medium => kubeward_risk::Severity::Medium,
            S::Low | S::Info => kubeward_risk::Severity::Low,
        };
        input.add_image_vuln(&v.image, severity, &v.id, v.fixed);
    }
    let graph = if network.has_policies() {
        // The network model's Services and workloads come from the facts, now that a
        // NetworkPolicy calls for it; it is made beside the first stage of the build and
        // dropped before the graph grows.
        RiskGraph::build_filtered(input, move |input| {
            for s in services.into_iter_decoded() {
                network.push_service(s);
            }
            for w in kubeward_risk::exposure::network_workloads(input) {
                network.push_workload(w);
            }
            kubeward_risk::exposure::ExposureFilter::new(&network.finish())
        })
    } else {
        RiskGraph::build(input)
    };
    let risks = graph.risks(&RiskOptions::default());
    (graph, risks)
}

/// `kubeward risks`: 2 for an input error, 1 when there is a risk, 0 otherwise.
pub(crate) fn exit_code(errors: usize, risks: usize) -> u8 {
    if errors > 0 {
        2
    } else if risks > 0 {
        1
    } else {
        0
    }
}

/// `kubeward risks`: a scan of the manifests (or of the cluster, `--cluster`) that reports
/// only its risks, or the risks of an earlier report (`--from-report`).
pub(crate) fn run(a: AttackPathArgs) -> anyhow::Result<u8> {
    if let Some(path) = &a.from_report {
        return from_report(&a, path);
    }
    // The same options as `kubeward scan` / `kubeward cluster`, parsed by their own
    // definitions so that every default stays theirs.
    let mut argv: Vec<std::ffi::OsString> = vec!["kubeward".into()];
    if a.cluster {
        argv.push("cluster".into());
        if let Some(k) = &a.kubeconfig {
            argv.extend(["--kubeconfig".into(), k.into()]);
        }
        if let Some(c) = &a.context {
            argv.extend(["--context".into(), c.into()]);
        }
    } else {
        argv.push("scan".into());
        argv.extend(a.paths.iter().map(Into::into));
        if let Some(ns) = &a.namespace {
            argv.extend(["--namespace".into(), ns.into()]);
        }
    }
    argv.extend(["--top-risks".into(), a.limit.to_string().into()]);
    if let Some(o) = &a.output {
        argv.extend(["--output".into(), o.into()]);
    }
    if a.no_config {
        argv.push("--no-config".into());
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("kubeward: error: {e}");
            return Ok(2);
        }
    };
    match cli.command {
        Command::Scan(s) => {
            let mut s = s.into_args();
            s.risks_only = Some(a.format);
            crate::commands::scan(s)
        }
        Command::Cluster(mut c) => {
            c.scan.risks_only = Some(a.format);
            crate::cluster::run(c)
        }
        _ => Ok(2),
    }
}

/// `--from-report FILE`: the `risks` of a JSON report, in text, JSON or SARIF (a picture
/// needs the graph: scan the manifests for mermaid or dot).
fn from_report(a: &AttackPathArgs, path: &std::path::Path) -> anyhow::Result<u8> {
    let fail = |message: String| {
        eprintln!("kubeward: error: {}: {message}", path.display());
        Ok(2)
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read the report: {e}")),
    };
    let report: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return fail(format!(
                "not a JSON report: {}",
                kubeward_engine::json_error::describe(&e)
            ))
        }
    };
    let Some(risks) = report.get("risks").and_then(Value::as_array) else {
        return fail(
            "the report has no `risks` (was it written with --top-risks 0, or by another command?)"
                .into(),
        );
    };
    let risks: Vec<Value> = risks.iter().take(a.limit as usize).cloned().collect();
    let mut out = crate::commands::open_output(a.output.as_deref())?;
    match a.format {
        RiskFormat::Text => out.write_all(text_from_json(&risks).as_bytes())?,
        RiskFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"schema": kubeward_risk::render::SCHEMA, "risks": risks}),
            )?;
            out.write_all(b"\n")?;
        }
        RiskFormat::Sarif => {
            let mut rep = kubeward_report::SarifReporter::new(out, run_info());
            let top = TopRisks {
                total: risks.len(),
                json: risks.clone(),
                ..TopRisks::default()
            };
            kubeward_report::Reporter::risks(&mut rep, top);
            Box::new(rep).finish(&kubeward_engine::Summary::new(0))?;
            return Ok(exit_code(0, risks.len()));
        }
        RiskFormat::Html => {
            let mut rep = kubeward_report::HtmlReporter::new(out, run_info(), "risks", false);
            let top = TopRisks {
                total: risks.len(),
                json: risks.clone(),
                ..TopRisks::default()
            };
            kubeward_report::Reporter::risks(&mut rep, top);
            Box::new(rep).finish(&kubeward_engine::Summary::new(0))?;
            return Ok(exit_code(0, risks.len()));
        }
        RiskFormat::Mermaid | RiskFormat::Dot => {
            return fail("mermaid and dot draw the graph: run `kubeward risks` on the manifests or with --cluster".into());
        }
    }
    out.flush()?;
    Ok(exit_code(0, risks.len()))
}

fn run_info() -> RunInfo {
    RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        pss_version: kubeward_controls::PssVersion::LATEST,
        frameworks: Vec::new(),
        fail_on: kubeward_controls::Severity::Low,
        controls: Vec::new(),
        attack_paths: true,
    }
}

/// The reporter of `kubeward risks`: input errors on standard error (`file:line:col:
/// message`), findings dropped, and the risks in the chosen format; SARIF and HTML through
/// their reporters, given no findings.
pub(crate) struct RisksReporter {
    format: RiskFormat,
    out: Option<Box<dyn Write>>,
    shared: Option<Box<dyn Reporter>>,
    top: TopRisks,
}

impl RisksReporter {
    pub(crate) fn new(format: RiskFormat, out: Box<dyn Write>, info: RunInfo) -> Self {
        let (out, shared): (_, Option<Box<dyn Reporter>>) = match format {
            RiskFormat::Sarif => (
                None,
                Some(Box::new(kubeward_report::SarifReporter::new(out, info))),
            ),
            // The page lists the input errors and draws the risks' chains.
            RiskFormat::Html => (
                None,
                Some(Box::new(kubeward_report::HtmlReporter::new(
                    out, info, "risks", false,
                ))),
            ),
            _ => (Some(out), None),
        };
        RisksReporter {
            format,
            out,
            shared,
            top: TopRisks::default(),
        }
    }
}

impl Sink for RisksReporter {
    fn file(&mut self, mut r: FileResult) -> std::io::Result<()> {
        r.findings.clear();
        for e in &r.errors {
            eprintln!("kubeward: {e}");
        }
        match &mut self.shared {
            Some(s) => s.file(r),
            None => Ok(()),
        }
    }
}

impl Reporter for RisksReporter {
    fn risks(&mut self, top: TopRisks) {
        self.top = top;
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> std::io::Result<()> {
        if let Some(mut s) = self.shared.take() {
            s.risks(std::mem::take(&mut self.top));
            return s.finish(summary);
        }
        let Some(mut out) = self.out.take() else {
            return Ok(());
        };
        match self.format {
            RiskFormat::Text if self.top.is_empty() => {
                writeln!(out, "No attack path found ({} objects)", summary.objects)?
            }
            RiskFormat::Text => write!(out, "{}", self.top.text)?,
            RiskFormat::Json => {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({
                        "schema": kubeward_risk::render::SCHEMA,
                        "risks": self.top.json,
                        "total": self.top.total,
                    }),
                )?;
                writeln!(out)?;
            }
            RiskFormat::Mermaid => {
                for m in &self.top.mermaid {
                    writeln!(out, "{m}")?;
                }
            }
            RiskFormat::Dot => {
                for d in &self.top.dot {
                    writeln!(out, "{d}")?;
                }
            }
            RiskFormat::Sarif | RiskFormat::Html => {}
        }
        out.flush()
    }
}
