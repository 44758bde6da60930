//! `gator verify` suites (`apiVersion: test.gatekeeper.sh/v1alpha1`, `kind: Suite`), run as
//! gator runs them (`pkg/gator/verify/runner.go` and `assertion.go`, read at
//! open-policy-agent/gatekeeper dd8507eb): per test, the template and the constraint are
//! loaded (an error fails the test; `invalid: true` expects the constraint's parameters to be
//! refused); per case, the object file must hold exactly one object (an AdmissionReview is
//! reviewed as its request), the inventory files fill `data.inventory`, and every assertion
//! must hold: `violations` (`yes` — the default —, `no`, or an exact count) of the results
//! whose message matches the `message` regular expression (all results when it is absent).

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::read_documents;
use crate::{
    Doc, EngineChoice, Inventory, PolicyErrorKind, PolicySet, PolicySetBuilder, Violation,
};

/// How a suite runs.
#[derive(Clone, Copy, Debug)]
pub struct SuiteOptions {
    /// The engine for templates ([`EngineChoice::Auto`] is gator's choice). With
    /// [`EngineChoice::Cel`] or [`EngineChoice::Rego`], a test whose template has no code for
    /// that engine is skipped.
    pub engine: EngineChoice,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            engine: EngineChoice::Auto,
        }
    }
}

/// What happened to one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion held.
    Pass,
    /// Why it failed.
    Fail(String),
    /// Why it did not run.
    Skipped(String),
}

/// One case's result.
#[derive(Clone, Debug)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// One test's results: its cases (a test that cannot load its template or constraint fails
/// every case with that reason).
#[derive(Clone, Debug)]
pub struct TestReport {
    /// The test's name.
    pub name: String,
    /// The cases.
    pub cases: Vec<CaseReport>,
}

/// A suite's results.
#[derive(Clone, Debug)]
pub struct SuiteReport {
    /// The suite file.
    pub path: PathBuf,
    /// An error that stopped the whole suite (unreadable, not a Suite).
    pub error: Option<String>,
    /// The tests.
    pub tests: Vec<TestReport>,
}

/// Counts of case outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.skipped += o.skipped;
    }
}

impl SuiteReport {
    /// Case counts (a suite-level error counts as one failure).
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        if self.error.is_some() {
            c.failed += 1;
        }
        for t in &self.tests {
            for k in &t.cases {
                match k.outcome {
                    Outcome::Pass => c.passed += 1,
                    Outcome::Fail(_) => c.failed += 1,
                    Outcome::Skipped(_) => c.skipped += 1,
                }
            }
        }
        c
    }

    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.counts().failed == 0
    }
}

impl fmt::Display for SuiteReport {
    /// One line per case: `ok`, `FAIL` (with the reason) or `skip`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            writeln!(f, "FAIL {}: {e}", self.path.display())?;
        }
        for t in &self.tests {
            for c in &t.cases {
                match &c.outcome {
                    Outcome::Pass => {
                        writeln!(f, "ok   {} {}/{}", self.path.display(), t.name, c.name)?
                    }
                    Outcome::Fail(why) => writeln!(
                        f,
                        "FAIL {} {}/{}: {why}",
                        self.path.display(),
                        t.name,
                        c.name
                    )?,
                    Outcome::Skipped(why) => writeln!(
                        f,
                        "skip {} {}/{}: {why}",
                        self.path.display(),
                        t.name,
                        c.name
                    )?,
                }
            }
        }
        Ok(())
    }
}

