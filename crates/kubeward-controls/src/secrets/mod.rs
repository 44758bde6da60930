//! Secrets and credentials (KW4xx): literal credentials in env, secrets in env vars, Secret
//! objects and ConfigMaps with credentials. Values are never printed, only a redacted form
//! ([`redact`]).
//!
//! The detectors shared by the family live here: credential-like names
//! ([`is_credential_name`]), literal values as opposed to references ([`is_literal`]),
//! recognisable secret values ([`find_secret`]: token formats, PEM private keys, URLs with a
//! password, high-entropy strings), `key: value` / `KEY=value` lines in configuration files
//! ([`config_assignments`]) and shell-like word splitting ([`shell_words`]).
//!
//! How the controls divide the work, so that one leaked value is reported once:
//! * KW402 (`hardcoded-secret-value`) owns every value that [`find_secret`] recognises, in
//!   env values, command/args items and ConfigMap `data`, whatever its name.
//! * The name-based controls — KW401 (env), KW405 (ConfigMap keys and configuration lines),
//!   KW406 (command/args) — report a credential-named literal only when [`find_secret`] does
//!   not recognise the value (KW402 then reports it).
//! * KW403 reports Secret references in env (no value in the manifest); KW404 reports Secret
//!   objects carrying data, whose values none of the others look at.

use kubeward_model::{Container, FieldPath, Object};
use kubeward_yaml::NodeRef;

use crate::{Control, Target};

pub mod config_map_credentials;
pub mod credential_args;
pub mod env_literal_credentials;
pub mod secret_env_vars;
pub mod secret_object_data;
pub mod secret_values;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &env_literal_credentials::EnvLiteralCredentials,
    &secret_values::HardcodedSecretValue,
    &secret_env_vars::SecretInEnvVar,
    &secret_object_data::SecretObjectData,
    &config_map_credentials::ConfigMapCredentials,
    &credential_args::CredentialInArgs,
];

/// NSA/CISA Kubernetes Hardening Guidance v1.2 sections for this family.
pub mod nsa {
    /// The guidance's "Secrets" section (under network separation and hardening): keep
    /// secrets in Secret objects, encrypted at rest, or in an external secret store.
    pub const SECRETS: &str = "Network separation and hardening: secrets";
    pub use crate::pss::nsa::HARDENING;
}

/// CIS Kubernetes Benchmark recommendations for this family.
pub mod cis {
    /// Prefer using secrets as files over secrets as environment variables.
    pub const SECRETS_AS_FILES: &str = "5.4.1";
    /// Consider external secret storage.
    pub const EXTERNAL_SECRET_STORAGE: &str = "5.4.2";
}

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    /// Unsecured credentials: credentials in files.
    pub const CREDENTIALS_IN_FILES: &str = "T1552.001";
    /// Unsecured credentials: container API.
    pub const CONTAINER_API: &str = "T1552.007";
}

// ---------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------

/// Values shorter than this are shown by their length only.
const REDACT_PREFIX_MIN: usize = 16;

