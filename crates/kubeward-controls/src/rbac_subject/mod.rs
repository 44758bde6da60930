//! RBAC per subject (KW650-KW699): what a User, Group or ServiceAccount may do once every
//! binding and role that applies to it is put together, as the RBAC authorizer decides
//! (aggregated ClusterRoles filled in, RoleBindings scoped to their namespace, cluster-scoped
//! resources only through ClusterRoleBindings). The model and the analysis are
//! `kubeward-rbac`'s; these controls report its findings.
//!
//! They are cross-object controls: they need the scan's Roles, ClusterRoles and bindings at
//! once. A finding is located at the subject entry (`subjects[i].name`) of the binding
//! through which the subject first gets the access (cluster-wide first), and its message
//! names the rule (with file, line and column) and every scope. Bindings to roles that are not
//! in the scan grant nothing here (`cluster-admin` excepted: kubeward knows its rules); a
//! binding Kubernetes creates itself (`system:...`, labelled `kubernetes.io/bootstrapping:
//! rbac-defaults`) is not a finding for Kubernetes' own identities (`system:` users and
//! groups, kube-system service accounts). Each subject is reported once per control.

use kubeward_rbac::Risk;

use crate::inventory::{CrossOut, CrossViolation, Inventory, Located};
use crate::Control;

pub(crate) use crate::rbac::{mitre, nsa};

pub mod bind;
pub mod cluster_admin;
pub mod create_persistent_volumes;
pub mod create_pods;
pub mod csr_approval;
pub mod escalate;
pub mod escalation_path;
pub mod exec;
pub mod impersonate;
pub mod nodes_proxy;
pub mod read_secrets;
pub mod service_account_token;
pub mod webhook_config_write;
pub mod wildcard;

pub static CONTROLS: &[&dyn Control] = &[
    &cluster_admin::SubjectClusterAdmin,
    &escalation_path::SubjectEscalationPath,
    &read_secrets::SubjectReadSecrets,
    &create_pods::SubjectCreatePods,
    &exec::SubjectExecAttachPortForward,
    &escalate::SubjectEscalate,
    &bind::SubjectBind,
    &impersonate::SubjectImpersonate,
    &nodes_proxy::SubjectNodesProxy,
    &service_account_token::SubjectServiceAccountToken,
    &csr_approval::SubjectCsrApproval,
    &webhook_config_write::SubjectWebhookConfigWrite,
    &create_persistent_volumes::SubjectCreatePersistentVolumes,
    &wildcard::SubjectWildcard,
];

/// Report every subject that holds `risk`, at the binding subject entry of its first grant.
pub(crate) fn report(inv: &Inventory, out: &mut CrossOut<'_>, risk: Risk) {
    let model = inv.rbac();
    for r in model.analysis().risks_of_kind(risk) {
        let g = r.anchor();
        let b = &model.bindings[g.binding as usize];
        let s = &b.subjects[g.subject as usize];
        out.push(CrossViolation {
            at: Located {
                file: b.origin.file.clone(),
                pos: s.pos,
                object: b.origin.object.clone(),
            },
            path: s.path.clone(),
            message: r.message(model),
        });
    }
}
