//! The cluster's own policies in `serve`: Gatekeeper ConstraintTemplates and constraints,
//! ValidatingAdmissionPolicies and bindings, read through the API
//! ([`kubeward_cluster::fetch_policies`]) with the `--policy` files, compiled into one set,
//! and read again every `interval`: when what was read changed (an object added, removed, or
//! with a new resourceVersion) the set is compiled again and replaces the one in use.
//!
//! * The first read decides readiness (`/readyz`): requests are not judged without the
//!   cluster's policies. Policies of that first read that do not compile are logged and left
//!   out; the others are used.
//! * A later set in which some policy does not compile is not used: the last good set stays,
//!   and the errors are logged (once per change).
//! * Except a ValidatingAdmissionPolicy whose expressions do not compile: as in the API
//!   server, it is kept and its failurePolicy decides every request it matches (`Fail`
//!   denies, `Ignore` admits; logged and counted as a policy failure), in the first read and
//!   after.
//! * A group the server does not serve (no Gatekeeper; ValidatingAdmissionPolicies before
//!   Kubernetes 1.30) is logged once; a read that fails keeps the set in use and is retried.
//!
//! Re-reading (list, compare resourceVersions) rather than watching: the constraint kinds are
//! CRDs that come and go with the templates, so a watch would have to follow discovery; a list
//! of a few hundred policies every few seconds costs the API server little.
//!
//! The inventory is synced the same way: the kinds the set's referential templates name in
//! `metadata.gatekeeper.sh/requires-sync-data` and the params of its ValidatingAdmissionPolicy
//! bindings ([`kubeward_policy::PolicySet::sync_requirements`]) are listed from the cluster
//! before a new set is used and at every read after, and replace the synced objects of the
//! set's inventory when they changed ([`Policies::set_synced`]), as Gatekeeper's sync fills
//! `data.inventory`. A template that reads `data.inventory` without naming kinds gets nothing
//! (said once): Gatekeeper needs its sync configured too. The objects are kept as JSON text.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kubeward_cluster::{fetch_policies, FetchOptions};
use kubeward_engine::policies::Policies;

/// How `serve` reads the cluster's policies.
#[derive(Clone, Debug)]
pub struct ClusterPolicyOptions {
    /// The `--policy` files, compiled with them.
    pub paths: Vec<PathBuf>,
    /// Time between two reads.
    pub interval: Duration,
}

