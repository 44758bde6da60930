//! Shared helpers of kubeward's fuzz targets: the invariants every target checks beyond "no
//! panic" (positions inside the input, no credential-looking value in an error message), a
//! bounded walk over YAML trees, and the switch for defects known and being fixed elsewhere.

use std::sync::OnceLock;

use kubeward_yaml::{NodeRef, Pos, ValueType};

/// Credential-looking values the seeds carry (env values, Secret data, passwords in args,
/// an integer PIN). Mutations keep them often enough; an error or warning that quotes one
/// quotes a value, which issue 13 (D02) forbids: messages name the field and the type.
pub const CANARIES: [&str; 2] = ["kwS3cr3t", "73918462"];

/// Defects being fixed elsewhere whose invariant a run may switch off while it waits:
/// `KW_FUZZ_KNOWN=D01,D02`. Empty (every invariant on) unless set; CI never sets it.
pub fn known(defect: &str) -> bool {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN
        .get_or_init(|| {
            std::env::var("KW_FUZZ_KNOWN")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .iter()
        .any(|d| d == defect)
}

/// D01: an alias in a chunk that holds several documents (after `...`, with a `%` directive
/// or with bare-CR line ends) panics in kubeward-yaml. While `D01` is known such inputs are
/// skipped, so the rest of the target keeps running.
pub fn d01_shape(text: &str) -> bool {
    known("D01")
        && text.contains('*')
        && (text.contains("...") || text.contains('%') || text.contains('\r'))
}

/// D06: kubeward-yaml counts lines by LF only in places (the end-of-chunk error position,
/// chunk first lines) while the parser also breaks lines at a bare CR, so positions in
/// bare-CR text can be past a line's end. While `D06` is known, positions of such inputs are
/// not checked.
pub fn bare_cr_known(text: &str) -> bool {
    known("D06") && text.replace("\r\n", "").contains('\r')
}

/// The first canary `message` contains.
pub fn canary_in(message: &str) -> Option<&'static str> {
    CANARIES.iter().copied().find(|c| message.contains(c))
}

/// Whether a canary in `text` sits where messages may name it: a mapping key, an anchor, an
/// alias or a tag, or the value of an identity field (kind, apiVersion, name, namespace...)
/// or of the `kubeward.io/ignore` annotation, which messages quote on purpose.
pub fn canary_exempt(text: &str) -> bool {
    const NAMED: [&str; 13] = [
        "context",
        "cluster",
        "user",
        "server",
        "kind",
        "apiVersion",
        "name",
        "namespace",
        "generateName",
        "kubeward.io/ignore",
        "uid",
        "username",
        "operation",
    ];
    for canary in CANARIES {
        let mut from = 0;
        while let Some(i) = text[from..].find(canary) {
            let at = from + i;
            from = at + canary.len();
            let line_start = text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            // A canary inside a longer token (`DA73918462…BASE_URL`) is that token's: start
            // from the token's beginning.
            let token_start = text[line_start..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .map_or(line_start, |i| line_start + i + 1);
            let before = &text[line_start..token_start];
            if matches!(before.chars().last(), Some('&' | '*' | '!')) {
                return true;
            }
            let rest = &text[at..];
            let token_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(rest.len());
            let after = rest[token_end..].trim_start_matches(['"', '\'', ' ']);
            if after.starts_with(':') {
                return true;
            }
            // `name: kwS3cr3t`, `"name":"kwS3cr3t"`, `- kwS3cr3t` in a list of names.
            let b = before.trim_end_matches(['"', '\'', ' ', '[', ',', '-']);
            if let Some(key) = b.strip_suffix(':') {
                let key = key.trim_end_matches(['"', '\'', ' ']);
                if NAMED.iter().any(|k| key.ends_with(k)) {
                    return true;
                }
            }
        }
    }
    false
}

/// Panic when a message quotes a canary (unless D02 is known or the canary is exempt).
pub fn assert_no_canary(text: &str, what: &str, message: &str) {
    if known("D02") {
        return;
    }
    if let Some(c) = canary_in(message) {
        if !canary_exempt(text) {
            panic!("{what} quotes a credential-looking value ({c}...): {message:?}");
        }
    }
}

/// Line starts of a text as a YAML parser counts lines: LF, CRLF and a bare CR each end one.
pub struct Lines {
    /// Characters (not bytes) of each line, without its break.
    pub widths: Vec<u32>,
    /// Do not check (a known defect is being fixed: [`bare_cr_known`]).
    pub skip: bool,
    /// Lines whose first non-space character is a closing bracket (Y02).
    pub bracket: Vec<bool>,
}

impl Lines {
    pub fn of(text: &str) -> Lines {
        let mut widths = Vec::new();
        let mut width = 0u32;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => {
                    widths.push(width);
                    width = 0;
                }
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    widths.push(width);
                    width = 0;
                }
                _ => width += 1,
            }
        }
        widths.push(width);
        Lines {
            widths,
            skip: bare_cr_known(text),
            bracket: text
                .replace("\r\n", "\n")
                .split(['\n', '\r'])
                .map(|l| l.trim_start_matches(' ').starts_with([']', '}']))
                .collect(),
        }
    }

    /// Lines with LF as the only break (JSON lines, audit logs).
    pub fn of_lf(text: &str) -> Lines {
        Lines {
            widths: text.split('\n').map(|l| l.chars().count() as u32).collect(),
            skip: false,
            bracket: Vec::new(),
        }
    }

    /// [`Lines::check`] for a parse error's position in `text` (see Y03 below).
    pub fn check_error(&self, text: &str, pos: Pos, what: &str) {
        let line = text.split('\n').nth(pos.line.saturating_sub(1) as usize);
        // Y03 (found by the scan target, reported): an error in a `%` directive line is at
        // a byte column, not a character column.
        if known("Y03") && line.is_some_and(|l| l.starts_with('%')) {
            return;
        }
        self.check(pos, what);
    }

    pub fn count(&self) -> u32 {
        self.widths.len() as u32
    }

    /// Panic unless `pos` is 1-based and inside the text: an existing line, and a column at
    /// most one past its end.
    pub fn check(&self, pos: Pos, what: &str) {
        if self.skip {
            return;
        }
        // Y01 (found by the yaml target, reported to kubeward-yaml's owner): a null node at
        // the very end of the input (`---` alone, `? ` as the last line) is placed at column
        // 1 of the line after the last one, and so is a warning about it (a duplicate key).
        if known("Y01") && pos.line == self.count() + 1 && pos.column == 1 {
            return;
        }
        assert!(
            pos.line >= 1 && pos.column >= 1,
            "{what}: position {pos} is not 1-based"
        );
        assert!(
            pos.line <= self.count(),
            "{what}: line {} is past the input's {} lines",
            pos.line,
            self.count()
        );
        let width = self.widths[pos.line as usize - 1];
        // Y02 (found by the scan and yaml targets, reported): a closing bracket that
        // kubeward-yaml re-indents to parse it as go-yaml does keeps the column of the
        // re-indented text (nodes and errors on its line), past the line's real end.
        if known("Y02") && self.bracket.get(pos.line as usize - 1) == Some(&true) {
            return;
        }
        assert!(
            pos.column <= width + 1,
            "{what}: column {} is past the end of line {} ({width} characters)",
            pos.column,
            pos.line
        );
    }
}

