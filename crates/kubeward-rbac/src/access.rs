//! Kinds of access that matter for security, shared by the single-role controls (KW601-KW620,
//! which flag a rule that grants them) and the subject-level ones (KW650-KW699, which flag a
//! subject that holds them once every binding and role is put together).

use crate::matching::{api_group_matches, resource_covers, verb_matches};
use crate::object::Rule;

/// A resource (`secrets`, `pods/exec`) in an API group. A subresource `*` (`userextras/*`)
/// stands for every subresource of the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub group: &'static str,
    pub resource: &'static str,
}

pub const fn wanted(group: &'static str, resource: &'static str) -> Wanted {
    Wanted { group, resource }
}

/// Any of `verbs` (none listed: any verb) on any of `targets`.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub verbs: &'static [&'static str],
    pub targets: &'static [Wanted],
    /// The targets are cluster-scoped: only ClusterRoleBindings grant them (a RoleBinding's
    /// rules apply to requests in its namespace, and these requests have none).
    pub cluster_scoped: bool,
}

const RBAC: &str = "rbac.authorization.k8s.io";
const CERTS: &str = "certificates.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

pub const READ_SECRETS: Access = Access {
    verbs: &["get", "list", "watch"],
    targets: &[wanted("", "secrets")],
    cluster_scoped: false,
};

/// Creating pods, directly or through a workload controller.
pub const CREATE_WORKLOADS: Access = Access {
    verbs: &["create"],
    targets: &[
        wanted("", "pods"),
        wanted("", "replicationcontrollers"),
        wanted("apps", "deployments"),
        wanted("apps", "daemonsets"),
        wanted("apps", "statefulsets"),
        wanted("apps", "replicasets"),
        wanted("extensions", "deployments"),
        wanted("extensions", "daemonsets"),
        wanted("extensions", "replicasets"),
        wanted("batch", "jobs"),
        wanted("batch", "cronjobs"),
    ],
    cluster_scoped: false,
};

/// `create` is what kubectl's POST needs; `get` is what WebSocket clients needed before v1.30.
pub const EXEC_ATTACH: Access = Access {
    verbs: &["create", "get"],
    targets: &[wanted("", "pods/exec"), wanted("", "pods/attach")],
    cluster_scoped: false,
};

pub const PORT_FORWARD: Access = Access {
    verbs: &["create", "get"],
    targets: &[wanted("", "pods/portforward")],
    cluster_scoped: false,
};

pub const ESCALATE: Access = Access {
    verbs: &["escalate"],
    targets: &[wanted(RBAC, "roles"), wanted(RBAC, "clusterroles")],
    cluster_scoped: false,
};

pub const ESCALATE_CLUSTER_ROLES: Access = Access {
    verbs: &["escalate"],
    targets: &[wanted(RBAC, "clusterroles")],
    cluster_scoped: true,
};

pub const BIND: Access = Access {
    verbs: &["bind"],
    targets: &[wanted(RBAC, "roles"), wanted(RBAC, "clusterroles")],
    cluster_scoped: false,
};

pub const BIND_CLUSTER_ROLES: Access = Access {
    verbs: &["bind"],
    targets: &[wanted(RBAC, "clusterroles")],
    cluster_scoped: false,
};

pub const IMPERSONATE: Access = Access {
    verbs: &["impersonate"],
    targets: &[
        wanted("", "users"),
        wanted("", "groups"),
        wanted("", "serviceaccounts"),
        wanted("authentication.k8s.io", "userextras/*"),
        wanted("authentication.k8s.io", "uids"),
    ],
    cluster_scoped: false,
};

pub const IMPERSONATE_USERS: Access = Access {
    verbs: &["impersonate"],
    targets: &[wanted("", "users")],
    cluster_scoped: true,
};

pub const IMPERSONATE_GROUPS: Access = Access {
    verbs: &["impersonate"],
    targets: &[wanted("", "groups")],
    cluster_scoped: true,
};

/// Impersonating a service account is authorized in its namespace.
pub const IMPERSONATE_SERVICE_ACCOUNTS: Access = Access {
    verbs: &["impersonate"],
    targets: &[wanted("", "serviceaccounts")],
    cluster_scoped: false,
};

/// Any verb: `get` and `create` reach the kubelet API, and others are mapped onto it.
pub const NODES_PROXY: Access = Access {
    verbs: &[],
    targets: &[wanted("", "nodes/proxy")],
    cluster_scoped: true,
};

