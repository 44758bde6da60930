use crate::pss::{frameworks, who};
use crate::workload::{image_of, mitre, nsa, ImageRef};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// When the configuration lists allowed registries (`allowed_registries`), flags every
    /// container (including init and ephemeral containers) whose image comes from elsewhere.
    /// With an empty list (the default) the control reports nothing.
    ///
    /// An entry is a registry host (`registry.example.com`, `registry.example.com:5000`) or a
    /// host and path prefix (`ghcr.io/acme`). It matches an image whose `registry/path` equals
    /// it or continues it after a `/`: `ghcr.io/acme` allows `ghcr.io/acme/app` but not
    /// `ghcr.io/acme-evil/app`, and `registry.example.com` does not allow
    /// `registry.example.com:5000/app` (another port is another registry). Images written
    /// without a registry come from Docker Hub and are matched as `docker.io/library/<name>`
    /// or `docker.io/<namespace>/<name>`; `index.docker.io` is the same as `docker.io`. Hosts
    /// are compared case-insensitively.
    ///
    /// ## Why it matters
    /// Public registries serve typo-squatted and backdoored images, and an image from an
    /// unvetted source has not been scanned or signed by your pipeline. Restricting the
    /// sources to registries you control (or mirror) is the basis of image provenance.
    ///
    /// ## Example
    /// ```yaml
    /// # allowed_registries: ["registry.example.com", "ghcr.io/acme"]
    /// containers:
    /// - name: app
    ///   image: ghcr.io/acme/app:1.2.3        # allowed
    /// - name: cache
    ///   image: redis:7                       # flagged: docker.io/library/redis
    /// ```
    ///
    /// ## How to fix
    /// Mirror the image into an allowed registry and reference it there, or add the registry
    /// to `allowed_registries` after vetting it. Enforce the same list at admission.
    pub struct ImageRegistryNotAllowed;
    id: "KW308",
    name: "image-registry-not-allowed",
    title: "Image comes from a registry that is not allowed",
    severity: High,
    remediation: "Pull images only from the registries listed in allowed_registries (mirror others there).",
    frameworks: frameworks(
        None,
        &[nsa::IMAGES],
        &["5.5.1"],
        &[mitre::MALICIOUS_IMAGE],
    ),
}

/// An allowed-registry entry as it is matched: lower case, without a scheme or trailing `/`,
/// with Docker Hub's aliases folded into `docker.io`.
fn normalize_entry(entry: &str) -> String {
    let e = entry.trim().to_ascii_lowercase();
    let e = e
        .strip_prefix("https://")
        .or_else(|| e.strip_prefix("http://"))
        .unwrap_or(&e);
    let e = e.trim_end_matches('/');
    for alias in ["index.docker.io", "registry-1.docker.io"] {
        if let Some(rest) = e.strip_prefix(alias) {
            if rest.is_empty() || rest.starts_with('/') {
                return format!("docker.io{rest}");
            }
        }
    }
    e.to_string()
}

/// Whether `full` (`registry/path`) is `entry` or continues it after a `/`.
pub(crate) fn registry_allows(entry: &str, full: &str) -> bool {
    let entry = normalize_entry(entry);
    if entry.is_empty() {
        return false;
    }
    let full = full.to_ascii_lowercase();
    full == entry
        || full
            .strip_prefix(entry.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Control for ImageRegistryNotAllowed {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let allowed = &cx.settings.allowed_registries;
        if allowed.iter().all(|e| e.trim().is_empty()) {
            return;
        }
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            let Some((node, image)) = image_of(&c) else {
                continue;
            };
            let Some(r) = ImageRef::parse(image) else {
                continue;
            };
            let full = r.full_name();
            if allowed.iter().any(|e| registry_allows(e, &full)) {
                continue;
            }
            cx.report(
                node,
                c.path.key("image"),
                format!(
                    "{} uses image \"{image}\" from {full}, which is not under an allowed registry",
                    who(&c)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_on_path_boundaries() {
        assert!(registry_allows("ghcr.io/acme", "ghcr.io/acme/app"));
        assert!(registry_allows("ghcr.io/acme/", "ghcr.io/acme/app"));
        assert!(!registry_allows("ghcr.io/acme", "ghcr.io/acme-evil/app"));
        assert!(registry_allows(
            "Registry.Example.com",
            "registry.example.com/app"
        ));
        assert!(!registry_allows(
            "registry.example.com",
            "registry.example.com:5000/app"
        ));
        assert!(!registry_allows(
            "registry.example.com",
            "registry.example.com.evil.io/app"
        ));
        assert!(registry_allows(
            "index.docker.io",
            "docker.io/library/nginx"
        ));
        assert!(registry_allows(
            "docker.io/library",
            "docker.io/library/nginx"
        ));
        assert!(!registry_allows(
            "docker.io/library",
            "docker.io/bitnami/redis"
        ));
        assert!(registry_allows("https://quay.io", "quay.io/x/y"));
        assert!(!registry_allows("  ", "quay.io/x/y"));
    }

    #[test]
    fn reports_nothing_without_a_list() {
        use kubeward_model::{objects_in, Item};
        use kubeward_yaml::{parse_str, Limits};
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: evil.io/x:1}\n";
        let parsed = parse_str(text, &Limits::default());
        let doc = &parsed.documents[0];
        let Some(Item::Object(object)) = objects_in(doc).into_iter().next() else {
            panic!("no object")
        };
        let target = Target {
            pod: object.pod(),
            object,
        };
        let mut settings = crate::Settings::default();
        let mut cx = Context::new(&settings);
        ImageRegistryNotAllowed.check(&target, &mut cx);
        assert!(cx.violations.is_empty());
        settings.allowed_registries = vec!["registry.example.com".into()];
        let mut cx = Context::new(&settings);
        ImageRegistryNotAllowed.check(&target, &mut cx);
        assert_eq!(cx.violations.len(), 1);
    }
}
