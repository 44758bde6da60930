//! kubeward-cluster: scan a live cluster through its API with the same engine and controls.
//!
//! The loader is reusable on its own: [`connect::targets`] picks clusters by the usual
//! kubeconfig rules, [`fetch::fetch`] lists the [`kinds`] asked for (discovery, pagination,
//! bounded concurrency, bounded retries, partial access) into a [`Snapshot`] of objects and a
//! status per kind. [`scan`] turns a snapshot into engine input, and [`dump`] supports
//! scanning `kubectl get -A -o yaml` output offline.
//!
//! ```no_run
//! # async fn doc(client: kube::Client) -> Result<(), kubeward_cluster::FetchError> {
//! use kubeward_cluster::{fetch, kinds, FetchOptions, Render};
//! let opts = FetchOptions { render: Render::Json, ..FetchOptions::default() };
//! let snapshot = fetch(&client, &kinds::rbac(), &opts).await?;
//! for o in &snapshot.objects {
//!     let value: serde_json::Value = serde_json::from_str(&o.text).unwrap();
//!     # let _ = value;
//! }
//! # Ok(()) }
//! ```

pub mod connect;
pub mod dump;
pub mod fetch;
pub mod kinds;
pub mod owners;
pub mod policies;
pub mod render;
pub mod scan;

pub use connect::{targets, targets_in, ConnectOptions, Target};
pub use fetch::{
    fetch, FetchError, FetchOptions, Fetched, KindReport, KindStatus, Render, Snapshot,
};
pub use kinds::KindSpec;
pub use policies::{fetch_policies, fetch_synced, ClusterPolicies};

/// One cluster's outcome from [`fetch_all`].
pub struct Fetch {
    pub context: String,
    pub server: String,
    pub result: Result<Snapshot, String>,
}

/// Fetch `kinds` from every target at once (each with `opts.concurrency` kinds in flight).
pub async fn fetch_all(
    targets: Vec<Target>,
    kinds: &[KindSpec],
    opts: &FetchOptions,
) -> Vec<Fetch> {
    let runs = targets.into_iter().map(|t| async move {
        let result = match &t.client {
            Ok(client) => fetch(client, kinds, opts).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        Fetch {
            context: t.context,
            server: t.server,
            result,
        }
    });
    futures_util::future::join_all(runs).await
}

/// A runtime for callers without one (the CLI): two worker threads are plenty for I/O.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
