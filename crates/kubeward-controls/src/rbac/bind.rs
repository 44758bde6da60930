use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_grants_where, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};
use kubeward_rbac::access::BROAD_ROLES;

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `bind` (or `*`) on `roles` or
    /// `clusterroles` (or `*`) in `rbac.authorization.k8s.io` (or `*`). A rule limited by
    /// `resourceNames` (the roles the subject may hand out) is not reported, unless one of
    /// the names is a built-in role that hands out broad power: `cluster-admin`, `admin`
    /// or `edit` (Secrets, workloads and, for the first two, RBAC).
    ///
    /// ## Why it matters
    /// RBAC normally refuses to let anyone create a binding to a role with permissions they
    /// do not already have. `bind` lifts that check: with it and `create` on bindings, the
    /// subject can bind `cluster-admin` to itself. The CIS Benchmark asks to limit `bind`
    /// (5.1.8).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]   # flagged
    ///   verbs: ["bind"]
    /// ```
    ///
    /// ## How to fix
    /// Remove `bind`, or limit it with `resourceNames` to the specific roles the subject
    /// is meant to hand out.
    pub struct Bind;
    id: "KW612",
    name: "rbac-bind",
    title: "RBAC rule allows binding any role",
    severity: Critical,
    remediation: "Remove the bind verb (and *) on roles and clusterroles, or limit it with resourceNames to the roles the subject may hand out.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

const VERBS: &[&str] = access::BIND.verbs;
const WANTED: &[Wanted] = access::BIND.targets;

impl Control for Bind {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants_where(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can bind roles with permissions they do not hold themselves",
            |r| {
                r.resource_names.is_empty()
                    || r.resource_names.iter().any(|n| BROAD_ROLES.contains(n))
            },
        );
    }
}