/// Every suite file under `path`: the file itself, or the `.yaml`/`.yml` files of a
/// directory (recursively, in name order) whose first document is a `kind: Suite`.
pub fn find_suites(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        let canon = std::fs::canonicalize(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if !seen.insert(canon) {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                && is_suite(&p)
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_suite(p: &Path) -> bool {
    read_documents(p).is_ok_and(|d| {
        d.first().is_some_and(|d| {
            d.value.get("kind").and_then(Value::as_str) == Some("Suite")
                && d.value
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.starts_with("test.gatekeeper.sh/"))
        })
    })
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn truthy(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool) == Some(true)
}

/// Run one suite file.
pub fn run_suite(path: &Path, opts: &SuiteOptions) -> SuiteReport {
    let mut report = SuiteReport {
        path: path.to_path_buf(),
        error: None,
        tests: Vec::new(),
    };
    let suite = match read_documents(path) {
        Ok(mut d) if d.len() == 1 => d.remove(0).value,
        Ok(d) => {
            report.error = Some(format!(
                "a suite file must hold one document, found {}",
                d.len()
            ));
            return report;
        }
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    if str_of(&suite, "kind") != Some("Suite") {
        report.error = Some("not a Suite (kind: Suite)".into());
        return report;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if truthy(&suite, "skip") {
        return report;
    }
    let tests = match suite.get("tests") {
        Some(Value::Array(t)) => t.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            report.error = Some("tests must be a list".into());
            return report;
        }
    };
    for (i, t) in tests.iter().enumerate() {
        report.tests.push(run_test(dir, t, i, opts));
    }
    report
}

fn case_names(t: &Value) -> Vec<String> {
    match t.get("cases") {
        Some(Value::Array(c)) => c
            .iter()
            .enumerate()
            .map(|(i, c)| {
                str_of(c, "name")
                    .map(String::from)
                    .unwrap_or_else(|| format!("case {i}"))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn all_cases(t: &Value, outcome: Outcome) -> Vec<CaseReport> {
    let mut names = case_names(t);
    if names.is_empty() {
        names.push("(test)".into());
    }
    names
        .into_iter()
        .map(|name| CaseReport {
            name,
            outcome: outcome.clone(),
        })
        .collect()
}

fn load_one(dir: &Path, rel: Option<&str>, what: &str) -> Result<Doc, String> {
    let Some(rel) = rel.filter(|r| !r.is_empty()) else {
        return Err(format!("invalid suite: missing {what}"));
    };
    let p = dir.join(rel);
    let mut docs = read_documents(&p).map_err(|e| e.to_string())?;
    match docs.len() {
        0 => Err(format!("{}: defines no YAML objects", p.display())),
        1 => Ok(docs.remove(0)),
        n => Err(format!("{}: defines {n} objects, want 1", p.display())),
    }
}

fn run_test(dir: &Path, t: &Value, i: usize, opts: &SuiteOptions) -> TestReport {
    let name = str_of(t, "name")
        .map(String::from)
        .unwrap_or_else(|| format!("test {i}"));
    let mut report = TestReport {
        name,
        cases: Vec::new(),
    };
    if truthy(t, "skip") {
        report.cases = all_cases(t, Outcome::Skipped("skip: true".into()));
        return report;
    }
    if t.get("expansion").is_some_and(|e| !e.is_null()) {
        report.cases = all_cases(
            t,
            Outcome::Fail("expansion templates are not supported".into()),
        );
        return report;
    }
    let template = match load_one(dir, str_of(t, "template"), "template") {
        Ok(d) => d,
        Err(e) => {
            report.cases = all_cases(t, Outcome::Fail(e));
            return report;
        }
    };
    let constraint = match load_one(dir, str_of(t, "constraint"), "constraint") {
        Ok(d) => d,
        Err(e) => {
            report.cases = all_cases(t, Outcome::Fail(e));
            return report;
        }
    };
    let mut b = PolicySetBuilder::new(opts.engine);
    if !b.add(template) {
        report.cases = all_cases(
            t,
            Outcome::Fail("the template file is not a ConstraintTemplate".into()),
        );
        return report;
    }
    if !b.add(constraint) {
        report.cases = all_cases(
            t,
            Outcome::Fail("the constraint file is not a Constraint".into()),
        );
        return report;
    }
    let (policies, errors) = b.build();
    let invalid = truthy(t, "invalid");
    if invalid {
        let outcome = if errors.iter().any(|e| e.kind == PolicyErrorKind::Parameters) {
            Outcome::Pass
        } else if let Some(e) = errors.first() {
            Outcome::Fail(format!("want a schema error for the constraint, got: {e}"))
        } else {
            Outcome::Fail("want a schema error for the constraint, got none".into())
        };
        report.cases.push(CaseReport {
            name: "(invalid constraint)".into(),
            outcome,
        });
        return report;
    }
    if let Some(e) = errors.first() {
        let outcome = if e.kind == PolicyErrorKind::NoCode {
            Outcome::Skipped(e.message.clone())
        } else {
            Outcome::Fail(e.to_string())
        };
        report.cases = all_cases(t, outcome);
        return report;
    }
    let cases = match t.get("cases") {
        Some(Value::Array(c)) => c.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            report.cases = all_cases(t, Outcome::Fail("cases must be a list".into()));
            return report;
        }
    };
    for (i, c) in cases.iter().enumerate() {
        let name = str_of(c, "name")
            .map(String::from)
            .unwrap_or_else(|| format!("case {i}"));
        let outcome = if truthy(c, "skip") {
            Outcome::Skipped("skip: true".into())
        } else {
            match run_case(dir, c, &policies) {
                Ok(()) => Outcome::Pass,
                Err(e) => Outcome::Fail(e),
            }
        };
        report.cases.push(CaseReport { name, outcome });
    }
    report
}

fn run_case(dir: &Path, c: &Value, policies: &PolicySet) -> Result<(), String> {
    let object = str_of(c, "object").filter(|o| !o.is_empty());
    if object.is_none() {
        return Err("invalid case: must define object".into());
    }
    let assertions = match c.get("assertions") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err("invalid case: assertions must be non-empty".into()),
    };
    let object = load_one(dir, object, "object")?;
    let mut inventory_objects = Vec::new();
    match c.get("inventory") {
        None | Some(Value::Null) => {}
        Some(Value::Array(files)) => {
            for f in files {
                let Some(f) = f.as_str() else {
                    return Err("inventory entries must be file names".into());
                };
                let p = dir.join(f);
                let docs = read_documents(&p).map_err(|e| e.to_string())?;
                if docs.is_empty() {
                    return Err(format!("{}: defines no YAML objects", p.display()));
                }
                for d in docs {
                    if d.value
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .is_empty()
                    {
                        return Err(format!("{}: an inventory object has no kind", d.source));
                    }
                    inventory_objects.push(d.value);
                }
            }
        }
        Some(_) => return Err("inventory must be a list of files".into()),
    }
    let inventory = Inventory::new(inventory_objects.iter());
    let results = policies.evaluate(&object.value, &inventory);
    for (i, a) in assertions.iter().enumerate() {
        check_assertion(a, &results).map_err(|e| format!("assertion {i}: {e}"))?;
    }
    Ok(())
}

fn check_assertion(a: &Value, results: &[Violation]) -> Result<(), String> {
    let re = match a.get("message") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => {
            Some(regex::Regex::new(m).map_err(|e| format!("invalid message regex {m:?}: {e}"))?)
        }
        Some(_) => return Err("message must be a string".into()),
    };
    let matching = results
        .iter()
        .filter(|r| re.as_ref().is_none_or(|re| re.is_match(&r.message)))
        .count();
    let messages: Vec<&str> = results.iter().map(|r| r.message.as_str()).collect();
    let containing = match a.get("message").and_then(Value::as_str) {
        Some(m) => format!(" containing {m:?}"),
        None => String::new(),
    };
    match a.get("violations") {
        None | Some(Value::Null) => want_yes(matching, &containing, &messages),
        // `yes` and `no` unquoted are booleans under the YAML 1.1 rules the loader follows;
        // gator reads the suite as YAML 1.2, where they are the strings.
        Some(Value::String(s)) if s == "yes" => want_yes(matching, &containing, &messages),
        Some(Value::Bool(true)) => want_yes(matching, &containing, &messages),
        Some(Value::Bool(false)) => {
            if matching > 0 {
                Err(format!(
                    "got {matching} violations{containing} but want none: got messages {messages:?}"
                ))
            } else {
                Ok(())
            }
        }
        Some(Value::String(s)) if s == "no" => {
            if matching > 0 {
                Err(format!(
                    "got {matching} violations{containing} but want none: got messages {messages:?}"
                ))
            } else {
                Ok(())
            }
        }
        Some(Value::Number(n)) => match n.as_u64() {
            Some(want) if want as usize == matching => Ok(()),
            Some(want) => Err(format!(
                "got {matching} violations{containing} but want exactly {want}: got messages {messages:?}"
            )),
            None => Err(
                "assertion.violation, if set, must be a nonnegative integer, \"yes\", or \"no\""
                    .into(),
            ),
        },
        Some(_) => Err(
            "assertion.violation, if set, must be a nonnegative integer, \"yes\", or \"no\"".into(),
        ),
    }
}

fn want_yes(matching: usize, containing: &str, messages: &[&str]) -> Result<(), String> {
    if matching == 0 {
        Err(format!(
            "got 0 violations{containing} but want at least 1: got messages {messages:?}"
        ))
    } else {
        Ok(())
    }
}
