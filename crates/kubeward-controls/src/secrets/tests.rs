//! Tests of the shared detectors, and the family-wide guarantee that no message holds a
//! secret value.

use std::path::Path;

use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_str, Limits};
use proptest::prelude::*;

use super::*;
use crate::{Context, Settings, Target};

#[test]
fn redaction() {
    assert_eq!(redact("hunter2"), "*** (7 chars)");
    assert_eq!(redact(""), "*** (0 chars)");
    assert_eq!(redact("AKIAXKWFIXTURE000001"), "AKIA*** (20 chars)");
    // Characters, not bytes.
    assert_eq!(redact("pässwörtpässwörtxx"), "päss*** (18 chars)");
    assert_eq!(redact("ünïcödé"), "*** (7 chars)");
}

#[test]
fn words_of_names() {
    assert_eq!(name_words("DB_PASSWORD"), ["DB", "PASSWORD"]);
    assert_eq!(name_words("dbPassword"), ["DB", "PASSWORD"]);
    assert_eq!(name_words("APIKey"), ["API", "KEY"]);
    assert_eq!(name_words("client-secret"), ["CLIENT", "SECRET"]);
    assert_eq!(
        name_words("spring.datasource.password"),
        ["SPRING", "DATASOURCE", "PASSWORD"]
    );
    assert_eq!(name_words("oauth2Token"), ["OAUTH2", "TOKEN"]);
    assert!(name_words("__--..").is_empty());
}

#[test]
fn credential_names() {
    for yes in [
        "PASSWORD",
        "DB_PASSWORD",
        "MYSQL_ROOT_PASSWORD",
        "REDIS_PASSWORD",
        "WSREP_SST_PASSWORD",
        "MINIO_SECRET_KEY",
        "MINIO_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "ACCESS_KEY_SECRET",
        "HUGGING_FACE_HUB_TOKEN",
        "GITHUB_TOKEN",
        "API_KEY",
        "STRIPE_APIKEY",
        "apiKey",
        "clientSecret",
        "client_secret",
        "db.password",
        "SSH_PRIVATE_KEY",
        "GOOGLE_CREDENTIALS",
        "DB_PASS",
        "MYSQL_PWD",
        "PGPASSWORD",
        "VAULT_SECRET_ID",
        "SMTP_PASSWD",
        "GPG_PASSPHRASE",
        "admin_password",
        "Dspring.datasource.password",
    ] {
        assert!(is_credential_name(yes), "{yes}");
    }
    for no in [
        "",
        "PWD",
        "PASS_THROUGH",
        "SECRET_NAME",
        "secretName",
        "SECRET_KEY_REF",
        "TOKEN_URL",
        "tokenUrl",
        "PASSWORD_FILE",
        "DB_PASSWORD_FILE",
        "ARGOCD_SERVER_REPO_SERVER_CLIENT_CERT_KEY_PATH",
        "ARGOCD_APPLICATIONSET_CONTROLLER_TOKENREF_STRICT_MODE",
        "ARGOCD_REDIS_KEY_PREFIX",
        "AWS_ACCESS_KEY_ID",
        "ETCD_INITIAL_CLUSTER_TOKEN",
        "TOKEN_TTL",
        "ALLOW_EMPTY_PASSWORD",
        "ENABLE_TOKEN",
        "tls-private-key-file",
        "service-account-private-key-file",
        "token-auth",
        "SECRETS_DIR",
        "KEY",
        "BYPASS",
        "DBPASSWORD",
        "API_KEY_HEADER",
        "PASSWORD_MIN_LENGTH",
    ] {
        assert!(!is_credential_name(no), "{no}");
    }
}

#[test]
fn literals() {
    for yes in [
        "hunter2",
        "changeme",
        "<password>",
        "s3cr3t value",
        "p@ss/word",
        "/x",
    ] {
        assert!(is_literal(yes), "{yes}");
    }
    for no in [
        "",
        "   ",
        "$(DB_PASSWORD)",
        "$DB_PASSWORD",
        "${DB_PASSWORD}",
        "pre-$(X)",
        "{{ .Values.password }}",
        "true",
        "YES",
        "0",
        "/run/secrets/db/password",
        "./secrets/key",
        "@/etc/token",
        "env:DB_PASSWORD",
        "file:/etc/pw",
        "********",
        "xxxx",
    ] {
        assert!(!is_literal(no), "{no}");
    }
}

