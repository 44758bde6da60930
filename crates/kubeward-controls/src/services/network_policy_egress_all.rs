use crate::services::{nsa, open_rules};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `spec.egress` rule of a NetworkPolicy (`networking.k8s.io`, or the old
    /// `extensions/v1beta1`) that allows traffic to every destination on every port: an
    /// empty rule `{}`, a rule with neither `to` nor `ports`, or a rule without `ports` whose
    /// `to` is empty or contains an empty peer `{}` or an `ipBlock` of `0.0.0.0/0` or `::/0`
    /// without `except`. A rule that allows every destination only on listed ports (DNS on
    /// 53, HTTPS on 443) is not flagged. `egress: []` allows nothing and is not flagged.
    /// Rules are skipped when `policyTypes` is a non-empty list without `Egress` (Kubernetes
    /// ignores them then); an absent or empty `policyTypes` is defaulted by the API server
    /// to include `Egress` when there are egress rules.
    ///
    /// ## Why it matters
    /// Unrestricted egress lets a compromised pod reach the cloud metadata endpoint, the
    /// API server, every internal service and any host on the Internet, to move laterally
    /// or exfiltrate data. It is a common and often deliberate default (hence the low
    /// severity), but it cancels any other egress rule for the same pods.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to:
    ///     - ipBlock: {cidr: 0.0.0.0/0}   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Allow the destinations the pods need (DNS, the services they call, specific
    /// external ranges) and their ports; exclude `169.254.169.254/32` and internal ranges
    /// with `except` where broad Internet access is required.
    pub struct NetworkPolicyEgressAll;
    id: "KW507",
    name: "network-policy-allows-all-egress",
    title: "NetworkPolicy allows all egress traffic",
    severity: Low,
    remediation: "Replace the allow-all egress rule with rules naming the allowed destinations and ports.",
    frameworks: frameworks(None, &[nsa::NETWORK_POLICIES], &["5.3.2"], &[]),
}

impl Control for NetworkPolicyEgressAll {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for r in open_rules(t, true) {
            cx.report(
                r.at,
                r.path,
                format!(
                    "egress rule allows traffic to any destination on any port ({})",
                    r.why
                ),
            );
        }
    }
}
