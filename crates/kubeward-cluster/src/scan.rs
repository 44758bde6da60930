//! From listed objects to engine input: one source per object, named
//! `cluster/<context>/<Kind>/<namespace>/<name>`, one `kubeward.io/v1` `ClusterVersion`
//! object per cluster (`cluster/<context>`) for the cluster-only controls, and the cluster's
//! per-kind statuses as warnings (forbidden, not served) and errors (failed) on
//! `cluster/<context>`, so every output format carries them.

use std::sync::Arc;

use kubeward_controls::cluster::{CLUSTER_VERSION_API, CLUSTER_VERSION_KIND};
use kubeward_engine::{FileResult, InputError, Source, Warning};
use kubeward_yaml::Pos;
use serde_json::json;

use crate::fetch::{KindStatus, Snapshot};
use crate::owners;
use crate::render;

/// What the engine scans for one or more clusters, and what goes before it in the report.
#[derive(Default)]
pub struct ClusterInput {
    pub sources: Vec<Source>,
    /// The clusters' statuses: warnings (forbidden, not served, skipped) and errors (a kind
    /// that failed, a cluster that could not be scanned).
    pub early: Vec<FileResult>,
    /// Pods, ReplicaSets and Jobs reported on an owner in the scan instead.
    pub reported_on_owner: usize,
}

impl ClusterInput {
    pub fn extend(&mut self, other: ClusterInput) {
        self.sources.extend(other.sources);
        self.early.extend(other.early);
        self.reported_on_owner += other.reported_on_owner;
    }
}

/// `cluster/<context>`: where a cluster's own findings, warnings and errors are reported.
pub fn cluster_file(context: &str) -> String {
    format!("cluster/{context}")
}

/// `cluster/<context>/<Kind>/<namespace>/<name>` (no namespace part for cluster-scoped kinds).
pub fn object_file(context: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("cluster/{context}/{kind}/{ns}/{name}"),
        None => format!("cluster/{context}/{kind}/{name}"),
    }
}

const TOP: Pos = Pos { line: 1, column: 1 };

/// The `ClusterVersion` object the cluster-only controls read.
pub fn cluster_version_yaml(
    context: &str,
    server: &str,
    snapshot: &Snapshot,
    scanned_on: &str,
) -> String {
    let version = snapshot
        .server_version
        .as_ref()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(json!({}));
    render::to_yaml(&json!({
        "apiVersion": CLUSTER_VERSION_API,
        "kind": CLUSTER_VERSION_KIND,
        "metadata": {"name": context},
        "server": server,
        "scannedOn": scanned_on,
        "serverVersion": version,
    }))
}

/// The engine input for one listed cluster; `scanned_on` is today (`YYYY-MM-DD`).
pub fn from_snapshot(
    context: &str,
    server: &str,
    snapshot: Snapshot,
    scanned_on: &str,
) -> ClusterInput {
    let file: Arc<str> = Arc::from(cluster_file(context).as_str());
    let mut status = FileResult::new(file.clone());
    status.first_piece = true;
    for k in &snapshot.kinds {
        let kind = k.kind.kind;
        let warn = |message: String| Warning {
            file: file.clone(),
            pos: TOP,
            message,
        };
        if !k.not_served.is_empty() {
            if let KindStatus::Listed { api_version, .. } = &k.status {
                status.warnings.push(warn(format!(
                    "{kind}: {} not served by this server; listed as {api_version}",
                    k.not_served.join(", ")
                )));
            }
        }
        match &k.status {
            KindStatus::Listed { .. } => {}
            KindStatus::Forbidden {
                api_version,
                message,
            } => status.warnings.push(warn(format!(
                "{kind} ({api_version}): not scanned: forbidden: {message}"
            ))),
            KindStatus::NotServed => status.warnings.push(warn(format!(
                "{kind}: not served by this server (tried {}); not scanned",
                k.not_served.join(", ")
            ))),
            KindStatus::Skipped { reason } => status
                .warnings
                .push(warn(format!("{kind}: not scanned: {reason}"))),
            KindStatus::Failed { api_version, error } => status.errors.push(InputError::file(
                &file,
                format!("{kind} ({api_version}): not scanned: {error}"),
            )),
        }
    }
    let covered = owners::covered_by_owner(
        &snapshot
            .objects
            .iter()
            .map(|o| o.owned.clone())
            .collect::<Vec<_>>(),
    );
    let mut input = ClusterInput {
        early: vec![status],
        ..ClusterInput::default()
    };
    input.sources.push(Source::Text {
        name: file.to_string(),
        text: Arc::from(cluster_version_yaml(context, server, &snapshot, scanned_on)),
    });
    for (object, covered) in snapshot.objects.into_iter().zip(covered) {
        if covered {
            input.reported_on_owner += 1;
            continue;
        }
        input.sources.push(Source::Text {
            name: object_file(
                context,
                &object.kind,
                object.namespace.as_deref(),
                &object.name,
            ),
            text: Arc::from(object.text),
        });
    }
    input
}

/// The report of a cluster that could not be scanned at all.
pub fn from_error(context: &str, server: &str, error: &str) -> ClusterInput {
    let file: Arc<str> = Arc::from(cluster_file(context).as_str());
    let mut r = FileResult::new(file.clone());
    r.first_piece = true;
    let at = if server.is_empty() {
        String::new()
    } else {
        format!(" ({server})")
    };
    r.errors.push(InputError::file(
        &file,
        format!("cluster not scanned{at}: {error}"),
    ));
    ClusterInput {
        early: vec![r],
        ..ClusterInput::default()
    }
}
