use kubeward_model::FieldPath;

use crate::services::{mitre, nsa};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags an Ingress (`networking.k8s.io`, or the old `extensions/v1beta1`) that serves
    /// traffic (it has `rules` or a default backend) without TLS:
    /// * with no `spec.tls` at all, once, at `spec`;
    /// * with `spec.tls`, each `rules[].host` that no `tls[].hosts` entry covers, at the
    ///   host. A TLS host `*.example.com` covers one label (`shop.example.com`, not
    ///   `a.b.example.com`); a TLS entry without `hosts` covers every host (the
    ///   controller's default certificate), and so does any TLS entry for rules without a
    ///   host.
    ///
    /// ## Why it matters
    /// Without TLS the controller serves the host over plain HTTP: credentials, session
    /// cookies and data cross the network readable and modifiable by anyone on the path.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// spec:
    ///   tls:
    ///   - hosts: [shop.example.com]
    ///     secretName: shop-tls
    ///   rules:
    ///   - host: shop.example.com
    ///   - host: admin.example.com   # flagged: not covered by tls
    /// ```
    ///
    /// ## How to fix
    /// Add each host to a `spec.tls` entry with a certificate Secret (cert-manager can
    /// issue it), and redirect HTTP to HTTPS in the controller.
    pub struct IngressWithoutTls;
    id: "KW504",
    name: "ingress-without-tls",
    title: "Ingress serves hosts without TLS",
    severity: Medium,
    remediation: "Add the hosts to spec.tls with a certificate Secret.",
    frameworks: frameworks(
        None,
        &[nsa::ENCRYPTION],
        &[],
        &[mitre::SNIFFING, mitre::ADVERSARY_IN_THE_MIDDLE],
    ),
}

/// Whether a TLS host (possibly `*.domain`) covers a rule host. Host names are
/// case-insensitive.
fn covers(tls: &str, host: &str) -> bool {
    if tls.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(domain) = tls.strip_prefix("*.") else {
        return false;
    };
    match host.split_once('.') {
        Some((label, rest)) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(domain)
        }
        None => false,
    }
}

impl Control for IngressWithoutTls {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.kind != "Ingress" || !matches!(o.group(), "networking.k8s.io" | "extensions") {
            return;
        }
        let Some(spec) = o.root.get("spec").filter(|s| s.is_map()) else {
            return;
        };
        let rules: Vec<_> = spec
            .get("rules")
            .map(|r| r.items().enumerate().filter(|(_, r)| r.is_map()).collect())
            .unwrap_or_default();
        let backend = ["defaultBackend", "backend"]
            .iter()
            .any(|k| spec.get(k).is_some_and(|b| b.is_map()));
        if rules.is_empty() && !backend {
            return;
        }
        let tls_field = spec.get("tls");
        if tls_field.is_some_and(|t| !t.is_null() && !t.is_seq()) {
            return;
        }
        let entries: Vec<_> = tls_field
            .map(|t| t.items().filter(|e| e.is_map()).collect())
            .unwrap_or_default();
        if entries.is_empty() {
            let hosts: Vec<String> = rules
                .iter()
                .filter_map(|(_, r)| r.get("host").and_then(|h| h.as_str()))
                .map(|h| format!("{h:?}"))
                .collect();
            let what = if hosts.is_empty() {
                "every host".to_string()
            } else {
                format!("host {}", hosts.join(", "))
            };
            let has = match tls_field {
                Some(t) if t.is_seq() => "an empty spec.tls",
                _ => "no spec.tls",
            };
            cx.report(
                tls_field.unwrap_or(spec),
                "spec.tls".into(),
                format!("Ingress has {has}: it serves {what} over plain HTTP"),
            );
            return;
        }
        // A TLS entry without hosts is the controller's default certificate: every host.
        let mut tls_hosts = Vec::new();
        for e in &entries {
            match e.get("hosts").filter(|h| !h.is_null()) {
                None => return,
                Some(h) if h.is_seq() && h.is_empty() => return,
                Some(h) => tls_hosts.extend(h.items().filter_map(|h| h.as_str())),
            }
        }
        let base = FieldPath::from("spec.rules");
        for (i, r) in rules {
            let Some(node) = r.get("host") else { continue };
            let Some(host) = node.as_str().filter(|h| !h.is_empty()) else {
                continue;
            };
            if !tls_hosts.iter().any(|t| covers(t, host)) {
                cx.report(
                    node,
                    base.index(i).key("host"),
                    format!("host {host:?} is not covered by any spec.tls entry: it is served over plain HTTP"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn tls_host_coverage() {
        assert!(covers("shop.example.com", "shop.example.com"));
        assert!(covers("Shop.Example.com", "shop.example.com"));
        assert!(covers("*.example.com", "shop.example.com"));
        assert!(covers("*.example.com", "*.example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("shop.example.com", "admin.example.com"));
        assert!(!covers("*.example.com", ".example.com"));
    }
}
