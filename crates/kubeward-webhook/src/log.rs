//! The decision log: one compact JSON line per decision, bounded in size, with nothing from
//! the object itself.
//!
//! A line names the request (uid, operation, kind, namespace, name, subresource, user: from
//! the AdmissionReview's envelope, each cut to [`MAX_FIELD`] characters), the decision, the
//! levels, the violations as `control:mode` (each pair once, at most [`MAX_VIOLATIONS`], then
//! `+N`), the users' policies that could not be evaluated as `policy:deny|allow`, the number of errors with the first one up to its first quoted part and cut to
//! [`MAX_FIELD`], and the time taken.
//! Never a field value of the object: its content goes to the API server (warnings, audit
//! annotations), not to the log.
//!
//! Levels: denials at `info`, objects that could not be evaluated at `warn`, every allowed
//! request at `debug` (clean or with warnings and audit annotations: those already reach the
//! client and the API server's audit log, and the metrics count them). At 1,000 requests a
//! second, logging each admission at `info` wrote 212 MB in 10 minutes.

use crate::policy::Outcome;
use crate::review::Request;

/// Longest text field of a log line, in characters.
pub const MAX_FIELD: usize = 256;
/// Most distinct `control:mode` pairs listed in a line.
pub const MAX_VIOLATIONS: usize = 16;

/// `s` cut to at most `max` characters (on a character boundary), with `...` when cut.
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((at, _)) => std::borrow::Cow::Owned(format!("{}...", &s[..at])),
    }
}

/// An error message up to its first quoted part (`"..."`, `` `...` ``, `(...)`): messages
/// of the engine may quote a scalar of the object (issue 13, D02), the log never does.
pub fn unquoted(message: &str) -> &str {
    let end = message.find(['"', '`', '(']).unwrap_or(message.len());
    message[..end].trim_end()
}

/// `KW101:enforce,KW101:warn,+3`: each pair once, in order of first appearance.
pub fn violations(o: &Outcome) -> String {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut more = 0usize;
    for (control, mode) in &o.violations {
        let pair = (*control, mode.as_str());
        if seen.contains(&pair) {
            continue;
        }
        if seen.len() < MAX_VIOLATIONS {
            seen.push(pair);
        } else {
            more += 1;
        }
    }
    let mut s = seen
        .iter()
        .map(|(c, m)| format!("{c}:{m}"))
        .collect::<Vec<_>>()
        .join(",");
    if more > 0 {
        s.push_str(&format!(",+{more}"));
    }
    s
}

/// `ValidatingAdmissionPolicy/p/b:deny,K8sRequiredLabels/x:allow`: the users' policies that
/// could not be evaluated and what their failurePolicy made of it (at most
/// [`MAX_VIOLATIONS`], then `+N`).
pub fn policy_failures(o: &Outcome) -> String {
    let mut s = o
        .policy_failures
        .iter()
        .take(MAX_VIOLATIONS)
        .map(|(p, d)| format!("{}:{d}", clip(p, MAX_FIELD)))
        .collect::<Vec<_>>()
        .join(",");
    if o.policy_failures.len() > MAX_VIOLATIONS {
        s.push_str(&format!(",+{}", o.policy_failures.len() - MAX_VIOLATIONS));
    }
    s
}

/// Log one decision.
pub fn decision(req: &Request<'_>, o: &Outcome, seconds: f64) {
    macro_rules! line {
        ($lvl:ident) => {
            tracing::$lvl!(
                uid = %clip(&req.uid, MAX_FIELD),
                operation = req.operation.as_str(),
                kind = %clip(&req.kind.kind, MAX_FIELD),
                namespace = %clip(&req.namespace, MAX_FIELD),
                name = %clip(&req.name, MAX_FIELD),
                subresource = %clip(&req.sub_resource, MAX_FIELD),
                user = %clip(&req.user_info.username, MAX_FIELD),
                dry_run = req.dry_run,
                allowed = o.response.allowed,
                path = o.path.as_str(),
                enforce = o.levels.map(|l| l.enforce.as_str()).unwrap_or(""),
                warn = o.levels.map(|l| l.warn.as_str()).unwrap_or(""),
                audit = o.levels.map(|l| l.audit.as_str()).unwrap_or(""),
                violations = %violations(o),
                policy_failures = %policy_failures(o),
                errors = o.errors.len(),
                error = %o.errors.first().map(|e| clip(unquoted(e), MAX_FIELD)).unwrap_or_default(),
                micros = (seconds * 1e6) as u64,
                "admission"
            )
        };
    }
    if !o.errors.is_empty() {
        line!(warn);
    } else if !o.response.allowed {
        line!(info);
    } else {
        line!(debug);
    }
}

/// A warning from outside the webhook crate (the binary's start-up), in the same log.
pub fn warn(message: &str) {
    tracing::warn!("{message}");
}
