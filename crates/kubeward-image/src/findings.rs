//! Image findings are engine [`Finding`]s like any other: control KW1101 (a package with a
//! known vulnerability) or KW1102 (a licence the policy denies), the image as the object
//! (`kubeward.io/v1` `Image`), the package database file and line as the location, a field
//! path naming the package and the vulnerability ID (so baselines and SARIF fingerprints tell
//! findings apart), severity per finding, and the config file's exclusions applied, by
//! vulnerability ID (or alias) too.

use std::collections::HashMap;
use std::sync::Arc;

use kubeward_controls::image::{
    license_denied::LicenseDenied, vulnerable_package::VulnerablePackage,
};
use kubeward_controls::{ControlMeta, Severity};
use kubeward_engine::config::Exclusion;
use kubeward_engine::{Finding, SuppressedBy, Suppression};
use kubeward_model::{FieldPath, ObjectId};
use kubeward_yaml::Pos;

use crate::licenses::LicensePolicy;
use crate::vulns::Vulnerability;
use crate::{Catalog, Package};

/// The apiVersion and kind of the object an image finding is about.
pub const IMAGE_API: &str = "kubeward.io/v1";
pub const IMAGE_KIND: &str = "Image";

/// One finding with the package (and vulnerability) it is about.
#[derive(Clone, Debug)]
pub struct ImageFinding {
    pub finding: Finding,
    pub package: Package,
    pub vulnerability: Option<Vulnerability>,
}

/// How findings are chosen and judged.
#[derive(Default)]
pub struct Options<'a> {
    /// Leave out vulnerabilities without a fixed version.
    pub ignore_unfixed: bool,
    /// Only vulnerabilities of these severities (empty: all).
    pub severities: Vec<Severity>,
    /// The config file's exclusions (expired ones are skipped here; the caller warns).
    pub exclusions: &'a [Exclusion],
    /// The config file's severity overrides, by control ID.
    pub severity: HashMap<&'static str, Severity>,
    /// Controls the config file disables.
    pub disabled: Vec<&'static str>,
    pub licenses: LicensePolicy,
    pub today: (i32, u32, u32),
}

fn location(p: &Package) -> (Arc<str>, Pos) {
    let file: Arc<str> = Arc::from(p.location.path.as_str());
    let line = p.location.line.unwrap_or(1).max(1);
    (file, Pos { line, column: 1 })
}

/// `jinja2@2.10`, the key of a package in a finding's field path.
fn package_key(p: &Package) -> String {
    format!("{}@{}", p.name, p.version)
}

fn vuln_message(v: &Vulnerability, p: &Package) -> String {
    let mut m = format!("{} in {} {} ({})", v.id, p.name, p.version, p.ecosystem);
    if let Some(c) = v.cve().filter(|c| *c != v.id) {
        m = format!(
            "{} ({c}) in {} {} ({})",
            v.id, p.name, p.version, p.ecosystem
        );
    }
    match v.fixed.first() {
        Some(f) => m.push_str(&format!(": fixed in {f}")),
        None => m.push_str(": no fix yet"),
    }
    if let Some(s) = &v.summary {
        m.push_str(&format!("; {s}"));
    }
    if !v.severity_known {
        m.push_str(" (the records rate no severity: reported as medium)");
    }
    if let Some(l) = &p.location.layer {
        m.push_str(&format!(" [layer {l}]"));
    }
    m
}

/// Build the findings of one catalog. `used[i]` is set when exclusion `i` suppresses one.
pub fn findings(
    catalog: &Catalog,
    vulns: &[Vulnerability],
    opts: &Options<'_>,
    used: &mut [bool],
) -> Vec<ImageFinding> {
    let object = Arc::new(ObjectId {
        api_version: IMAGE_API.to_string(),
        kind: IMAGE_KIND.to_string(),
        namespace: None,
        name: catalog.image.name.clone(),
    });
    let make = |control: &'static ControlMeta, severity: Severity, p: &Package, path, message| {
        let (file, pos) = location(p);
        Finding {
            control,
            severity: opts.severity.get(control.id).copied().unwrap_or(severity),
            object: object.clone(),
            file,
            pos,
            path,
            message,
            suppressed: None,
        }
    };
    let mut out = Vec::new();
    if !opts.disabled.contains(&VulnerablePackage::META.id) {
        for v in vulns {
            let Some(p) = catalog.packages.get(v.package) else {
                continue;
            };
            if (opts.ignore_unfixed && v.fixed.is_empty())
                || (!opts.severities.is_empty() && !opts.severities.contains(&v.severity))
            {
                continue;
            }
            let path =
                FieldPath::from_keys(&["packages", &package_key(p), "vulnerabilities", &v.id]);
            let finding = make(
                &VulnerablePackage::META,
                v.severity,
                p,
                path,
                vuln_message(v, p),
            );
            out.push(ImageFinding {
                finding,
                package: p.clone(),
                vulnerability: Some(v.clone()),
            });
        }
    }
    if !opts.disabled.contains(&LicenseDenied::META.id) && !opts.licenses.is_empty() {
        for p in &catalog.packages {
            let Some(reason) = p.license.as_deref().and_then(|l| opts.licenses.judge(l)) else {
                continue;
            };
            let path = FieldPath::from_keys(&["packages", &package_key(p), "license"]);
            let message = format!("{} {} ({}): {reason}", p.name, p.version, p.ecosystem);
            let finding = make(
                &LicenseDenied::META,
                LicenseDenied::META.severity,
                p,
                path,
                message,
            );
            out.push(ImageFinding {
                finding,
                package: p.clone(),
                vulnerability: None,
            });
        }
    }
    for f in &mut out {
        let ids = f
            .vulnerability
            .as_ref()
            .map(Vulnerability::ids)
            .unwrap_or_default();
        let hit = opts.exclusions.iter().enumerate().find(|(_, x)| {
            !x.expired(opts.today)
                && if f.vulnerability.is_some() {
                    x.matches_vulnerability(&f.finding, &ids)
                } else {
                    x.matches(&f.finding)
                }
        });
        if let Some((i, x)) = hit {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            f.finding.suppressed = Some(Suppression {
                by: SuppressedBy::Config,
                reason: x.reason.clone(),
                expires: x.expires,
            });
        }
    }
    out
}

/// An image's finding attached to a container that runs the image (`scan --images`): located
/// at the container's `image:` field, about the workload, with the package, its file in the
/// image and the vulnerability in the message. The field path is the `image:` field's with
/// the image finding's own path after it (`...containers[0].image.packages['jinja2@2.10']
/// .vulnerabilities.PYSEC-2019-217`), so that baselines and SARIF fingerprints tell the
/// vulnerabilities of one container apart. A suppression the image's judgement made (an
/// exclusion by vulnerability ID) is kept; the caller applies the workload's own policy.
pub fn attach(f: &ImageFinding, at: &kubeward_engine::ImageUse) -> Finding {
    let p = &f.package;
    let mut path = at.path.key("packages").key(&package_key(p));
    path = match &f.vulnerability {
        Some(v) => path.key("vulnerabilities").key(&v.id),
        None => path.key("license"),
    };
    let line = p.location.line.map(|l| format!(":{l}")).unwrap_or_default();
    Finding {
        control: f.finding.control,
        severity: f.finding.severity,
        object: at.object.clone(),
        file: at.file.clone(),
        pos: at.pos,
        path,
        message: format!(
            "image {} (container {}): {} [at {}{line}]",
            at.image, at.container, f.finding.message, p.location.path
        ),
        suppressed: f.finding.suppressed.clone(),
    }
}
