//! Platform objects: what Kubernetes (or its add-on manager) creates by itself in every
//! cluster, as opposed to what the user wrote.
//!
//! A fresh API server holds about 190 objects the user never wrote: the bootstrap RBAC roles
//! and bindings, the controllers' service accounts and their token Secrets, the four system
//! namespaces. Their findings are real (the bootstrap roles do grant `escalate` and read
//! Secrets) but they are not the user's to fix, and listing them first buries the user's own
//! findings; so reports list them apart, in a "platform" group that never fails the run and
//! does not lower the compliance scores (unless `--include-platform`).
//!
//! The classification is by what Kubernetes itself writes, never by a label alone (a user
//! could put `kubernetes.io/bootstrapping: rbac-defaults` on anything):
//!
//! | object | platform when |
//! |---|---|
//! | ClusterRole, Role | labelled `kubernetes.io/bootstrapping: rbac-defaults` and named as the bootstrap policy names its roles (`system:...`, `cluster-admin`, `admin`, `edit`, `view`, `extension-apiserver-authentication-reader`) |
//! | ClusterRoleBinding, RoleBinding | the same, every subject is one of Kubernetes' own identities (a `system:` user or group, a `kube-system` service account), and no subject is `system:authenticated`, `system:unauthenticated` or `system:anonymous` unless the role is one the bootstrap policy grants them (`system:basic-user`, `system:discovery`, `system:public-info-viewer`): a binding that opens a platform role to everyone stays the user's finding |
//! | Namespace | `default`, `kube-system`, `kube-public`, `kube-node-lease` |
//! | ServiceAccount | `default` in those four namespaces; in `kube-system`, a kube-controller-manager controller's account (`*-controller`, and the named ones it creates with `--use-service-account-credentials`) |
//! | Secret | a `kubernetes.io/service-account-token` Secret that the token controller generated (`<account>-token-<5 chars>`, annotated with the account) for one of those platform accounts |
//! | ConfigMap | `kube-root-ca.crt` in any namespace; `extension-apiserver-authentication` in `kube-system`; `cluster-info` in `kube-public` |
//! | Service, Endpoints, EndpointSlice | `kubernetes` in `default` |
//! | Lease | any in `kube-node-lease`; `kube-controller-manager`, `kube-scheduler`, `apiserver-*` in `kube-system` |
//! | PriorityClass | `system-cluster-critical`, `system-node-critical` |
//! | FlowSchema, PriorityLevelConfiguration | annotated `apf.kubernetes.io/autoupdate-spec` (the API server's bootstrap configuration) |
//! | APIService | labelled `kube-aggregator.kubernetes.io/automanaged` |
//! | anything in `kube-system` | labelled `addonmanager.kubernetes.io/mode` (the cluster add-on manager's objects) |
//!
//! A user's `default` ServiceAccount in their own namespace is not a platform object: CIS 5.1.5
//! asks the user to turn its token off.

use crate::Object;

/// The label the RBAC bootstrap policy puts on its roles and bindings.
pub const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

/// The namespaces every cluster has.
pub const SYSTEM_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Service accounts kube-controller-manager creates in `kube-system` whose names do not end
/// in `-controller` (from its controller list, v1.20 to v1.35).
const CONTROLLER_ACCOUNTS: &[&str] = &[
    "bootstrap-signer",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "legacy-service-account-token-cleaner",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "storage-version-garbage-collector",
    "token-cleaner",
    "ttl-after-finished-controller",
];

/// Roles the bootstrap policy grants to everyone (authenticated, and for the last one
/// unauthenticated) by design.
const PUBLIC_BOOTSTRAP_ROLES: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
];

