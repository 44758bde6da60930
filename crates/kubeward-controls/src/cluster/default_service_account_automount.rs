use kubeward_model::FieldPath;

use crate::pss::{frameworks, nsa as pss_nsa};
use crate::workload::mitre;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags the `default` ServiceAccount (core `v1`) of a namespace unless it sets
    /// `automountServiceAccountToken: false`. Kubernetes creates this account in every
    /// namespace by itself, so it is rarely in a repository: a live cluster (`kubeward
    /// cluster`) is where it shows. KW312 asks the same of every ServiceAccount at low
    /// severity; this control is CIS 5.1.5's specific ask of the account every pod gets when
    /// it names none.
    ///
    /// ## Why it matters
    /// Every pod that does not set `serviceAccountName` runs as `default`, and with automount
    /// on, each of them carries an API token in
    /// `/var/run/secrets/kubernetes.io/serviceaccount`. Anyone who gets code execution in one
    /// of those pods can call the API as that account, and any role later bound to `default`
    /// for one workload is silently granted to all of them.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: default        # flagged: created by Kubernetes, automount left on
    ///   namespace: shop
    /// ```
    ///
    /// ## How to fix
    /// `kubectl patch serviceaccount default -n NAMESPACE -p
    /// '{"automountServiceAccountToken": false}'` in each namespace (and in the template that
    /// creates namespaces), and give workloads that call the API their own ServiceAccount.
    pub struct DefaultServiceAccountAutomount;
    id: "KW902",
    name: "default-service-account-automount",
    title: "Default ServiceAccount automounts its API token",
    severity: Medium,
    remediation: "Set automountServiceAccountToken: false on each namespace's default ServiceAccount; give workloads that need the API their own account.",
    frameworks: frameworks(
        None,
        &[pss_nsa::SA_TOKENS],
        &["5.1.5"],
        &[mitre::STEAL_APP_TOKEN, mitre::VALID_ACCOUNTS],
    ),
}

impl Control for DefaultServiceAccountAutomount {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if !o.group().is_empty() || o.kind != "ServiceAccount" || o.name != "default" {
            return;
        }
        let field = o
            .root
            .get("automountServiceAccountToken")
            .filter(|n| !n.is_null());
        if field.and_then(|n| n.as_bool()) == Some(false) {
            return;
        }
        let ns = o.namespace.unwrap_or("(no namespace)");
        let how = if field.is_some() {
            "sets automountServiceAccountToken=true"
        } else {
            "leaves automountServiceAccountToken unset (on)"
        };
        cx.report(
            field.unwrap_or(o.root),
            FieldPath::from("automountServiceAccountToken"),
            format!(
                "the default ServiceAccount of namespace {ns:?} {how}: every pod there that names no service account gets an API token"
            ),
        );
    }
}
