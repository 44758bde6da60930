use kubeward_model::FieldPath;

use crate::pss::frameworks;
use crate::secrets::{
    cis, config_assignments, core_kind, find_secret, is_credential_name, is_literal, mitre, nsa,
    redact, string_entries,
};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags credentials in a core `v1` ConfigMap, once per key:
    /// * a `data` key named like a credential (`password`, `db.password`, `apiKey`,
    ///   `client-secret`, ...; the rules of KW401) whose single-line value is a literal;
    /// * a `data` value that is a configuration file (YAML, JSON, INI, `.properties`,
    ///   `.env`) with a line that sets a credential-named key to a literal
    ///   (`spring.datasource.password=s3cret`, `"apiKey": "..."`, `admin_password = admin`);
    ///   references (`${DB_PASSWORD}`, `{{ .token }}`), empty values and file paths are not
    ///   literals;
    /// * a `binaryData` key named like a credential with a non-empty value.
    ///
    /// Values that KW402 recognises (private keys, token formats, high-entropy strings) are
    /// left to KW402, which scans ConfigMap data too, so that each leak is reported once:
    /// KW402 reports by value, this control by name.
    ///
    /// ## Why it matters
    /// ConfigMaps are meant for non-confidential data: they are not encrypted at rest with
    /// the Secret encryption provider, RBAC commonly grants read access to them widely (the
    /// `view` role can read every ConfigMap but no Secret), and they are printed in logs and
    /// dashboards. A credential in a ConfigMap is also a credential in the repository.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// data:
    ///   application.properties: |
    ///     spring.datasource.url=jdbc:postgresql://db:5432/app
    ///     spring.datasource.password=s3cret      # flagged
    /// ```
    ///
    /// ## How to fix
    /// Move the credential to a Secret delivered by an external secret store, mount it as a
    /// file, and reference it from the configuration (`${DB_PASSWORD}`, a `*_FILE` setting);
    /// rotate the exposed value.
    pub struct ConfigMapCredentials;
    id: "KW405",
    name: "configmap-credential",
    title: "ConfigMap holds a credential",
    severity: High,
    remediation: "Move the credential to a Secret from an external store, reference it from the configuration, and rotate it.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::EXTERNAL_SECRET_STORAGE],
        &[mitre::CREDENTIALS_IN_FILES],
    ),
}

/// A literal credential value that KW402 does not claim.
fn reportable(value: &str) -> bool {
    is_literal(value) && find_secret(value).is_none()
}

impl Control for ConfigMapCredentials {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(cm) = core_kind(t, "ConfigMap") else {
            return;
        };
        for (key, node, value, path) in string_entries(&cm, "data") {
            let single_line = !value.trim().contains('\n');
            if single_line && is_credential_name(key) {
                if reportable(value) {
                    cx.report(
                        node,
                        path,
                        format!(
                            "ConfigMap key {key:?} holds a credential {}: keep it in a Secret",
                            redact(value.trim())
                        ),
                    );
                }
                continue;
            }
            let found: Vec<_> = config_assignments(value)
                .into_iter()
                .filter(|a| is_credential_name(a.key) && reportable(a.value))
                .collect();
            let Some(first) = found.first() else { continue };
            let more = match found.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            cx.report(
                node,
                path,
                format!(
                    "ConfigMap key {key:?} line {} sets {} to a literal credential {}{more}: keep it in a Secret",
                    first.line,
                    first.key,
                    redact(first.value)
                ),
            );
        }
        let base = FieldPath::from("binaryData");
        if let Some(bin) = cm.root.get("binaryData").filter(|b| b.is_map()) {
            for (key, node) in bin.entries() {
                let Some(v) = node.as_str().filter(|v| !v.trim().is_empty()) else {
                    continue;
                };
                if is_credential_name(key) {
                    cx.report(
                        node,
                        base.key(key),
                        format!(
                            "ConfigMap binaryData key {key:?} holds a credential ({} base64 chars): keep it in a Secret",
                            v.trim().len()
                        ),
                    );
                }
            }
        }
    }
}