/// The one way a secret value appears in a message: its first 4 characters, `***` and its
/// length for values of 16 characters or more (`AKIA*** (20 chars)`), only `***` and the
/// length for shorter ones (`*** (8 chars)`), so that no message ever holds a value.
pub fn redact(value: &str) -> String {
    let n = value.chars().count();
    if n >= REDACT_PREFIX_MIN {
        let prefix: String = value.chars().take(4).collect();
        format!("{prefix}*** ({n} chars)")
    } else {
        format!("*** ({n} chars)")
    }
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

/// The words of a name, upper-cased: split at anything not alphanumeric (`_ - . /`) and at
/// camel-case boundaries (`dbPassword` → `DB PASSWORD`, `APIKey` → `API KEY`).
pub fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || ((prev.is_uppercase() || prev.is_numeric()) && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_uppercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Words that, after the credential word, say the name is about the credential rather than
/// the credential itself: `SECRET_NAME`, `TOKEN_URL`, `PASSWORD_FILE`, `TOKEN_TTL`.
const QUALIFIERS: &[&str] = &[
    "ALG",
    "ALGORITHM",
    "ANNOTATION",
    "AUDIENCE",
    "AUTH",
    "CACHE",
    "CLAIM",
    "CLAIMS",
    "COUNT",
    "DIR",
    "DIRECTORY",
    "DURATION",
    "ENABLE",
    "ENABLED",
    "ENDPOINT",
    "ENV",
    "EXPIRATION",
    "EXPIRES",
    "EXPIRY",
    "FIELD",
    "FILE",
    "FILENAME",
    "FILES",
    "FORMAT",
    "HEADER",
    "HOST",
    "INTERVAL",
    "ISSUER",
    "KIND",
    "LABEL",
    "LEN",
    "LENGTH",
    "LIFETIME",
    "LIMIT",
    "LOCATION",
    "MAX",
    "METHOD",
    "MIN",
    "MODE",
    "MOUNT",
    "NAME",
    "NAMES",
    "NAMESPACE",
    "PATH",
    "PERIOD",
    "POLICY",
    "PORT",
    "PREFIX",
    "PROVIDER",
    "REF",
    "REFS",
    "REQUIRED",
    "RETRIES",
    "ROTATION",
    "SCOPE",
    "SCOPES",
    "SELECTOR",
    "SIZE",
    "SOURCE",
    "STORE",
    "STRATEGY",
    "SUBJECT",
    "SUFFIX",
    "TIMEOUT",
    "TTL",
    "TYPE",
    "URI",
    "URL",
    "VAR",
    "VARIABLE",
    "VERSION",
    "VOLUME",
];

/// First words that make a name a switch, not a credential: `ENABLE_TOKEN`, `NO_PASSWORD`.
const TOGGLES: &[&str] = &[
    "ALLOW", "DISABLE", "DISABLED", "ENABLE", "ENABLED", "GENERATE", "IGNORE", "NO", "REQUIRE",
    "SKIP", "USE",
];

/// The credential words a name may contain, as sequences of words. `PASS` and `PWD` count
/// only as the last word of a longer name (`DB_PASS`, `MYSQL_PWD`; `PWD` alone is the
/// working directory).
const CREDENTIAL_WORDS: &[&[&str]] = &[
    &["PASSWORD"],
    &["PASSWORDS"],
    &["PGPASSWORD"],
    &["PASSWD"],
    &["PASSPHRASE"],
    &["SECRET"],
    &["SECRETS"],
    &["SECRETKEY"],
    &["TOKEN"],
    &["API", "KEY"],
    &["APIKEY"],
    &["ACCESS", "KEY"],
    &["ACCESSKEY"],
    &["PRIVATE", "KEY"],
    &["PRIVATEKEY"],
    &["CREDENTIAL"],
    &["CREDENTIALS"],
];

/// Whether a name (an env var, a ConfigMap key, a command-line flag, a configuration key)
/// names a credential: it holds one of the credential words (`PASSWORD`, `PASSWD`,
/// `PASSPHRASE`, PostgreSQL's `PGPASSWORD`, `SECRET`, `TOKEN`, `API_KEY`/`APIKEY`,
/// `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIAL(S)`, and `PASS`/`PWD` as the last word) as
/// whole words, and no word after the last of them says it is about the credential
/// (`_NAME`, `_REF`, `_FILE`, `_PATH`, `_URL`, `_TTL`, ...; `_ID` after a key or token:
/// `ACCESS_KEY_ID`). Names starting with a switch word (`ENABLE_`, `NO_`, `SKIP_`,
/// `ALLOW_`, ...) and etcd's `CLUSTER_TOKEN` (an identifier, not a secret) are not
/// credentials.
pub fn is_credential_name(name: &str) -> bool {
    // Most names hold no credential word at all: rule them out before splitting into words.
    (!name.is_ascii() || has_credential_stem(name)) && names_credential(name)
}

/// Whether an ASCII name contains, in any case, a stem that every credential word (and
/// PASS/PWD) contains: a cheap necessary condition for [`names_credential`].
fn has_credential_stem(name: &str) -> bool {
    const STEMS: &[&[u8]] = &[
        b"PASS",
        b"PWD",
        b"SECRET",
        b"TOKEN",
        b"API",
        b"ACCESS",
        b"PRIVATE",
        b"CREDENTIAL",
    ];
    let b = name.as_bytes();
    (0..b.len()).any(|i| {
        STEMS
            .iter()
            .any(|s| b.len() - i >= s.len() && b[i..i + s.len()].eq_ignore_ascii_case(s))
    })
}

/// [`is_credential_name`] without the prefilter.
fn names_credential(name: &str) -> bool {
    let words = name_words(name);
    let Some(first) = words.first() else {
        return false;
    };
    if TOGGLES.contains(&first.as_str()) {
        return false;
    }
    // The last credential word: (start, end) word indexes.
    let mut last: Option<(usize, usize)> = None;
    for i in 0..words.len() {
        for cw in CREDENTIAL_WORDS {
            let end = i + cw.len();
            if end <= words.len() && words[i..end].iter().zip(cw.iter()).all(|(a, b)| a == b) {
                last = Some((i, end));
            }
        }
        let tail = i + 1 == words.len() && i > 0;
        if tail && matches!(words[i].as_str(), "PASS" | "PWD") {
            last = Some((i, i + 1));
        }
    }
    let Some((start, end)) = last else {
        return false;
    };
    let cred = &words[start..end];
    if cred == ["TOKEN"] && start > 0 && words[start - 1] == "CLUSTER" {
        return false;
    }
    let key_like = cred
        .last()
        .is_some_and(|w| w.ends_with("KEY") || w == "TOKEN");
    !words[end..]
        .iter()
        .any(|w| QUALIFIERS.contains(&w.as_str()) || (key_like && w == "ID"))
}

// ---------------------------------------------------------------------------------------
// Literal values
// ---------------------------------------------------------------------------------------

/// Whether a value refers to something else instead of holding a credential: an env
/// reference (`$(VAR)`, `$VAR`, `${VAR}`), a template (`{{ .Values.x }}`), a command
/// substitution, or a `env:`/`file:`/`@file` indirection.
pub fn is_reference(v: &str) -> bool {
    let t = v.trim();
    t.starts_with('$')
        || t.contains("$(")
        || t.contains("${")
        || t.contains("{{")
        || t.starts_with('`')
        || t.starts_with('@')
        || t.starts_with("env:")
        || t.starts_with("file:")
}

/// Whether a value is a literal credential: non-empty, not a reference ([`is_reference`]),
/// not a switch value (`true`, `false`, `yes`, `no`, `on`, `off`, `enabled`, `disabled`,
/// `none`, `null`, `0`, `1`), not a path to a file (`/etc/secret/token`, `./key`), and not
/// only mask characters (`****`, `xxxx`). Placeholders such as `changeme` or `<password>`
/// are literals: deployed as they are, they are the credential.
pub fn is_literal(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() || is_reference(t) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "enabled"
            | "disabled"
            | "none"
            | "null"
            | "nil"
            | "~"
            | "0"
            | "1"
    ) {
        return false;
    }
    if is_path(t) {
        return false;
    }
    !t.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-'))
}

/// An absolute or relative file path with at least two components and no whitespace.
fn is_path(t: &str) -> bool {
    if t.chars().any(char::is_whitespace) {
        return false;
    }
    let rest = if let Some(r) = t.strip_prefix("./").or_else(|| t.strip_prefix("~/")) {
        return !r.is_empty();
    } else if let Some(r) = t.strip_prefix('/') {
        r
    } else {
        return false;
    };
    rest.split('/').filter(|s| !s.is_empty()).count() >= 2
        && rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

// ---------------------------------------------------------------------------------------
// Recognisable secret values
// ---------------------------------------------------------------------------------------

/// A secret found inside a value: what it is, and the secret text (a slice of the value) to
/// redact in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretHit<'a> {
    /// `AWS access key ID`, `PEM private key`, `JSON Web Token`, ...
    pub kind: &'static str,
    pub secret: &'a str,
}

impl SecretHit<'_> {
    /// `an AWS access key ID AKIA*** (20 chars)`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind, redact(self.secret))
    }
}

