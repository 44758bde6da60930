use crate::pss::{frameworks, mitre as pss_mitre, nsa};
use crate::workload::check_low_id;
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags `securityContext.runAsGroup` set between 1 and 9999, in a container or in the
    /// pod (when a container inherits it; a container's own value overrides the pod's). The
    /// finding points at the field.
    ///
    /// Not flagged: `runAsGroup: 0` (KW313 reports the root group), an unset `runAsGroup`
    /// (the image decides), Windows pods, and pods in a user namespace (`hostUsers: false`),
    /// whose IDs are remapped to unprivileged host IDs.
    ///
    /// ## Why it matters
    /// Without a user namespace a container's GID is the host's GID. IDs below 10000 are the
    /// host's own groups (`adm`, `docker`, `disk`, `systemd-journal`, the first users'
    /// groups), so a process that escapes the container, or reaches a hostPath or NFS volume,
    /// reads and writes what that host group may: log files, the Docker socket, raw disks.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsGroup: 999           # flagged: often the docker group on the host
    /// ```
    ///
    /// ## How to fix
    /// Run with a GID of 10000 or more that no host group uses (e.g. `runAsGroup: 10001`), or
    /// run the pod in a user namespace (`hostUsers: false`).
    pub struct LowGroupId;
    id: "KW329",
    name: "run-as-group-below-10000",
    title: "Container runs with a GID below 10000",
    severity: Low,
    remediation: "Set securityContext.runAsGroup to 10000 or more (an ID no host group uses), or set hostUsers: false.",
    frameworks: frameworks(None, &[nsa::NON_ROOT], &[], &[pss_mitre::ESCAPE_TO_HOST]),
}

impl Control for LowGroupId {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("set runAsGroup to a GID of 10000 or more that the image's files allow")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_low_id(t, cx, "runAsGroup");
    }
}
