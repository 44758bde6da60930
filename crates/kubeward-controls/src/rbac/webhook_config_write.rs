use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_unlimited_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create`, `update`, `patch`, `delete` or
    /// `deletecollection` (or `*`) on the admission configuration of
    /// `admissionregistration.k8s.io` (or `*`): `validatingwebhookconfigurations`,
    /// `mutatingwebhookconfigurations`, `validatingadmissionpolicies`,
    /// `validatingadmissionpolicybindings`, `mutatingadmissionpolicies` and
    /// `mutatingadmissionpolicybindings`. A rule limited by `resourceNames` (the subject's
    /// own configuration objects) is not reported; it cannot grant `create`.
    ///
    /// ## Why it matters
    /// Admission webhooks see, and mutating ones rewrite, every object they register for:
    /// a new mutating webhook can inject a privileged container into every pod or read
    /// every Secret as it is written; deleting a validating webhook or policy silently
    /// turns off the policy engine. The CIS Benchmark asks to limit access to webhook
    /// configuration objects (5.1.12).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]   # flagged
    ///   verbs: ["create", "patch"]
    /// ```
    ///
    /// ## How to fix
    /// Install webhooks with a deployment pipeline rather than a running workload. A
    /// controller that manages its own webhook's CA bundle needs only `get` and `update`
    /// limited with `resourceNames` to its configuration.
    pub struct WebhookConfigWrite;
    id: "KW617",
    name: "rbac-webhook-config-write",
    title: "RBAC rule allows changing admission webhooks or policies",
    severity: High,
    remediation: "Remove write verbs on admission webhook and policy objects, or limit them with resourceNames to the subject's own configuration.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC],
        &["5.1.12"],
        &[mitre::IMPAIR_DEFENSES],
    ),
}

const VERBS: &[&str] = access::WEBHOOK_CONFIG_WRITE.verbs;
const WANTED: &[Wanted] = access::WEBHOOK_CONFIG_WRITE.targets;

impl Control for WebhookConfigWrite {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_unlimited_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can add, change or remove admission control",
        );
    }
}
