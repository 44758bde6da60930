use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_unlimited_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `create` (or `*`) on
    /// `serviceaccounts/token` (or `*`, `*/token`) in the core group. A rule limited by
    /// `resourceNames` (the service accounts the subject issues tokens for) is not
    /// reported.
    ///
    /// ## Why it matters
    /// The TokenRequest API issues a fresh, valid token for any service account in scope:
    /// the subject can act as the most privileged service account of the namespace (or of
    /// the cluster, through a ClusterRole), without touching any pod. The CIS Benchmark
    /// asks to minimize access to create service account tokens (5.1.13).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]   # flagged
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## How to fix
    /// Remove the rule, or limit it with `resourceNames` to the service accounts the
    /// subject legitimately issues tokens for.
    pub struct ServiceAccountToken;
    id: "KW615",
    name: "rbac-service-account-token",
    title: "RBAC rule allows creating service account tokens",
    severity: High,
    remediation: "Remove create on serviceaccounts/token unless the subject issues tokens, and limit it with resourceNames.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.13"], &[mitre::STEAL_TOKEN, mitre::VALID_ACCOUNTS]),
}

const VERBS: &[&str] = access::SERVICE_ACCOUNT_TOKEN.verbs;
const WANTED: &[Wanted] = access::SERVICE_ACCOUNT_TOKEN.targets;

impl Control for ServiceAccountToken {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_unlimited_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can mint tokens for the service accounts in scope and act as them",
        );
    }
}
