use crate::services::{mitre, nsa, open_rules};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `spec.ingress` rule of a NetworkPolicy (`networking.k8s.io`, or the old
    /// `extensions/v1beta1`) that admits traffic from every source on every port: an empty
    /// rule `{}`, a rule with neither `from` nor `ports`, or a rule without `ports` whose
    /// `from` is empty or contains an empty peer `{}` or an `ipBlock` of `0.0.0.0/0` or
    /// `::/0` without `except`. A rule that admits everyone only on listed ports is not
    /// flagged (that is how a public service is opened), nor is `namespaceSelector: {}`
    /// (every pod of the cluster, not the outside). `ingress: []` admits nothing and is not
    /// flagged. Rules are skipped when `policyTypes` is a non-empty list without `Ingress`
    /// (Kubernetes ignores them then); an absent or empty `policyTypes` is defaulted by the
    /// API server and always includes `Ingress`.
    ///
    /// ## Why it matters
    /// NetworkPolicies are allow-lists: one allow-all rule cancels every other rule of
    /// every policy that selects the same pods, so the pods are as open as with no policy
    /// at all, while the manifest suggests they are isolated. The CIS Benchmark asks for
    /// network policies that actually restrict traffic (5.3.2).
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - {}                  # flagged
    /// ```
    ///
    /// ## How to fix
    /// Name the clients (`podSelector`, `namespaceSelector`, specific `ipBlock` ranges)
    /// and the ports they need.
    pub struct NetworkPolicyIngressAll;
    id: "KW506",
    name: "network-policy-allows-all",
    title: "NetworkPolicy allows all ingress traffic",
    severity: Medium,
    remediation: "Replace the allow-all rule with rules naming the allowed sources and ports.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_POLICIES],
        &["5.3.2"],
        &[mitre::NETWORK_DISCOVERY],
    ),
}

impl Control for NetworkPolicyIngressAll {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for r in open_rules(t, false) {
            cx.report(
                r.at,
                r.path,
                format!(
                    "ingress rule admits traffic from any source on any port ({}), overriding every other rule for the selected pods",
                    r.why
                ),
            );
        }
    }
}
