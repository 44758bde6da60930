//! A stand-in for a Kubernetes component in benchmarks (bench/node.sh): started with a
//! component's argv[0] (`exec -a kube-apiserver`) and its flags, it ignores them and sleeps,
//! so that /proc shows a command line like the real one.

fn main() {
    std::thread::sleep(std::time::Duration::from_secs(
        std::env::var("FAKE_COMPONENT_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600),
    ));
}
