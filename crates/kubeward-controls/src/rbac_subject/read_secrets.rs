use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that may `get`, `list` or `watch` Secrets (through any rule of any
    /// role bound to it, without a `resourceNames` limit), and says where: cluster-wide or in which
    /// namespaces. KW607 flags the rule in its role; this control names who holds it and where.
    ///
    /// ## Why it matters
    /// Secrets hold passwords, keys and service account tokens, some of them for far more
    /// privileged identities; `list` returns their values as surely as `get`.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: prod}
    /// roleRef: {kind: ClusterRole, name: secret-reader}
    /// subjects:
    /// - kind: User     # flagged: can read Secrets in namespace "prod"
    ///   name: alice
    /// ```
    ///
    /// ## How to fix
    /// Bind a role without Secret access, or limit the rule to the Secrets needed with
    /// `resourceNames`.
    pub struct SubjectReadSecrets;
    id: "KW652",
    name: "rbac-subject-read-secrets",
    title: "Subject can read Secrets",
    severity: High,
    remediation: "Remove get, list and watch on secrets from the subject's roles; mount the Secrets its workloads need, or limit the rule with resourceNames.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.2"], &[mitre::CONTAINER_API, mitre::STEAL_TOKEN]),
}

impl Control for SubjectReadSecrets {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::ReadSecrets);
    }
}
