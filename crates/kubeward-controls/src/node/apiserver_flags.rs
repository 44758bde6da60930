use super::{check_containers, cis, flags::Component};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Runs the Automated API server checks of the CIS Kubernetes Benchmark v1.12.0 (section
    /// 1.2, and their defaults) over every container that runs `kube-apiserver` (by its
    /// command, `hyperkube kube-apiserver`, or with no command by its image): static pod
    /// manifests in `/etc/kubernetes/manifests`, or an API server run as a Deployment. One
    /// finding per failing recommendation, citing its CIS ID, at the offending flag in
    /// `command`/`args`, or at the list when a required flag is missing. Flags are read as
    /// kube-apiserver reads them: `--flag value`, repeated list flags append, a boolean never
    /// takes the next word. `kubeward node` runs the same checks on a live node, with the
    /// Manual recommendations and file permissions too.
    ///
    /// ## Why it matters
    /// The API server is the cluster's front door: anonymous requests, `AlwaysAllow`
    /// authorization, a missing `NodeRestriction`, no audit log or no TLS to etcd and kubelets
    /// each hand an attacker on the network a way in, or hide what they did.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: kube-apiserver
    ///   command:
    ///   - kube-apiserver
    ///   - --authorization-mode=AlwaysAllow        # flagged: CIS 1.2.6, 1.2.7, 1.2.8
    ///   - --token-auth-file=/etc/tokens.csv       # flagged: CIS 1.2.2
    /// ```
    ///
    /// ## How to fix
    /// Apply each finding's remediation in the manifest (the kubelet restarts the static pod
    /// when the file changes): e.g. `--authorization-mode=Node,RBAC`,
    /// `--enable-admission-plugins=NodeRestriction`, `--profiling=false`, audit log flags,
    /// TLS files for etcd and kubelets.
    pub struct ApiServerFlags;
    id: "KW920",
    name: "apiserver-cis-flags",
    title: "kube-apiserver flags fail CIS Benchmark section 1.2",
    severity: High,
    remediation: "Set the kube-apiserver flags each finding names, as the CIS Kubernetes Benchmark's remediation says.",
    frameworks: cis(&[
        "1.2.2", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "1.2.10", "1.2.12", "1.2.13",
        "1.2.14", "1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19", "1.2.21", "1.2.22",
        "1.2.23", "1.2.24", "1.2.25", "1.2.26", "1.2.30",
    ]),
}

impl Control for ApiServerFlags {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_containers(Component::ApiServer, t, cx);
    }
}
