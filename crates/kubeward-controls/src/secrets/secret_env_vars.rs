use kubeward_model::FieldPath;

use crate::pss::{frameworks, who};
use crate::secrets::{cis, env_vars, mitre, nsa};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Secrets injected as environment variables, in every container (including init
    /// and ephemeral containers): each `env[].valueFrom.secretKeyRef` and each
    /// `envFrom[].secretRef`. Secrets mounted as files (a `secret` or `projected` volume) are
    /// not flagged.
    ///
    /// ## Why it matters
    /// Environment variables leak more easily than files: they are inherited by every child
    /// process, printed by crash reports, debug endpoints and `env` in support sessions,
    /// visible in `/proc/<pid>/environ` to processes of the same user, and never updated
    /// when the Secret is rotated. The CIS Benchmark prefers secrets as files (5.4.1). The
    /// severity is low: the value is not in the manifest, this is hardening.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   env:
    ///   - name: DB_PASSWORD
    ///     valueFrom:
    ///       secretKeyRef: {name: db, key: password}   # flagged
    ///   envFrom:
    ///   - secretRef: {name: api-keys}                  # flagged
    /// ```
    ///
    /// ## How to fix
    /// Mount the Secret as a volume (`volumes[].secret`, `readOnly: true`) and have the
    /// application read the file (many images accept `*_FILE` variables, such as
    /// `POSTGRES_PASSWORD_FILE`).
    pub struct SecretInEnvVar;
    id: "KW403",
    name: "secret-in-env-var",
    title: "Secret injected as an environment variable",
    severity: Low,
    remediation: "Mount the Secret as a read-only volume and read the credential from the file.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::SECRETS_AS_FILES],
        &[mitre::CONTAINER_API],
    ),
}

/// `Secret "db" key "password"`, from a reference mapping (missing parts are omitted).
fn secret_name(r: kubeward_yaml::NodeRef<'_>, with_key: bool) -> String {
    let name = r.get("name").and_then(|n| n.as_str()).unwrap_or("");
    let mut s = format!("Secret {name:?}");
    if with_key {
        if let Some(k) = r.get("key").and_then(|k| k.as_str()) {
            s.push_str(&format!(" key {k:?}"));
        }
    }
    s
}

impl Control for SecretInEnvVar {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for e in env_vars(&c) {
                let Some(r) = e
                    .node
                    .get("valueFrom")
                    .and_then(|v| v.get("secretKeyRef"))
                    .filter(|r| r.is_map())
                else {
                    continue;
                };
                cx.report(
                    r,
                    e.path.key("valueFrom").key("secretKeyRef"),
                    format!(
                        "{} reads {} into environment variable {}: mount it as a file instead",
                        who(&c),
                        secret_name(r, true),
                        e.name
                    ),
                );
            }
            let base: FieldPath = c.path.key("envFrom");
            let Some(list) = c.node.get("envFrom") else {
                continue;
            };
            for (i, item) in list.items().enumerate() {
                let Some(r) = item.get("secretRef").filter(|r| r.is_map()) else {
                    continue;
                };
                let prefix = item
                    .get("prefix")
                    .and_then(|p| p.as_str())
                    .filter(|p| !p.is_empty())
                    .map(|p| format!(" (prefix {p:?})"))
                    .unwrap_or_default();
                cx.report(
                    r,
                    base.index(i).key("secretRef"),
                    format!(
                        "{} loads every key of {} into environment variables{prefix}: mount it as a file instead",
                        who(&c),
                        secret_name(r, false)
                    ),
                );
            }
        }
    }
}