/// Minimum Shannon entropy, in bits per character, of a high-entropy string.
pub const ENTROPY_MIN_BITS: f64 = 4.5;
/// Minimum length of a high-entropy string.
pub const ENTROPY_MIN_LEN: usize = 32;

/// The first secret [`find_secret`] recognises in a value, in this order:
/// * a PEM private key (`-----BEGIN ... PRIVATE KEY-----`);
/// * a URL with a password (`scheme://user:password@host`, the password being literal);
/// * an AWS access key ID (`AKIA`/`ASIA` and 16 upper-case letters or digits, except AWS's
///   documentation keys ending in `EXAMPLE`);
/// * a GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`);
/// * a Slack token (`xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`);
/// * a Google API key (`AIza` and 35 characters);
/// * a JSON Web Token (three base64url segments, the first two starting `eyJ` / `ey`);
/// * a high-entropy string: a run of at least 32 characters of the base64 alphabet with
///   upper-case and lower-case letters and digits, and a Shannon entropy of at least 4.5
///   bits per character (kebab-case names and upper-case constants lack a class). Pure hex
///   (digests, commit SHAs, UUIDs) cannot reach 4.5 bits; file paths, SSH public keys,
///   `data:` URIs and the bodies of certificates and public keys are skipped.
pub fn find_secret(value: &str) -> Option<SecretHit<'_>> {
    if !may_hold_secret(value) {
        return None;
    }
    detect(value)
}

