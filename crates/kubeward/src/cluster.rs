//! `kubeward cluster`: list a live cluster's objects (or read a dump) and scan them with the
//! engine, under the same report options as `scan`.

use std::collections::HashSet;

use anyhow::Result;
use kubeward_cluster::scan::{self, from_error, from_snapshot, ClusterInput};
use kubeward_cluster::{dump, kinds, ConnectOptions, FetchOptions, KindStatus, Snapshot};
use kubeward_engine::{config, FileResult, InputError, Source};
use kubeward_yaml::Limits;

use crate::cli::ClusterArgs;
use crate::commands::{scan_with, scan_with_policies};

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
    let read_policies = !args.no_cluster_policies && !args.scan.parse_only;
    let fetched = runtime.block_on(async {
        let targets = kubeward_cluster::targets(&connect).await?;
        // A cluster's own policies apply to its own objects only: with several clusters in
        // one scan they would judge the others' objects too, so they are not read then.
        let policy_client = match targets.as_slice() {
            [t] if read_policies => t.client.as_ref().ok().cloned(),
            [_, _, ..] if read_policies => {
                eprintln!("kubeward: the clusters' own policies are not read when several contexts are scanned (each cluster's policies would judge the others' objects); scan one --context for them");
                None
            }
            _ => None,
        };
        let fetched = kubeward_cluster::fetch_all(targets, kinds::SCAN, &fetch).await;
        let policies = match policy_client {
            Some(client) if fetched.iter().all(|f| f.result.is_ok()) => {
                Some(kubeward_cluster::fetch_policies(&client, &fetch).await)
            }
            _ => None,
        };
        Ok::<_, String>((fetched, policies))
    });
    drop(runtime);
    let listed_in = started.elapsed();
    let (fetched, cluster_policies) = match fetched {
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
    let mut policy_objects = Vec::new();
    if let (Some(p), Some(f)) = (cluster_policies, input_context(&input)) {
        let (objects, early) = policy_input(&f, p);
        policy_objects = objects;
        input.early.extend(early);
    }
    scan_with_policies(
        &args.scan,
        &input.sources,
        input.early,
        HashSet::new(),
        policy_objects,
    )
}

/// The context of a one-cluster input (its status is the first early result).
fn input_context(input: &ClusterInput) -> Option<String> {
    let file = input.early.first()?.file.to_string();
    file.strip_prefix("cluster/").map(str::to_string)
}

/// The cluster's policies as `(location, object)` for the engine, its notes said once on
/// standard error, and the lists that failed as errors of the cluster (exit 2).
fn policy_input(
    context: &str,
    p: kubeward_cluster::ClusterPolicies,
) -> (Vec<(String, serde_json::Value)>, Vec<FileResult>) {
    for note in &p.notes {
        eprintln!("kubeward: {context}: {note}");
    }
    let count = |kind: &str| p.objects.iter().filter(|o| o["kind"] == kind).count();
    let templates = count("ConstraintTemplate");
    let vaps = count("ValidatingAdmissionPolicy");
    let bindings = count("ValidatingAdmissionPolicyBinding");
    let constraints = p.objects.len() - templates - vaps - bindings;
    let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "kubeward: {context}: the cluster's policies: {}, {}, {}, {}",
        n(templates, "ConstraintTemplate", "ConstraintTemplates"),
        n(constraints, "constraint", "constraints"),
        n(
            vaps,
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicies"
        ),
        n(bindings, "binding", "bindings"),
    );
    let mut early = Vec::new();
    if !p.errors.is_empty() {
        let file: std::sync::Arc<str> = std::sync::Arc::from(scan::cluster_file(context).as_str());
        let mut r = FileResult::new(file.clone());
        for e in &p.errors {
            r.errors
                .push(InputError::file(&file, format!("policies: {e}")));
        }
        early.push(r);
    }
    let objects = p
        .objects
        .into_iter()
        .map(|o| {
            let location = scan::object_file(
                context,
                o["kind"].as_str().unwrap_or(""),
                None,
                o.pointer("/metadata/name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or(""),
            );
            (location, o)
        })
        .collect();
    (objects, early)
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
