use crate::pss::frameworks;
use crate::secrets::{cis, core_kind, mitre, nsa, string_entries};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags a core `v1` Secret whose `data` or `stringData` holds at least one non-empty
    /// value, once per field, naming the keys (never the values). Every type is flagged,
    /// `kubernetes.io/tls` and `kubernetes.io/dockerconfigjson` included: a private key or a
    /// registry password committed to a repository is as exposed as any other credential. A
    /// Secret with no data, such as a `kubernetes.io/service-account-token` Secret that the
    /// token controller fills in, is not flagged; nor are SealedSecrets, ExternalSecrets and
    /// other custom kinds that hold encrypted data or references.
    ///
    /// ## Why it matters
    /// `data` is base64, not encryption: a Secret in a manifest repository is a credential in
    /// clear text for everyone who can read the repository, its forks, its history and the
    /// CI system. The CIS Benchmark recommends an external secret store (5.4.2): the
    /// repository then holds a reference or ciphertext only.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db}
    /// type: Opaque
    /// data:                      # flagged
    ///   password: czNjcjN0
    /// ```
    ///
    /// ## How to fix
    /// Replace the Secret with an ExternalSecret (External Secrets Operator), a SealedSecret,
    /// a SOPS-encrypted file decrypted at deploy time, or the Secrets Store CSI driver; rotate
    /// the committed values.
    pub struct SecretObjectData;
    id: "KW404",
    name: "secret-object-committed",
    title: "Secret object with data in the manifests",
    severity: Medium,
    remediation: "Replace the committed Secret with an ExternalSecret, SealedSecret or SOPS-encrypted file, and rotate its values.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::EXTERNAL_SECRET_STORAGE],
        &[mitre::CREDENTIALS_IN_FILES],
    ),
}

impl Control for SecretObjectData {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(secret) = core_kind(t, "Secret") else {
            return;
        };
        let kind = secret
            .root
            .get("type")
            .and_then(|n| n.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("Opaque");
        for field in ["data", "stringData"] {
            let entries = string_entries(&secret, field);
            if entries.is_empty() {
                continue;
            }
            let Some(at) = secret.root.get(field) else {
                continue;
            };
            let mut keys: Vec<String> = entries
                .iter()
                .take(5)
                .map(|(k, ..)| format!("{k:?}"))
                .collect();
            if entries.len() > 5 {
                keys.push(format!("and {} more", entries.len() - 5));
            }
            let n = entries.len();
            let (values, key) = if n == 1 {
                ("value", "key")
            } else {
                ("values", "keys")
            };
            cx.report(
                at,
                field.into(),
                format!(
                    "Secret of type {kind:?} commits {n} {values} in {field} ({key} {}): use an external secret store or encrypt it",
                    keys.join(", ")
                ),
            );
        }
    }
}
