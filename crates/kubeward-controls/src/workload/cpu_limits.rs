use crate::pss::frameworks;
use crate::workload::{check_resource, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container and init container without `resources.limits.cpu`. Ephemeral
    /// containers cannot set resources and are skipped, and a pod-level
    /// `spec.resources.limits.cpu` satisfies the check for all containers.
    ///
    /// ## Why it matters
    /// A container without a CPU limit can use every idle core of the node. A compromised or
    /// runaway process (a cryptominer, a busy loop) then degrades every other pod on the node.
    /// CPU limits throttle, they never kill, so some teams deliberately run without them and
    /// rely on requests for fairness; this control is low severity for that reason, and can be
    /// disabled where that is the policy.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   resources:
    ///     requests: {cpu: 100m}   # flagged: no limits.cpu
    /// ```
    ///
    /// ## How to fix
    /// Set `resources.limits.cpu` (or a pod-level `spec.resources.limits.cpu`), or enforce
    /// a default with a LimitRange in the namespace.
    pub struct CpuLimitsMissing;
    id: "KW303",
    name: "cpu-limits-missing",
    title: "Container has no CPU limit",
    severity: Low,
    remediation: "Set resources.limits.cpu on every container and init container.",
    frameworks: frameworks(
        None,
        &[nsa::RESOURCE_POLICIES],
        &[],
        &[mitre::RESOURCE_HIJACKING, mitre::ENDPOINT_DOS],
    ),
}

impl Control for CpuLimitsMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("set resources.limits.cpu to the most CPU the container may use")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_resource(t, cx, "limits", "cpu");
    }
}
