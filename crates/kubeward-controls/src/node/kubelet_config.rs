use kubeward_model::FieldPath;

use super::benchmark::{default_value, Benchmark, Check, FlagTest, Test};
use super::flags::Component;
use super::{cis, config_lookup, finding_message, observed};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Checks a kubelet config file (`kind: KubeletConfiguration`, the file the kubelet's
    /// `--config` names, e.g. `/var/lib/kubelet/config.yaml`) against the Automated kubelet
    /// recommendations of the CIS Kubernetes Benchmark v1.12.0 that the file can decide:
    /// anonymous authentication (4.2.1), authorization mode (4.2.2), client CA (4.2.3),
    /// iptables chains (4.2.6) and certificate rotation (4.2.10). A field the file leaves out
    /// takes the KubeletConfiguration default (anonymous off, Webhook, rotateCertificates
    /// false). Flags on the kubelet's command line override the file: `kubeward node` reads
    /// both, merged as the kubelet merges them.
    ///
    /// ## Why it matters
    /// The kubelet's API runs commands in every container of the node. Anonymous access or
    /// `AlwaysAllow` there gives anyone who reaches port 10250 code execution on the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: true          # flagged: CIS 4.2.1
    /// authorization:
    ///   mode: AlwaysAllow        # flagged: CIS 4.2.2
    /// ```
    ///
    /// ## How to fix
    /// Set `authentication.anonymous.enabled: false`, `authorization.mode: Webhook`,
    /// `authentication.x509.clientCAFile`, `rotateCertificates: true` and leave
    /// `makeIPTablesUtilChains` at its default (true); restart the kubelet.
    pub struct KubeletConfigFile;
    id: "KW924",
    name: "kubelet-config-cis",
    title: "Kubelet config file fails CIS Benchmark section 4.2",
    severity: Critical,
    remediation: "Set the KubeletConfiguration fields each finding names and restart the kubelet.",
    frameworks: cis(&["4.2.1", "4.2.2", "4.2.3", "4.2.6", "4.2.10"]),
}

/// The Automated kubelet checks that a config file field decides.
pub fn checks() -> impl Iterator<Item = (&'static Check, &'static [FlagTest])> {
    Benchmark::LATEST.checks().filter_map(|c| match &c.test {
        Test::Flags(tests)
            if c.automated
                && tests
                    .iter()
                    .all(|t| t.at.component == Component::Kubelet && t.at.config.is_some()) =>
        {
            Some((c, *tests))
        }
        _ => None,
    })
}

impl Control for KubeletConfigFile {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = t.object;
        if o.kind != "KubeletConfiguration" || o.group() != "kubelet.config.k8s.io" {
            return;
        }
        for (check, tests) in checks() {
            let mut failing = Vec::new();
            for test in tests {
                let path = test.at.config.unwrap_or_default();
                let value = config_lookup(o.root, path);
                let explicit = value.as_ref().map(|v| v.text.as_str());
                let default = default_value(Component::Kubelet, test.at.flag, true);
                if !test.cond.holds(explicit, explicit.or(default)) {
                    let seen = observed(&test.at, explicit, true, default);
                    failing.push((test, value.map(|v| v.node), seen, path));
                }
            }
            let Some((_, node, _, path)) = failing.first() else {
                continue;
            };
            let observed_all: Vec<&str> = failing.iter().map(|f| f.2.as_str()).collect();
            let tests: Vec<&FlagTest> = failing.iter().map(|f| f.0).collect();
            let message = finding_message(check, &observed_all, &tests);
            match node {
                Some(n) => cx.report(
                    *n,
                    FieldPath::from_keys(&path.split('.').collect::<Vec<_>>()),
                    message,
                ),
                None => cx.report(o.root, FieldPath::root(), message),
            }
        }
    }
}
