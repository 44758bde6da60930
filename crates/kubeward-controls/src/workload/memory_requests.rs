use crate::pss::frameworks;
use crate::workload::{check_resource, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container and init container without `resources.requests.memory`.
    /// Ephemeral containers cannot set resources and are skipped. A container that sets
    /// `resources.limits.memory` is not flagged (the API server defaults the request to the
    /// limit), nor is any container of a pod with pod-level `spec.resources` for memory.
    ///
    /// ## Why it matters
    /// Without a memory request the scheduler may place the pod on a node that cannot hold it,
    /// and the pod is among the first evicted under memory pressure (QoS class BestEffort or
    /// Burstable). Requests are also what quotas and autoscalers work from.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   resources:
    ///     requests: {cpu: 100m}   # flagged: no requests.memory
    /// ```
    ///
    /// ## How to fix
    /// Set `resources.requests.memory` to the container's working set (`128Mi`).
    pub struct MemoryRequestsMissing;
    id: "KW304",
    name: "memory-requests-missing",
    title: "Container has no memory request",
    severity: Low,
    remediation: "Set resources.requests.memory on every container and init container.",
    frameworks: frameworks(
        None,
        &[nsa::RESOURCE_POLICIES],
        &[],
        &[mitre::ENDPOINT_DOS],
    ),
}

impl Control for MemoryRequestsMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("set resources.requests.memory to what the container uses (from its metrics)")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_resource(t, cx, "requests", "memory");
    }
}
