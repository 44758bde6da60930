use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `escalate` (or `*`) on `roles` or
    /// `clusterroles` (or `*`) in `rbac.authorization.k8s.io` (or `*`).
    ///
    /// ## Why it matters
    /// RBAC normally refuses to let anyone create or update a role with permissions they
    /// do not already have. `escalate` lifts that check: with it and `update` on a role
    /// bound to the subject, the subject can grant itself anything, up to full cluster
    /// admin. The CIS Benchmark asks to limit `escalate` (5.1.8).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]   # flagged
    ///   verbs: ["escalate", "update"]
    /// ```
    ///
    /// ## How to fix
    /// Remove `escalate`. Controllers that manage RBAC should hold the permissions they
    /// grant instead.
    pub struct Escalate;
    id: "KW611",
    name: "rbac-escalate",
    title: "RBAC rule allows escalating roles",
    severity: Critical,
    remediation: "Remove the escalate verb (and *) on roles and clusterroles.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

const VERBS: &[&str] = access::ESCALATE.verbs;
const WANTED: &[Wanted] = access::ESCALATE.targets;

impl Control for Escalate {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can write roles with permissions they do not hold themselves",
        );
    }
}
