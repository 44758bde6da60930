//! Catalogues one image with the real catalogers and prints what the walk did: for the
//! memory and time benchmark (bench/image.sh) and for trying a source by hand.
//!
//! walk IMAGE [--platform OS/ARCH[/VARIANT]] [--config FILE] [--ca FILE] [--insecure HOST]...
//!      [--cache DIR] [--read-all]
//!
//! IMAGE as `SourceSpec::parse` reads it (`oci:DIR[:TAG]`, `docker-archive:FILE`, `dir:DIR`,
//! `registry:REF`, or a bare path or reference). `--read-all` adds a cataloger that reads and
//! sums every file, so every byte of the image streams through a cataloger.

use kubeward_image::{Cataloger, Evidence, FileRef, RegistryOptions, SourceSpec};
use std::io::Read;
use std::time::Instant;

/// Reads every file to its end (counting bytes; a cheap checksum so the read is not elided).
struct ReadAll;

impl Cataloger for ReadAll {
    fn name(&self) -> &'static str {
        "read-all"
    }
    fn wants(&self, _f: &FileRef<'_>) -> bool {
        true
    }
    fn read(&self, _f: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut buf = vec![0u8; 128 << 10];
        let mut sum = 0u64;
        loop {
            let n = content.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            sum = sum.wrapping_add(buf[..n].iter().map(|&b| b as u64).sum::<u64>());
        }
        std::hint::black_box(sum);
        Ok(Vec::new())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut image = None;
    let mut opts = RegistryOptions::default();
    let mut read_all = false;
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--platform" => opts.platform = Some(val().parse().expect("platform")),
            "--config" => opts.config_path = Some(val().into()),
            "--ca" => opts.ca_file = Some(val().into()),
            "--insecure" => opts.insecure_hosts.push(val()),
            "--cache" => opts.cache_dir = Some(val().into()),
            "--read-all" => read_all = true,
            _ => image = Some(a),
        }
    }
    let image = image.expect("usage: walk IMAGE [--platform P] [--config F] [--ca F] [--insecure H] [--cache D] [--read-all]");
    let spec = SourceSpec::parse(&image);
    let start = Instant::now();
    let all = kubeward_image::catalog::all();
    let mut cats: Vec<&dyn Cataloger> = all.iter().map(|c| c.as_ref()).collect();
    if read_all {
        cats.push(&ReadAll);
    }
    let catalog = kubeward_image::scan_spec(&spec, &opts, &cats);
    let secs = start.elapsed().as_secs_f64();
    println!("image: {} ({:?})", catalog.image.name, spec);
    println!("digest: {}", catalog.image.digest.as_deref().unwrap_or("-"));
    println!(
        "platform: {}",
        catalog.image.platform.as_deref().unwrap_or("-")
    );
    let total: u64 = catalog.image.layers.iter().map(|l| l.size).sum();
    println!(
        "layers: {} ({} bytes stored)",
        catalog.image.layers.len(),
        total
    );
    if let Some(os) = &catalog.os {
        println!("os: {} {}", os.id, os.version_id);
    }
    println!("packages: {}", catalog.packages.len());
    for n in &catalog.notes {
        println!(
            "note: {}{}",
            n.path
                .as_deref()
                .map(|p| format!("/{p}: "))
                .unwrap_or_default(),
            n.message
        );
    }
    for e in &catalog.errors {
        println!("error: {e}");
    }
    println!("seconds: {secs:.2}");
}