#[test]
fn secret_formats() {
    let kind = |v: &str| find_secret(v).map(|h| (h.kind, h.secret.to_string()));
    assert_eq!(
        kind("id=AKIAXKWFIXTURE000001,"),
        Some(("AWS access key ID", "AKIAXKWFIXTURE000001".into()))
    );
    assert_eq!(kind("AKIAIOSFODNN7EXAMPLE"), None, "AWS documentation key");
    // The shortest token the prefilter must let through: 15 token characters.
    assert_eq!(
        kind("t=xoxb-12345a789b "),
        Some(("Slack token", "xoxb-12345a789b".into()))
    );
    assert_eq!(kind("XAKIAXKWFIXTURE000001"), None, "not at a word start");
    assert_eq!(kind("AKIAXKWFIXTURE0000012"), None, "too long");
    assert_eq!(
        kind(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\nrest"
        )
        .map(|k| k.0),
        Some("PEM private key")
    );
    assert_eq!(
        kind("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
        None
    );
    assert_eq!(
        kind("postgres://app:Sup3rS3cret@db:5432/app"),
        Some(("URL with an embedded password", "Sup3rS3cret".into()))
    );
    assert_eq!(kind("postgres://app:$(DB_PASSWORD)@db:5432/app"), None);
    assert_eq!(kind("https://user@example.com/x"), None);
    assert_eq!(kind("https://example.com/a:b@c"), None, "@ after the path");
    assert_eq!(
        kind("token ghp_0123456789abcdefABCDEF0123456789abcd").map(|k| k.0),
        Some("GitHub token")
    );
    assert_eq!(
        kind("xoxb-1234567890-abcdefghij").map(|k| k.0),
        Some("Slack token")
    );
    assert_eq!(kind("xoxb-notatoken"), None);
    assert_eq!(
        kind("AIzaSyA1234567890abcdefghijklmnopqrstuv").map(|k| k.0),
        Some("Google API key")
    );
    assert_eq!(
        kind("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrdWJld2FyZCJ9.c2lnbmF0dXJl").map(|k| k.0),
        Some("JSON Web Token")
    );
    assert_eq!(
        kind("q7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5Mn").map(|k| k.0),
        Some("high-entropy string")
    );
    // `=` separates a flag from its value: the secret is the value alone.
    assert_eq!(
        kind("--signing-key=q7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5Mn==").map(|k| k.1),
        Some("q7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5Mn".to_string())
    );
}

#[test]
fn high_entropy_exclusions() {
    for no in [
        // Digests, commit SHAs, UUIDs: hex.
        "registry.example.com/app@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        "--revision=37ee0097cf851bc2dd7665fc081bbce61a7e836e",
        "8d3f9a6e-2b1c-4e7f-9a0d-5c6b7e8f9a0b",
        // Names and constants.
        "kubeward-fixture-deployment-name-1234567890",
        "ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_NEW_GIT_FILE_GLOBBING_2",
        // Paths and URLs.
        "/usr/local/lib/python3.11/site-packages/Kubeward9/Handlers",
        "https://github.com/argoproj/argo-cd/releases/download/v2.9.3/argocd-Linux-amd64",
        // Public material.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5Mn me@host",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUQ7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5MnMA0G\n-----END CERTIFICATE-----",
        "short Q7Vh2XrT9pLm",
    ] {
        assert_eq!(find_secret(no), None, "{no}");
    }
    assert!(shannon_entropy("aaaa") < 0.01);
    assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    assert_eq!(shannon_entropy(""), 0.0);
}

#[test]
fn counting_secrets() {
    let v = "AKIAXKWFIXTURE000001 and AKIAXKWFIXTURE000002 and ghp_0123456789abcdefABCDEF0123456789abcd";
    assert_eq!(find_secrets(v).len(), 3);
    assert!(find_secrets("nothing here").is_empty());
}

#[test]
fn configuration_lines() {
    let text = "# comment\nspring.datasource.password=s3cret\n  \"apiKey\": \"abc\",\nadmin_password = admin ; x\ntoken: |\n  body\npassword: ${DB}\n- user: bob\nnested:\n  key: 'quoted value' # c\n";
    let got: Vec<(usize, &str, &str)> = config_assignments(text)
        .into_iter()
        .map(|a| (a.line, a.key, a.value))
        .collect();
    assert_eq!(
        got,
        [
            (2, "spring.datasource.password", "s3cret"),
            (3, "apiKey", "abc"),
            (4, "admin_password", "admin ; x"),
            (7, "password", "${DB}"),
            (8, "user", "bob"),
            (10, "key", "quoted value"),
        ]
    );
}

#[test]
fn shell_splitting() {
    assert_eq!(
        shell_words("PGPASSWORD='a b' psql -c \"select 1\"; echo \\$x && done"),
        [
            "PGPASSWORD=a b",
            "psql",
            "-c",
            "select 1",
            "echo",
            "$x",
            "done"
        ]
    );
    assert_eq!(
        shell_words("unterminated 'quote"),
        ["unterminated", "quote"]
    );
    assert!(shell_words("  ;; ").is_empty());
}

proptest! {
    /// The stem prefilter never hides a credential name the full rule would find.
    #[test]
    fn credential_stem_prefilter_is_exact(
        name in "(_|-|\\.|[a-z]{1,4}|[A-Z]{1,4}|pass|Pwd|SECRET|token|Api|KEY|access|Private|CREDENTIALS|PG|ID|FILE|NAME){0,6}"
    ) {
        prop_assert_eq!(is_credential_name(&name), names_credential(&name));
    }

    /// The byte-scan prefilter never hides a secret the detectors would find: near every
    /// detector's pattern, with runs of token characters of every length around the 15
    /// the prefilter needs.
    #[test]
    fn secret_prefilter_is_conservative(
        prefix in "[ -~]{0,6}",
        pat in prop::sample::select(vec![
            "AKIA", "ASIA", "ghp_", "gho_", "github_pat_", "xoxb-", "xoxp-", "AIza", "eyJ",
            "://", "://u:p@", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "",
        ]),
        body in "[A-Za-z0-9_+/-]{0,45}",
        suffix in "[ -~]{0,6}",
    ) {
        let s = format!("{prefix}{pat}{body}{suffix}");
        if detect(&s).is_some() {
            prop_assert!(may_hold_secret(&s), "{s:?}");
        }
        prop_assert_eq!(find_secret(&s), detect(&s));
    }

    #[test]
    fn detectors_never_panic(s in "\\PC*") {
        let _ = find_secret(&s);
        let _ = find_secrets(&s);
        let _ = is_credential_name(&s);
        let _ = is_literal(&s);
        let _ = config_assignments(&s);
        let _ = shell_words(&s);
        let _ = name_words(&s);
        let _ = shannon_entropy(&s);
        let _ = redact(&s);
    }

    #[test]
    fn detectors_never_panic_near_patterns(
        prefix in "[ -~]{0,8}",
        pat in prop::sample::select(vec![
            "AKIA", "ASIA", "ghp_", "github_pat_", "xoxb-", "AIza", "eyJ", "eyJa.eyJb.",
            "://", "://u:p@", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "-----END ",
            "base64,", "sha256:", "é", "€",
        ]),
        suffix in "\\PC{0,48}",
    ) {
        let s = format!("{prefix}{pat}{suffix}");
        for h in find_secrets(&s) {
            prop_assert!(!h.secret.is_empty());
        }
        let _ = config_assignments(&s);
        let _ = shell_words(&s);
    }

    #[test]
    fn redaction_hides_the_value(v in "[A-Za-z0-9]{6,64}") {
        prop_assert!(!redact(&v).contains(&v));
    }
}

/// Literal secrets written into the fail fixtures of this family (each must occur in one):
/// no message may contain any of them.
const FIXTURE_SECRETS: &[&str] = &[
    "Tr0ub4dor-kw401",
    "hunter2-init",
    "dbg-tok-8842",
    "changeme",
    "not-so-secret-key-kw401",
    "AKIAXKWFIXTURE000001",
    "ghp_kwFixture0123456789abcdefABCDEFghij",
    "Sup3rS3cret-kw402",
    "xoxb-2222222222-kwfixture01",
    "AIzaSyKwFixture0123456789abcdefghijklmn",
    "q7Vh2XrT9pLmK4sWz8NbY3cJ6dFgA1eRuQoIx5Mn",
    "hunter2-cm",
    "s3cret-props-kw405",
    "grafana-admin-kw405",
    "cs-kw405-json",
    "pw-kw406-inline",
    "cs-kw406-separate",
    "pg-kw406-script",
    "root-kw406-mysql",
    "curl-kw406-pass",
    "helm-kw406-set",
    "java-kw406-prop",
];

/// Every scalar under `value`, `data`, `stringData`, `args` and `command` in a document,
/// except flag names (`--client-secret`), which messages do name.
fn value_scalars<'a>(node: kubeward_yaml::NodeRef<'a>, under: bool, out: &mut Vec<&'a str>) {
    if let Some(s) = node.as_str() {
        if under && !s.starts_with('-') {
            out.push(s);
        }
        return;
    }
    for (k, v) in node.entries() {
        let holds = matches!(k, "value" | "data" | "stringData" | "args" | "command");
        value_scalars(v, under || holds, out);
    }
    for item in node.items() {
        value_scalars(item, under, out);
    }
}

