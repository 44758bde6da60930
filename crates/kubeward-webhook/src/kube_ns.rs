//! Namespace labels from the cluster: a reflector (list + watch) of Namespaces, so a request
//! reads labels from memory and never calls the API server. Ready once the first list is in.
//! Needs get/list/watch on namespaces (deploy/rbac.yaml), nothing else.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use futures_util::StreamExt as _;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt as _};
use kube::Api;

use crate::policy::{NamespaceLabels, LABELS};

pub struct KubeNamespaces {
    store: Store<Namespace>,
    synced: Arc<AtomicBool>,
}

impl KubeNamespaces {
    /// Connect with the in-cluster config (or `KUBECONFIG`) and start the watch.
    pub async fn start() -> Result<Arc<KubeNamespaces>> {
        let client = kube::Client::try_default()
            .await
            .context("cannot configure cluster access (in-cluster config or KUBECONFIG); use --no-cluster to run without")?;
        let api: Api<Namespace> = Api::all(client);
        let (store, writer) = reflector::store();
        let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
            .default_backoff()
            .touched_objects();
        tokio::spawn(async move {
            futures_util::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    tracing::warn!(error = %e, "namespace watch error; retrying");
                }
            }
        });
        let synced = Arc::new(AtomicBool::new(false));
        let (flag, ready) = (synced.clone(), store.clone());
        tokio::spawn(async move {
            if ready.wait_until_ready().await.is_ok() {
                flag.store(true, Ordering::Relaxed);
                tracing::info!(namespaces = ready.state().len(), "namespace cache synced");
            }
        });
        Ok(Arc::new(KubeNamespaces { store, synced }))
    }
}

impl NamespaceLabels for KubeNamespaces {
    fn levels(&self, namespace: &str) -> Option<[Option<String>; 3]> {
        let ns = self.store.get(&ObjectRef::new(namespace))?;
        let labels = ns.metadata.labels.as_ref();
        Some(LABELS.map(|k| labels.and_then(|l| l.get(k)).cloned()))
    }

    fn ready(&self) -> bool {
        self.synced.load(Ordering::Relaxed)
    }
}
