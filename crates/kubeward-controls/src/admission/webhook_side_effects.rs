use crate::admission::{nsa, webhooks};
use crate::pss::frameworks;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) whose `sideEffects`
    /// is not `None` or `NoneOnDryRun` (that is `Some` or `Unknown`), and in `v1beta1`
    /// objects each webhook without `sideEffects` (the `v1beta1` default is `Unknown`; `v1`
    /// requires the field).
    ///
    /// ## Why it matters
    /// A webhook with side effects changes state outside the request (creates objects,
    /// calls external systems) even for requests that are later rejected by another
    /// admission step, leaving orphaned state. The API server refuses dry-run requests
    /// that would reach such a webhook, so `kubectl apply --dry-run=server` and
    /// policy-preview tools stop working for the objects it matches.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    /// - name: audit.example.com
    ///   sideEffects: Unknown    # flagged
    /// ```
    ///
    /// ## How to fix
    /// Make the webhook free of side effects and declare `sideEffects: None`, or skip its
    /// side effects for dry-run requests and declare `NoneOnDryRun`.
    pub struct WebhookSideEffects;
    id: "KW704",
    name: "webhook-side-effects",
    title: "Admission webhook has side effects",
    severity: Low,
    remediation: "Declare sideEffects: None (or NoneOnDryRun) and make the webhook honour it.",
    frameworks: frameworks(None, &[nsa::UPGRADING], &[], &[]),
}

impl Control for WebhookSideEffects {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        for w in webhooks(t) {
            let path = w.path.key("sideEffects");
            match w.str_field("sideEffects") {
                Some((_, "None" | "NoneOnDryRun")) => {}
                Some((n, v)) => cx.report(
                    n,
                    path,
                    format!(
                        "{} declares sideEffects {v:?}: dry-run requests it matches are refused",
                        w.describe()
                    ),
                ),
                None if w.v1beta1 && w.unset("sideEffects") => cx.report(
                    w.node,
                    path,
                    format!(
                        "{} has no sideEffects, which defaults to Unknown in admissionregistration.k8s.io/v1beta1: dry-run requests it matches are refused",
                        w.describe()
                    ),
                ),
                None => {}
            }
        }
    }
}
