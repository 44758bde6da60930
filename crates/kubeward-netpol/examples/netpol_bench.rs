//! Times the reachability model on a generated cluster (BENCHMARKS.md, "kubeward netpol"):
//!
//! ```sh
//! cargo run --release -p kubeward-netpol --example netpol_bench -- 10000 2000 [OUT.yaml]
//! ```
//!
//! PODS pods (Pod objects with 5 labels and 2 named ports) in PODS/100 namespaces, and POLICIES
//! NetworkPolicies spread over them: each selects one of 5 apps (so every pod of those apps is
//! selected by POLICIES/PODS*20 policies: 4 for 10,000 and 2,000), allows ingress from a pod selector,
//! from a namespace selector with a pod selector, and from an ipBlock with an exception, on a
//! numbered and a named port, and some isolate egress too. With OUT, the manifests are also
//! written there (for timing `kubeward netpol can` end to end).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use kubeward_netpol::{Endpoint, IpSet, NetModel};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pods: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let policies: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let namespaces = (pods / 100).max(1);
    let text = generate(pods, policies, namespaces);
    if let Some(out) = args.get(3) {
        std::fs::write(out, &text).expect("cannot write OUT");
    }
    println!(
        "{pods} pods, {policies} policies, {namespaces} namespaces, {:.1} MB of YAML",
        text.len() as f64 / 1e6
    );

    let t = Instant::now();
    let mut model = NetModel::default();
    let problems = model.read_text(&Arc::from("gen.yaml"), &text, &Default::default());
    assert!(problems.is_empty(), "{:?}", problems.first());
    let read = t.elapsed();
    let t = Instant::now();
    let net = model.finish();
    let index = t.elapsed();
    println!(
        "read {:.0} ms, index (policies per pod) {:.0} ms",
        read.as_secs_f64() * 1e3,
        index.as_secs_f64() * 1e3
    );

    // Questions: pseudo-random pairs of workloads, and external addresses.
    let n = net.workloads().len();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let q = 20_000;
    let pairs: Vec<(Endpoint, Endpoint)> = (0..q)
        .map(|i| {
            let dst = Endpoint::Workload((next() % n as u64) as usize);
            let src = if i % 10 == 0 {
                Endpoint::External(IpSet::addr(std::net::IpAddr::V4((next() as u32).into())))
            } else {
                Endpoint::Workload((next() % n as u64) as usize)
            };
            (src, dst)
        })
        .collect();
    let t = Instant::now();
    let mut allowed = 0;
    for (s, d) in &pairs {
        let v = net.evaluate(s, d);
        if v.allowed.contains(kubeward_netpol::Protocol::Tcp, 8080) {
            allowed += 1;
        }
    }
    let per = t.elapsed().as_secs_f64() / q as f64;
    let most = (0..n)
        .map(|w| net.selecting(w, kubeward_netpol::Direction::Ingress).len())
        .max()
        .unwrap_or(0);
    println!(
        "evaluate (with explanation): {:.2} us per question over {q} questions ({allowed} allowed TCP 8080); at most {most} policies select one pod",
        per * 1e6
    );
    let t = Instant::now();
    let found = net.find("ns-7/pod-7-42");
    let lookup = t.elapsed();
    println!(
        "find a workload by name: {:.2} us ({} found)",
        lookup.as_secs_f64() * 1e6,
        found.len()
    );
}

fn generate(pods: usize, policies: usize, namespaces: usize) -> String {
    let mut s = String::with_capacity(pods * 600 + policies * 900);
    for ns in 0..namespaces {
        let _ = write!(
            s,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{ns}\n  labels: {{team: t{}, env: {}}}\n---\n",
            ns % 10,
            if ns % 3 == 0 { "prod" } else { "dev" }
        );
    }
    for p in 0..pods {
        let ns = p % namespaces;
        let _ = write!(
            s,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{ns}-{}\n  namespace: ns-{ns}\n  labels: {{app: app-{}, tier: t{}, role: r{}, zone: z{}, version: v{}}}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app:1\n    ports:\n    - {{name: http, containerPort: 8080}}\n    - {{name: metrics, containerPort: 9090}}\n---\n",
            p / namespaces,
            p % 20,
            p % 3,
            p % 5,
            p % 4,
            p % 2
        );
    }
    for i in 0..policies {
        let ns = i % namespaces;
        let egress = if i % 4 == 0 {
            "  egress:\n  - to: [{namespaceSelector: {matchLabels: {env: prod}}}]\n  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]\n    ports: [{port: 443}]\n  policyTypes: [Ingress, Egress]\n"
        } else {
            ""
        };
        let _ = write!(
            s,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{i}\n  namespace: ns-{ns}\nspec:\n  podSelector: {{matchLabels: {{app: app-{}}}}}\n  ingress:\n  - from:\n    - podSelector: {{matchLabels: {{tier: t{}}}}}\n    - namespaceSelector: {{matchLabels: {{team: t{}}}}}\n      podSelector: {{matchExpressions: [{{key: role, operator: In, values: [r1, r2]}}]}}\n    ports: [{{port: 8080}}, {{port: metrics}}]\n  - from:\n    - ipBlock: {{cidr: 10.{}.0.0/16, except: [10.{}.1.0/24]}}\n    ports: [{{port: 8000, endPort: 8100, protocol: TCP}}]\n{egress}---\n",
            (i / namespaces) % 5,
            i % 3,
            i % 10,
            i % 256,
            i % 256
        );
    }
    s
}