/// [`find_secret`] without its prefilter (the property test compares the two).
pub(crate) fn detect(value: &str) -> Option<SecretHit<'_>> {
    find_pem_private_key(value)
        .or_else(|| find_url_password(value))
        .or_else(|| find_aws_key(value))
        .or_else(|| find_github_token(value))
        .or_else(|| find_slack_token(value))
        .or_else(|| find_google_key(value))
        .or_else(|| find_jwt(value))
        .or_else(|| find_high_entropy(value))
}

/// The shortest run of base64 characters ([`is_b64`]) that any detector but the three with a
/// marker (`-----BEGIN `, `://`, `eyJ`) needs: a Slack token (`xoxb-` and 10 more) has 15;
/// AWS keys (20), GitHub tokens (34), Google keys (39) and high-entropy strings
/// ([`ENTROPY_MIN_LEN`]) are longer.
const SHORTEST_TOKEN_RUN: usize = 15;

/// Whether `value` can hold anything [`find_secret`] recognises: one linear pass over its
/// bytes, so that the great majority of values (ports, flags, names) skip the detectors'
/// dozen substring searches. Conservative: a property test holds that every value
/// [`find_secret`] flags passes it.
fn may_hold_secret(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_b64(b) {
            run += 1;
            if run >= SHORTEST_TOKEN_RUN {
                return true;
            }
        } else {
            run = 0;
        }
        let rest = &bytes[i..];
        let marker = match b {
            b':' => rest.starts_with(b"://"),
            b'-' => rest.starts_with(b"-----BEGIN "),
            b'e' => rest.starts_with(b"eyJ"),
            _ => false,
        };
        if marker {
            return true;
        }
    }
    false
}

/// The secrets of a value found by repeated [`find_secret`], each search resuming after the
/// previous hit (a count for messages, not an exhaustive inventory).
pub fn find_secrets(value: &str) -> Vec<SecretHit<'_>> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(h) = find_secret(rest) {
        out.push(h);
        // `secret` is a non-empty slice of `rest`: continue after it.
        let start = (h.secret.as_ptr() as usize).saturating_sub(rest.as_ptr() as usize);
        let end = start + h.secret.len();
        if h.secret.is_empty() || end > rest.len() || !rest.is_char_boundary(end) {
            break;
        }
        rest = &rest[end..];
    }
    out
}

