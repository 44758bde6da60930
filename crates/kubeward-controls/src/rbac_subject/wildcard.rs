use super::{mitre, nsa, report};
use crate::inventory::{CrossOut, Inventory};
use crate::pss::frameworks;
use crate::{control, Control, ControlMeta};
use kubeward_rbac::Risk;

control! {
    /// ## What it does
    /// Flags every subject that holds a rule with `*` in its verbs, resources or API groups,
    /// and says where. KW601-KW603 flag the rule in its role; this control names who holds it.
    ///
    /// ## Why it matters
    /// A wildcard grants every verb, resource or group, including those added later (new
    /// subresources, custom resources): the subject's access grows without anyone deciding it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: ops, namespace: shop}
    /// roleRef: {kind: Role, name: all-apps}   # apiGroups: [apps], resources: ["*"]
    /// subjects:
    /// - kind: Group    # flagged
    ///   name: ops
    /// ```
    ///
    /// ## How to fix
    /// List the verbs, resources and groups the subject needs.
    pub struct SubjectWildcard;
    id: "KW663",
    name: "rbac-subject-wildcard",
    title: "Subject holds a wildcard permission",
    severity: Medium,
    remediation: "Replace * in the subject's roles with the verbs, resources and API groups it needs.",
    frameworks: frameworks(None, &[nsa::RBAC], &["5.1.3"], &[mitre::VALID_ACCOUNTS]),
}

impl Control for SubjectWildcard {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn is_cross_object(&self) -> bool {
        true
    }

    fn check_inventory(&self, inv: &Inventory, out: &mut CrossOut<'_>) {
        report(inv, out, Risk::Wildcard);
    }
}
