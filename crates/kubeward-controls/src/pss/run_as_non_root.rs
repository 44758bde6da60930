use crate::pss::{frameworks, mitre, nsa, pss, sc_wrong_type, user_namespace_relaxed, who};
use crate::{control, Context, Control, ControlMeta, Fix, PssLevel, Target};

control! {
    /// ## What it does
    /// Checks that every container (including init and ephemeral containers) runs with
    /// `runAsNonRoot: true`, from its own `securityContext` or inherited from the pod's
    /// (a container's value overrides the pod's). It flags:
    ///
    /// * `runAsNonRoot: false` on the pod or on a container, at the field;
    /// * a container that sets nothing while the pod does not set `true`, at the container's
    ///   `securityContext` (or the container when it has none). When the pod sets `false`,
    ///   only the pod's field is reported for such containers.
    ///
    /// `runAsUser` is not consulted: a non-zero UID without `runAsNonRoot: true` still fails,
    /// as in Pod Security Admission. Windows pods are not exempt. From Pod Security Standards
    /// v1.35 a pod with an explicit `hostUsers: false` (its own user namespace) is exempt.
    ///
    /// ## Why it matters
    /// Root in a container is root on the node's kernel: any escape, or any writable host
    /// mount, is then an escape as root. `runAsNonRoot: true` makes the kubelet refuse to start
    /// a container whose image would run as UID 0. The Pod Security Standards require it at
    /// the `restricted` level (check `runAsNonRoot`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    ///     securityContext:
    ///       runAsNonRoot: false   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Set `runAsNonRoot: true` in the pod's `securityContext` (and remove any `false` on
    /// containers), and build the image to run as a non-root user (`USER 10001`).
    pub struct RunAsNonRoot;
    id: "KW205",
    name: "run-as-non-root",
    title: "Container may run as root",
    severity: Medium,
    remediation: "Set securityContext.runAsNonRoot: true on the pod and do not set it to false on containers.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "runAsNonRoot", 0),
        &[nsa::NON_ROOT],
        &["5.2.7"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for RunAsNonRoot {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("runAsNonRoot"), "true")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if user_namespace_relaxed(pod, cx) {
            return;
        }
        let pod_value = pod.psc("runAsNonRoot").and_then(|n| n.as_bool());
        if let (Some(n), Some(false)) = (pod.psc("runAsNonRoot"), pod_value) {
            cx.report(
                n,
                pod.psc_path().key("runAsNonRoot"),
                "pod must not set securityContext.runAsNonRoot=false",
            );
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            let path = c.sc_path().key("runAsNonRoot");
            match c.sc("runAsNonRoot") {
                Some(n) => {
                    if n.as_bool() == Some(false) {
                        cx.report(
                            n,
                            path,
                            format!(
                                "{} must not set securityContext.runAsNonRoot=false",
                                who(&c)
                            ),
                        );
                    }
                }
                None => {
                    if pod_value.is_none() {
                        cx.report(
                            c.sc_anchor(),
                            path,
                            format!(
                                "pod or {} must set securityContext.runAsNonRoot=true",
                                who(&c)
                            ),
                        );
                    }
                }
            }
        }
    }
}
