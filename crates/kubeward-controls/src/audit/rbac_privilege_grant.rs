use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Applies kubeward's RBAC controls for high privileges to the object written by `create`,
    /// `update` and `patch` requests of Roles, ClusterRoles, RoleBindings and
    /// ClusterRoleBindings by identities that are not system components: KW601 and KW602
    /// (wildcard verbs and resources), KW604 (bindings to cluster-admin), KW605 and KW606
    /// (bindings to anonymous or all authenticated users), KW619 (system:masters), and KW611-KW613
    /// (escalate, bind, impersonate). One finding per offending field of the body, with the
    /// control's severity (at least high); other controls tripped by the same field are named
    /// in its message. A patch is judged on the stored object in the response
    /// (`RequestResponse`). Where no object was logged (`Metadata`, or a patch at `Request`),
    /// the change is reported one severity lower, saying so. A denied attempt is reported one
    /// severity lower.
    ///
    /// ## Why it matters
    /// Binding a user to `cluster-admin` or creating a wildcard rule is the classic way to
    /// persist and escalate in a cluster (ATT&CK T1098): it survives credential rotation of the
    /// original foothold and grants everything.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"clusterrolebindings","name":"evil","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"evil"},"subjects":[{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}}
    /// ```
    ///
    /// ## How to fix
    /// Delete the binding or rule if it was not expected, and review what its subjects did
    /// since (`kubeward audit` on the log, filtered by user).
    pub struct RbacPrivilegeGrant;
    id: "KW1006",
    name: "audit-rbac-privilege-grant",
    title: "RBAC change granting high privileges",
    severity: Critical,
    remediation: "Review the Role or binding; remove bindings to cluster-admin and wildcard rules that are not required.",
    frameworks: frameworks(None, &[nsa::AUDIT, nsa::RBAC], &["5.1.1", "5.1.3", "5.1.8"], &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS]),
}

audit_detection!(RbacPrivilegeGrant);
