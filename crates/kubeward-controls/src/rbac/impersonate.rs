use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `impersonate` (or `*`) on `users`,
    /// `groups` or `serviceaccounts` (core group) or on `userextras/...` or `uids`
    /// (`authentication.k8s.io`), directly or through `*`. A rule limited by
    /// `resourceNames` is reported with the names it is limited to.
    ///
    /// ## Why it matters
    /// Impersonation makes the API server treat a request as coming from another user,
    /// group or service account: impersonating the group `system:masters` or an admin user
    /// is full control of the cluster. The CIS Benchmark asks to limit `impersonate`
    /// (5.1.8).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["users", "groups"]   # flagged
    ///   verbs: ["impersonate"]
    /// ```
    ///
    /// ## How to fix
    /// Remove `impersonate`, or limit it with `resourceNames` to the identities the subject
    /// may assume (and never to privileged groups).
    pub struct Impersonate;
    id: "KW613",
    name: "rbac-impersonate",
    title: "RBAC rule allows impersonation",
    severity: Critical,
    remediation: "Remove the impersonate verb (and *) on users, groups, service accounts, user extras and uids.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

const VERBS: &[&str] = access::IMPERSONATE.verbs;
const WANTED: &[Wanted] = access::IMPERSONATE.targets;

impl Control for Impersonate {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can act as other identities, including more privileged ones",
        );
    }
}