pub const SERVICE_ACCOUNT_TOKEN: Access = Access {
    verbs: &["create"],
    targets: &[wanted("", "serviceaccounts/token")],
    cluster_scoped: false,
};

pub const CSR_APPROVAL: Access = Access {
    verbs: &["update", "patch"],
    targets: &[wanted(CERTS, "certificatesigningrequests/approval")],
    cluster_scoped: true,
};

pub const APPROVE_SIGNERS: Access = Access {
    verbs: &["approve"],
    targets: &[wanted(CERTS, "signers")],
    cluster_scoped: true,
};

pub const CREATE_CSR: Access = Access {
    verbs: &["create"],
    targets: &[wanted(CERTS, "certificatesigningrequests")],
    cluster_scoped: true,
};

pub const WEBHOOK_CONFIG_WRITE: Access = Access {
    verbs: &["create", "update", "patch", "delete", "deletecollection"],
    targets: &[
        wanted(ADMISSION, "validatingwebhookconfigurations"),
        wanted(ADMISSION, "mutatingwebhookconfigurations"),
        wanted(ADMISSION, "validatingadmissionpolicies"),
        wanted(ADMISSION, "validatingadmissionpolicybindings"),
        wanted(ADMISSION, "mutatingadmissionpolicies"),
        wanted(ADMISSION, "mutatingadmissionpolicybindings"),
    ],
    cluster_scoped: true,
};

pub const CREATE_PERSISTENT_VOLUMES: Access = Access {
    verbs: &["create"],
    targets: &[wanted("", "persistentvolumes")],
    cluster_scoped: true,
};

pub const WRITE_ROLE_BINDINGS: Access = Access {
    verbs: &["create", "update", "patch"],
    targets: &[wanted(RBAC, "rolebindings")],
    cluster_scoped: false,
};

pub const WRITE_CLUSTER_ROLE_BINDINGS: Access = Access {
    verbs: &["create", "update", "patch"],
    targets: &[wanted(RBAC, "clusterrolebindings")],
    cluster_scoped: true,
};

pub const UPDATE_ROLES: Access = Access {
    verbs: &["update", "patch"],
    targets: &[wanted(RBAC, "roles")],
    cluster_scoped: false,
};

pub const UPDATE_CLUSTER_ROLES: Access = Access {
    verbs: &["update", "patch"],
    targets: &[wanted(RBAC, "clusterroles")],
    cluster_scoped: true,
};

/// Signers whose certificates authenticate to the API server (any user or group, or any
/// node), and the domain wildcard that covers them. A `resourceNames` limit to other signers
/// (`kubernetes.io/kubelet-serving`, a custom `example.com/...`) is a sufficient limit.
pub const CLIENT_SIGNERS: &[&str] = &[
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/legacy-unknown",
    "kubernetes.io/*",
];

/// Built-in ClusterRoles whose binding hands out write access to Secrets and workloads.
pub const BROAD_ROLES: &[&str] = &["cluster-admin", "admin", "edit"];

/// Whether `rule` grants `verb` on `w`. A rule limited by `resourceNames` never grants
/// `create` on a top-level resource, because a create request carries no name.
pub fn rule_grants_verb(rule: &Rule, verb: &str, w: &Wanted) -> bool {
    let unnamed_create =
        verb == "create" && !rule.resource_names.is_empty() && !w.resource.contains('/');
    !unnamed_create
        && verb_matches(&rule.verbs, verb)
        && api_group_matches(&rule.api_groups, w.group)
        && rule
            .resources
            .iter()
            .any(|r| resource_covers(r, w.resource))
}

impl Access {
    /// Whether `rule` grants this access (resourceNames aside, except for create).
    pub fn granted_by(&self, rule: &Rule) -> bool {
        self.targets.iter().any(|w| {
            if self.verbs.is_empty() {
                rule.verbs.iter().any(|v| rule_grants_verb(rule, v, w))
            } else {
                self.verbs.iter().any(|v| rule_grants_verb(rule, v, w))
            }
        })
    }
}

/// Every verb on every resource of every group, for any name.
pub fn is_cluster_admin_rule(rule: &Rule) -> bool {
    let star = |v: &[String]| v.iter().any(|s| s == "*");
    star(&rule.verbs)
        && star(&rule.api_groups)
        && star(&rule.resources)
        && rule.resource_names.is_empty()
}

/// `*` in verbs, apiGroups or resources.
pub fn has_wildcard(rule: &Rule) -> bool {
    let star = |v: &[String]| v.iter().any(|s| s == "*");
    star(&rule.verbs) || star(&rule.api_groups) || star(&rule.resources)
}