/// Why `o` is a platform object, or `None` when it is the user's.
pub fn platform_reason(o: &Object<'_>) -> Option<&'static str> {
    let ns = o.namespace.unwrap_or("");
    let name = o.name;
    match (o.group(), o.kind) {
        ("rbac.authorization.k8s.io", "ClusterRole" | "Role") => (bootstrap_labelled(o)
            && bootstrap_name(name))
        .then_some("bootstrap RBAC role that Kubernetes creates and reconciles"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => {
            let role = o
                .root
                .get("roleRef")
                .and_then(|r| r.get("name"))
                .and_then(|n| n.as_str())
                .unwrap_or("");
            (bootstrap_labelled(o)
                && bootstrap_name(name)
                && system_subjects_only(o)
                && !opens_to_everyone(o, role))
            .then_some("bootstrap RBAC binding that Kubernetes creates and reconciles")
        }
        ("", "Namespace") => SYSTEM_NAMESPACES
            .contains(&name)
            .then_some("namespace every cluster has"),
        ("", "ServiceAccount") => platform_account(ns, name)
            .then_some("service account that Kubernetes creates for its controllers or namespaces"),
        ("", "Secret") => generated_token(o).then_some(
            "service account token Secret that Kubernetes generated for a platform account",
        ),
        ("", "ConfigMap") => matches!(
            (ns, name),
            (_, "kube-root-ca.crt")
                | ("kube-system", "extension-apiserver-authentication")
                | ("kube-public", "cluster-info")
        )
        .then_some("ConfigMap that Kubernetes publishes itself"),
        ("" | "discovery.k8s.io", "Service" | "Endpoints" | "EndpointSlice") => (ns == "default"
            && name == "kubernetes")
            .then_some("the API server's own `kubernetes` Service"),
        ("coordination.k8s.io", "Lease") => (ns == "kube-node-lease"
            || (ns == "kube-system"
                && (matches!(name, "kube-controller-manager" | "kube-scheduler")
                    || name.starts_with("apiserver-"))))
        .then_some("control-plane lease"),
        ("scheduling.k8s.io", "PriorityClass") => {
            matches!(name, "system-cluster-critical" | "system-node-critical")
                .then_some("built-in priority class")
        }
        ("flowcontrol.apiserver.k8s.io", "FlowSchema" | "PriorityLevelConfiguration") => o
            .annotation("apf.kubernetes.io/autoupdate-spec")
            .is_some()
            .then_some("API priority and fairness configuration the API server bootstraps"),
        ("apiregistration.k8s.io", "APIService") => {
            label(o, "kube-aggregator.kubernetes.io/automanaged")
                .is_some()
                .then_some("API service the aggregator manages")
        }
        _ => (ns == "kube-system" && label(o, "addonmanager.kubernetes.io/mode").is_some())
            .then_some("cluster add-on managed by the add-on manager"),
    }
}

fn label<'a>(o: &Object<'a>, key: &str) -> Option<&'a str> {
    o.metadata()?.get("labels")?.get(key)?.as_str()
}

fn bootstrap_labelled(o: &Object<'_>) -> bool {
    label(o, BOOTSTRAP_LABEL.0) == Some(BOOTSTRAP_LABEL.1)
}

/// The names the bootstrap policy gives its roles and bindings.
fn bootstrap_name(name: &str) -> bool {
    name.starts_with("system:")
        || matches!(
            name,
            "cluster-admin"
                | "admin"
                | "edit"
                | "view"
                | "extension-apiserver-authentication-reader"
        )
}

/// Whether a binding grants `role` to everyone (all authenticated users, anonymous requests)
/// beyond what the bootstrap policy itself grants them.
fn opens_to_everyone(o: &Object<'_>, role: &str) -> bool {
    if PUBLIC_BOOTSTRAP_ROLES.contains(&role) {
        return false;
    }
    o.root.get("subjects").is_some_and(|s| {
        s.items().any(|subject| {
            matches!(
                subject.get("name").and_then(|n| n.as_str()),
                Some("system:authenticated" | "system:unauthenticated" | "system:anonymous")
            )
        })
    })
}

/// Whether every subject of a binding is one of Kubernetes' own identities, as in every
/// binding of the bootstrap policy: a `system:` user or group, or a `kube-system` service
/// account. A binding named and labelled like the bootstrap ones that grants a user's identity
/// is the user's (it must not hide, nor slip past `serve`, as a platform object).
fn system_subjects_only(o: &Object<'_>) -> bool {
    o.root.get("subjects").is_none_or(|s| {
        s.items().all(|subject| {
            let field = |k: &str| subject.get(k).and_then(|n| n.as_str()).unwrap_or("");
            match field("kind") {
                "User" | "Group" => field("name").starts_with("system:"),
                "ServiceAccount" => field("namespace") == "kube-system",
                _ => false,
            }
        })
    })
}

/// A service account Kubernetes creates: `default` in a system namespace, or a controller's
/// account in `kube-system`.
pub fn platform_account(namespace: &str, name: &str) -> bool {
    (name == "default" && SYSTEM_NAMESPACES.contains(&namespace))
        || (namespace == "kube-system"
            && (name.ends_with("-controller") || CONTROLLER_ACCOUNTS.contains(&name)))
}

/// A token Secret the token controller generated for a platform account:
/// `type: kubernetes.io/service-account-token`, annotated with the account, and named
/// `<account>-token-<5 lowercase letters or digits>` as the controller names them (a token
/// Secret a user writes for a long-lived token has no such suffix, and stays theirs).
fn generated_token(o: &Object<'_>) -> bool {
    // `kubeward cluster` lists Secrets metadata-only (never their values), so without a
    // `type` the token controller's second annotation, the account's UID, stands for it.
    let is_token = match o.root.get("type") {
        Some(t) => t.as_str() == Some("kubernetes.io/service-account-token"),
        None => o.annotation("kubernetes.io/service-account.uid").is_some(),
    };
    let Some(account) = o.annotation("kubernetes.io/service-account.name") else {
        return false;
    };
    let generated = o
        .name
        .strip_prefix(account)
        .and_then(|rest| rest.strip_prefix("-token-"))
        .is_some_and(|s| {
            s.len() == 5
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    is_token && generated && platform_account(o.namespace.unwrap_or(""), account)
}
