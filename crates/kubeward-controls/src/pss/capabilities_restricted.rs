use crate::pss::{
    added_capabilities, frameworks, mitre, nsa, pss, sc_wrong_type, who, windows_exempt,
    BASELINE_CAPABILITIES,
};
use crate::{control, Context, Control, ControlMeta, Fix, FixAction, FixEdit, PssLevel, Target};

control! {
    /// ## What it does
    /// Checks that every container (including init and ephemeral containers) drops all
    /// capabilities and adds back at most `NET_BIND_SERVICE`. Applies from Pod Security
    /// Standards v1.22, the version that introduced the check; from v1.25 Windows pods
    /// (`spec.os.name: windows`) are exempt, as in Pod Security Admission. It flags:
    ///
    /// * a container whose `securityContext.capabilities.drop` does not contain the exact
    ///   string `ALL` (`all`, or every capability dropped by name, does not count), reported
    ///   at `drop`, or at the nearest existing parent when `drop` is missing;
    /// * each item of `capabilities.add` that the baseline level allows (the runtime's default
    ///   capabilities) other than `NET_BIND_SERVICE`, e.g. `CHOWN`.
    ///
    /// Pod Security Admission's `capabilities_restricted` check also forbids the capabilities
    /// outside the default set, and at the `restricted` level replaces `capabilities_baseline`.
    /// kubeward reports those with KW107 (`non-default-capabilities`) at every level, so this
    /// control leaves them out and each added capability is reported once.
    ///
    /// ## Why it matters
    /// The runtime's default capabilities (`CHOWN`, `DAC_OVERRIDE`, `SETUID`, `KILL`, ...)
    /// are far more than most applications need, and each one widens what an attacker who
    /// controls the process can do. Dropping all of them is the least-privilege default the
    /// `restricted` level of the Pod Security Standards requires.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["NET_RAW"]            # flagged: must contain ALL
    ///     add: ["NET_BIND_SERVICE", "CHOWN"]   # CHOWN flagged
    /// ```
    ///
    /// ## How to fix
    /// Set `capabilities.drop: ["ALL"]` on every container, and add back only
    /// `NET_BIND_SERVICE` if the process binds to a port below 1024.
    pub struct CapabilitiesRestricted;
    id: "KW202",
    name: "capabilities-not-dropped",
    title: "Container does not drop all capabilities",
    severity: Medium,
    remediation: "Set securityContext.capabilities.drop: [\"ALL\"] and add back at most NET_BIND_SERVICE.",
    frameworks: frameworks(
        pss(PssLevel::Restricted, "capabilities_restricted", 22),
        &[nsa::HARDENING, nsa::NON_ROOT],
        &["5.2.9", "5.2.10"],
        &[mitre::ESCAPE_TO_HOST],
    ),
}

impl Control for CapabilitiesRestricted {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Edit(FixEdit {
            field: Some("drop"),
            action: FixAction::Include("ALL"),
        })
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if windows_exempt(pod, cx) {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            let caps_path = c.sc_path().key("capabilities");
            let caps = c.sc("capabilities");
            let drop = caps.and_then(|n| n.get("drop")).filter(|n| !n.is_null());
            let drops_all = drop.is_some_and(|d| d.items().any(|i| i.as_str() == Some("ALL")));
            // A drop or capabilities of the wrong type is the shape check's to report.
            let wrong_type = caps.is_some_and(|n| !n.is_map()) || drop.is_some_and(|d| !d.is_seq());
            if !drops_all && !wrong_type {
                let at = drop.or(caps).unwrap_or_else(|| c.sc_anchor());
                cx.report(
                    at,
                    caps_path.key("drop"),
                    format!(
                        "{} must set securityContext.capabilities.drop=[\"ALL\"]",
                        who(&c)
                    ),
                );
            }
            for (node, cap, path) in added_capabilities(&c) {
                // Capabilities outside the default set are KW107's.
                if cap != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(&cap) {
                    cx.report(
                        node,
                        path,
                        format!(
                            "{} must not include \"{cap}\" in securityContext.capabilities.add",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}
