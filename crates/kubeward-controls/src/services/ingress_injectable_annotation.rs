use kubeward_model::FieldPath;

use crate::services::{ingress_annotations, mitre, nsa};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

/// The prefix of ingress-nginx's annotations (its `--annotations-prefix` default).
const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

control! {
    /// ## What it does
    /// Flags each ingress-nginx annotation (`nginx.ingress.kubernetes.io/...`) of an Ingress,
    /// other than the snippets KW508 reports, whose value holds a line break, `;`, `{` or
    /// `}`: characters that end an nginx directive or block, so the rest of the value becomes
    /// configuration of its own. The finding points at the annotation; the value is never
    /// printed.
    ///
    /// ## Why it matters
    /// ingress-nginx renders annotation values into `nginx.conf`. Values that close the
    /// directive they are placed in are how every published configuration-injection of the
    /// controller works: `permanent-redirect` (CVE-2023-5044), `auth-url` (CVE-2025-24514),
    /// `auth-tls-match-cn` (CVE-2025-1097), `mirror-target` and `mirror-host`
    /// (CVE-2025-1098), the "IngressNightmare" chain that ran code in the controller and read
    /// every Secret of the cluster. No legitimate value of these single-line settings needs
    /// those characters; ingress-nginx's own annotation validation refuses them.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Ingress
    /// metadata:
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/permanent-redirect: |   # flagged
    ///       https://example.com;
    ///       }
    ///       location ~* "^/x" { alias /etc/; }
    /// ```
    ///
    /// ## How to fix
    /// Remove the annotation or give it a plain value (a URL, a name, a number). Upgrade
    /// ingress-nginx to a release with the fixes (v1.11.5 / v1.12.1 or later) and run it with
    /// `--enable-annotation-validation`.
    pub struct IngressInjectableAnnotation;
    id: "KW509",
    name: "ingress-annotation-injection",
    title: "Ingress annotation value injects nginx configuration",
    severity: Critical,
    remediation: "Give the annotation a plain value without line breaks, ';', '{' or '}', and run a fixed ingress-nginx with --enable-annotation-validation.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXPLOIT_PUBLIC_FACING, mitre::CONTAINER_API],
    ),
}

impl Control for IngressInjectableAnnotation {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for (key, node) in ingress_annotations(t) {
            let Some(name) = key.strip_prefix(NGINX_PREFIX) else {
                continue;
            };
            if name.to_ascii_lowercase().contains("snippet") {
                continue;
            }
            let Some(value) = node.as_str() else { continue };
            let mut found: Vec<&str> = Vec::new();
            if value.trim_end().contains(['\n', '\r']) {
                found.push("a line break");
            }
            for (c, what) in [(';', "';'"), ('{', "'{'"), ('}', "'}'")] {
                if value.contains(c) {
                    found.push(what);
                }
            }
            if found.is_empty() {
                continue;
            }
            let list = match found.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => found.join(""),
            };
            cx.report(
                node,
                FieldPath::from("metadata").key("annotations").key(key),
                format!(
                    "ingress-nginx annotation {key:?} holds {list}, which end an nginx directive: its value injects configuration into the ingress controller"
                ),
            );
        }
    }
}
