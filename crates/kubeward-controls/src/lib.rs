//! kubeward-controls: the catalog.
//!
//! One control per file. A control's documentation is its doc comment (what it does, why it
//! matters, an example, how to fix); the [`control!`] macro captures that comment into the
//! control's [`ControlMeta`], so `kubeward explain` prints exactly what the code says and the
//! docs cannot drift from it. [`registry::all`] lists every control.

pub mod admission;
pub mod audit;
pub mod cluster;
pub mod cross;
pub mod fix;
pub mod image;
pub mod inventory;
mod meta;
pub mod node;
pub mod pss;
pub mod rbac;
pub mod rbac_subject;
pub mod registry;
pub mod secrets;
pub mod services;
pub mod workload;

pub use fix::{Fix, FixAction, FixEdit};
pub use inventory::{CrossOut, CrossViolation, Fact, Inventory};
pub use meta::*;

use kubeward_model::{FieldPath, Object, PodSpec};
use kubeward_yaml::{NodeRef, Pos};

/// What a control looks at: one object and, for pod-bearing kinds, its pod spec.
pub struct Target<'a> {
    pub object: Object<'a>,
    pub pod: Option<PodSpec<'a>>,
}

/// Run-wide settings that controls read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The Pod Security Standards version to evaluate.
    pub pss_version: PssVersion,
    /// Registries images may come from (`registry.example.com`, `ghcr.io/acme`); empty means
    /// any registry is allowed. From the config file.
    pub allowed_registries: Vec<String>,
    /// Require `imagePullPolicy: Always` (config file); off by default.
    pub require_pull_always: bool,
    /// The namespace that objects without `metadata.namespace` go to, as `kubectl apply -n`
    /// would put them (`scan -n`; `default` unless set). The cross-object controls place
    /// them there.
    pub namespace: String,
    /// Credential Secrets older than this many days are reported (KW903); config
    /// `secretMaxAgeDays`, 90 unless set.
    pub secret_max_age_days: u32,
    /// The time ages are measured at, in seconds since the epoch; `None` is the system clock.
    pub now: Option<i64>,
}

impl Settings {
    /// [`Settings::now`], or the system clock.
    pub fn now_unix(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss_version: PssVersion::LATEST,
            allowed_registries: Vec::new(),
            require_pull_always: false,
            namespace: kubeward_rbac::load::DEFAULT_NAMESPACE.to_string(),
            secret_max_age_days: 90,
            now: None,
        }
    }
}

/// One violation as a control reports it; the engine adds the object, file and control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub pos: Pos,
    pub path: FieldPath,
    pub message: String,
}

/// Where a control writes its violations.
pub struct Context<'s> {
    pub settings: &'s Settings,
    pub violations: Vec<Violation>,
}

impl<'s> Context<'s> {
    pub fn new(settings: &'s Settings) -> Self {
        Context {
            settings,
            violations: Vec::new(),
        }
    }

    /// Report a violation at `at` (a field, or for a missing field the nearest parent).
    pub fn report(&mut self, at: NodeRef<'_>, path: FieldPath, message: impl Into<String>) {
        self.violations.push(Violation {
            pos: at.pos(),
            path,
            message: message.into(),
        });
    }

    /// The PSS version in force, as a minor number of v1.
    pub fn pss_minor(&self) -> u16 {
        self.settings.pss_version.minor()
    }
}

/// Whether a control applies at these settings: a PSS control only from the policy version
/// that introduced its check.
pub fn applies(meta: &ControlMeta, settings: &Settings) -> bool {
    meta.frameworks
        .pss
        .is_none_or(|p| p.since <= settings.pss_version.minor())
}

/// A control: metadata (from [`control!`]) and a check.
pub trait Control: Sync + Send {
    fn meta(&self) -> &'static ControlMeta;

    /// Check one object.
    fn check(&self, _target: &Target<'_>, _cx: &mut Context<'_>) {}

    /// Cross-object controls say so; they run once over the [`Inventory`] after the
    /// per-object pass, and only raise findings when the scan holds the objects they need.
    fn is_cross_object(&self) -> bool {
        false
    }

    fn check_inventory(&self, _inventory: &Inventory, _out: &mut CrossOut<'_>) {}

    /// Audit-log detections (the [`audit`] family) describe what `kubeward audit` finds in
    /// API server audit events; they never run on manifests, so the engine leaves them out.
    fn is_audit_detection(&self) -> bool {
        false
    }

    /// Image checks (the [`image`] family) describe what `kubeward image` finds inside
    /// container images; they never run on manifests, so the engine leaves them out.
    fn is_image_check(&self) -> bool {
        false
    }

    /// How `kubeward fix` repairs this control's findings ([`fix`]): not at all unless the
    /// control says so.
    fn fix(&self) -> Fix {
        Fix::None
    }
}

/// Declare a control: its doc comment becomes its documentation.
///
/// ```ignore
/// control! {
///     /// ## What it does ...
///     pub struct Privileged;
///     id: "KW101", name: "privileged-container", title: "...", severity: Critical,
///     remediation: "...", frameworks: Frameworks { .. },
/// }
/// ```
#[macro_export]
macro_rules! control {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident;
        id: $id:literal,
        name: $slug:literal,
        title: $title:literal,
        severity: $sev:ident,
        remediation: $rem:literal,
        frameworks: $fw:expr $(,)?
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::ControlMeta = $crate::ControlMeta {
                id: $id,
                name: $slug,
                title: $title,
                severity: $crate::Severity::$sev,
                remediation: $rem,
                frameworks: $fw,
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}

#[cfg(test)]
mod tests;
