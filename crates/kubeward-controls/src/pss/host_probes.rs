use crate::pss::{frameworks, nsa, pss, who};
use crate::{control, Context, Control, ControlMeta, PssLevel, Target};

control! {
    /// ## What it does
    /// Flags every non-empty `host` of an `httpGet` or `tcpSocket` handler in a container's
    /// `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle.postStart` or
    /// `lifecycle.preStop` (all containers, including init and ephemeral ones). Applies from
    /// Pod Security Standards v1.34, the version that introduced the check.
    ///
    /// ## Why it matters
    /// The kubelet runs probes and lifecycle hooks from the node, in the node's network
    /// namespace. A `host` field lets a pod make the kubelet send requests to any address it
    /// can reach: node-local services, the cloud metadata endpoint, other tenants' pods. Pod
    /// Security Admission forbids every non-empty host at the `baseline` level (check
    /// `hostProbesAndHostLifecycle`), loopback addresses (`127.0.0.1`, `::1`, `localhost`)
    /// included; `exec` and `grpc` handlers are not affected.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   livenessProbe:
    ///     httpGet:
    ///       host: 169.254.169.254   # flagged
    ///       path: /healthz
    ///       port: 8080
    /// ```
    ///
    /// ## How to fix
    /// Remove `host`: the probe then targets the pod's own IP, which is what a health check
    /// should do.
    pub struct HostProbes;
    id: "KW105",
    name: "host-probe-or-lifecycle-host",
    title: "Probe or lifecycle handler targets another host",
    severity: Medium,
    remediation: "Remove the host field from httpGet/tcpSocket probes and lifecycle hooks so they target the pod itself.",
    frameworks: frameworks(
        pss(PssLevel::Baseline, "hostProbesAndHostLifecycle", 34),
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[],
    ),
}

const HANDLERS: [&[&str]; 5] = [
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

impl Control for HostProbes {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for handler in HANDLERS {
                let Some(h) = c.node.get_path(handler).filter(|n| n.is_map()) else {
                    continue;
                };
                for action in ["httpGet", "tcpSocket"] {
                    let Some(host) = h.get(action).and_then(|a| a.get("host")) else {
                        continue;
                    };
                    let Some(v) = host.as_str().filter(|s| !s.is_empty()) else {
                        continue;
                    };
                    let field = format!("{}.{action}.host", handler.join("."));
                    let path = handler
                        .iter()
                        .fold(c.path.clone(), |p, k| p.key(k))
                        .key(action)
                        .key("host");
                    cx.report(
                        host,
                        path,
                        format!(
                            "{} uses probe or lifecycle host \"{v}\" in {field}",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}
