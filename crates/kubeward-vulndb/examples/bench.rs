//! Measures the two targets of issue 14 on real OSV exports:
//! `import` of the given exports, and matching 10,000 packages against everything imported
//! (open of the store included, and reported apart).
//!
//! cargo run --release -p kubeward-vulndb --example bench -- STORE_DIR ZIP...

use kubeward_vulndb::{import, Database, PackageQuery, Record};
use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: bench STORE_DIR ZIP...");
        std::process::exit(2);
    }
    let store = PathBuf::from(&args[0]);
    let zips: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();

    let t = Instant::now();
    // BENCH_REUSE=1: keep the store from a previous run (to profile matching alone).
    let report = if std::env::var("BENCH_REUSE").is_ok() {
        kubeward_vulndb::ImportReport::default()
    } else {
        import(&store, &zips).expect("import")
    };
    let import_time = t.elapsed();
    let records: usize = report.sources.iter().map(|s| s.records).sum();
    println!(
        "import: {} records from {} sources in {:.1} ms ({} record errors)",
        records,
        report.sources.len(),
        import_time.as_secs_f64() * 1e3,
        report.errors.len()
    );

    // 10,000 queries: every package the exports name, at versions inside and outside their
    // ranges, cycled (built outside the timing).
    let mut packages = Vec::new();
    for z in &zips {
        let mut a = zip::ZipArchive::new(std::fs::File::open(z).unwrap()).unwrap();
        for i in 0..a.len() {
            let mut m = a.by_index(i).unwrap();
            let mut buf = Vec::new();
            m.read_to_end(&mut buf).unwrap();
            if let Ok(r) = Record::from_json(&buf, "bench") {
                for af in r.affected {
                    if let Some(p) = af.package {
                        let v = af
                            .ranges
                            .iter()
                            .filter(|r| r.kind != "GIT")
                            .flat_map(|r| &r.events)
                            .find_map(|e| e.fixed.clone())
                            .unwrap_or_else(|| "1.0.0".into());
                        packages.push((p.ecosystem, p.name, v));
                    }
                }
            }
        }
    }
    packages.sort();
    packages.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let versions = ["0.1.0", "1.0.0", "2.3.4"];
    let queries: Vec<PackageQuery> = (0..10_000)
        .map(|i| {
            let (e, n, fixed) = &packages[i % packages.len()];
            let v = if i % 4 == 0 {
                fixed.as_str()
            } else {
                versions[i % 3]
            };
            PackageQuery::new(e, n, v)
        })
        .collect();

    let t = Instant::now();
    let db = Database::open(&store).expect("open");
    let open_time = t.elapsed();
    let t = Instant::now();
    let results = db.query_all(&queries);
    let match_time = t.elapsed();
    if std::env::var("BENCH_DEBUG").is_ok() {
        let mut v: Vec<(usize, &PackageQuery)> = results
            .iter()
            .zip(&queries)
            .map(|(r, q)| (r.as_ref().map_or(0, Vec::len), q))
            .collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.0));
        for (n, q) in v.iter().take(5) {
            println!("{n} {q:?}");
        }
    }
    let findings: usize = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    println!(
        "open: {:.1} ms; match {} packages ({} distinct names): {:.1} ms, {} findings; open + match {:.1} ms",
        open_time.as_secs_f64() * 1e3,
        queries.len(),
        packages.len(),
        match_time.as_secs_f64() * 1e3,
        findings,
        (open_time + match_time).as_secs_f64() * 1e3
    );
}
