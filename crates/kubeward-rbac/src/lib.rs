//! kubeward-rbac: Kubernetes RBAC as the authorizer decides it.
//!
//! [`RbacModel::from_objects`] takes Roles, ClusterRoles, RoleBindings and
//! ClusterRoleBindings ([`RbacObject`], read from manifests by [`RbacObject::from_object`] or
//! built from a live cluster's objects the same way) and answers:
//!
//! * [`RbacModel::authorize`]: what the RBAC authorizer answers for one request;
//! * [`RbacModel::who_can`]: every subject allowed a request, with the grant;
//! * [`RbacModel::permissions`]: everything an identity may do, per scope;
//! * [`RbacModel::analysis`]: per subject, the risky kinds of access it holds
//!   ([`analysis::Risk`], the subject-level controls KW650-KW699) and its shortest
//!   escalation path to cluster-admin-equivalent power ([`paths`] renders them).
//!
//! Every answer points at the rule and the binding behind it, with file, line and column.

pub mod access;
pub mod analysis;
pub mod load;
pub mod matching;
pub mod model;
pub mod object;
pub mod paths;
pub mod render;
pub mod request;
pub mod subject;

pub use analysis::{Analysis, EscalationPath, Risk, Step, SubjectRisk, Technique};
pub use model::{location, Grant, Note, Permission, RbacModel, RuleRef, Scope, BUILT_IN};
pub use object::{Binding, BindingSubject, Origin, RbacObject, Role, Rule};
pub use request::{parse_target, Request, Target};
pub use subject::{Identity, SubjectKey};

#[cfg(test)]
mod tests;
