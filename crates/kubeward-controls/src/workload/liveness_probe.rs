use crate::pss::frameworks;
use crate::workload::{check_probe, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags each container of a long-running workload (Pod, Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, ReplicationController, PodTemplate, DeploymentConfig) that has
    /// no `livenessProbe`; a null or empty probe (`livenessProbe: {}`, no handler) counts as
    /// none. The finding points at the container (or the empty probe).
    ///
    /// Not checked: Jobs, CronJobs and pods with `restartPolicy: Never` or `OnFailure` (they
    /// run to completion), init containers (restartable sidecars included: their probes are
    /// optional) and ephemeral containers (the API refuses probes there). This is what
    /// Checkov (CKV_K8S_8) checks; kube-linter's `no-liveness-probe` and Polaris'
    /// `livenessProbeMissing` agree on their fixtures.
    ///
    /// ## Why it matters
    /// Without a liveness probe the kubelet restarts a container only when its process exits.
    /// A process that deadlocks, leaks itself into uselessness or is wedged by an attack keeps
    /// its pod Running and receiving traffic until someone notices: a denial of service that
    /// heals itself with a probe lasts until a human steps in without one.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: api                 # flagged: no livenessProbe
    ///   image: registry.example.com/api:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Add a `livenessProbe` that fails only when the process cannot recover by itself (an
    /// `httpGet` on a cheap health endpoint, a `tcpSocket`, a `grpc` health check), with a
    /// `startupProbe` or `initialDelaySeconds` for slow starts.
    pub struct LivenessProbeMissing;
    id: "KW326",
    name: "liveness-probe-missing",
    title: "Container has no liveness probe",
    severity: Low,
    remediation: "Add a livenessProbe (httpGet, tcpSocket, grpc or exec) to each long-running container.",
    frameworks: frameworks(None, &[nsa::UPGRADING], &[], &[mitre::ENDPOINT_DOS]),
}

impl Control for LivenessProbeMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest(
            "add a livenessProbe that checks the container's own health (httpGet on its health endpoint, tcpSocket, grpc or exec), with timings the application needs",
        )
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_probe(t, cx, "livenessProbe");
    }
}
