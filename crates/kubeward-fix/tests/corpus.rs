//! Self-check on the real-world corpus (`../shared/corpus`, KUBEWARD_SHARED overrides): fix a
//! copy of every file and check the outcome with tools that are not kubeward's:
//!
//! * a re-scan reports none of the fixed (control, object, field) findings;
//! * PyYAML (an independent YAML parser) reads every edited file to the same objects as the
//!   original, apart from the fixed fields (and the mappings created to hold them);
//! * Debian's `yamllint -d relaxed` reports nothing new in the edited files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use kubeward_controls::{registry, Settings};
use kubeward_engine::{Collect, Engine, Policy, Source};
use kubeward_yaml::Limits;

fn shared() -> PathBuf {
    if let Some(s) = std::env::var_os("KUBEWARD_SHARED") {
        return PathBuf::from(s);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

fn engine() -> Engine {
    Engine::new(
        registry::all().to_vec(),
        Settings::default(),
        Limits::default(),
    )
    .with_policy(Policy {
        today: (2026, 12, 1),
        ..Policy::default()
    })
}

const PY_COMPARE: &str = r#"
import json, sys, yaml

class Loader(yaml.SafeLoader):
    pass
# The corpus has YAML `=` value tags (SOURCES.md); read them as strings.
Loader.add_constructor('tag:yaml.org,2002:value', lambda l, n: l.construct_scalar(n))

def objects(path):
    out = []
    with open(path, 'rb') as f:
        for doc in yaml.load_all(f, Loader=Loader):
            if isinstance(doc, dict) and str(doc.get('kind', '')).endswith('List') and isinstance(doc.get('items'), list):
                out.extend(doc['items'])
            else:
                out.append(doc)
    return out

def key(p, k):
    plain = k != '' and all(c.isalnum() or c in '_-' for c in k)
    return (p + '.' + k if p else k) if plain else p + "['" + k.replace("'", "\\'") + "']"

def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in set(a) | set(b):
            if k not in a or k not in b:
                out.append(key(path, str(k)))
            else:
                diff(a[k], b[k], key(path, str(k)), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, '%s[%d]' % (path, i), out)
    elif a != b or type(a) != type(b):
        out.append(path)

report = {}
for line in sys.stdin:
    case = json.loads(line)
    before, after = objects(case['before']), objects(case['after'])
    if len(before) != len(after):
        report[case['name']] = ['object count %d -> %d' % (len(before), len(after))]
        continue
    bad = []
    allowed = case['allowed']
    for i, (a, b) in enumerate(zip(before, after)):
        d = []
        diff(a, b, '', d)
        name = '%s/%s' % (a.get('kind') if isinstance(a, dict) else '?', ((a or {}).get('metadata') or {}).get('name') if isinstance(a, dict) else '?')
        for p in d:
            ok = any(x[0] == name and (x[1] == p or x[1].startswith(p + '.') or x[1].startswith(p + '[') or p.startswith(x[1] + '.') or p.startswith(x[1] + '[')) for x in allowed)
            if not ok:
                bad.append('%s: %s changed' % (name, p))
    report[case['name']] = bad
print(json.dumps(report))
"#;

/// yamllint's problems in `files`, as (file, message with its numbers left out) counts:
/// positions move when lines are inserted, so problems are compared by kind and number. One
/// more problem of a kind in a file than before is a new problem (the new lines follow the
/// layout yamllint's `relaxed` rules take from the file's first nested mapping and sequence,
/// so a file that mixes styles gets no new warning either).
fn yamllint(files: &[PathBuf], root: &Path) -> BTreeMap<(String, String), usize> {
    let out = Command::new("yamllint")
        .args(["-f", "parsable", "-d", "relaxed"])
        .args(files)
        .output()
        .expect("yamllint (Debian's yamllint package; .ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        // path:line:col: [level] message (rule)
        let Some((path, rest)) = line.split_once(':') else {
            continue;
        };
        let rel = Path::new(path)
            .strip_prefix(root)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.to_string());
        let msg: String = rest
            .splitn(3, ':')
            .nth(2)
            .unwrap_or("")
            .trim()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect();
        *counts.entry((rel, msg)).or_insert(0) += 1;
    }
    counts
}

#[test]
fn fixing_the_corpus_changes_only_the_fixed_fields() {
    let corpus = shared().join("corpus");
    assert!(
        corpus.is_dir(),
        "{} is missing; set KUBEWARD_SHARED to the folder holding corpus/",
        corpus.display()
    );
    let work = tempfile::tempdir().unwrap();
    let before_dir = work.path().join("before");
    let after_dir = work.path().join("after");
    let mut files = Vec::new();
    yaml_files(&corpus, &mut files);
    assert!(files.len() > 400, "corpus has {} files", files.len());
    let mut inputs = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&corpus).unwrap();
        let text = std::fs::read_to_string(f).unwrap();
        for dir in [&before_dir, &after_dir] {
            let dest = dir.join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, &text).unwrap();
        }
        inputs.push((after_dir.join(rel).display().to_string(), text));
    }
    let engine = engine();
    let opts = kubeward_fix::Options {
        want: &|_| true,
        max_rounds: 8,
    };
    let outcomes = kubeward_fix::fix_texts(&engine, inputs, &opts);
    let mut changed = Vec::new();
    let mut applied = 0;
    let mut by_control: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &outcomes {
        applied += o.applied.len();
        for a in &o.applied {
            *by_control.entry(a.control.id).or_default() += 1;
        }
        if o.changed() {
            changed.push(o);
        }
    }
    // Written as `kubeward fix` writes them (several at once); what follows reads them back.
    let writes: Vec<(&Path, &str)> = changed
        .iter()
        .map(|o| (Path::new(&o.name), o.fixed.as_str()))
        .collect();
    for (r, (p, _)) in kubeward_fix::write_all_atomic(&writes).iter().zip(&writes) {
        assert!(r.is_ok(), "{}: {r:?}", p.display());
    }
    fn temporaries(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                temporaries(&p, out);
            } else if e
                .file_name()
                .to_string_lossy()
                .starts_with(".kubeward-fix-")
            {
                out.push(p);
            }
        }
    }
    let mut left = Vec::new();
    temporaries(&after_dir, &mut left);
    assert!(left.is_empty(), "temporary files left: {left:?}");
    for o in &changed {
        assert_eq!(std::fs::read_to_string(&o.name).unwrap(), o.fixed);
    }
    eprintln!(
        "{} fixes in {} of {} files; by control {by_control:?}; refused {}",
        applied,
        changed.len(),
        outcomes.len(),
        outcomes.iter().map(|o| o.refused.len()).sum::<usize>()
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for o in &outcomes {
        for r in &o.refused {
            *reasons
                .entry(format!("{} {}", r.control.id, r.reason))
                .or_default() += 1;
        }
    }
    eprintln!("refusals: {reasons:#?}");
    assert!(applied > 1000, "only {applied} fixes");
    assert!(changed.len() > 100, "only {} files changed", changed.len());
    // Every control with a certain fix that the corpus triggers got fixed somewhere.
    // (KW316, NET_RAW, is covered by KW202's ALL in the same list: never needed on its own.)
    for id in [
        "KW101", "KW102", "KW201", "KW202", "KW205", "KW207", "KW301", "KW310", "KW312",
    ] {
        assert!(
            by_control.contains_key(id),
            "no {id} fix in the corpus: {by_control:?}"
        );
    }

    // 1. A re-scan of the written files: no fixed finding is reported again.
    let sources: Vec<Source> = changed
        .iter()
        .map(|o| Source::File(PathBuf::from(&o.name)))
        .collect();
    let mut collect = Collect::default();
    engine.scan(&sources, &mut collect).unwrap();
    let left: std::collections::HashSet<(String, &str, String, String)> = collect
        .findings()
        .map(|f| {
            (
                f.file.to_string(),
                f.control.id,
                f.object.to_string(),
                f.path.to_string(),
            )
        })
        .collect();
    for o in &changed {
        for a in &o.applied {
            assert!(
                !left.contains(&(
                    o.name.clone(),
                    a.control.id,
                    a.object.clone(),
                    a.path.clone()
                )),
                "{} {} {} {} reported again after its fix",
                o.name,
                a.control.id,
                a.object,
                a.path
            );
        }
    }
    let errors: Vec<String> = collect.errors().map(|e| e.to_string()).collect();
    let mut before_collect = Collect::default();
    let before_sources: Vec<Source> = changed
        .iter()
        .map(|o| {
            Source::File(before_dir.join(Path::new(&o.name).strip_prefix(&after_dir).unwrap()))
        })
        .collect();
    engine.scan(&before_sources, &mut before_collect).unwrap();
    assert_eq!(
        errors.len(),
        before_collect.errors().count(),
        "new input errors after fixing: {errors:?}"
    );

    // 2. PyYAML reads the same objects, apart from the fixed fields.
    let mut stdin = String::new();
    for o in &changed {
        let after = PathBuf::from(&o.name);
        let before = before_dir.join(after.strip_prefix(&after_dir).unwrap());
        let allowed: Vec<(String, String)> = o
            .applied
            .iter()
            .map(|a| {
                // ObjectId displays kind/namespace/name; PyYAML's side uses kind/name.
                let parts: Vec<&str> = a.object.split('/').collect();
                let name = format!("{}/{}", parts[0], parts[parts.len() - 1]);
                let mut path = a.path.clone();
                // A fix that sets a field under the reported one (seccompProfile -> type).
                if a.what.starts_with("set type") && !path.ends_with(".type") {
                    path.push_str(".type");
                }
                (name, path)
            })
            .collect();
        stdin.push_str(
            &serde_json::json!({
                "name": o.name,
                "before": before,
                "after": after,
                "allowed": allowed,
            })
            .to_string(),
        );
        stdin.push('\n');
    }
    let mut child = Command::new("python3")
        .args(["-c", PY_COMPARE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with PyYAML");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the PyYAML comparison failed");
    let report: HashMap<String, Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.len(), changed.len());
    let bad: Vec<_> = report.iter().filter(|(_, v)| !v.is_empty()).collect();
    assert!(bad.is_empty(), "objects changed beyond the fixes: {bad:?}");

    // 3. yamllint (relaxed) finds nothing new.
    let after_files: Vec<PathBuf> = changed.iter().map(|o| PathBuf::from(&o.name)).collect();
    let before_files: Vec<PathBuf> = after_files
        .iter()
        .map(|p| before_dir.join(p.strip_prefix(&after_dir).unwrap()))
        .collect();
    let lint_before = yamllint(&before_files, &before_dir);
    let lint_after = yamllint(&after_files, &after_dir);
    let new: Vec<_> = lint_after
        .iter()
        .filter(|(k, n)| lint_before.get(*k).is_none_or(|b| b < *n))
        .map(|(k, n)| (k, lint_before.get(k).copied().unwrap_or(0), n))
        .collect();
    assert!(new.is_empty(), "yamllint reports new problems: {new:?}");
}
