//! Which clusters to scan, and a client for each, by the usual kubeconfig rules: `--kubeconfig`,
//! else `KUBECONFIG` (several files merged), else `~/.kube/config`, else the in-cluster
//! service account; `--context` or the current context; `--all-contexts` for every context.

use std::path::PathBuf;
use std::time::Duration;

use http::HeaderValue;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use secrecy::ExposeSecret;

/// How to choose clusters.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub all_contexts: bool,
    /// Time limit of a TCP and TLS connection.
    pub connect_timeout: Option<Duration>,
    /// Time limit of one read on a connection.
    pub read_timeout: Option<Duration>,
}

/// One cluster to scan.
pub struct Target {
    /// The context name (`in-cluster` for the pod's service account).
    pub context: String,
    /// The API server URL.
    pub server: String,
    pub client: Result<Client, String>,
}

/// The context name used for the in-cluster service account.
pub const IN_CLUSTER: &str = "in-cluster";

/// The clusters the options select. An error means none could be chosen (no kubeconfig and not
/// in a cluster, a context that does not exist); a cluster whose client cannot be built (a
/// bad certificate in the kubeconfig) is a [`Target`] with an error, so others still run.
pub async fn targets(opts: &ConnectOptions) -> Result<Vec<Target>, String> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Some(
            Kubeconfig::read_from(path).map_err(|e| format!("cannot read the kubeconfig: {e}"))?,
        ),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            Err(_) if opts.context.is_none() && !opts.all_contexts => None,
            Err(e) => {
                return Err(format!(
                    "cannot read a kubeconfig (KUBECONFIG or ~/.kube/config): {e}"
                ))
            }
        },
    };
    let Some(kubeconfig) = kubeconfig else {
        let config = Config::incluster().map_err(|e| {
            format!(
                "no kubeconfig (--kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster: {e}"
            )
        })?;
        return Ok(vec![target(IN_CLUSTER.to_string(), config, opts)]);
    };
    targets_in(kubeconfig, opts).await
}

/// [`targets`] for a kubeconfig already read (`opts.kubeconfig` is not looked at): the
/// contexts `opts` selects, each with its client or the error that kept it from being built.
pub async fn targets_in(
    kubeconfig: Kubeconfig,
    opts: &ConnectOptions,
) -> Result<Vec<Target>, String> {
    let names: Vec<String> = if opts.all_contexts {
        kubeconfig.contexts.iter().map(|c| c.name.clone()).collect()
    } else {
        match opts.context.clone().or(kubeconfig.current_context.clone()) {
            Some(c) => vec![c],
            None => {
                return Err(
                    "the kubeconfig has no current-context: name one with --context".to_string(),
                )
            }
        }
    };
    if names.is_empty() {
        return Err("the kubeconfig has no contexts".to_string());
    }
    let known: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if let Some(missing) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(format!(
            "no context {missing:?} in the kubeconfig (it has: {})",
            known.join(", ")
        ));
    }
    let mut out = Vec::new();
    for name in names {
        let options = KubeConfigOptions {
            context: Some(name.clone()),
            ..KubeConfigOptions::default()
        };
        match Config::from_custom_kubeconfig(kubeconfig.clone(), &options).await {
            Ok(config) => out.push(target(name, config, opts)),
            Err(e) => out.push(Target {
                context: name,
                server: String::new(),
                client: Err(format!("cannot use this context: {e}")),
            }),
        }
    }
    Ok(out)
}

fn target(context: String, mut config: Config, opts: &ConnectOptions) -> Target {
    // kube's own retry waits up to 1000 s between tries; the loader retries with its own
    // bounds and honours Retry-After itself.
    config.default_retry = false;
    config.connect_timeout = opts.connect_timeout.or(config.connect_timeout);
    config.read_timeout = opts.read_timeout.or(config.read_timeout);
    let server = config.cluster_url.to_string();
    let client = match unusable_bearer(&config.auth_info) {
        Some(why) => Err(format!("cannot build a client: {why}")),
        None => Client::try_from(config).map_err(|e| format!("cannot build a client: {e}")),
    };
    Target {
        context,
        server,
        client,
    }
}

/// The bearer token kube would send, when it cannot be an HTTP header value (a line break
/// or a control character in it): kube builds its authorization layer with tower-http's
/// `AddAuthorization::bearer`, which panics on such a value, so `Client::try_from` would
/// take the whole run down. The tokens a kubeconfig holds are checked in kube's order of
/// precedence (an auth provider's token, else basic auth, else the inline token); the
/// message names the field, never the value.
fn unusable_bearer(auth: &AuthInfo) -> Option<String> {
    let bad = |token: &str| HeaderValue::from_str(&format!("Bearer {token}")).is_err();
    if let Some(provider) = &auth.auth_provider {
        return ["id-token", "access-token"]
            .into_iter()
            .find(|key| provider.config.get(*key).is_some_and(|t| bad(t)))
            .map(|key| {
                format!(
                    "the {key} of the {:?} auth provider is not a valid HTTP header value (a line break or a control character in it?)",
                    provider.name
                )
            });
    }
    if auth.username.is_some() && auth.password.is_some() {
        return None;
    }
    auth.token
        .as_ref()
        .filter(|t| bad(t.expose_secret()))
        .map(|_| {
            "the user's token is not a valid HTTP header value (a line break or a control character in it?)"
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
current-context: dev
clusters:
- {name: dev, cluster: {server: \"https://127.0.0.1:6443\"}}
users:
- {name: dev, user: {token: TOKEN}}
contexts:
- {name: dev, context: {cluster: dev, user: dev}}
";

    async fn client_of(token: &str) -> Result<Client, String> {
        let text = KUBECONFIG.replace("TOKEN", token);
        let kubeconfig = Kubeconfig::from_yaml(&text).expect("a kubeconfig");
        let mut targets = targets_in(kubeconfig, &ConnectOptions::default())
            .await
            .expect("the current context");
        assert_eq!(targets.len(), 1);
        targets.remove(0).client
    }

    /// Found by the kubeconfig fuzz target: a token with a control character made kube's
    /// client builder panic (exit 101 for `kubeward cluster` and `kubeward rbac`).
    #[tokio::test]
    async fn a_token_that_is_not_a_header_value_is_an_error_of_its_context() {
        for token in [
            "\"kwS3cr3t-\\x07-tok\"",
            "\"kwS3cr3t-\\nline\"",
            "\"kwS3cr3t-\\x7f\"",
        ] {
            let err = client_of(token).await.err().expect("refused");
            assert!(
                err.contains("token is not a valid HTTP header value"),
                "{err}"
            );
            assert!(!err.contains("kwS3cr3t"), "the token is not quoted: {err}");
        }
        assert!(client_of("kwS3cr3t-fine.token_42").await.is_ok());
    }

    /// Basic auth takes precedence over the token in kube: an unused token is no error.
    #[tokio::test]
    async fn an_unused_token_is_not_checked() {
        let text = KUBECONFIG.replace(
            "token: TOKEN",
            "token: \"bad\\x07\", username: admin, password: pw",
        );
        let kubeconfig = Kubeconfig::from_yaml(&text).expect("a kubeconfig");
        let targets = targets_in(kubeconfig, &ConnectOptions::default())
            .await
            .expect("the current context");
        assert!(targets[0].client.is_ok());
    }
}
