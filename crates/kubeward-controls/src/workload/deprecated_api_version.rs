use crate::pss::frameworks;
use crate::workload::nsa;
use crate::{control, Context, Control, ControlMeta, Target};

/// What replaces a retired API version.
pub(crate) enum Replacement {
    /// An API version (and kind, where it changes) to move to.
    Use(&'static str),
    /// No successor API: what to do instead, as a sentence.
    Advice(&'static str),
}

/// One retired API version: for these kinds (empty: every kind of that group version), the
/// release that stopped serving it (`None`: deprecated, still served), and what to use.
pub(crate) struct Retired {
    pub api_version: &'static str,
    pub kinds: &'static [&'static str],
    pub deprecated: &'static str,
    pub removed: Option<&'static str>,
    pub replacement: Replacement,
}

const fn r(
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated: &'static str,
    removed: Option<&'static str>,
    replacement: &'static str,
) -> Retired {
    Retired {
        api_version,
        kinds,
        deprecated,
        removed,
        replacement: Replacement::Use(replacement),
    }
}

/// A retired API version without a successor.
const fn gone(
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated: &'static str,
    removed: &'static str,
    advice: &'static str,
) -> Retired {
    Retired {
        api_version,
        kinds,
        deprecated,
        removed: Some(removed),
        replacement: Replacement::Advice(advice),
    }
}

const PSP_ADVICE: &str =
    "PodSecurityPolicy has no successor: use Pod Security Admission (namespace labels) or a policy engine";

/// Retired API versions, written 2026-11-23 from the Kubernetes "Deprecated API Migration
/// Guide" (kubernetes.io/docs/reference/using-api/deprecation-guide/, removals up to v1.32,
/// the last release that removed a built-in API) and the v1.33 Endpoints deprecation
/// (KEP-4974). Entries are per kind where the group version still serves other kinds:
/// `admissionregistration.k8s.io/v1beta1` serves ValidatingAdmissionPolicy,
/// `storage.k8s.io/v1beta1` VolumeAttributesClass, `networking.k8s.io/v1beta1` IPAddress and
/// ServiceCIDR, `coordination.k8s.io/v1beta1` LeaseCandidate and `certificates.k8s.io/v1beta1`
/// ClusterTrustBundle, all of which are current.
#[rustfmt::skip]
pub(crate) const RETIRED: &[Retired] = &[
    // v1.16
    r("extensions/v1beta1", &["Deployment", "DaemonSet", "ReplicaSet"], "v1.9", Some("v1.16"), "apps/v1"),
    r("extensions/v1beta1", &["NetworkPolicy"], "v1.9", Some("v1.16"), "networking.k8s.io/v1"),
    gone("extensions/v1beta1", &["PodSecurityPolicy"], "v1.10", "v1.16", PSP_ADVICE),
    r("apps/v1beta1", &[], "v1.9", Some("v1.16"), "apps/v1"),
    r("apps/v1beta2", &[], "v1.9", Some("v1.16"), "apps/v1"),
    // v1.22
    r("extensions/v1beta1", &["Ingress"], "v1.14", Some("v1.22"), "networking.k8s.io/v1"),
    r("networking.k8s.io/v1beta1", &["Ingress", "IngressClass"], "v1.19", Some("v1.22"), "networking.k8s.io/v1"),
    r("admissionregistration.k8s.io/v1beta1", &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], "v1.16", Some("v1.22"), "admissionregistration.k8s.io/v1"),
    r("apiextensions.k8s.io/v1beta1", &[], "v1.16", Some("v1.22"), "apiextensions.k8s.io/v1"),
    r("apiregistration.k8s.io/v1beta1", &[], "v1.19", Some("v1.22"), "apiregistration.k8s.io/v1"),
    r("authentication.k8s.io/v1beta1", &["TokenReview"], "v1.19", Some("v1.22"), "authentication.k8s.io/v1"),
    r("authorization.k8s.io/v1beta1", &["SubjectAccessReview", "SelfSubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectRulesReview"], "v1.19", Some("v1.22"), "authorization.k8s.io/v1"),
    r("certificates.k8s.io/v1beta1", &["CertificateSigningRequest"], "v1.19", Some("v1.22"), "certificates.k8s.io/v1"),
    r("coordination.k8s.io/v1beta1", &["Lease"], "v1.19", Some("v1.22"), "coordination.k8s.io/v1"),
    r("rbac.authorization.k8s.io/v1beta1", &[], "v1.17", Some("v1.22"), "rbac.authorization.k8s.io/v1"),
    r("rbac.authorization.k8s.io/v1alpha1", &[], "v1.17", Some("v1.22"), "rbac.authorization.k8s.io/v1"),
    r("scheduling.k8s.io/v1beta1", &[], "v1.14", Some("v1.22"), "scheduling.k8s.io/v1"),
    r("storage.k8s.io/v1beta1", &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], "v1.19", Some("v1.22"), "storage.k8s.io/v1"),
    // v1.25
    r("batch/v1beta1", &["CronJob"], "v1.21", Some("v1.25"), "batch/v1"),
    r("discovery.k8s.io/v1beta1", &["EndpointSlice"], "v1.21", Some("v1.25"), "discovery.k8s.io/v1"),
    r("events.k8s.io/v1beta1", &["Event"], "v1.19", Some("v1.25"), "events.k8s.io/v1"),
    r("autoscaling/v2beta1", &["HorizontalPodAutoscaler"], "v1.22", Some("v1.25"), "autoscaling/v2"),
    r("policy/v1beta1", &["PodDisruptionBudget"], "v1.21", Some("v1.25"), "policy/v1"),
    gone("policy/v1beta1", &["PodSecurityPolicy"], "v1.21", "v1.25", PSP_ADVICE),
    r("node.k8s.io/v1beta1", &["RuntimeClass"], "v1.22", Some("v1.25"), "node.k8s.io/v1"),
    // v1.26
    r("autoscaling/v2beta2", &["HorizontalPodAutoscaler"], "v1.23", Some("v1.26"), "autoscaling/v2"),
    r("flowcontrol.apiserver.k8s.io/v1beta1", &["FlowSchema", "PriorityLevelConfiguration"], "v1.23", Some("v1.26"), "flowcontrol.apiserver.k8s.io/v1"),
    // v1.27
    r("storage.k8s.io/v1beta1", &["CSIStorageCapacity"], "v1.24", Some("v1.27"), "storage.k8s.io/v1"),
    // v1.29
    r("flowcontrol.apiserver.k8s.io/v1beta2", &["FlowSchema", "PriorityLevelConfiguration"], "v1.26", Some("v1.29"), "flowcontrol.apiserver.k8s.io/v1"),
    // v1.32
    r("flowcontrol.apiserver.k8s.io/v1beta3", &["FlowSchema", "PriorityLevelConfiguration"], "v1.29", Some("v1.32"), "flowcontrol.apiserver.k8s.io/v1"),
    // Deprecated, still served.
    r("v1", &["Endpoints"], "v1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
];

