use kubeward_model::FieldPath;

use crate::services::{ingress_annotations, mitre, nsa};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each annotation of an Ingress (`networking.k8s.io` or `extensions`) whose name
    /// holds `snippet`: ingress-nginx's `configuration-snippet`, `server-snippet`,
    /// `auth-snippet`, `stream-snippet` and `modsecurity-snippet`, and NGINX Inc.'s
    /// `nginx.org/server-snippets` and `location-snippets` (what Checkov's CKV_K8S_153
    /// flags). The finding points at the annotation; the message says when the snippet holds
    /// Lua code (`*_by_lua`) or an `alias` directive, the two forms of the published
    /// CVE-2021-25742 exploit (Checkov's CKV_K8S_152 and CKV_K8S_154). The value itself is
    /// never printed.
    ///
    /// ## Why it matters
    /// A snippet is pasted verbatim into the configuration of the ingress controller, which
    /// every Ingress in the cluster shares and whose service account reads every Secret in
    /// the cluster (it serves their TLS certificates). Whoever may create an Ingress with a
    /// snippet can make the controller serve its own token or any file (`alias
    /// /var/run/secrets/...`), run Lua code, or rewrite other tenants' routes: CVE-2021-25742
    /// turns "edit Ingresses in one namespace" into "read all Secrets".
    ///
    /// ## Example
    /// ```yaml
    /// kind: Ingress
    /// metadata:
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/server-snippet: |     # flagged
    ///       location /x { alias /var/run/secrets/kubernetes.io/serviceaccount/; }
    /// ```
    ///
    /// ## How to fix
    /// Express the behaviour with the controller's dedicated annotations or its ConfigMap,
    /// and run ingress-nginx with `allow-snippet-annotations: "false"` (the default since
    /// v1.9) so that no Ingress can inject configuration.
    pub struct IngressSnippetAnnotation;
    id: "KW508",
    name: "ingress-snippet-annotation",
    title: "Ingress injects configuration into the ingress controller with a snippet annotation",
    severity: High,
    remediation: "Remove the snippet annotation, use the controller's dedicated annotations, and set allow-snippet-annotations: \"false\" in ingress-nginx.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXPLOIT_PUBLIC_FACING, mitre::CONTAINER_API],
    ),
}

impl Control for IngressSnippetAnnotation {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for (key, node) in ingress_annotations(t) {
            let name = key.rsplit('/').next().unwrap_or(key);
            if !name.to_ascii_lowercase().contains("snippet") {
                continue;
            }
            let value = node.as_str().unwrap_or("");
            let mut holds = Vec::new();
            if value.contains("_by_lua") {
                holds.push("Lua code");
            }
            if value
                .split(|c: char| c.is_whitespace() || c == ';' || c == '{')
                .any(|w| w == "alias")
            {
                holds.push("an alias directive");
            }
            let detail = if holds.is_empty() {
                String::new()
            } else {
                format!(
                    "; it holds {}, the form of the CVE-2021-25742 exploit",
                    holds.join(" and ")
                )
            };
            cx.report(
                node,
                FieldPath::from("metadata").key("annotations").key(key),
                format!("Ingress annotation {key:?} injects configuration into the ingress controller{detail}"),
            );
        }
    }
}
