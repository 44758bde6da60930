//! Risks in `scan` and `cluster`: the engine gathers the risk graph's facts from every object
//! in its one pass (kubeward-engine's `gather`), the image scan adds its vulnerabilities, and
//! the ranked attack paths go to the reporter as its "Top risks" section (docs/risks.md).

use std::any::Any;
use std::sync::Arc;

use kubeward_engine::gather::{Gather, Gathered};
use kubeward_engine::FileResult;
use kubeward_model::Object;
use kubeward_risk::{RiskGraph, RiskInput, RiskOptions, Risks};

/// One [`RiskInput`] per unit of the engine's work.
pub(crate) struct RiskGather;

struct Unit(RiskInput);

impl Gather for RiskGather {
    fn start(&self) -> Box<dyn Gathered> {
        Box::new(Unit(RiskInput::new()))
    }
}

impl Gathered for Unit {
    fn add(&mut self, object: &Object<'_>, file: &Arc<str>) {
        self.0.add_object(object, file);
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.0)
    }
}

/// Move a result's gathered facts into `into` (results come in input order).
pub(crate) fn take(r: &mut FileResult, into: &mut RiskInput) {
    if let Some(g) = r.gathered.take() {
        if let Ok(unit) = g.into_any().downcast::<RiskInput>() {
            into.merge(*unit);
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

/// Build the graph and rank its risks.
pub(crate) fn analyse(mut input: RiskInput, vulns: &[ImageVuln]) -> (RiskGraph, Risks) {
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
    let graph = RiskGraph::build(input);
    let risks = graph.risks(&RiskOptions::default());
    (graph, risks)
}
