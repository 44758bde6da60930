use crate::admission::nsa;
use crate::pss::{frameworks, nsa as pss_nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags PodSecurityPolicy objects (`policy/v1beta1`, `extensions/v1beta1`).
    ///
    /// ## Why it matters
    /// PodSecurityPolicy was removed in Kubernetes 1.25: the API server no longer serves it,
    /// so applying the manifest fails, and a cluster upgraded past 1.24 that relied on it
    /// enforces nothing in its place unless Pod Security Admission (or a policy engine) was
    /// set up. Finding a PSP in manifests is a sign that pod security may no longer be
    /// enforced as intended.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1beta1
    /// kind: PodSecurityPolicy    # flagged
    /// metadata:
    ///   name: restricted
    /// ```
    ///
    /// ## How to fix
    /// Migrate to Pod Security Admission: label namespaces with
    /// `pod-security.kubernetes.io/enforce` at the level the policy approximated
    /// (`restricted` or `baseline`), or express custom rules in a ValidatingAdmissionPolicy
    /// or a policy engine. Then delete the PodSecurityPolicy and its RBAC.
    pub struct PspPresent;
    id: "KW707",
    name: "pod-security-policy-present",
    title: "PodSecurityPolicy (removed in Kubernetes 1.25)",
    severity: Info,
    remediation: "Migrate to Pod Security Admission namespace labels and delete the PodSecurityPolicy.",
    frameworks: frameworks(None, &[pss_nsa::POD_SECURITY, nsa::UPGRADING], &[], &[]),
}

impl Control for PspPresent {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.kind != "PodSecurityPolicy" || !matches!(o.group(), "policy" | "extensions") {
            return;
        }
        let at = o.root.get("kind").unwrap_or(o.root);
        cx.report(
            at,
            "kind".into(),
            format!(
                "PodSecurityPolicy {:?} ({}) was removed in Kubernetes 1.25 and is not enforced by current clusters; use Pod Security Admission",
                o.name, o.api_version
            ),
        );
    }
}
