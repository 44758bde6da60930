use crate::pss::frameworks;
use crate::workload::{check_resource, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container and init container without `resources.limits.memory`. Ephemeral
    /// containers cannot set resources and are skipped, and a pod-level
    /// `spec.resources.limits.memory` satisfies the check for all containers.
    ///
    /// ## Why it matters
    /// Memory is not compressible: a container without a limit can exhaust the node's memory,
    /// and the kernel's OOM killer or the kubelet's eviction then takes down other pods too.
    /// A memory leak, a decompression bomb or a deliberate attack becomes a node-wide denial
    /// of service. That is why this one is medium while the other resource controls are low.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   resources:
    ///     requests: {cpu: 100m, memory: 128Mi}   # flagged: no limits.memory
    /// ```
    ///
    /// ## How to fix
    /// Set `resources.limits.memory` (usually equal to the request), or enforce a default with
    /// a LimitRange in the namespace.
    pub struct MemoryLimitsMissing;
    id: "KW305",
    name: "memory-limits-missing",
    title: "Container has no memory limit",
    severity: Medium,
    remediation: "Set resources.limits.memory on every container and init container.",
    frameworks: frameworks(
        None,
        &[nsa::RESOURCE_POLICIES],
        &[],
        &[mitre::ENDPOINT_DOS, mitre::RESOURCE_HIJACKING],
    ),
}

impl Control for MemoryLimitsMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("set resources.limits.memory to the most memory the container may use")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_resource(t, cx, "limits", "memory");
    }
}
