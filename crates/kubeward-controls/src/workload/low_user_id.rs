use crate::pss::{frameworks, mitre as pss_mitre, nsa};
use crate::workload::check_low_id;
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags `securityContext.runAsUser` set between 1 and 9999, in a container or in the pod
    /// (when a container inherits it; a container's own value overrides the pod's). The
    /// finding points at the field.
    ///
    /// Not flagged: `runAsUser: 0` (KW206 reports root), an unset `runAsUser` (the
    /// image's `USER` decides, which the manifest does not show; Checkov's CKV_K8S_40 fails
    /// it too, kubeward does not guess), Windows pods, and pods in a user namespace
    /// (`hostUsers: false`), whose IDs are remapped to unprivileged host IDs.
    ///
    /// ## Why it matters
    /// Without a user namespace a container's UID is the host's UID. IDs below 10000 are the
    /// ones hosts give to their own system and login accounts (`UID_MIN` is 1000 on most
    /// distributions), so a process that escapes the container, or reaches a hostPath or
    /// NFS volume, acts with the files and processes of that host account. A high, unused
    /// UID owns nothing on the host.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 1000           # flagged: the first login user of most hosts
    /// ```
    ///
    /// ## How to fix
    /// Run as a UID of 10000 or more that no host account uses (e.g. `runAsUser: 10001`, and
    /// build the image with that `USER`), or run the pod in a user namespace
    /// (`hostUsers: false`).
    pub struct LowUserId;
    id: "KW328",
    name: "run-as-user-below-10000",
    title: "Container runs as a UID below 10000",
    severity: Low,
    remediation: "Set securityContext.runAsUser to 10000 or more (an ID no host account uses), or set hostUsers: false.",
    frameworks: frameworks(None, &[nsa::NON_ROOT], &[], &[pss_mitre::ESCAPE_TO_HOST]),
}

impl Control for LowUserId {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest(
            "set runAsUser to a UID of 10000 or more that the image can run as (its files' owner)",
        )
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        check_low_id(t, cx, "runAsUser");
    }
}
