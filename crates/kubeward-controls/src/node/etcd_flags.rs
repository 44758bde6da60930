use super::{check_containers, cis, flags::Component};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Runs the Automated etcd checks of the CIS Kubernetes Benchmark v1.12.0 (section 2,
    /// defaults included) over every container that runs `etcd`: client and peer TLS
    /// certificates, client certificate authentication, no self-signed `--auto-tls`. One
    /// finding per failing recommendation at the offending flag (or at the `command`/`args`
    /// list when a required flag is missing). etcd also reads `ETCD_*` environment
    /// variables; `kubeward node` takes those into account, this control reads flags only.
    ///
    /// ## Why it matters
    /// etcd holds every Secret of the cluster in the clear unless encryption at rest is on.
    /// Without client certificate authentication anyone who reaches its port reads and
    /// writes the whole cluster state.
    ///
    /// ## Example
    /// ```yaml
    /// command:
    /// - etcd
    /// - --client-cert-auth=false     # flagged: CIS 2.2
    /// - --auto-tls=true              # flagged: CIS 2.3
    /// ```
    ///
    /// ## How to fix
    /// Give etcd certificates from a CA of its own (`--cert-file`, `--key-file`,
    /// `--peer-cert-file`, `--peer-key-file`, `--trusted-ca-file`) and set
    /// `--client-cert-auth=true` and `--peer-client-cert-auth=true`.
    pub struct EtcdFlags;
    id: "KW923",
    name: "etcd-cis-flags",
    title: "etcd flags fail CIS Benchmark section 2",
    severity: Critical,
    remediation: "Set the etcd TLS and client certificate flags each finding names, as the CIS Kubernetes Benchmark's remediation says.",
    frameworks: cis(&["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]),
}

impl Control for EtcdFlags {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_containers(Component::Etcd, t, cx);
    }
}
