use crate::pss::{frameworks, nsa as pss_nsa};
use crate::workload::mitre;
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every pod-bearing object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
    /// Job, CronJob, ReplicationController, PodTemplate) whose pod spec does not set
    /// `automountServiceAccountToken: false`: an explicit `true` (or null) at the field, a
    /// missing value at the pod spec.
    ///
    /// The pod's ServiceAccount may also set `automountServiceAccountToken: false`, and the
    /// pod inherits it when the pod spec says nothing. kubeward checks one object at a time
    /// and cannot see the ServiceAccount from the pod, so a pod whose ServiceAccount disables
    /// the token is still reported; the message says so. KW312 checks ServiceAccounts.
    ///
    /// The pod spec wins over the ServiceAccount, so an explicit `true` mounts the token
    /// whatever the account says. It is reported even when it is a deliberate opt-in: the
    /// automounted token goes into every container of the pod (sidecars included), where a
    /// projected token can be mounted into only the container that calls the API.
    ///
    /// ## Why it matters
    /// Every pod gets a token for its ServiceAccount mounted at
    /// `/var/run/secrets/kubernetes.io/serviceaccount` unless it opts out. Most applications
    /// never call the Kubernetes API, yet anyone who gets code execution or file read in
    /// the container can use that token against the API server with the account's
    /// permissions. CIS 5.1.6: mount service account tokens only where necessary.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:                 # flagged: no automountServiceAccountToken: false
    ///       containers:
    ///       - name: app
    ///         image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` in the pod spec of workloads that do not
    /// call the Kubernetes API. Those that do can mount a projected, short-lived token with
    /// the audience they need.
    pub struct ServiceAccountTokenAutomounted;
    id: "KW310",
    name: "service-account-token-automounted",
    title: "Pod mounts a service account token",
    severity: Medium,
    remediation: "Set automountServiceAccountToken: false in the pod spec unless the workload calls the Kubernetes API.",
    frameworks: frameworks(
        None,
        &[pss_nsa::SA_TOKENS],
        &["5.1.6"],
        &[mitre::STEAL_APP_TOKEN],
    ),
}

impl Control for ServiceAccountTokenAutomounted {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("automountServiceAccountToken"), "false")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let path = pod.path("automountServiceAccountToken");
        match pod.field("automountServiceAccountToken") {
            Some(n) => {
                if n.as_bool() == Some(true) {
                    cx.report(
                        n,
                        path,
                        "pod sets automountServiceAccountToken=true: the service account token is mounted into every container",
                    );
                }
            }
            None => cx.report(
                pod.spec
                    .and_then(|s| s.get("automountServiceAccountToken"))
                    .unwrap_or_else(|| pod.spec_anchor()),
                path,
                "pod does not set automountServiceAccountToken=false, so the service account token is mounted (unless its ServiceAccount disables automounting, which kubeward cannot see from the pod)",
            ),
        }
    }
}
