use crate::admission::{mitre, nsa, webhooks};
use crate::pss::frameworks;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) with
    /// `failurePolicy: Ignore`, and in `v1beta1` objects each webhook without a
    /// `failurePolicy` (the `v1beta1` default is `Ignore`; the `v1` default is `Fail`).
    ///
    /// ## Why it matters
    /// With `Ignore`, a request is admitted without the webhook whenever the webhook is
    /// unreachable, slow or failing. A policy engine (Gatekeeper, Kyverno) configured so
    /// is silently off while it is down, and an attacker who can disrupt it (delete its
    /// pods, block its Service with a NetworkPolicy, overload it) switches it off. This
    /// is often the right trade-off for availability; it is worth knowing which
    /// webhooks make it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    /// - name: validate.policy.example.com
    ///   failurePolicy: Ignore     # flagged
    /// ```
    ///
    /// ## How to fix
    /// For webhooks that enforce security policy, use `failurePolicy: Fail`, run the
    /// webhook highly available, and exclude the control plane's namespaces with a
    /// `namespaceSelector`.
    pub struct WebhookFailureIgnore;
    id: "KW701",
    name: "webhook-failure-policy-ignore",
    title: "Admission webhook fails open",
    severity: Info,
    remediation: "Use failurePolicy: Fail for webhooks that enforce security policy, and run them highly available.",
    frameworks: frameworks(
        None,
        &[crate::pss::nsa::POD_SECURITY, nsa::AUDIT],
        &[],
        &[mitre::IMPAIR_DEFENSES],
    ),
}

impl Control for WebhookFailureIgnore {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for w in webhooks(t) {
            let path = w.path.key("failurePolicy");
            if let Some((n, "Ignore")) = w.str_field("failurePolicy") {
                cx.report(
                    n,
                    path,
                    format!(
                        "{} has failurePolicy Ignore: requests are admitted unchecked while it is unavailable",
                        w.describe()
                    ),
                );
            } else if w.v1beta1 && w.unset("failurePolicy") {
                cx.report(
                    w.node,
                    path,
                    format!(
                        "{} has no failurePolicy, which defaults to Ignore in admissionregistration.k8s.io/v1beta1: requests are admitted unchecked while it is unavailable",
                        w.describe()
                    ),
                );
            }
        }
    }
}