/// Walk a tree through every [`NodeRef`] accessor, checking that they agree with each other
/// and that every position is inside `lines`. Visits at most `budget` nodes (aliases share
/// nodes, so a tree can be far larger expanded than stored).
pub fn walk(node: NodeRef<'_>, lines: &Lines, budget: &mut usize, depth: usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    lines.check(node.pos(), "node position");
    lines.check(node.value_pos(), "node value position");
    let ty = node.value_type();
    let _ = format!("{node:?}");
    assert_eq!(node.is_map(), ty == ValueType::Mapping);
    assert_eq!(node.is_seq(), ty == ValueType::Sequence);
    assert_eq!(node.is_null(), ty == ValueType::Null);
    assert_eq!(node.as_str().is_some(), ty == ValueType::String);
    assert_eq!(node.as_bool().is_some(), ty == ValueType::Bool);
    assert_eq!(node.as_i64().is_some(), ty == ValueType::Int);
    assert_eq!(
        node.scalar_text().is_some(),
        !node.is_map() && !node.is_seq()
    );
    if let Some(s) = node.as_str() {
        assert_eq!(node.scalar_text(), Some(s));
    }
    assert_eq!(node.is_empty(), node.len() == 0);
    match ty {
        ValueType::Sequence => {
            let items = node.items();
            assert_eq!(items.len(), node.len());
            assert_eq!(node.entries().count(), 0);
            assert!(node.get("a").is_none());
            for item in items {
                walk(item, lines, budget, depth + 1);
            }
        }
        ValueType::Mapping => {
            let entries: Vec<_> = node.entries().collect();
            assert_eq!(entries.len(), node.len());
            assert_eq!(node.items().len(), 0);
            for (i, (key, value)) in entries.iter().enumerate() {
                // With duplicate keys the last one wins, as in Kubernetes' decoder.
                if !key.is_empty() {
                    let last = entries
                        .iter()
                        .rposition(|(k, _)| k == key)
                        .expect("the key itself");
                    let got = node.get(key).expect("get finds a key that entries lists");
                    assert_eq!(got.value_pos(), entries[last].1.value_pos());
                    assert_eq!(got.pos(), entries[last].1.pos());
                    if i == last {
                        assert_eq!(
                            node.get_path(&[key]).map(|n| n.value_pos()),
                            Some(value.value_pos())
                        );
                    }
                }
                walk(*value, lines, budget, depth + 1);
            }
        }
        _ => {
            assert_eq!(node.len(), 0);
            assert!(node.get("").is_none());
        }
    }
    if depth == 0 && *budget > 0 {
        // to_json is bounded by the builder's expansion limit; only on small trees here.
        if node.document().node_count() < 2_000 {
            let json = node.to_json();
            match ty {
                ValueType::Mapping => assert!(json.is_object()),
                ValueType::Sequence => assert!(json.is_array()),
                ValueType::Null => assert!(json.is_null()),
                ValueType::Bool => assert!(json.is_boolean()),
                ValueType::Int => assert!(json.is_i64()),
                ValueType::String => assert!(json.is_string()),
                ValueType::Float => assert!(json.is_number() || json.is_string()),
            }
        }
    }
}

