//! Prints the connection list of manifest files (and their problems), for quick checks:
//! `cargo run -p kubeward-netpol --example connlist -- FILE...`.

use std::sync::Arc;

fn main() {
    let mut model = kubeward_netpol::NetModel::default();
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("{path}: cannot read");
            continue;
        };
        let file: Arc<str> = Arc::from(path.as_str());
        for p in model.read_text(&file, &text, &kubeward_yaml::Limits::default()) {
            eprintln!("{path}:{}: {}", p.pos, p.message);
        }
    }
    let net = model.finish();
    eprintln!(
        "{} workloads, {} policies, {} namespaces",
        net.workloads().len(),
        net.policies().len(),
        net.namespaces().len()
    );
    for c in net.connections() {
        println!("{c}");
    }
}
