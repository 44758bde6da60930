//! Time and memory of the risk graph's stages on a large input (BENCHMARKS.md, "risks"):
//! `cargo run --release -p kubeward-risk --example risk_bench -- /tmp/objects-100k.yaml`.
//! Reads the file (facts), builds the graph, ranks the risks; prints each stage's time and
//! the process's resident memory after it (`VmRSS`, and the peak `VmHWM`). With
//! `PARSE_BASELINE=1` it first times the parse alone, so that `facts` minus `parse only` is
//! what gathering the facts costs beyond the YAML parse a scan does anyway.

use std::sync::Arc;
use std::time::Instant;

/// The kubeward binary's allocator, so that the memory figures are the scan's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    format!("rss {} MB, peak {} MB", field("VmRSS:"), field("VmHWM:"))
}

/// Parse every object of `text` as `read_text` does, and count them.
fn parse_only(text: &str) -> usize {
    use kubeward_model::{objects_in, Item};
    use kubeward_yaml::{parse_chunk, split_documents};
    let mut n = 0;
    for chunk in split_documents(text.as_bytes()) {
        let parsed = parse_chunk(text.as_bytes(), chunk, &Default::default());
        for doc in &parsed.documents {
            for item in objects_in(doc) {
                n += usize::from(matches!(item, Item::Object(_)));
            }
        }
    }
    n
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: risk_bench FILE");
    let text = std::fs::read_to_string(&path).expect("read");
    println!("input read: {}", rss());
    let file: Arc<str> = Arc::from(path.as_str());
    if std::env::var_os("PARSE_BASELINE").is_some() {
        // The same parse without the facts: what `facts` costs beyond reading the YAML
        // (the part a scan pays, since the engine parses anyway).
        let t = Instant::now();
        let objects = parse_only(&text);
        println!(
            "parse only: {:.2} s ({objects} objects)",
            t.elapsed().as_secs_f64()
        );
    }
    // With `NETWORK=1`, also the NetworkPolicy model a scan gathers beside the facts, and its
    // verdict on the exposures (`ExposureFilter`) when there is a policy. (This model reads
    // the workloads itself; a scan gives it those of the facts.)
    let mut network = kubeward_netpol::NetModel::default();
    if std::env::var_os("NETWORK").is_some() {
        let t = Instant::now();
        let _ = network.read_text(&file, &text, &Default::default());
        println!(
            "network model: {:.2} s, {}",
            t.elapsed().as_secs_f64(),
            rss()
        );
    }
    let t = Instant::now();
    let mut input = kubeward_risk::RiskInput::new();
    let problems = kubeward_risk::read_text(&mut input, &file, &text, &Default::default());
    drop(text);
    println!(
        "facts: {:.2} s ({} workloads packed in {} KB, {} problems), {}",
        t.elapsed().as_secs_f64(),
        input.workloads.len(),
        input.workloads.packed_bytes() / 1024,
        problems.len(),
        rss()
    );
    if network.has_policies() {
        // As a scan does: the policies' verdict on the exposures, then the model dropped.
        let t = Instant::now();
        let network = network.finish();
        println!(
            "network finish: {:.2} s, {}",
            t.elapsed().as_secs_f64(),
            rss()
        );
        input.set_exposure_filter(kubeward_risk::exposure::ExposureFilter::new(&network));
        println!(
            "exposure filter: {:.2} s, {}",
            t.elapsed().as_secs_f64(),
            rss()
        );
    }
    let t = Instant::now();
    let graph = kubeward_risk::RiskGraph::build(input);
    println!(
        "graph: {:.2} s ({} entities, {} edges), {}",
        t.elapsed().as_secs_f64(),
        graph.entity_count(),
        graph.edge_count(),
        rss()
    );
    let t = Instant::now();
    let risks = graph.risks(&Default::default());
    println!(
        "risks: {:.2} s ({} risks), {}",
        t.elapsed().as_secs_f64(),
        risks.risks.len(),
        rss()
    );
}
