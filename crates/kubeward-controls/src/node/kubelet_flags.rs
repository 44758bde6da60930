use super::{check_containers, cis, flags::Component};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Checks every container that runs the kubelet (a `command` of `kubelet ...` or
    /// `hyperkube kubelet ...`, or no command and an image named `kubelet`) against the
    /// Automated kubelet recommendations of the CIS Kubernetes Benchmark v1.12.0 that its
    /// flags decide: anonymous authentication (4.2.1), authorization mode (4.2.2), client CA
    /// (4.2.3), iptables chains (4.2.6) and certificate rotation (4.2.10). A flag set to a
    /// failing value is reported at the flag. A flag left out takes the kubelet's flag
    /// default (anonymous auth on, `AlwaysAllow`) and is reported at the `args` (or
    /// `command`) list, unless the command line names a `--config` file: the file then
    /// decides, and kubeward, which does not see it, reports only the flags given (scan the
    /// file itself for KW924). Flags are read the way the kubelet's flag parser reads them
    /// (`--flag=value`, `--flag value`, booleans, the last occurrence wins), with the same
    /// tables `kubeward node` uses. This is what Checkov's CKV_K8S_138 to CKV_K8S_150 check.
    ///
    /// ## Why it matters
    /// A kubelet run from a manifest (a static pod, kubelet-in-Docker, a nested or edge
    /// cluster) is as much the node's kubelet as one run by systemd. Its API runs commands
    /// in every container of the node: anonymous access or `AlwaysAllow` there gives anyone
    /// who reaches port 10250 code execution on the node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: kubelet
    ///   command:
    ///   - kubelet
    ///   - --anonymous-auth=true     # flagged: CIS 4.2.1
    /// ```
    ///
    /// ## How to fix
    /// Pass `--anonymous-auth=false`, `--authorization-mode=Webhook`, `--client-ca-file`,
    /// `--rotate-certificates=true` and leave `--make-iptables-util-chains` at its default
    /// (true), or set the same fields in the KubeletConfiguration file `--config` names.
    pub struct KubeletFlags;
    id: "KW925",
    name: "kubelet-cis-flags",
    title: "kubelet flags in a pod fail CIS Benchmark section 4.2",
    severity: Critical,
    remediation: "Set --anonymous-auth=false, --authorization-mode=Webhook, --client-ca-file and --rotate-certificates=true on the kubelet.",
    frameworks: cis(&["4.2.1", "4.2.2", "4.2.3", "4.2.6", "4.2.10"]),
}

impl Control for KubeletFlags {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_containers(Component::Kubelet, t, cx);
    }
}