/// The retirement entry for an object's apiVersion and kind, if any.
pub(crate) fn retired(api_version: &str, kind: &str) -> Option<&'static Retired> {
    RETIRED
        .iter()
        .find(|e| e.api_version == api_version && (e.kinds.is_empty() || e.kinds.contains(&kind)))
}

control! {
    /// ## What it does
    /// Flags objects whose `apiVersion` (for their `kind`) Kubernetes has stopped serving,
    /// or has deprecated, and names the release that removed it and the replacement. The
    /// table (in the source, dated) follows the Kubernetes Deprecated API Migration Guide:
    ///
    /// * v1.16: `extensions/v1beta1` Deployment, DaemonSet, ReplicaSet, NetworkPolicy and
    ///   PodSecurityPolicy; everything in `apps/v1beta1` and `apps/v1beta2`;
    /// * v1.22: `extensions/v1beta1` and `networking.k8s.io/v1beta1` Ingress (and
    ///   IngressClass), `admissionregistration.k8s.io/v1beta1` webhook configurations,
    ///   `apiextensions.k8s.io/v1beta1`, `apiregistration.k8s.io/v1beta1`,
    ///   `authentication.k8s.io/v1beta1` TokenReview, `authorization.k8s.io/v1beta1` reviews,
    ///   `certificates.k8s.io/v1beta1` CSR, `coordination.k8s.io/v1beta1` Lease,
    ///   `rbac.authorization.k8s.io/v1beta1`, `scheduling.k8s.io/v1beta1`,
    ///   `storage.k8s.io/v1beta1` CSIDriver, CSINode, StorageClass and VolumeAttachment;
    /// * v1.25: `batch/v1beta1` CronJob, `discovery.k8s.io/v1beta1` EndpointSlice,
    ///   `events.k8s.io/v1beta1` Event, `autoscaling/v2beta1` HPA, `policy/v1beta1`
    ///   PodDisruptionBudget and PodSecurityPolicy, `node.k8s.io/v1beta1` RuntimeClass;
    /// * v1.26: `autoscaling/v2beta2` HPA, `flowcontrol.apiserver.k8s.io/v1beta1`;
    /// * v1.27: `storage.k8s.io/v1beta1` CSIStorageCapacity;
    /// * v1.29 and v1.32: `flowcontrol.apiserver.k8s.io/v1beta2` and `v1beta3`;
    /// * deprecated in v1.33 but still served: core `v1` Endpoints (use EndpointSlice).
    ///
    /// Kinds that a group version still legitimately serves (such as
    /// `admissionregistration.k8s.io/v1beta1` ValidatingAdmissionPolicy) are not flagged.
    ///
    /// ## Why it matters
    /// A manifest with a removed API version fails to apply on current clusters, and it
    /// often hides security-relevant drift: old versions had weaker defaults (no required
    /// selectors, `OnDelete` updates), and a `policy/v1beta1` PodSecurityPolicy enforces
    /// nothing at all on v1.25 and later, so a cluster that relied on it has no pod
    /// security enforcement.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: extensions/v1beta1   # flagged: removed in v1.16, use apps/v1
    /// kind: Deployment
    /// ```
    ///
    /// ## How to fix
    /// Change `apiVersion` to the replacement (`kubectl convert` helps) and apply the field
    /// changes the migration guide lists. Replace PodSecurityPolicies with Pod Security
    /// Admission labels on namespaces.
    pub struct DeprecatedApiVersion;
    id: "KW322",
    name: "deprecated-api-version",
    title: "Object uses a removed or deprecated API version",
    severity: Medium,
    remediation: "Move the object to the replacement apiVersion named in the finding.",
    frameworks: frameworks(None, &[nsa::UPGRADING], &[], &[]),
}

impl Control for DeprecatedApiVersion {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        let Some(e) = retired(o.api_version, o.kind) else {
            return;
        };
        let at = o.root.get("apiVersion").unwrap_or(o.root);
        let status = match e.removed {
            Some(removed) => format!(
                "was deprecated in {} and removed in {removed}",
                e.deprecated
            ),
            None => format!("is deprecated since {} (still served)", e.deprecated),
        };
        let advice = match e.replacement {
            Replacement::Use(r) => format!("use {r}"),
            Replacement::Advice(a) => a.to_string(),
        };
        cx.report(
            at,
            kubeward_model::FieldPath::from("apiVersion"),
            format!("{} {} {status}; {advice}", o.api_version, o.kind),
        );
    }
}