#[test]
fn messages_never_contain_secret_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let settings = Settings::default();
    let mut all_text = String::new();
    let mut checked = 0;
    for control in CONTROLS {
        let id = control.meta().id;
        let Ok(entries) = std::fs::read_dir(dir.join(id)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("fail") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            all_text.push_str(&text);
            let parsed = parse_str(&text, &Limits::default());
            for doc in &parsed.documents {
                let mut literals: Vec<&str> = Vec::new();
                value_scalars(doc.root(), false, &mut literals);
                literals.retain(|l| l.trim().len() >= 6);
                for item in objects_in(doc) {
                    let Item::Object(object) = item else { continue };
                    let target = Target {
                        pod: object.pod(),
                        object,
                    };
                    // Every control of the family, not only the fixture's own.
                    for c in CONTROLS {
                        let mut cx = Context::new(&settings);
                        c.check(&target, &mut cx);
                        for v in cx.violations {
                            checked += 1;
                            for secret in FIXTURE_SECRETS.iter().chain(literals.iter()) {
                                assert!(
                                    !v.message.contains(secret),
                                    "{id}/{name}: {} message {:?} contains {secret:?}",
                                    c.meta().id,
                                    v.message
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} messages checked");
    for secret in FIXTURE_SECRETS {
        assert!(
            all_text.contains(secret),
            "{secret:?} occurs in no fail fixture"
        );
    }
}
