use crate::pss::frameworks;
use crate::workload::{check_probe, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags each container of a long-running workload (Pod, Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, ReplicationController, PodTemplate, DeploymentConfig) that has
    /// no `readinessProbe`; a null or empty probe (`readinessProbe: {}`, no handler) counts as
    /// none. The finding points at the container (or the empty probe).
    ///
    /// Not checked: Jobs, CronJobs and pods with `restartPolicy: Never` or `OnFailure` (they
    /// run to completion), init containers and ephemeral containers. This is what Checkov
    /// (CKV_K8S_9) checks; kube-linter's `no-readiness-probe` and Polaris'
    /// `readinessProbeMissing` agree on their fixtures.
    ///
    /// ## Why it matters
    /// Without a readiness probe a pod receives traffic from its Services as soon as its
    /// containers start, and keeps receiving it while it is overloaded or broken. Requests
    /// then fail during every rollout and every incident, and a slow dependency turns into
    /// errors for all clients instead of a pod taken out of rotation.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: api                 # flagged: no readinessProbe
    ///   image: registry.example.com/api:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Add a `readinessProbe` that succeeds only when the container can serve (an `httpGet`
    /// on a readiness endpoint that checks what a request needs, a `tcpSocket` or a `grpc`
    /// health check).
    pub struct ReadinessProbeMissing;
    id: "KW327",
    name: "readiness-probe-missing",
    title: "Container has no readiness probe",
    severity: Low,
    remediation: "Add a readinessProbe (httpGet, tcpSocket, grpc or exec) to each long-running container.",
    frameworks: frameworks(None, &[nsa::UPGRADING], &[], &[mitre::ENDPOINT_DOS]),
}

impl Control for ReadinessProbeMissing {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest(
            "add a readinessProbe that passes only when the container can serve (httpGet on its readiness endpoint, tcpSocket, grpc or exec)",
        )
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_probe(t, cx, "readinessProbe");
    }
}
