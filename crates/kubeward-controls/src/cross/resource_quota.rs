use super::{nsa, report_workload_namespaces_without};
use crate::inventory::{CrossOut, FactKind, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a Namespace defined in the scan that holds workloads but no ResourceQuota.
    ///
    /// ## Why it matters
    /// Without a quota one namespace can consume the cluster's CPU, memory and object counts:
    /// a runaway or compromised workload (cryptomining, fork bombs) starves everyone else. The
    /// NSA/CISA guidance asks for resource policies per namespace.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Namespace
    /// metadata: {name: shop}    # flagged: workloads in shop, no ResourceQuota
    /// ```
    ///
    /// ## How to fix
    /// Add a ResourceQuota to the namespace (requests.cpu, requests.memory, limits.*, pods).
    pub struct NamespaceWithoutResourceQuota;
    id: "KW805",
    name: "namespace-without-resource-quota",
    title: "Namespace with workloads has no ResourceQuota",
    severity: Low,
    remediation: "Add a ResourceQuota to the namespace.",
    frameworks: frameworks(None, &[nsa::RESOURCE_POLICIES], &[], &["T1496"]),
}

impl Control for NamespaceWithoutResourceQuota {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report_workload_namespaces_without(inv, out, "ResourceQuota", |k| {
            matches!(k, FactKind::ResourceQuota)
        });
    }
}
