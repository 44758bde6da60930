use crate::pss::{frameworks, who};
use crate::secrets::{
    cis, command_line, find_secret, is_credential_name, is_literal, mitre, nsa, redact, shell_words,
};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags literal credentials on a container's command line (`command` and `args`, in
    /// containers, init and ephemeral containers), once per item:
    /// * a flag named like a credential with a literal value, attached or separate:
    ///   `--password=s3cret`, `--client-secret s3cret`, `--api-key=...`,
    ///   `-Dspring.datasource.password=...` (flag names follow the rules of KW401, so
    ///   `--token-file`, `--tls-private-key-file`, `--secret-name` are not credentials);
    /// * a `NAME=value` word with a credential name: a shell assignment or `export` in an
    ///   `sh -c` script, `-e PASSWORD=...`, Helm's `--set auth.password=...`;
    /// * the MySQL client's attached password `-ps3cret` (only when `mysql`, `mysqladmin`,
    ///   `mysqldump` or `mariadb` is on the command line; a separate `-p` prompts), and
    ///   curl's `-u user:password` / `--user user:password`.
    ///
    /// Items holding whitespace are split into words the way a shell would. A value that
    /// references an environment variable (`$(DB_PASSWORD)`, `$DB_PASSWORD`,
    /// `${DB_PASSWORD}`), a command substitution, a file (`@/path`, `/run/secrets/x`) or a
    /// template is not a literal. Values that KW402 recognises are left to KW402.
    ///
    /// ## Why it matters
    /// The command line of a container is in the manifest and the repository, in the API
    /// object for anyone who may `get` the workload, and at runtime in `/proc/<pid>/cmdline`,
    /// readable by every process of the node's PID namespace that can see the process, and
    /// in `ps` output, monitoring agents and crash reports.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: migrate
    ///   image: registry.example.com/migrate:1.2.3
    ///   command: ["sh", "-c"]
    ///   args: ["PGPASSWORD=s3cret psql -h db -U app -f /sql/init.sql"]   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Put the credential in a Secret mounted as a file and pass the file
    /// (`--password-file=/run/secrets/db/password`), or, if the tool only reads the
    /// environment, reference the variable (`$(DB_PASSWORD)`) fed from a Secret; rotate the
    /// exposed value.
    pub struct CredentialInArgs;
    id: "KW406",
    name: "credential-in-args",
    title: "Credential passed as a literal on the command line",
    severity: High,
    remediation: "Pass a file holding the credential (mounted from a Secret) or reference an environment variable fed from a Secret; rotate the exposed value.",
    frameworks: frameworks(
        None,
        &[nsa::SECRETS],
        &[cis::SECRETS_AS_FILES, cis::EXTERNAL_SECRET_STORAGE],
        &[mitre::CREDENTIALS_IN_FILES, mitre::CONTAINER_API],
    ),
}

/// A literal credential value that KW402 does not claim.
fn reportable(value: &str) -> bool {
    is_literal(value) && find_secret(value).is_none()
}

fn is_key(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// A credential found on the command line: which item, what set it, the value.
struct Found {
    item: usize,
    what: String,
    value: String,
}

/// The literal credentials in a command line given as (word, item index) pairs.
fn scan(words: &[(String, usize)]) -> Vec<Found> {
    let mysql = words.iter().any(|(w, _)| {
        matches!(
            basename(w),
            "mysql" | "mysqladmin" | "mysqldump" | "mariadb" | "mariadb-dump"
        )
    });
    let curl = words.iter().any(|(w, _)| basename(w) == "curl");
    let mut out = Vec::new();
    let mut push = |item: usize, what: String, value: &str| {
        if reportable(value) {
            out.push(Found {
                item,
                what,
                value: value.to_string(),
            });
        }
    };
    for (k, (word, item)) in words.iter().enumerate() {
        let next = words.get(k + 1).filter(|(w, _)| !w.starts_with('-'));
        if !word.starts_with('-') {
            if let Some((name, value)) = word.split_once('=') {
                if is_key(name) && is_credential_name(name) {
                    push(*item, name.to_string(), value);
                }
            }
            continue;
        }
        if mysql && word.starts_with("-p") && !word.starts_with("--") && word.len() > 2 {
            push(*item, "-p".to_string(), &word[2..]);
            continue;
        }
        if curl && (word == "-u" || word == "--user") {
            if let Some((w, i)) = next {
                if let Some((_, password)) = w.split_once(':') {
                    push(*i, format!("{word} (password part)"), password);
                }
            }
            continue;
        }
        let flag = word.trim_start_matches('-');
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (flag, None),
        };
        if !is_key(name) || !is_credential_name(name) {
            continue;
        }
        let dashes = &word[..word.len() - flag.len()];
        match (inline, next) {
            (Some(v), _) => push(*item, format!("{dashes}{name}"), v),
            (None, Some((w, i))) => push(*i, format!("{dashes}{name}"), w),
            (None, None) => {}
        }
    }
    out
}

impl Control for CredentialInArgs {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            let items = command_line(&c);
            let mut words = Vec::new();
            for (i, (_, text, _)) in items.iter().enumerate() {
                if text.contains(|ch: char| ch.is_whitespace() || ch == ';') {
                    words.extend(shell_words(text).into_iter().map(|w| (w, i)));
                } else {
                    words.push((text.to_string(), i));
                }
            }
            let found = scan(&words);
            for (i, (node, _, path)) in items.iter().enumerate() {
                let mine: Vec<&Found> = found.iter().filter(|f| f.item == i).collect();
                let Some(first) = mine.first() else { continue };
                let more = match mine.len() - 1 {
                    0 => String::new(),
                    n => format!(" (and {n} more)"),
                };
                let field = path.as_str().rsplit('.').next().unwrap_or("");
                cx.report(
                    *node,
                    path.clone(),
                    format!(
                        "{} passes {} as a literal {} in {field}{more}: pass a file or a variable from a Secret",
                        who(&c),
                        first.what,
                        redact(&first.value)
                    ),
                );
            }
        }
    }
}
