//! What each policy costs per review: every file of a policy directory is loaded as its own
//! set and evaluated on one AdmissionReview many times; the time per evaluation is printed,
//! most expensive first, with the cost of building the review (shared by all policies of a
//! request) on its own line. Used to find where `serve`'s time goes (BENCHMARKS.md).
//!
//!     cargo run --release -p kubeward-policy --example policy_cost -- POLICY_DIR REVIEW.json [N]

use std::time::Instant;

use kubeward_policy::{load, EngineChoice, Inventory, PolicySetBuilder, Review};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(review)) = (args.first(), args.get(1)) else {
        eprintln!("usage: policy_cost POLICY_DIR REVIEW.json [N]");
        std::process::exit(2);
    };
    let n: u32 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let text = std::fs::read_to_string(review).expect("the review file is readable");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the review is JSON");
    let inventory = Inventory::default();

    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Review::from_document(&doc).expect("a valid review"));
    }
    let review_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);

    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the policy directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut costs = Vec::new();
    let mut all = PolicySetBuilder::new(EngineChoice::Auto);
    for f in &files {
        let mut b = PolicySetBuilder::new(EngineChoice::Auto);
        for d in load::read_documents(f).expect("a readable policy file") {
            all.add(d.clone());
            b.add(d);
        }
        let (set, errors) = b.build();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        // One review for all iterations: its conversions are made once, as in `serve`.
        let r = Review::from_document(&doc).expect("a valid review");
        let warm = set.review(&r, &inventory).len();
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(set.review(&r, &inventory));
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        costs.push((
            us,
            f.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string(),
            warm,
        ));
    }
    let (all, _) = all.build();
    let t = Instant::now();
    for _ in 0..n / 4 {
        let r = Review::from_document(&doc).expect("a valid review");
        std::hint::black_box(all.review(&r, &inventory));
    }
    let all_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n / 4);
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{all_us:9.1} us  every policy at once, review included");
    println!("{review_us:9.1} us  building the review");
    for (us, name, v) in costs {
        println!("{us:9.1} us  {name} ({v} violations)");
    }
}
