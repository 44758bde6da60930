use crate::admission::{mitre, nsa, webhooks};
use crate::pss::frameworks;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) with
    /// `timeoutSeconds` above 15, and in `v1beta1` objects each webhook without
    /// `timeoutSeconds` (the `v1beta1` default is 30 seconds; the `v1` default is 10).
    ///
    /// ## Why it matters
    /// The API server waits for the webhook, up to the timeout (at most 30 seconds), on
    /// every matching request, holding it open. A slow or hanging webhook with a long
    /// timeout stalls deployments and controllers cluster-wide, and with
    /// `failurePolicy: Fail` turns a webhook outage into a control-plane outage. Requests
    /// whose own timeout is shorter fail before the webhook answers.
    ///
    /// ## Example
    /// ```yaml
    /// kind: MutatingWebhookConfiguration
    /// webhooks:
    /// - name: inject.example.com
    ///   timeoutSeconds: 30      # flagged
    /// ```
    ///
    /// ## How to fix
    /// Keep `timeoutSeconds` at the default 10 or below 15, and make the webhook fast.
    pub struct WebhookTimeout;
    id: "KW702",
    name: "webhook-timeout-long",
    title: "Admission webhook has a long timeout",
    severity: Low,
    remediation: "Set timeoutSeconds to 15 or less (the v1 default is 10).",
    frameworks: frameworks(
        None,
        &[nsa::CONTROL_PLANE],
        &[],
        &[mitre::ENDPOINT_DOS],
    ),
}

impl Control for WebhookTimeout {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for w in webhooks(t) {
            let path = w.path.key("timeoutSeconds");
            match w.node.get("timeoutSeconds") {
                Some(n) if !n.is_null() => {
                    if let Some(s) = n.as_i64().filter(|s| *s > 15) {
                        cx.report(
                            n,
                            path,
                            format!(
                                "{} has timeoutSeconds {s}: the API server holds matching requests up to {s}s when it is slow",
                                w.describe()
                            ),
                        );
                    }
                }
                _ if w.v1beta1 => cx.report(
                    w.node,
                    path,
                    format!(
                        "{} has no timeoutSeconds, which defaults to 30 in admissionregistration.k8s.io/v1beta1: the API server holds matching requests up to 30s when it is slow",
                        w.describe()
                    ),
                ),
                _ => {}
            }
        }
    }
}
