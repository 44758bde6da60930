use super::{check_containers, cis, flags::Component};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Runs the Automated scheduler checks of the CIS Kubernetes Benchmark v1.12.0 (section
    /// 1.4, defaults included) over every container that runs `kube-scheduler`, one finding
    /// per failing recommendation at the offending flag (or at the `command`/`args` list when
    /// the flag is missing and its default fails).
    ///
    /// ## Why it matters
    /// Profiling endpoints reveal the scheduler's internals and cost CPU; bound to 0.0.0.0
    /// (the default) its endpoints are reachable from every network the node is on.
    ///
    /// ## Example
    /// ```yaml
    /// command:
    /// - kube-scheduler
    /// - --kubeconfig=/etc/kubernetes/scheduler.conf   # no --profiling=false: CIS 1.4.1
    /// ```
    ///
    /// ## How to fix
    /// Add `--profiling=false` and `--bind-address=127.0.0.1`.
    pub struct SchedulerFlags;
    id: "KW922",
    name: "scheduler-cis-flags",
    title: "kube-scheduler flags fail CIS Benchmark section 1.4",
    severity: Medium,
    remediation: "Set --profiling=false and --bind-address=127.0.0.1 on kube-scheduler.",
    frameworks: cis(&["1.4.1", "1.4.2"]),
}

impl Control for SchedulerFlags {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_containers(Component::Scheduler, t, cx);
    }
}