/// Where a policy read from the cluster is (there is no file): `cluster/<Kind>/<name>`.
pub fn location(object: &serde_json::Value) -> String {
    format!(
        "cluster/{}/{}",
        object["kind"].as_str().unwrap_or(""),
        object
            .pointer("/metadata/name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    )
}

/// Read, compile and swap in the cluster's policies forever (a task of the server).
/// `set` puts a compiled set in use ([`crate::policy::Decider::set_policies`]).
pub async fn run(
    client: kube::Client,
    set: impl Fn(Option<Arc<Policies>>) + Send + 'static,
    opts: ClusterPolicyOptions,
) {
    let fetch = FetchOptions {
        request_timeout: Duration::from_secs(10),
        retries: 2,
        ..FetchOptions::default()
    };
    let mut noted: HashSet<String> = HashSet::new();
    let mut last: Option<Vec<String>> = None;
    // The set in use and the fingerprint of what was synced into its inventory.
    let mut current: Option<Arc<Policies>> = None;
    let mut synced: Option<Vec<String>> = None;
    loop {
        let read = fetch_policies(&client, &fetch).await;
        for note in &read.notes {
            note_once(&mut noted, note, "cluster policies");
        }
        if !read.errors.is_empty() {
            tracing::warn!(
                error = %crate::log::clip(&read.errors.join("; "), crate::log::MAX_FIELD),
                "cannot read the cluster's policies; keeping the set in use, retrying"
            );
        } else {
            let fingerprint = read.fingerprint();
            if last.as_ref() != Some(&fingerprint) {
                let first = last.is_none();
                let objects: Vec<(String, serde_json::Value)> = read
                    .objects
                    .into_iter()
                    .map(|o| (location(&o), o))
                    .collect();
                let count = objects.len();
                let paths = opts.paths.clone();
                let compiled = tokio::task::spawn_blocking(move || {
                    Policies::load_for_admission(&paths, objects)
                })
                .await;
                match compiled {
                    Ok((compiled_set, errors, kept)) => {
                        for e in &errors {
                            tracing::warn!(error = %crate::log::clip(&e.to_string(), crate::log::MAX_FIELD), "a policy does not compile");
                        }
                        for e in &kept {
                            tracing::warn!(error = %crate::log::clip(&e.to_string(), crate::log::MAX_FIELD), "a policy is kept in use despite this error (a ValidatingAdmissionPolicy that does not compile: its failurePolicy decides the requests it matches)");
                        }
                        if first || errors.is_empty() {
                            let constraints =
                                compiled_set.as_ref().map_or(0, |s| s.controls().len());
                            // Synced before it is used: a referential policy never answers
                            // from an empty inventory.
                            synced = None;
                            if let Some(p) = &compiled_set {
                                sync(&client, p, &fetch, &mut noted, &mut synced).await;
                            }
                            current = compiled_set.clone();
                            set(compiled_set);
                            tracing::info!(
                                objects = count,
                                constraints,
                                left_out = errors.len(),
                                "cluster policies loaded"
                            );
                        } else {
                            tracing::warn!(
                                errors = errors.len(),
                                "the cluster's policies changed and some do not compile; keeping the last good set"
                            );
                        }
                        last = Some(fingerprint);
                    }
                    Err(e) => tracing::warn!(error = %e, "compiling the cluster's policies failed"),
                }
            } else if let Some(p) = &current {
                sync(&client, p, &fetch, &mut noted, &mut synced).await;
            }
        }
        tokio::time::sleep(opts.interval).await;
    }
}

/// List what the set's inventory needs from the cluster and put it in use if it changed
/// since `last` (the fingerprint of the objects synced before).
async fn sync(
    client: &kube::Client,
    policies: &Arc<Policies>,
    fetch: &FetchOptions,
    noted: &mut HashSet<String>,
    last: &mut Option<Vec<String>>,
) {
    let needs = policies.set().sync_requirements();
    for t in &needs.unnamed {
        let note = format!(
            "template {t} reads data.inventory but names no kinds in metadata.gatekeeper.sh/requires-sync-data: nothing is synced for it"
        );
        note_once(noted, &note, "inventory sync");
    }
    if needs.kinds.is_empty() {
        return;
    }
    let read = kubeward_cluster::fetch_synced(client, &needs.kinds, fetch).await;
    for note in &read.notes {
        note_once(noted, note, "inventory sync");
    }
    if !read.errors.is_empty() {
        tracing::warn!(
            error = %crate::log::clip(&read.errors.join("; "), crate::log::MAX_FIELD),
            "cannot read the objects the policies' inventory needs; keeping what was synced, retrying"
        );
        return;
    }
    let fingerprint = read.fingerprint();
    if last.as_ref() == Some(&fingerprint) {
        return;
    }
    let count = read.objects.len();
    let p = policies.clone();
    let objects = read.objects;
    match tokio::task::spawn_blocking(move || p.set_synced(&objects)).await {
        Ok(()) => {
            tracing::info!(
                objects = count,
                kinds = needs.kinds.len(),
                "inventory synced"
            );
            *last = Some(fingerprint);
        }
        Err(e) => tracing::warn!(error = %e, "syncing the inventory failed"),
    }
}

/// Log a note the first time it is seen (a kind not served or forbidden stays so: said once).
fn note_once(noted: &mut HashSet<String>, note: &str, what: &'static str) {
    if noted.insert(note.to_string()) {
        tracing::info!(note = %note, "{what}");
    }
}
