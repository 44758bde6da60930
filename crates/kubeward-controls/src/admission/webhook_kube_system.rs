use kubeward_yaml::NodeRef;

use crate::admission::{mitre, nsa, webhooks, Webhook};
use crate::pss::frameworks;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) that fails closed
    /// (`failurePolicy: Fail`, or no failurePolicy in `v1`, where `Fail` is the default)
    /// and whose `namespaceSelector` selects `kube-system`.
    ///
    /// The selector is evaluated against the labels Kubernetes gives `kube-system`
    /// (`kubernetes.io/metadata.name: kube-system`): an absent or empty selector selects
    /// it, `kubernetes.io/metadata.name NotIn [kube-system]` excludes it, and so does any
    /// requirement on a label `kube-system` does not have by default (such as
    /// `istio-injection: enabled`). Webhooks whose `rules` only cover custom API groups
    /// (a dotted group not ending in `k8s.io` or `kubernetes.io`) or only cluster-scoped
    /// objects are skipped, since the control plane does not depend on them.
    ///
    /// ## Why it matters
    /// The components that run the cluster (CoreDNS, kube-proxy, CNI agents, often the
    /// webhook's own backend) live in `kube-system`. If a fail-closed webhook is down,
    /// every request it matches there is refused: pods of the control plane cannot be
    /// recreated, which can keep the webhook itself from coming back: a deadlock that
    /// needs manual repair of the webhook configuration.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    /// - name: validate.policy.example.com
    ///   failurePolicy: Fail
    ///   rules:
    ///   - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
    ///   # no namespaceSelector: flagged
    /// ```
    ///
    /// ## How to fix
    /// Exclude the control plane's namespaces:
    /// ```yaml
    ///   namespaceSelector:
    ///     matchExpressions:
    ///     - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}
    /// ```
    pub struct WebhookKubeSystem;
    id: "KW703",
    name: "webhook-intercepts-kube-system",
    title: "Fail-closed admission webhook intercepts kube-system",
    severity: Low,
    remediation: "Exclude kube-system with a namespaceSelector (kubernetes.io/metadata.name NotIn [kube-system]).",
    frameworks: frameworks(
        None,
        &[nsa::CONTROL_PLANE],
        &[],
        &[mitre::ENDPOINT_DOS],
    ),
}

const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Whether a group is built into Kubernetes (or a wildcard): the core group, a group
/// without a dot (`apps`, `batch`, `policy`), or one under `k8s.io` / `kubernetes.io`.
fn builtin_group(g: &str) -> bool {
    g.is_empty()
        || g == "*"
        || !g.contains('.')
        || g == "k8s.io"
        || g.ends_with(".k8s.io")
        || g == "kubernetes.io"
        || g.ends_with(".kubernetes.io")
}

/// Whether some rule may match namespaced objects of a built-in group.
fn rules_reach_control_plane(w: &Webhook<'_>) -> bool {
    let Some(rules) = w.node.get("rules").filter(|n| n.is_seq()) else {
        return false;
    };
    rules.items().any(|r| {
        let namespaced = match r.get("scope").filter(|s| !s.is_null()) {
            None => true,
            Some(s) => matches!(s.as_str(), Some("*" | "Namespaced")),
        };
        namespaced
            && r.get("apiGroups")
                .is_some_and(|gs| gs.items().filter_map(|g| g.as_str()).any(builtin_group))
    })
}

/// Whether a label selector selects a namespace whose only label is
/// `kubernetes.io/metadata.name: kube-system`. `None` when the selector cannot be read
/// (wrong types, unknown operator): not judged.
fn selects_kube_system(sel: Option<NodeRef<'_>>) -> Option<bool> {
    let Some(sel) = sel.filter(|s| !s.is_null()) else {
        return Some(true);
    };
    if !sel.is_map() {
        return None;
    }
    let label = |key: &str| (key == NAME_LABEL).then_some("kube-system");
    let mut selects = true;
    if let Some(ml) = sel.get("matchLabels").filter(|n| !n.is_null()) {
        if !ml.is_map() {
            return None;
        }
        for (k, v) in ml.entries() {
            let v = v.as_str()?;
            if label(k) != Some(v) {
                selects = false;
            }
        }
    }
    if let Some(me) = sel.get("matchExpressions").filter(|n| !n.is_null()) {
        if !me.is_seq() {
            return None;
        }
        for e in me.items() {
            let key = e.get("key")?.as_str()?;
            let op = e.get("operator")?.as_str()?;
            let values: Vec<&str> = e
                .get("values")
                .map(|v| v.items().filter_map(|i| i.as_str()).collect())
                .unwrap_or_default();
            let value = label(key);
            let ok = match op {
                "In" => value.is_some_and(|v| values.contains(&v)),
                "NotIn" => value.is_none_or(|v| !values.contains(&v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => return None,
            };
            if !ok {
                selects = false;
            }
        }
    }
    Some(selects)
}

impl Control for WebhookKubeSystem {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for w in webhooks(t) {
            let policy = match w.node.get("failurePolicy").filter(|n| !n.is_null()) {
                None if !w.v1beta1 => "no failurePolicy (Fail by default)",
                Some(n) if n.as_str() == Some("Fail") => "failurePolicy Fail",
                _ => continue,
            };
            if !rules_reach_control_plane(&w) {
                continue;
            }
            let sel = w.node.get("namespaceSelector");
            if selects_kube_system(sel) != Some(true) {
                continue;
            }
            let how = if sel.is_some_and(|s| !s.is_null()) {
                "its namespaceSelector does not exclude kube-system"
            } else {
                "it has no namespaceSelector"
            };
            cx.report(
                sel.unwrap_or(w.node),
                w.path.key("namespaceSelector"),
                format!(
                    "{} has {policy} and {how}: while it is down, control-plane pods in kube-system cannot be created",
                    w.describe()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_yaml::{parse_str, Limits};

    fn selects(yaml: &str) -> Option<bool> {
        let parsed = parse_str(yaml, &Limits::default());
        let doc = &parsed.documents[0];
        selects_kube_system(doc.root().get("s"))
    }

    #[test]
    fn selector_against_kube_system_labels() {
        assert_eq!(selects("s: {}"), Some(true));
        assert_eq!(selects("x: 1"), Some(true));
        assert_eq!(
            selects("s: {matchLabels: {kubernetes.io/metadata.name: kube-system}}"),
            Some(true)
        );
        assert_eq!(
            selects("s: {matchLabels: {istio-injection: enabled}}"),
            Some(false)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, x]}]}"),
            Some(false)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [gatekeeper-system]}]}"),
            Some(true)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: control-plane, operator: DoesNotExist}]}"),
            Some(true)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: opa, operator: Exists}]}"),
            Some(false)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [default]}]}"),
            Some(false)
        );
        assert_eq!(
            selects("s: {matchExpressions: [{key: a, operator: Bogus}]}"),
            None
        );
        assert_eq!(selects("s: [a]"), None);
    }

    #[test]
    fn builtin_groups() {
        for g in [
            "",
            "*",
            "apps",
            "batch",
            "networking.k8s.io",
            "coordination.k8s.io",
        ] {
            assert!(builtin_group(g), "{g}");
        }
        for g in [
            "cert-manager.io",
            "networking.istio.io",
            "monitoring.coreos.com",
        ] {
            assert!(!builtin_group(g), "{g}");
        }
    }
}
