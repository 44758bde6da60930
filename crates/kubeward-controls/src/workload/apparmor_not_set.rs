use kubeward_model::Container;

use crate::pss::{frameworks, mitre, nsa, sc_wrong_type, who};
use crate::{control, Context, Control, ControlMeta, Target};

/// The prefix of the (deprecated) per-container AppArmor annotations.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

control! {
    /// ## What it does
    /// Flags pods that do not choose an AppArmor profile. A container has one when its own
    /// `securityContext.appArmorProfile` is set, or the pod's `securityContext.appArmorProfile`
    /// is, or the annotation `container.apparmor.security.beta.kubernetes.io/<name>` (on the
    /// pod template's metadata) names it; an empty annotation value names none. When no
    /// container of the pod has one, a single finding points at the pod's
    /// `securityContext` (set it there once); when only some lack one, each of those is
    /// reported at its own `securityContext`. All containers count, including init and
    /// ephemeral ones.
    ///
    /// Any profile counts here, even `Unconfined`: KW106 (`apparmor-profile`) reports bad
    /// ones. Windows pods (`spec.os.name: windows`) are skipped: AppArmor is Linux-only.
    ///
    /// ## Why it matters
    /// On nodes with AppArmor, container runtimes usually apply their default profile when
    /// none is given, but that is the runtime's choice and the node's configuration, not the
    /// manifest's: on a node or runtime without a default, the container runs unconfined.
    /// Stating `RuntimeDefault` (or a `Localhost` profile) makes the confinement part of the
    /// workload's definition and lets Pod Security Admission and audits see it. The NSA/CISA
    /// guidance recommends AppArmor or SELinux for every container.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:          # flagged: no appArmorProfile
    ///     runAsNonRoot: true
    ///   containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.2.3
    /// ```
    ///
    /// ## How to fix
    /// Set `securityContext.appArmorProfile: {type: RuntimeDefault}` in the pod spec (or a
    /// `Localhost` profile per container). On nodes without AppArmor, SELinux takes its role.
    pub struct AppArmorNotSet;
    id: "KW325",
    name: "apparmor-not-set",
    title: "No AppArmor profile is set",
    severity: Low,
    remediation: "Set securityContext.appArmorProfile.type: RuntimeDefault in the pod spec.",
    frameworks: frameworks(None, &[nsa::HARDENING], &["5.7.3"], &[mitre::ESCAPE_TO_HOST]),
}

impl Control for AppArmorNotSet {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if pod.is_windows() || pod.psc("appArmorProfile").is_some() {
            return;
        }
        // A pod securityContext of the wrong type is the shape check's to report.
        if pod.field("securityContext").is_some_and(|n| !n.is_map()) {
            return;
        }
        // An empty annotation value chooses nothing (the runtime default applies, as when
        // the annotation is absent).
        let has_profile = |c: &Container<'_>| {
            c.sc("appArmorProfile").is_some()
                || pod
                    .annotation(&format!("{ANNOTATION_PREFIX}{}", c.name))
                    .is_some_and(|n| !n.is_null() && n.as_str() != Some(""))
        };
        let containers: Vec<Container<'_>> = pod.containers().collect();
        if containers.is_empty() {
            return;
        }
        let missing: Vec<&Container<'_>> = containers
            .iter()
            .filter(|c| !has_profile(c) && !sc_wrong_type(c))
            .collect();
        if missing.len() == containers.len() {
            cx.report(
                pod.psc_anchor(),
                pod.psc_path().key("appArmorProfile"),
                "pod sets no AppArmor profile (securityContext.appArmorProfile or annotation) for any container",
            );
            return;
        }
        for c in missing {
            cx.report(
                c.sc_anchor(),
                c.sc_path().key("appArmorProfile"),
                format!(
                    "{} has no AppArmor profile (securityContext.appArmorProfile or annotation)",
                    who(c)
                ),
            );
        }
    }
}
