//! `kubeward cluster`: list a live cluster's objects (or read a dump) and scan them with the
//! engine, under the same report options as `scan`.

use std::collections::HashSet;

use anyhow::Result;
use kubeward_cluster::scan::{from_error, from_snapshot, ClusterInput};
use kubeward_cluster::{dump, kinds, ConnectOptions, FetchOptions, KindStatus, Snapshot};
use kubeward_engine::{config, Source};
use kubeward_yaml::Limits;

use crate::cli::ClusterArgs;
use crate::commands::scan_with;

pub fn run(mut args: ClusterArgs) -> Result<u8> {
    args.scan.kind = Some("cluster");
    if args.scan.paths != ["."] {
        eprintln!(
            "kubeward: error: `kubeward cluster` takes no paths ({}); use --from-dump FILE for a dump, or `kubeward scan` for manifests",
            args.scan.paths.join(" ")
        );
        return Ok(2);
    }
    if let Some(path) = &args.from_dump {
        return from_dump(&args, path);
    }
    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        all_contexts: args.all_contexts,
        connect_timeout: Some(args.request_timeout.min(std::time::Duration::from_secs(10))),
        read_timeout: Some(args.request_timeout),
    };
    let fetch = FetchOptions {
        namespace: args.namespace.clone(),
        page_size: args.page_size,
        concurrency: args.concurrency.into(),
        request_timeout: args.request_timeout,
        ..FetchOptions::default()
    };
    let runtime = kubeward_cluster::runtime()?;
    let started = std::time::Instant::now();
    let fetched = runtime.block_on(async {
        let targets = kubeward_cluster::targets(&connect).await?;
        Ok::<_, String>(kubeward_cluster::fetch_all(targets, kinds::SCAN, &fetch).await)
    });
    drop(runtime);
    let listed_in = started.elapsed();
    let fetched = match fetched {
        Ok(f) => f,
        Err(e) => {
            eprintln!("kubeward: error: {e}");
            return Ok(2);
        }
    };
    let (y, m, d) = config::today();
    let today = format!("{y:04}-{m:02}-{d:02}");
    let mut input = ClusterInput::default();
    for f in fetched {
        match f.result {
            Ok(snapshot) => {
                eprintln!(
                    "kubeward: {}: {}, listed in {:.1} s",
                    f.context,
                    describe(&snapshot),
                    listed_in.as_secs_f64()
                );
                input.extend(from_snapshot(&f.context, &f.server, snapshot, &today));
            }
            Err(e) => {
                eprintln!(
                    "kubeward: error: {}: cluster not scanned ({}): {e}",
                    f.context, f.server
                );
                input.extend(from_error(&f.context, &f.server, &e));
            }
        }
    }
    if input.reported_on_owner > 0 {
        eprintln!(
            "kubeward: {} pods, ReplicaSets and Jobs are reported on their owners",
            input.reported_on_owner
        );
    }
    scan_with(&args.scan, &input.sources, input.early, HashSet::new())
}

/// `--from-dump FILE`: the dump is scanned in place; only which objects are left to their
/// owners is worked out here.
fn from_dump(args: &ClusterArgs, path: &std::path::Path) -> Result<u8> {
    let limits = Limits {
        max_document_bytes: args.scan.max_document_size,
        ..Limits::default()
    };
    // Unreadable input is reported by the engine when it scans the file.
    let covered = dump::covered_in_source(&Source::File(path.to_path_buf()), &limits);
    if !covered.is_empty() {
        eprintln!(
            "kubeward: {} pods, ReplicaSets and Jobs are reported on their owners",
            covered.len()
        );
    }
    scan_with(
        &args.scan,
        &[Source::File(path.to_path_buf())],
        Vec::new(),
        covered,
    )
}

/// `Kubernetes v1.20.15, 1234 objects of 22 kinds (5.1 MB); forbidden: Secret; not served: PodSecurityPolicy`
fn describe(s: &Snapshot) -> String {
    let version = s
        .server_version
        .as_ref()
        .map_or("unknown version".to_string(), |v| v.git_version.clone());
    let mut listed = 0;
    let mut forbidden = Vec::new();
    let mut not_served = Vec::new();
    let mut failed = Vec::new();
    for k in &s.kinds {
        match &k.status {
            KindStatus::Listed { .. } => listed += 1,
            KindStatus::Forbidden { .. } => forbidden.push(k.kind.kind),
            KindStatus::NotServed => not_served.push(k.kind.kind),
            KindStatus::Failed { .. } => failed.push(k.kind.kind),
            KindStatus::Skipped { .. } => {}
        }
    }
    let mut out = format!(
        "Kubernetes {version}, {} objects of {listed} kinds ({:.1} MB)",
        s.objects.len(),
        s.bytes as f64 / 1e6
    );
    for (what, list) in [
        ("forbidden", forbidden),
        ("not served", not_served),
        ("failed", failed),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("; {what}: {}", list.join(", ")));
        }
    }
    out
}
