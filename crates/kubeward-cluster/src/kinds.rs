//! Which kinds to list, and where the API serves them.

/// One kind of object, with the group versions that may serve it, preferred first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: &'static str,
    /// The resource name in URLs (`deployments`).
    pub plural: &'static str,
    /// `(group, version)` pairs, preferred first: CronJob is `batch/v1` from v1.21 and only
    /// `batch/v1beta1` before, so the first one served is used and the others are reported.
    pub served_as: &'static [(&'static str, &'static str)],
    pub namespaced: bool,
    /// List metadata only (`PartialObjectMetadata`): Secrets, so that no secret value is ever
    /// held.
    pub metadata_only: bool,
}

impl KindSpec {
    const fn new(
        kind: &'static str,
        plural: &'static str,
        served_as: &'static [(&'static str, &'static str)],
        namespaced: bool,
    ) -> Self {
        KindSpec {
            kind,
            plural,
            served_as,
            namespaced,
            metadata_only: false,
        }
    }

    const fn metadata_only(mut self) -> Self {
        self.metadata_only = true;
        self
    }

    /// `batch/v1` for `("batch", "v1")`, `v1` for the core group.
    pub fn api_version(group: &str, version: &str) -> String {
        if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        }
    }
}

const CORE: &[(&str, &str)] = &[("", "v1")];
const APPS: &[(&str, &str)] = &[("apps", "v1")];
const RBAC: &[(&str, &str)] = &[("rbac.authorization.k8s.io", "v1")];
const ADMISSION: &[(&str, &str)] = &[("admissionregistration.k8s.io", "v1")];

/// Everything the controls read, in the order findings are reported.
pub static SCAN: &[KindSpec] = &[
    KindSpec::new("Namespace", "namespaces", CORE, false),
    // Listed whole for `status.addresses` (KW905); render::strip drops the rest of the
    // status (image lists, conditions) at once.
    KindSpec::new("Node", "nodes", CORE, false),
    KindSpec::new("Deployment", "deployments", APPS, true),
    KindSpec::new("StatefulSet", "statefulsets", APPS, true),
    KindSpec::new("DaemonSet", "daemonsets", APPS, true),
    KindSpec::new("ReplicaSet", "replicasets", APPS, true),
    KindSpec::new(
        "ReplicationController",
        "replicationcontrollers",
        CORE,
        true,
    ),
    KindSpec::new(
        "CronJob",
        "cronjobs",
        &[("batch", "v1"), ("batch", "v1beta1")],
        true,
    ),
    KindSpec::new("Job", "jobs", &[("batch", "v1")], true),
    KindSpec::new("Pod", "pods", CORE, true),
    KindSpec::new("PodTemplate", "podtemplates", CORE, true),
    KindSpec::new("Service", "services", CORE, true),
    KindSpec::new(
        "Ingress",
        "ingresses",
        &[
            ("networking.k8s.io", "v1"),
            ("networking.k8s.io", "v1beta1"),
            ("extensions", "v1beta1"),
        ],
        true,
    ),
    KindSpec::new(
        "NetworkPolicy",
        "networkpolicies",
        &[("networking.k8s.io", "v1")],
        true,
    ),
    KindSpec::new("ResourceQuota", "resourcequotas", CORE, true),
    KindSpec::new("LimitRange", "limitranges", CORE, true),
    KindSpec::new("ServiceAccount", "serviceaccounts", CORE, true),
    KindSpec::new("ConfigMap", "configmaps", CORE, true),
    KindSpec::new("Secret", "secrets", CORE, true).metadata_only(),
    KindSpec::new("ClusterRole", "clusterroles", RBAC, false),
    KindSpec::new("ClusterRoleBinding", "clusterrolebindings", RBAC, false),
    KindSpec::new("Role", "roles", RBAC, true),
    KindSpec::new("RoleBinding", "rolebindings", RBAC, true),
    KindSpec::new(
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        ADMISSION,
        false,
    ),
    KindSpec::new(
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        ADMISSION,
        false,
    ),
    KindSpec::new(
        "PodSecurityPolicy",
        "podsecuritypolicies",
        &[("policy", "v1beta1")],
        false,
    ),
];

/// The RBAC objects and the subjects' ServiceAccounts (for `kubeward rbac`).
pub fn rbac() -> Vec<KindSpec> {
    only(&[
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ])
}

/// The kinds of [`SCAN`] with these names, in [`SCAN`]'s order.
pub fn only(kinds: &[&str]) -> Vec<KindSpec> {
    SCAN.iter()
        .filter(|k| kinds.contains(&k.kind))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_secrets_are_metadata_only() {
        for (i, a) in SCAN.iter().enumerate() {
            assert!(!a.served_as.is_empty(), "{}", a.kind);
            assert!(SCAN[i + 1..].iter().all(|b| b.kind != a.kind), "{}", a.kind);
        }
        let secret = SCAN.iter().find(|k| k.kind == "Secret").unwrap();
        assert!(secret.metadata_only);
        assert_eq!(rbac().len(), 5);
    }
}
