use crate::pss::{frameworks, who};
use crate::secrets::{
    cis, command_line, core_kind, env_vars, find_secrets, mitre, nsa, string_entries,
};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags values that look like secrets whatever their name, in container env values,
    /// `command` and `args` items (of containers, init and ephemeral containers) and in the
    /// `data` values of ConfigMaps. It recognises:
    /// * PEM private keys (`-----BEGIN RSA PRIVATE KEY-----`, `OPENSSH`, `EC`, `ENCRYPTED`,
    ///   PGP, ...);
    /// * URLs with a literal password (`postgres://app:s3cret@db:5432/app`);
    /// * AWS access key IDs (`AKIA`/`ASIA` and 16 upper-case letters or digits; AWS's
    ///   documentation keys ending in `EXAMPLE` are skipped);
    /// * GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens
    ///   (`xoxb-`, `xoxp-`, ...), Google API keys (`AIza...`), JSON Web Tokens (`eyJ...`);
    /// * high-entropy strings: at least 32 characters of the base64 alphabet, with
    ///   upper-case and lower-case letters and digits, whose Shannon entropy is at least
    ///   4.5 bits per character. Hexadecimal strings (image digests, commit SHAs,
    ///   checksums, UUIDs) cannot reach that entropy and are never reported; file paths,
    ///   `data:` URIs, SSH public keys and the bodies of certificates and public keys are
    ///   skipped.
    ///
    /// One finding per field (the first secret found, with the number of others). Secret
    /// objects are left to KW404. A value reported here is not reported again by the
    /// name-based controls KW401, KW405 and KW406.
    ///
    /// ## Why it matters
    /// These are credentials in clear text in the repository and in the cluster's object
    /// store, readable by anyone who can read the manifest or `get` the object, and they
    /// remain in the history after removal. Cloud keys and tokens are harvested from public
    /// repositories by automated scanners within minutes.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: backup
    ///   image: registry.example.com/backup:1.2.3
    ///   args: ["--target", "s3://backups", "--key-id", "AKIA..."]   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Revoke and rotate the credential first: it is exposed. Then deliver it through a
    /// Secret from an external secret store (mounted as a file), or better, through a
    /// workload identity (IRSA, GKE Workload Identity, Azure Workload Identity) that needs
    /// no static key at all.
    pub struct HardcodedSecretValue;
    id: "KW402",
    name: "hardcoded-secret-value",
    title: "Value looks like a secret (key, token, private key or high-entropy string)",
    severity: High,
    remediation: "Revoke and rotate the credential, then deliver it from an external secret store or use workload identity.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::EXTERNAL_SECRET_STORAGE],
        &[mitre::CREDENTIALS_IN_FILES, mitre::CONTAINER_API],
    ),
}

/// `AWS access key ID AKIA*** (20 chars)`, and how many more secrets the value holds.
fn describe(value: &str) -> Option<String> {
    let hits = find_secrets(value);
    let first = hits.first()?;
    Some(match hits.len() - 1 {
        0 => first.describe(),
        more => format!("{} (and {more} more)", first.describe()),
    })
}

impl Control for HardcodedSecretValue {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        if let Some(cm) = core_kind(t, "ConfigMap") {
            for (key, node, value, path) in string_entries(&cm, "data") {
                if let Some(what) = describe(value) {
                    cx.report(
                        node,
                        path,
                        format!(
                            "ConfigMap key {key:?} holds a secret: {what}; keep it in a Secret"
                        ),
                    );
                }
            }
            return;
        }
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for e in env_vars(&c) {
                let Some(node) = e.node.get("value") else {
                    continue;
                };
                let Some(value) = node.as_str() else { continue };
                if let Some(what) = describe(value) {
                    cx.report(
                        node,
                        e.path.key("value"),
                        format!("{} sets variable {} to a secret: {what}", who(&c), e.name),
                    );
                }
            }
            for (node, item, path) in command_line(&c) {
                if let Some(what) = describe(item) {
                    let field = path.as_str().rsplit('.').next().unwrap_or("").to_string();
                    cx.report(
                        node,
                        path,
                        format!("{} passes a secret in {field}: {what}", who(&c)),
                    );
                }
            }
        }
    }
}
