use super::{nsa, report_workload_namespaces_without};
use crate::inventory::{CrossOut, FactKind, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};

control! {
    /// ## What it does
    /// Flags a Namespace defined in the scan that holds workloads but no LimitRange.
    ///
    /// ## Why it matters
    /// Without a LimitRange, containers that set no requests or limits get none: they are
    /// scheduled blindly and may use a whole node (cryptomining, runaway memory). The
    /// NSA/CISA guidance asks for resource policies per namespace.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Namespace
    /// metadata: {name: shop}    # flagged: workloads in shop, no LimitRange
    /// ```
    ///
    /// ## How to fix
    /// Add a LimitRange with default requests and limits for containers.
    pub struct NamespaceWithoutLimitRange;
    id: "KW806",
    name: "namespace-without-limit-range",
    title: "Namespace with workloads has no LimitRange",
    severity: Low,
    remediation: "Add a LimitRange that sets default requests and limits for containers.",
    frameworks: frameworks(None, &[nsa::RESOURCE_POLICIES], &[], &["T1496"]),
}

impl Control for NamespaceWithoutLimitRange {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report_workload_namespaces_without(inv, out, "LimitRange", |k| {
            matches!(k, FactKind::LimitRange)
        });
    }
}
