//! Admission configuration (KW7xx): ValidatingWebhookConfiguration and
//! MutatingWebhookConfiguration objects (`admissionregistration.k8s.io` `v1`, and `v1beta1`,
//! whose defaults differ), Namespaces' Pod Security Admission labels, and PodSecurityPolicy
//! objects.

use kubeward_model::{FieldPath, Object};
use kubeward_yaml::NodeRef;

use crate::{Control, Target};

pub mod namespace_privileged;
pub mod namespace_without_pss;
pub mod psp_present;
pub mod webhook_failure_ignore;
pub mod webhook_kube_system;
pub mod webhook_side_effects;
pub mod webhook_timeout;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &webhook_failure_ignore::WebhookFailureIgnore,
    &webhook_timeout::WebhookTimeout,
    &webhook_kube_system::WebhookKubeSystem,
    &webhook_side_effects::WebhookSideEffects,
    &namespace_without_pss::NamespaceWithoutPss,
    &namespace_privileged::NamespacePrivileged,
    &psp_present::PspPresent,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections for this family (pod security is
/// `crate::pss::nsa::POD_SECURITY`).
pub mod nsa {
    pub const CONTROL_PLANE: &str = "Network separation: control plane hardening";
    pub const AUDIT: &str = "Audit logging and threat detection";
    pub const UPGRADING: &str = "Upgrading and application security practices";
}

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    pub const IMPAIR_DEFENSES: &str = "T1562.001";
    pub const ENDPOINT_DOS: &str = "T1499";
}

/// One webhook of a ValidatingWebhookConfiguration or MutatingWebhookConfiguration.
#[derive(Clone, Debug)]
pub(crate) struct Webhook<'a> {
    pub node: NodeRef<'a>,
    /// `webhooks[0]`.
    pub path: FieldPath,
    pub name: &'a str,
    /// `admissionregistration.k8s.io/v1beta1`, whose defaults differ from v1
    /// (failurePolicy Ignore, timeoutSeconds 30, sideEffects Unknown).
    pub v1beta1: bool,
}

impl<'a> Webhook<'a> {
    /// A string field, `None` when absent or null (or of the wrong type).
    pub(crate) fn str_field(&self, key: &str) -> Option<(NodeRef<'a>, &'a str)> {
        let n = self.node.get(key)?;
        Some((n, n.as_str()?))
    }

    /// Whether `key` is absent or null (so that its default applies).
    pub(crate) fn unset(&self, key: &str) -> bool {
        self.node.get(key).is_none_or(|n| n.is_null())
    }

    /// `webhook "name"` for messages.
    pub(crate) fn describe(&self) -> String {
        format!("webhook {:?}", self.name)
    }
}

/// The webhooks of an admission webhook configuration (empty for anything else). Items
/// that are not mappings are skipped.
pub(crate) fn webhooks<'a>(t: &Target<'a>) -> Vec<Webhook<'a>> {
    let o = &t.object;
    if o.group() != "admissionregistration.k8s.io"
        || !matches!(
            o.kind,
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"
        )
    {
        return Vec::new();
    }
    let v1beta1 = o.api_version == "admissionregistration.k8s.io/v1beta1";
    let Some(list) = o.root.get("webhooks").filter(|n| n.is_seq()) else {
        return Vec::new();
    };
    let base = FieldPath::from("webhooks");
    list.items()
        .enumerate()
        .filter(|(_, n)| n.is_map())
        .map(|(i, node)| Webhook {
            node,
            path: base.index(i),
            name: node.get("name").and_then(|n| n.as_str()).unwrap_or(""),
            v1beta1,
        })
        .collect()
}

/// The namespaces Kubernetes creates for itself; PSA labels are left to the platform there.
pub(crate) const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// A Namespace object's labels mapping, if the object is a Namespace.
pub(crate) fn namespace_object<'a>(t: &Target<'a>) -> Option<Object<'a>> {
    let o = t.object;
    (o.group().is_empty() && o.kind == "Namespace").then_some(o)
}
