//! kubeward-netpol's reader and reachability, and kubeward-risk's graph, over the objects of
//! a YAML text as `kubeward scan` gathers them: the network model (connection list, exposure,
//! one explained connection), the risk facts, the exposures the policies let through, the
//! graph, its ranked risks and every renderer. Invariants: problems located inside the input
//! and quoting no credential; risks ranked by score; every risk has a step; Services come
//! back from their packed form as they were read.
#![no_main]

use std::sync::Arc;

use kubeward_fuzz::{assert_no_canary, d01_shape, text_of, Lines};
use kubeward_netpol::{Endpoint, NetModel};
use kubeward_risk::{render, RiskGraph, RiskInput, RiskOptions};
use kubeward_yaml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    if d01_shape(&text) {
        return;
    }
    let file: Arc<str> = Arc::from("fuzz.yaml");
    let limits = Limits {
        max_expanded_nodes: 200_000,
        ..Limits::default()
    };
    let lines = Lines::of(&text);

    let mut model = NetModel::default();
    for p in model.read_text(&file, &text, &limits) {
        lines.check_error(&text, p.pos, "netpol problem");
        assert_no_canary(&text, "netpol problem", &p.message);
    }
    let network = model.finish();
    for (loc, message) in network.problems() {
        lines.check_error(&text, loc.pos, "netpol problem");
        assert_no_canary(&text, "netpol problem", message);
    }
    let _ = network.connections();
    let _ = network.exposure();
    if network.workloads().len() >= 2 {
        let v = network.evaluate(&Endpoint::Workload(0), &Endpoint::Workload(1));
        let _ = format!("{v:?}");
    }

    // The Services a scan keeps packed until a NetworkPolicy calls for the network model
    // come back as they were read.
    let services: Vec<_> = kubeward_yaml::parse_str(&text, &limits)
        .documents
        .iter()
        .flat_map(|doc| kubeward_model::objects_in(doc))
        .filter_map(|item| match item {
            kubeward_model::Item::Object(o) => NetModel::default().read_service(&o, &file),
            _ => None,
        })
        .collect();
    let packed: kubeward_risk::pack::Packed<_> = services.iter().cloned().collect();
    let back: Vec<_> = packed.into_iter_decoded().collect();
    assert_eq!(
        format!("{back:?}"),
        format!("{services:?}"),
        "packed Services"
    );

    let mut input = RiskInput::new();
    for p in kubeward_risk::read_text(&mut input, &file, &text, &limits) {
        lines.check_error(&text, p.pos, "risk problem");
        assert_no_canary(&text, "risk problem", &p.message);
    }
    let simple = kubeward_risk::exposure::simple_exposures(&input);
    input.set_exposures(kubeward_risk::exposure::allowed_by_policies(
        simple, &network,
    ));
    let graph = RiskGraph::build(input);
    let risks = graph.risks(&RiskOptions {
        max_identity_entries: 16,
    });
    for pair in risks.risks.windows(2) {
        assert!(pair[0].score >= pair[1].score, "ranked by score");
    }
    for r in risks.risks.iter().take(5) {
        assert!(!r.steps.is_empty(), "a risk has a step");
        let _ = render::mermaid(&graph, r);
        let _ = render::dot(&graph, r);
    }
    let _ = render::text(&graph, &risks, 5);
    let _ = serde_json::to_string(&render::json(&graph, &risks, 5));
});