fn hit<'a>(kind: &'static str, secret: &'a str) -> Option<SecretHit<'a>> {
    Some(SecretHit { kind, secret })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Byte offsets of each occurrence of `needle` in `hay`.
fn occurrences<'h>(hay: &'h str, needle: &'h str) -> impl Iterator<Item = usize> + 'h {
    hay.match_indices(needle).map(|(i, _)| i)
}

/// The run of bytes satisfying `ok` starting at `start`.
fn run_len(bytes: &[u8], start: usize, ok: impl Fn(u8) -> bool) -> usize {
    bytes[start.min(bytes.len())..]
        .iter()
        .take_while(|&&b| ok(b))
        .count()
}

fn find_pem_private_key(v: &str) -> Option<SecretHit<'_>> {
    for i in occurrences(v, "-----BEGIN ") {
        let rest = &v[i + "-----BEGIN ".len()..];
        let Some(end) = rest.find("-----") else {
            continue;
        };
        let label = &rest[..end];
        if label.len() <= 40 && label.contains("PRIVATE KEY") {
            // The secret runs to the END line, or to the end of the value.
            let from = &v[i..];
            let stop = from
                .find("-----END ")
                .and_then(|e| from[e + 9..].find("-----").map(|f| e + 9 + f + 5))
                .unwrap_or(from.len());
            return hit("PEM private key", &from[..stop]);
        }
    }
    None
}

fn find_url_password(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for i in occurrences(v, "://") {
        // A scheme: at least one letter before "://".
        let scheme = bytes[..i]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            .count();
        if scheme == 0 {
            continue;
        }
        let start = i + 3;
        let auth_len = run_len(bytes, start, |b| {
            !matches!(
                b,
                b'@' | b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'\\'
            ) && !b.is_ascii_whitespace()
        });
        let at = start + auth_len;
        if bytes.get(at) != Some(&b'@') {
            continue;
        }
        let userinfo = &v[start..at];
        let Some((_, password)) = userinfo.split_once(':') else {
            continue;
        };
        if password.is_empty() || !is_literal(password) || password.starts_with('%') {
            continue;
        }
        return hit("URL with an embedded password", password);
    }
    None
}

fn find_aws_key(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for prefix in ["AKIA", "ASIA"] {
        for i in occurrences(v, prefix) {
            if i > 0 && is_word_byte(bytes[i - 1]) {
                continue;
            }
            let body = run_len(bytes, i + 4, |b| {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            });
            if body != 16 || bytes.get(i + 20).is_some_and(|&b| is_word_byte(b)) {
                continue;
            }
            let key = &v[i..i + 20];
            if key.ends_with("EXAMPLE") {
                continue;
            }
            return hit("AWS access key ID", key);
        }
    }
    None
}

fn find_github_token(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for (prefix, min) in [
        ("ghp_", 30),
        ("gho_", 30),
        ("ghu_", 30),
        ("ghs_", 30),
        ("ghr_", 30),
        ("github_pat_", 40),
    ] {
        for i in occurrences(v, prefix) {
            if i > 0 && is_word_byte(bytes[i - 1]) {
                continue;
            }
            let body = run_len(bytes, i + prefix.len(), |b| {
                b.is_ascii_alphanumeric() || b == b'_'
            });
            if body >= min {
                return hit("GitHub token", &v[i..i + prefix.len() + body]);
            }
        }
    }
    None
}

fn find_slack_token(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for i in occurrences(v, "xox") {
        if i > 0 && is_word_byte(bytes[i - 1]) {
            continue;
        }
        if !matches!(bytes.get(i + 3), Some(b'b' | b'a' | b'p' | b'r' | b's'))
            || bytes.get(i + 4) != Some(&b'-')
        {
            continue;
        }
        let body = run_len(bytes, i + 5, |b| b.is_ascii_alphanumeric() || b == b'-');
        let text = &v[i..i + 5 + body];
        if body >= 10 && text.bytes().any(|b| b.is_ascii_digit()) {
            return hit("Slack token", text);
        }
    }
    None
}

