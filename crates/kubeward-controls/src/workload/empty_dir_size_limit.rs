use crate::pss::frameworks;
use crate::workload::{container_resource, mitre, nsa, resource_containers};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags every `emptyDir` volume without `sizeLimit`, at the `emptyDir` field, unless
    /// something else bounds it:
    ///
    /// * a disk-backed `emptyDir` is bounded when every container and init container sets
    ///   `resources.limits.ephemeral-storage` (the kubelet counts emptyDir usage against the
    ///   pod's ephemeral storage and evicts it past the sum);
    /// * a memory-backed one (`medium: Memory`, a tmpfs) is bounded when every container and
    ///   init container sets `resources.limits.memory` (tmpfs pages are charged to the
    ///   writing container's memory).
    ///
    /// ## Why it matters
    /// An unbounded `emptyDir` lives on the node's disk (or, with `medium: Memory`, in its
    /// RAM). A process that writes without end, by bug or by design, fills it: the node
    /// reports disk or memory pressure and the kubelet evicts other pods, a node-level denial
    /// of service (MITRE T1499).
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: cache
    ///   emptyDir: {}        # flagged: no sizeLimit
    /// - name: scratch
    ///   emptyDir:
    ///     sizeLimit: 1Gi
    /// ```
    ///
    /// ## How to fix
    /// Set `emptyDir.sizeLimit`, or set `resources.limits.ephemeral-storage` (for a tmpfs,
    /// `resources.limits.memory`) on every container.
    pub struct EmptyDirWithoutSizeLimit;
    id: "KW324",
    name: "empty-dir-without-size-limit",
    title: "emptyDir volume has no size limit",
    severity: Low,
    remediation: "Set emptyDir.sizeLimit (or ephemeral-storage limits on every container).",
    frameworks: frameworks(None, &[nsa::RESOURCE_POLICIES], &[], &[mitre::ENDPOINT_DOS]),
}

impl Control for EmptyDirWithoutSizeLimit {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let all_limit = |resource: &str| {
            let mut containers = resource_containers(pod).peekable();
            containers.peek().is_some()
                && containers.all(|c| container_resource(&c, "limits", resource).is_some())
        };
        for (vol, path) in pod.volumes() {
            let Some(ed) = vol.get("emptyDir").filter(|n| n.is_map()) else {
                continue;
            };
            if ed.get("sizeLimit").is_some_and(|n| !n.is_null()) {
                continue;
            }
            let memory = ed.get("medium").and_then(|n| n.as_str()) == Some("Memory");
            let bounded = if memory {
                all_limit("memory")
            } else {
                all_limit("ephemeral-storage")
            };
            if bounded {
                continue;
            }
            let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let what = if memory {
                "memory-backed emptyDir"
            } else {
                "emptyDir"
            };
            cx.report(
                ed,
                path.key("emptyDir").key("sizeLimit"),
                format!("volume \"{name}\" is an {what} without sizeLimit"),
            );
        }
    }
}
