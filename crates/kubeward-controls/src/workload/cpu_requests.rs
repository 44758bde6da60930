use crate::pss::frameworks;
use crate::workload::{check_resource, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container and init container without `resources.requests.cpu`. Ephemeral
    /// containers cannot set resources and are skipped. A container that sets
    /// `resources.limits.cpu` is not flagged (the API server defaults the request to the
    /// limit), nor is any container of a pod with pod-level `spec.resources` for CPU.
    ///
    /// A LimitRange in the namespace may default the request; kubeward sees one object at a
    /// time and cannot know that, so the finding is worth keeping even then: the manifest
    /// alone does not say what the workload needs.
    ///
    /// ## Why it matters
    /// Without a CPU request the scheduler places the pod as if it needed nothing, and under
    /// contention it gets the smallest share of CPU: noisy neighbours and resource hijacking
    /// (cryptominers) starve it. Requests are also what quotas and autoscalers work from.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   resources:        # flagged: no requests.cpu
    ///     limits:
    ///       memory: 256Mi
    /// ```
    ///
    /// ## How to fix
    /// Set `resources.requests.cpu` to what the container needs at steady state (`100m`).
    pub struct CpuRequestsMissing;
    id: "KW302",
    name: "cpu-requests-missing",
    title: "Container has no CPU request",
    severity: Low,
    remediation: "Set resources.requests.cpu on every container and init container.",
    frameworks: frameworks(
        None,
        &[nsa::RESOURCE_POLICIES],
        &[],
        &[mitre::RESOURCE_HIJACKING, mitre::ENDPOINT_DOS],
    ),
}

impl Control for CpuRequestsMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("set resources.requests.cpu to what the container uses (from its metrics)")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_resource(t, cx, "requests", "cpu");
    }
}
