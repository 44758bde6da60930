use crate::pss::{frameworks, nsa, sc_wrong_type, who};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) that does not set
    /// `securityContext.readOnlyRootFilesystem: true`: an explicit `false` (or null) is
    /// reported at the field, a missing value at the container's `securityContext` (or the
    /// container).
    ///
    /// Windows pods (`spec.os.name: windows`) are skipped: the API server forbids the field
    /// there. Containers whose `securityContext` has the wrong type are left to the shape check.
    ///
    /// ## Why it matters
    /// A writable root filesystem lets an intruder drop tools, modify binaries and
    /// configuration, or persist a backdoor for the life of the container. An immutable root
    /// filesystem, with explicit `emptyDir` volumes for the few directories the application
    /// writes, makes the container's contents trustworthy and tampering visible.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     readOnlyRootFilesystem: false   # flagged (and so is leaving it out)
    /// ```
    ///
    /// ## How to fix
    /// Set `readOnlyRootFilesystem: true` in every container's `securityContext` and mount an
    /// `emptyDir` at each path the process must write (`/tmp`, caches).
    pub struct ReadOnlyRootFilesystem;
    id: "KW301",
    name: "readonly-root-filesystem",
    title: "Container root filesystem is writable",
    severity: Low,
    remediation: "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the process writes.",
    frameworks: frameworks(
        None,
        &[nsa::IMMUTABLE_FS],
        &["5.7.3"],
        &[],
    ),
}

impl Control for ReadOnlyRootFilesystem {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("readOnlyRootFilesystem"), "true")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            let path = c.sc_path().key("readOnlyRootFilesystem");
            match c.sc("readOnlyRootFilesystem") {
                Some(n) => {
                    if n.as_bool() == Some(false) {
                        cx.report(
                            n,
                            path,
                            format!(
                                "{} sets securityContext.readOnlyRootFilesystem=false",
                                who(&c)
                            ),
                        );
                    }
                }
                None => cx.report(
                    // An explicit null is written down: point at it.
                    c.security_context()
                        .and_then(|sc| sc.get("readOnlyRootFilesystem"))
                        .unwrap_or_else(|| c.sc_anchor()),
                    path,
                    format!(
                        "{} does not set securityContext.readOnlyRootFilesystem=true",
                        who(&c)
                    ),
                ),
            }
        }
    }
}