fn find_google_key(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for i in occurrences(v, "AIza") {
        if i > 0 && is_word_byte(bytes[i - 1]) {
            continue;
        }
        let body = run_len(bytes, i + 4, |b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
        });
        if body == 35 {
            return hit("Google API key", &v[i..i + 39]);
        }
    }
    None
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn find_jwt(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    for i in occurrences(v, "eyJ") {
        if i > 0 && is_b64url(bytes[i - 1]) {
            continue;
        }
        let h = run_len(bytes, i, is_b64url);
        if h < 10 || bytes.get(i + h) != Some(&b'.') {
            continue;
        }
        let p_start = i + h + 1;
        let p = run_len(bytes, p_start, is_b64url);
        if p < 10 || !v[p_start..].starts_with("ey") || bytes.get(p_start + p) != Some(&b'.') {
            continue;
        }
        let s_start = p_start + p + 1;
        let s = run_len(bytes, s_start, is_b64url);
        return hit("JSON Web Token", &v[i..s_start + s]);
    }
    None
}

/// Shannon entropy of a string, in bits per character (0 for an empty string).
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    let mut n = 0usize;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The base64 and base64url alphabets without the padding `=`, which separates `key=value`
/// instead (padding adds no entropy).
fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-')
}

/// Byte ranges of PEM blocks that are not private keys (certificates, public keys, CSRs):
/// their base64 bodies are not secrets.
fn public_pem_ranges(v: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in occurrences(v, "-----BEGIN ") {
        if out.iter().any(|&(s, e)| i >= s && i < e) {
            continue;
        }
        let rest = &v[i..];
        let label_end = rest[11..].find("-----").map(|e| 11 + e);
        if label_end.is_some_and(|e| rest[11..e].contains("PRIVATE KEY")) {
            continue;
        }
        let end = rest
            .find("-----END ")
            .and_then(|e| rest[e + 9..].find("-----").map(|f| e + 9 + f + 5))
            .unwrap_or(rest.len());
        out.push((i, i + end));
    }
    out
}

fn find_high_entropy(v: &str) -> Option<SecretHit<'_>> {
    let bytes = v.as_bytes();
    let skip = public_pem_ranges(v);
    let mut i = 0;
    while i < bytes.len() {
        if !is_b64(bytes[i]) {
            i += 1;
            continue;
        }
        let len = run_len(bytes, i, is_b64);
        let (start, end) = (i, i + len);
        i = end;
        if len < ENTROPY_MIN_LEN || skip.iter().any(|&(s, e)| start >= s && start < e) {
            continue;
        }
        let token = &v[start..end];
        let before = &v[..start];
        if token.starts_with('/')
            || token.contains("//")
            || token.matches('/').count() >= 3
            || before.ends_with("base64,")
            || before.ends_with("://")
            || token.starts_with("AAAAB3NzaC1")
            || token.starts_with("AAAAC3NzaC1")
            || token.starts_with("AAAAE2VjZHNh")
            || before.ends_with("sha256:")
            || before.ends_with("sha512:")
        {
            continue;
        }
        // Random base64 of this length has all three classes; identifiers (kebab-case
        // names, UPPER_CASE constants) lack one.
        let classes = token.bytes().any(|b| b.is_ascii_digit())
            && token.bytes().any(|b| b.is_ascii_uppercase())
            && token.bytes().any(|b| b.is_ascii_lowercase());
        if classes && shannon_entropy(token) >= ENTROPY_MIN_BITS {
            return hit("high-entropy string", token);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Configuration files and shell words
// ---------------------------------------------------------------------------------------

/// One `key: value` / `key = value` / `"key": "value"` line of a configuration file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment<'a> {
    /// 1-based line number inside the value.
    pub line: usize,
    pub key: &'a str,
    pub value: &'a str,
}

/// The `key: value`, `key = value` and `"key": "value"` lines of a text (YAML, JSON, INI,
/// `.properties`, `.env`), with quotes and trailing commas and comments removed. Lines
/// whose value opens a block (`|`, `>`, `{`, `[`) or is an alias are skipped.
pub fn config_assignments(text: &str) -> Vec<Assignment<'_>> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let mut line = raw.trim();
        if line.starts_with('#') || line.starts_with(';') || line.starts_with("//") {
            continue;
        }
        line = line.strip_prefix("- ").unwrap_or(line).trim_start();
        line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (key, rest) = if let Some(q) = line.chars().next().filter(|c| matches!(c, '"' | '\'')) {
            let body = &line[1..];
            let Some(close) = body.find(q) else { continue };
            (&body[..close], &body[close + 1..])
        } else {
            let end = line
                .find(|c: char| matches!(c, ':' | '=') || c.is_whitespace())
                .unwrap_or(line.len());
            (&line[..end], &line[end..])
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            continue;
        }
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
            continue;
        };
        let rest = rest.trim();
        let value = if let Some(q) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) {
            let body = &rest[1..];
            match body.find(q) {
                Some(close) => &body[..close],
                None => continue,
            }
        } else {
            let cut = rest.find(" #").unwrap_or(rest.len());
            rest[..cut].trim().trim_end_matches([',', ';'])
        };
        if value.is_empty() || value.starts_with(['|', '>', '{', '[', '&', '*']) {
            continue;
        }
        out.push(Assignment {
            line: n + 1,
            key,
            value,
        });
    }
    out
}

