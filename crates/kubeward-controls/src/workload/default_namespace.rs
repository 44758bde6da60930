use crate::pss::frameworks;
use crate::workload::nsa;
use crate::{control, Context, Control, ControlMeta, Target};

/// Namespaced kinds that hold an application (or its configuration, identity or exposure),
/// by API group. Not listed on purpose: NetworkPolicy, LimitRange and ResourceQuota, which
/// harden the `default` namespace (CIS 5.3.2 asks for a network policy in every namespace,
/// `default` included); Role and RoleBinding, which grant access to what is in `default`
/// (monitoring stacks need one to discover the `kubernetes` Service) rather than put anything
/// there; and Events, Leases and other runtime objects.
const WORKLOAD_KINDS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "Service",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolumeClaim",
            "Endpoints",
        ],
    ),
    (
        "apps",
        &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
    ),
    (
        "extensions",
        &["Deployment", "DaemonSet", "ReplicaSet", "Ingress"],
    ),
    ("batch", &["Job", "CronJob"]),
    ("autoscaling", &["HorizontalPodAutoscaler"]),
    ("policy", &["PodDisruptionBudget"]),
    ("networking.k8s.io", &["Ingress"]),
    ("discovery.k8s.io", &["EndpointSlice"]),
];

/// Objects that Kubernetes itself keeps in every namespace, or in `default`, by API group,
/// kind and name: they show up in cluster dumps and are not a use of the namespace.
const SYSTEM_OBJECTS: &[(&str, &str, &str)] = &[
    ("", "Service", "kubernetes"),
    ("", "Endpoints", "kubernetes"),
    ("discovery.k8s.io", "EndpointSlice", "kubernetes"),
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
];

control! {
    /// ## What it does
    /// Flags namespaced application objects whose `metadata.namespace` is explicitly
    /// `default`: Pods and every pod-bearing kind, Services, ConfigMaps, Secrets,
    /// ServiceAccounts, PersistentVolumeClaims, Endpoints and EndpointSlices, Ingresses,
    /// HorizontalPodAutoscalers and PodDisruptionBudgets. The finding points at
    /// `metadata.namespace`.
    ///
    /// An absent (or empty) namespace is not flagged: the namespace is then chosen at apply
    /// time (`kubectl -n`, Helm `--namespace`, kustomize), which is the usual way to write
    /// manifests and what `helm template` prints for charts that leave it out, so flagging it
    /// would flag nearly every chart. Not flagged either:
    ///
    /// * NetworkPolicies, LimitRanges and ResourceQuotas: they lock the namespace down, which
    ///   is what CIS recommends for it;
    /// * Roles and RoleBindings: they grant access to what is in `default` (a monitoring stack
    ///   needs one to discover the `kubernetes` Service) rather than put anything there;
    /// * the objects Kubernetes keeps there itself, as found in cluster dumps: the
    ///   `kubernetes` Service, Endpoints and EndpointSlice, the `default` ServiceAccount and
    ///   the `kube-root-ca.crt` ConfigMap.
    ///
    /// ## Why it matters
    /// `default` is where everything lands that nobody placed deliberately. Workloads there
    /// share one set of RBAC bindings, network policies, quotas and Pod Security labels with
    /// whatever else was dropped in, so a boundary cannot be drawn around any of them. CIS
    /// 5.7.4: the default namespace should not be used.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: app
    ///   namespace: default   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Create a namespace per application or team, with its own RBAC, network policies,
    /// quotas and Pod Security labels, and deploy there.
    pub struct DefaultNamespace;
    id: "KW321",
    name: "default-namespace",
    title: "Object is placed in the default namespace",
    severity: Low,
    remediation: "Deploy into a dedicated namespace instead of default.",
    frameworks: frameworks(None, &[nsa::NAMESPACES], &["5.7.4"], &[]),
}

impl Control for DefaultNamespace {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        let listed = WORKLOAD_KINDS
            .iter()
            .any(|(g, kinds)| *g == o.group() && kinds.contains(&o.kind));
        if !listed && t.pod.is_none() {
            return;
        }
        let system = SYSTEM_OBJECTS
            .iter()
            .any(|(g, k, n)| *g == o.group() && *k == o.kind && *n == o.name);
        if system {
            return;
        }
        let Some(n) = o.metadata().and_then(|m| m.get("namespace")) else {
            return;
        };
        if n.as_str() == Some("default") {
            cx.report(
                n,
                kubeward_model::FieldPath::from("metadata.namespace"),
                format!(
                    "{} \"{}\" is placed in the \"default\" namespace",
                    o.kind, o.name
                ),
            );
        }
    }
}
