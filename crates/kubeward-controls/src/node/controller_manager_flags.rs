use super::{check_containers, cis, flags::Component};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Runs the Automated controller manager checks of the CIS Kubernetes Benchmark v1.12.0
    /// (section 1.3, defaults included) over every container that runs
    /// `kube-controller-manager`, one finding per failing recommendation at the offending
    /// flag (or at the `command`/`args` list when a required flag is missing).
    ///
    /// ## Why it matters
    /// The controller manager holds the key that signs service account tokens and acts on
    /// every namespace. Without `--use-service-account-credentials` every controller runs with
    /// its full rights; bound to 0.0.0.0 (the default) its metrics and profiling endpoints
    /// are reachable from the network.
    ///
    /// ## Example
    /// ```yaml
    /// command:
    /// - kube-controller-manager
    /// - --bind-address=0.0.0.0                   # flagged: CIS 1.3.7
    /// - --feature-gates=RotateKubeletServerCertificate=false   # flagged: CIS 1.3.6
    /// ```
    ///
    /// ## How to fix
    /// Set `--profiling=false`, `--use-service-account-credentials=true`,
    /// `--service-account-private-key-file`, `--root-ca-file` and
    /// `--bind-address=127.0.0.1`, and leave RotateKubeletServerCertificate enabled.
    pub struct ControllerManagerFlags;
    id: "KW921",
    name: "controller-manager-cis-flags",
    title: "kube-controller-manager flags fail CIS Benchmark section 1.3",
    severity: High,
    remediation: "Set the kube-controller-manager flags each finding names, as the CIS Kubernetes Benchmark's remediation says.",
    frameworks: cis(&["1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6", "1.3.7"]),
}

impl Control for ControllerManagerFlags {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_containers(Component::ControllerManager, t, cx);
    }
}
