use crate::pss::{frameworks, who};
use crate::secrets::{
    cis, env_vars, find_secret, is_credential_name, is_literal, mitre, nsa, redact,
};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each `env` entry of a container (including init and ephemeral containers) whose
    /// name looks like a credential and whose `value` is a literal.
    ///
    /// A name looks like a credential when it holds one of the words `PASSWORD`, `PASSWD`,
    /// `PASSPHRASE`, `PGPASSWORD`, `SECRET`, `TOKEN`, `API_KEY`/`APIKEY`, `ACCESS_KEY`,
    /// `PRIVATE_KEY`, `CREDENTIAL(S)`, or ends in `_PASS`/`_PWD`, as whole words (`TOKENREF` is not
    /// `TOKEN`), unless a later word says the variable is *about* the credential:
    /// `SECRET_NAME`, `SECRET_KEY_REF`, `PASSWORD_FILE`, `TOKEN_URL`, `TOKEN_TTL`,
    /// `CERT_KEY_PATH`, `ACCESS_KEY_ID` and the like. Names starting with a switch word
    /// (`ENABLE_`, `ALLOW_`, `NO_`, `SKIP_`, ...) and etcd's `..._CLUSTER_TOKEN` (an
    /// identifier, not a secret) are not credentials.
    ///
    /// A value is literal when it is not empty, not a reference (`$(OTHER_VAR)`, `${VAR}`,
    /// `{{ template }}`), not a switch value (`true`, `yes`, `0`, ...) and not a file path.
    /// Placeholders such as `changeme` are reported too: deployed as written, they are the
    /// password. `valueFrom` and `envFrom` are not literals (KW403 reports Secret references).
    /// Values that KW402 recognises (token formats, private keys, high-entropy strings) are
    /// left to KW402, so that each leak is reported once.
    ///
    /// ## Why it matters
    /// A credential written into a manifest is readable by everyone with access to the
    /// repository, its history and its forks, by CI logs, and by anyone who may `get` the
    /// workload in the cluster (`kubectl get deploy -o yaml` shows it; RBAC on Secrets does
    /// not protect it). It cannot be rotated without a commit, and it is usually the same in
    /// every environment.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   env:
    ///   - name: DB_PASSWORD
    ///     value: s3cr3t-pa55      # flagged
    ///   - name: DB_PASSWORD_FILE
    ///     value: /run/secrets/db  # not a credential: a path
    /// ```
    ///
    /// ## How to fix
    /// Move the value into a Secret (created by an external secret store, a sealed secret or
    /// your deployment pipeline, not committed), mount it as a file, or reference it with
    /// `valueFrom.secretKeyRef`; rotate the credential, since it is in the repository history.
    pub struct EnvLiteralCredentials;
    id: "KW401",
    name: "env-literal-credential",
    title: "Credential set as a literal environment variable value",
    severity: High,
    remediation: "Keep the credential in a Secret from an external store and mount it as a file (or use valueFrom.secretKeyRef); rotate the exposed value.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::SECRETS_AS_FILES, cis::EXTERNAL_SECRET_STORAGE],
        &[mitre::CREDENTIALS_IN_FILES, mitre::CONTAINER_API],
    ),
}

impl Control for EnvLiteralCredentials {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            for e in env_vars(&c) {
                if !is_credential_name(e.name) {
                    continue;
                }
                let Some(node) = e.node.get("value") else {
                    continue;
                };
                let Some(value) = node.as_str() else { continue };
                if !is_literal(value) || find_secret(value).is_some() {
                    continue;
                }
                cx.report(
                    node,
                    e.path.key("value"),
                    format!(
                        "{} sets credential variable {} to a literal value {}: use a Secret",
                        who(&c),
                        e.name,
                        redact(value)
                    ),
                );
            }
        }
    }
}
