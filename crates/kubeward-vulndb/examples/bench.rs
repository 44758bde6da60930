//! Measures the two database targets of issue 14 on real OSV exports.
//!
//! ```text
//! bench import STORE_DIR ZIP...         # import the exports into STORE_DIR
//! bench queries OUT.json ZIP...         # write 10,000 package queries built from the exports
//! bench match STORE_DIR QUERIES.json    # open the store and match the queries
//! bench all STORE_DIR ZIP...            # all three, with timings
//! ```
//!
//! The queries name every package the exports mention (so every lookup finds records: the worst
//! case), at the first fixed version of one of its records for one query in four and at 0.1.0,
//! 1.0.0 or 2.3.4 otherwise, cycled to 10,000. Each mode prints its own timing; run the `import`
//! and `match` modes under hyperfine for the process-level figures (see README.md).

use kubeward_vulndb::{import, Database, PackageQuery, Record};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn do_import(store: &Path, zips: &[PathBuf]) {
    let t = Instant::now();
    let report = import(store, zips).expect("import");
    let records: usize = report.sources.iter().map(|s| s.records).sum();
    println!(
        "import: {records} records from {} sources in {:.1} ms ({} record errors)",
        report.sources.len(),
        ms(t.elapsed()),
        report.errors.len()
    );
}

fn queries(zips: &[PathBuf]) -> Vec<PackageQuery> {
    let mut packages = Vec::new();
    for z in zips {
        let mut a = zip::ZipArchive::new(std::fs::File::open(z).unwrap()).unwrap();
        for i in 0..a.len() {
            let mut m = a.by_index(i).unwrap();
            let mut buf = Vec::new();
            m.read_to_end(&mut buf).unwrap();
            let Ok(r) = Record::from_json(&buf, "bench") else {
                continue;
            };
            for af in r.affected {
                let Some(p) = af.package else { continue };
                let fixed = af
                    .ranges
                    .iter()
                    .filter(|r| r.kind != "GIT")
                    .flat_map(|r| &r.events)
                    .find_map(|e| e.fixed.clone())
                    .unwrap_or_else(|| "1.0.0".into());
                packages.push((p.ecosystem, p.name, fixed));
            }
        }
    }
    packages.sort();
    packages.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let versions = ["0.1.0", "1.0.0", "2.3.4"];
    (0..10_000)
        .map(|i| {
            let (e, n, fixed) = &packages[i % packages.len()];
            let v = if i % 4 == 0 {
                fixed.as_str()
            } else {
                versions[i % 3]
            };
            PackageQuery::new(e, n, v)
        })
        .collect()
}

fn do_match(store: &Path, qs: &[PackageQuery]) {
    let t = Instant::now();
    let db = Database::open(store).expect("open");
    let open = t.elapsed();
    let t = Instant::now();
    let results = db.query_all(qs);
    let matched = t.elapsed();
    let findings: usize = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    println!(
        "open {:.1} ms + match {} packages {:.1} ms = {:.1} ms ({findings} findings)",
        ms(open),
        qs.len(),
        ms(matched),
        ms(open + matched)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let paths = |from: usize| -> Vec<PathBuf> { args[from..].iter().map(PathBuf::from).collect() };
    match args.first().map(String::as_str) {
        Some("import") if args.len() > 2 => do_import(Path::new(&args[1]), &paths(2)),
        Some("queries") if args.len() > 2 => {
            let qs = queries(&paths(2));
            std::fs::write(&args[1], serde_json::to_vec(&qs).unwrap()).unwrap();
        }
        Some("match") if args.len() == 3 => {
            let qs: Vec<PackageQuery> =
                serde_json::from_slice(&std::fs::read(&args[2]).unwrap()).unwrap();
            do_match(Path::new(&args[1]), &qs);
        }
        Some("all") if args.len() > 2 => {
            let store = Path::new(&args[1]);
            do_import(store, &paths(2));
            do_match(store, &queries(&paths(2)));
        }
        _ => {
            eprintln!("usage: bench import|all STORE_DIR ZIP... | bench queries OUT.json ZIP... | bench match STORE_DIR QUERIES.json");
            std::process::exit(2);
        }
    }
}
