use crate::pss::{frameworks, nsa as pss_nsa};
use crate::workload::mitre;
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every ServiceAccount (core `v1`) that does not set
    /// `automountServiceAccountToken: false`: an explicit `true` (or null) at the field, a
    /// missing value at the object.
    ///
    /// ## Why it matters
    /// A ServiceAccount's `automountServiceAccountToken: false` is the default for every pod
    /// that runs as it: pods then get no API token unless they ask for one. Without it, each
    /// pod spec must opt out on its own (KW310), and any that forgets exposes the account's
    /// token to whoever compromises it. CIS 5.1.6: mount service account tokens only where
    /// necessary.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: app           # flagged: no automountServiceAccountToken: false
    /// ```
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` on the ServiceAccount. A workload that needs
    /// the API mounts a projected `serviceAccountToken` volume into the one container that
    /// calls it; opting back in with `automountServiceAccountToken: true` in the pod spec also
    /// works (the pod spec wins over the ServiceAccount), but mounts the token into every
    /// container of the pod, and KW310 reports it.
    pub struct ServiceAccountAutomountOnSa;
    id: "KW312",
    name: "service-account-automount-on-sa",
    title: "ServiceAccount does not disable token automounting",
    severity: Low,
    remediation: "Set automountServiceAccountToken: false on the ServiceAccount; workloads that need the API mount a projected serviceAccountToken volume.",
    frameworks: frameworks(
        None,
        &[pss_nsa::SA_TOKENS],
        &["5.1.6"],
        &[mitre::STEAL_APP_TOKEN],
    ),
}

impl Control for ServiceAccountAutomountOnSa {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("automountServiceAccountToken"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.group() != "" || o.kind != "ServiceAccount" {
            return;
        }
        let path = kubeward_model::FieldPath::from("automountServiceAccountToken");
        match o
            .root
            .get("automountServiceAccountToken")
            .filter(|n| !n.is_null())
        {
            Some(n) => {
                if n.as_bool() == Some(true) {
                    cx.report(
                        n,
                        path,
                        format!(
                            "ServiceAccount \"{}\" sets automountServiceAccountToken=true",
                            o.name
                        ),
                    );
                }
            }
            None => cx.report(
                o.root.get("automountServiceAccountToken").unwrap_or(o.root),
                path,
                format!(
                    "ServiceAccount \"{}\" does not set automountServiceAccountToken=false",
                    o.name
                ),
            ),
        }
    }
}