/// Input bytes as text: invalid UTF-8 is replaced, so every input reaches the parsers.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// What the scan targets check on a whole scan's results.
pub mod scan {
    use std::sync::{Arc, OnceLock};

    use kubeward_controls::{registry, Settings};
    use kubeward_engine::{Collect, Engine, Source};
    use kubeward_yaml::Limits;

    use crate::{assert_no_canary, canary_exempt, canary_in, known, Lines};

    /// Every control, with the settings that turn on the optional ones.
    pub fn engine() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(|| {
            let settings = Settings {
                allowed_registries: vec!["registry.example.com".into(), "ghcr.io/acme".into()],
                require_pull_always: true,
                ..Settings::default()
            };
            Engine::new(registry::all().to_vec(), settings, Limits::default())
        })
    }

    /// Scan `text` as one file through the engine's whole path (reading, splitting, parsing,
    /// shape checks, every per-object control, then the cross-object ones) and check the
    /// results.
    pub fn scan_and_check(text: &str) {
        let sources = [Source::Text {
            name: "input.yaml".to_string(),
            text: Arc::from(text),
        }];
        let mut sink = Collect::default();
        let summary = engine()
            .scan(&sources, &mut sink)
            .expect("a scan into memory cannot fail");
        let lines = Lines::of(text);
        let (mut errors, mut warnings, mut findings, mut platform) = (0, 0, 0, 0);
        for r in &sink.results {
            errors += r.errors.len();
            warnings += r.warnings.len();
            // Platform findings (objects Kubernetes creates itself) reach the sink to be listed
            // apart, and are counted in `summary.platform`, not in the findings.
            findings += r.findings.iter().filter(|f| !f.is_platform()).count();
            platform += r.findings.iter().filter(|f| f.is_platform()).count();
            for e in &r.errors {
                if let Some(pos) = e.pos {
                    lines.check_error(text, pos, &format!("input error {:?}", e.message));
                }
                assert!(!e.message.is_empty());
                assert_no_canary(text, "an input error", &e.message);
            }
            for w in &r.warnings {
                lines.check(w.pos, &format!("warning {:?}", w.message));
                assert_no_canary(text, "a warning", &w.message);
            }
            for f in &r.findings {
                lines.check(f.pos, &format!("finding {} {:?}", f.control.id, f.message));
                // The secrets family (KW4xx) reports credentials redacted, never verbatim.
                if f.control.id.starts_with("KW4") && !known("D02") {
                    if let Some(c) = canary_in(&f.message) {
                        assert!(
                            canary_exempt(text),
                            "finding {} quotes a credential ({c}...): {:?}",
                            f.control.id,
                            f.message
                        );
                    }
                }
            }
        }
        assert_eq!(summary.errors, errors, "summary counts every error");
        assert_eq!(summary.warnings, warnings, "summary counts every warning");
        assert_eq!(summary.findings(), findings, "summary counts every finding");
        assert_eq!(
            summary.platform, platform,
            "summary counts every platform finding"
        );
    }
}

/// RBAC objects read from text as `kubeward rbac` reads them, and the model built from them.
pub mod rbac {
    use std::sync::Arc;

    use kubeward_rbac::load::read_text;
    use kubeward_rbac::{paths, RbacModel};
    use kubeward_yaml::Limits;

    use crate::Lines;

    /// The model of `text`'s RBAC objects; every problem and note located inside `text`.
    pub fn model(text: &str) -> RbacModel {
        let file: Arc<str> = Arc::from("rbac.yaml");
        let (objects, problems) = read_text(&file, text, &Limits::default());
        let lines = Lines::of(text);
        for p in &problems {
            lines.check_error(text, p.pos, &format!("rbac problem {:?}", p.message));
        }
        let model = RbacModel::from_objects(objects);
        for n in &model.notes {
            if &*n.file == "rbac.yaml" {
                lines.check(n.pos, &format!("rbac note {:?}", n.message));
            }
        }
        model
    }

    /// The analysis and every renderer of its results.
    pub fn analyse(model: &RbacModel) {
        let analysis = model.analysis();
        for r in analysis.risks.iter().take(64) {
            assert!(!r.evidence.is_empty() && !r.evidence[0].1.is_empty());
            let _ = r.anchor();
            assert!(!r.message(model).is_empty());
        }
        let all: Vec<_> = analysis.paths.iter().take(16).collect();
        for p in &all {
            assert!(model.analysis().path_of(&p.subject).is_some());
        }
        let _ = paths::text(model, &all);
        let _ = paths::json(model, &all);
        let _ = paths::dot(model, &all);
        let _ = paths::mermaid(model, &all);
    }
}
