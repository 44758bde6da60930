use kubeward_model::FieldPath;

use crate::services::{is_all_cidr, mitre, nsa, service};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a Service of `type: LoadBalancer` that does not restrict its clients: no
    /// non-empty `spec.loadBalancerSourceRanges` and no
    /// `service.beta.kubernetes.io/load-balancer-source-ranges` annotation, or a range
    /// that is the whole address space (`0.0.0.0/0`, `::/0`). Load balancers made internal
    /// by a cloud provider annotation (`service.beta.kubernetes.io/aws-load-balancer-internal`,
    /// `...aws-load-balancer-scheme: internal`, `networking.gke.io/load-balancer-type:
    /// Internal`, `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`, and
    /// the OCI, OpenStack, IBM and Alibaba equivalents) are skipped.
    ///
    /// ## Why it matters
    /// A cloud load balancer without source ranges accepts connections from the whole
    /// Internet. That is right for a public web front end, and wrong for the many services
    /// (admin UIs, databases, internal APIs) published with `LoadBalancer` for convenience,
    /// which scanners find within minutes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:                      # flagged: no loadBalancerSourceRanges
    ///   type: LoadBalancer
    ///   ports:
    ///   - port: 443
    /// ```
    ///
    /// ## How to fix
    /// List the client networks in `spec.loadBalancerSourceRanges` (for example your
    /// office and VPN ranges), make the load balancer internal, or publish public web
    /// traffic through an Ingress or Gateway with its own protections.
    pub struct LoadBalancerSourceRanges;
    id: "KW502",
    name: "loadbalancer-without-source-ranges",
    title: "LoadBalancer Service accepts traffic from anywhere",
    severity: Medium,
    remediation: "Set spec.loadBalancerSourceRanges to the client networks, or make the load balancer internal.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES],
    ),
}

const ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

impl Control for LoadBalancerSourceRanges {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(svc) = service(t) else { return };
        if svc.type_name() != "LoadBalancer" || svc.internal_lb().is_some() {
            return;
        }
        let field = svc.spec.get("loadBalancerSourceRanges");
        if field.is_some_and(|f| !f.is_null() && !f.is_seq()) {
            return;
        }
        let ranges: Vec<_> = field
            .map(|f| {
                f.items()
                    .filter_map(|n| n.as_str().map(|s| (n, s)))
                    .collect()
            })
            .unwrap_or_default();
        if !ranges.is_empty() {
            // The field wins over the annotation.
            for (i, (node, cidr)) in ranges.iter().enumerate() {
                if is_all_cidr(cidr) {
                    cx.report(
                        *node,
                        FieldPath::from("spec.loadBalancerSourceRanges").index(i),
                        format!("LoadBalancer source range {cidr:?} admits every address"),
                    );
                }
            }
            return;
        }
        if let Some(value) = svc.object.annotation(ANNOTATION) {
            let cidrs: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if !cidrs.is_empty() {
                if let Some(all) = cidrs.iter().find(|c| is_all_cidr(c)) {
                    let at = svc
                        .object
                        .annotations()
                        .and_then(|a| a.get(ANNOTATION))
                        .unwrap_or(svc.spec);
                    cx.report(
                        at,
                        FieldPath::from("metadata.annotations").key(ANNOTATION),
                        format!(
                            "LoadBalancer source range {all:?} (annotation) admits every address"
                        ),
                    );
                }
                return;
            }
        }
        let at = field.unwrap_or(svc.spec);
        cx.report(
            at,
            "spec.loadBalancerSourceRanges".into(),
            "Service type LoadBalancer has no loadBalancerSourceRanges: it accepts connections from any address",
        );
    }
}
