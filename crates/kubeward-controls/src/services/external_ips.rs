use kubeward_model::FieldPath;

use crate::services::{mitre, nsa, service};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every item of a Service's `spec.externalIPs`.
    ///
    /// ## Why it matters
    /// kube-proxy sends traffic for an external IP to the Service on every node, without
    /// any check that the address belongs to the Service's owner. Anyone who may create or
    /// edit a Service can thereby intercept traffic meant for any IP address, inside or
    /// outside the cluster (CVE-2020-8554, unfixable in Kubernetes itself). Legitimate uses
    /// are rare; the feature is usually blocked with the `DenyServiceExternalIPs`
    /// admission plugin or a policy.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   externalIPs:
    ///   - 203.0.113.10          # flagged
    /// ```
    ///
    /// ## How to fix
    /// Remove `externalIPs`; publish the service with a LoadBalancer or an Ingress instead,
    /// and enable `DenyServiceExternalIPs` on the API server.
    pub struct ExternalIps;
    id: "KW503",
    name: "service-external-ips",
    title: "Service sets externalIPs",
    severity: High,
    remediation: "Remove spec.externalIPs and enable the DenyServiceExternalIPs admission plugin.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::ADVERSARY_IN_THE_MIDDLE],
    ),
}

impl Control for ExternalIps {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(svc) = service(t) else { return };
        for (i, node, ip) in svc.external_ips() {
            cx.report(
                node,
                FieldPath::from("spec.externalIPs").index(i),
                format!(
                    "Service claims external IP {ip:?}: every node forwards traffic for that address to it (CVE-2020-8554)"
                ),
            );
        }
    }
}