/// Split a command line into words as a POSIX shell would, roughly: whitespace and the
/// operators `; | &` separate words (and are dropped), single quotes are literal, double
/// quotes and backslashes escape. Never fails: an unterminated quote runs to the end.
pub fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        _ => cur.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    if e != '\n' {
                        cur.push(e);
                    }
                }
            }
            c if c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | ')') => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

// ---------------------------------------------------------------------------------------
// Where values live
// ---------------------------------------------------------------------------------------

/// One `env` entry of a container: its mapping node and path.
pub(crate) struct EnvVar<'a> {
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub path: FieldPath,
}

/// The `env` entries (mappings) of a container.
pub(crate) fn env_vars<'a>(c: &Container<'a>) -> Vec<EnvVar<'a>> {
    let base = c.path.key("env");
    c.node
        .get("env")
        .map(|l| {
            l.items()
                .enumerate()
                .filter(|(_, n)| n.is_map())
                .map(|(i, node)| EnvVar {
                    node,
                    name: node.get("name").and_then(|n| n.as_str()).unwrap_or(""),
                    path: base.index(i),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The string items of a container's `command` and `args`, in that order, with their
/// list's field name (`command`/`args`), index, node and path.
pub(crate) fn command_line<'a>(c: &Container<'a>) -> Vec<(NodeRef<'a>, &'a str, FieldPath)> {
    let mut out = Vec::new();
    for field in ["command", "args"] {
        let base = c.path.key(field);
        if let Some(list) = c.node.get(field) {
            for (i, n) in list.items().enumerate() {
                if let Some(s) = n.as_str() {
                    out.push((n, s, base.index(i)));
                }
            }
        }
    }
    out
}

/// A core `v1` object of this kind.
pub(crate) fn core_kind<'a>(t: &Target<'a>, kind: &str) -> Option<Object<'a>> {
    let o = t.object;
    (o.group().is_empty() && o.kind == kind).then_some(o)
}

/// The entries of a ConfigMap or Secret field (`data`, `stringData`, `binaryData`) that are
/// non-empty strings: (key, node, value, path).
pub(crate) fn string_entries<'a>(
    o: &Object<'a>,
    field: &str,
) -> Vec<(&'a str, NodeRef<'a>, &'a str, FieldPath)> {
    let base = FieldPath::from(field);
    o.root
        .get(field)
        .filter(|d| d.is_map())
        .map(|d| {
            d.entries()
                .filter_map(|(k, v)| {
                    let s = v.as_str().filter(|s| !s.trim().is_empty())?;
                    Some((k, v, s, base.key(k)))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
