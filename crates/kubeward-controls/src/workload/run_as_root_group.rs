use crate::pss::{frameworks, mitre, nsa, setters};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every place a pod gives its processes the root group (GID 0):
    ///
    /// * `runAsGroup: 0` in the pod's `securityContext` or in any container's (including init
    ///   and ephemeral containers);
    /// * `fsGroup: 0` in the pod's `securityContext`;
    /// * `0` in the pod's `securityContext.supplementalGroups`, at the item.
    ///
    /// Windows pods (`spec.os.name: windows`) are skipped: these fields do not apply to them.
    ///
    /// ## Why it matters
    /// Group 0 owns much of a typical filesystem with group read or write permission
    /// (`/etc/shadow` is `root:shadow`, but many files and sockets are `root:root` with group
    /// access). A process in group 0 reads or writes them even without UID 0, and `fsGroup: 0`
    /// makes every volume of the pod root-group owned, so that a write through a hostPath or a
    /// shared volume lands as group root on the node.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///     runAsGroup: 0            # flagged
    ///     fsGroup: 0               # flagged
    ///     supplementalGroups: [0]  # flagged
    /// ```
    ///
    /// ## How to fix
    /// Use a non-zero group (`runAsGroup: 10001`, `fsGroup: 10001`) and remove `0` from
    /// `supplementalGroups`.
    pub struct RunAsRootGroup;
    id: "KW313",
    name: "run-as-root-group",
    title: "Pod runs with the root group",
    severity: Medium,
    remediation: "Set runAsGroup and fsGroup to a non-zero GID and remove 0 from supplementalGroups.",
    frameworks: frameworks(
        None,
        &[nsa::NON_ROOT],
        &["5.7.3"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for RunAsRootGroup {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest(
            "set runAsGroup (and fsGroup, supplementalGroups) to a non-zero GID the image supports",
        )
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if pod.is_windows() {
            return;
        }
        for s in setters(pod, "runAsGroup") {
            if s.node.as_i64() == Some(0) {
                cx.report(
                    s.node,
                    s.path,
                    format!(
                        "{} sets securityContext.runAsGroup=0 (the root group)",
                        s.who
                    ),
                );
            }
        }
        if let Some(n) = pod.psc("fsGroup") {
            if n.as_i64() == Some(0) {
                cx.report(
                    n,
                    pod.psc_path().key("fsGroup"),
                    "pod sets securityContext.fsGroup=0: volumes become owned by the root group",
                );
            }
        }
        if let Some(groups) = pod.psc("supplementalGroups") {
            let base = pod.psc_path().key("supplementalGroups");
            for (i, g) in groups.items().enumerate() {
                if g.as_i64() == Some(0) {
                    cx.report(
                        g,
                        base.index(i),
                        "pod adds the root group (0) to securityContext.supplementalGroups",
                    );
                }
            }
        }
    }
}
