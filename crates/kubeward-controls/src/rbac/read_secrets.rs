use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, report_unlimited_grants, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `get`, `list` or `watch` (or `*`) on
    /// `secrets` (or `*`) in the core API group (`""` or `*`). The finding points at the
    /// `resources` item. A rule limited by `resourceNames` (the Secrets the subject needs,
    /// by name) is not reported.
    ///
    /// ## Why it matters
    /// Secrets hold database passwords, cloud keys, TLS keys and, in older clusters,
    /// service account tokens, some of them for far more privileged identities. `list` and
    /// `watch` return the values of every Secret in scope as surely as `get` does: there is
    /// no "list names only". The CIS Benchmark asks to minimize access to Secrets (5.1.2).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]   # flagged
    ///   verbs: ["list"]
    /// ```
    ///
    /// ## How to fix
    /// Mount the Secrets a workload needs as volumes instead of reading them through the
    /// API; where API access is required, use a namespaced Role limited with
    /// `resourceNames` to the Secrets concerned.
    pub struct ReadSecrets;
    id: "KW607",
    name: "rbac-read-secrets",
    title: "RBAC rule allows reading Secrets",
    severity: High,
    remediation: "Remove get, list and watch on secrets; mount the Secrets the workload needs instead, or limit the rule with resourceNames.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.2"], &[mitre::CONTAINER_API, mitre::STEAL_TOKEN]),
}

const VERBS: &[&str] = access::READ_SECRETS.verbs;
const WANTED: &[Wanted] = access::READ_SECRETS.targets;

impl Control for ReadSecrets {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_unlimited_grants(
            t,
            cx,
            VERBS,
            WANTED,
            "its subjects can read Secret values, including service account tokens",
        );
    }
}
