use crate::pss::frameworks;
use crate::workload::{container_resource, mitre, nsa, pod_resource, resource_containers};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every `emptyDir` volume without `sizeLimit` (at the `emptyDir` field, or at
    /// `sizeLimit: null`), unless something else bounds it:
    ///
    /// * a disk-backed `emptyDir` is bounded when any container or init container sets
    ///   `resources.limits.ephemeral-storage`: the pod then has an ephemeral-storage limit
    ///   (the sum of the containers' limits), and the kubelet evicts the pod when its whole
    ///   usage, emptyDir volumes included, goes past it;
    /// * a memory-backed one (`medium: Memory`, a tmpfs) is bounded when every container and
    ///   init container sets `resources.limits.memory`, or the pod sets
    ///   `spec.resources.limits.memory` (tmpfs pages are charged to the memory cgroup of the
    ///   container that writes them, and the tmpfs is sized to the pod's memory limit);
    /// * a `medium: HugePages` (or `HugePages-<size>`) one is never flagged: it can only hold
    ///   the huge pages the pod's `hugepages-<size>` limits grant.
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

    fn fix(&self) -> Fix {
        Fix::Suggest("set emptyDir.sizeLimit to the space the volume needs")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        let memory_bounded = pod_resource(pod, "limits", "memory").is_some() || {
            let mut containers = resource_containers(pod).peekable();
            containers.peek().is_some()
                && containers.all(|c| container_resource(&c, "limits", "memory").is_some())
        };
        let storage_bounded = resource_containers(pod)
            .any(|c| container_resource(&c, "limits", "ephemeral-storage").is_some());
        for (vol, path) in pod.volumes() {
            let Some(ed) = vol.get("emptyDir").filter(|n| n.is_map()) else {
                continue;
            };
            let size_limit = ed.get("sizeLimit");
            if size_limit.is_some_and(|n| !n.is_null()) {
                continue;
            }
            let medium = ed.get("medium").and_then(|n| n.as_str()).unwrap_or("");
            if medium.starts_with("HugePages") {
                continue;
            }
            let memory = medium == "Memory";
            let bounded = if memory {
                memory_bounded
            } else {
                storage_bounded
            };
            if bounded {
                continue;
            }
            let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let what = if memory {
                "a memory-backed emptyDir"
            } else {
                "an emptyDir"
            };
            cx.report(
                size_limit.unwrap_or(ed),
                path.key("emptyDir").key("sizeLimit"),
                format!("volume \"{name}\" is {what} without sizeLimit"),
            );
        }
    }
}
