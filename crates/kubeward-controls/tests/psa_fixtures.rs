//! Agreement with Pod Security Admission's own fixtures.
//!
//! `psa-fixtures/` is upstream's `test/testdata` (see `psa-fixtures/PROVENANCE.md`): for every
//! level and policy version v1.0..v1.37, pods that PSA must admit (`pass/`) and pods it must
//! reject (`fail/`), indexed by `expectations.tsv`. For every row, kubeward runs each PSS
//! control of that level or below that applies at that version, and must agree:
//!
//! * pass: no violation;
//! * fail: a violation of the fixture's check, or of the other check of its override family
//!   (kubeward splits each restricted check that overrides a baseline one between the two
//!   controls, so the baseline control may be the one reporting at restricted);
//! * v1.37: the set of violated checks equals `all_violated_check_ids_at_level` of
//!   `expectations-v1.37-violations.tsv`, modulo the same families.
//!
//! Upstream's integration test also creates each fixture as a Deployment's pod template and
//! expects the same outcome (as a warning); so does the second test here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kubeward_controls::{applies, registry, Context, PssLevel, PssVersion, Settings, Target};
use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_str, Limits};

/// Every fixture of the upstream set: 2 levels × 38 versions.
const EXPECTED_ROWS: usize = 4537;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/psa-fixtures")
}

/// The override families: a restricted check and the baseline check it replaces.
fn family(check: &str) -> &str {
    match check {
        "hostPathVolumes" | "restrictedVolumes" => "restrictedVolumes",
        "capabilities_baseline" | "capabilities_restricted" => "capabilities_restricted",
        "seccompProfile_baseline" | "seccompProfile_restricted" => "seccompProfile_restricted",
        "procMount" | "procMount_restricted" => "procMount_restricted",
        other => other,
    }
}

struct Row {
    level: PssLevel,
    version: PssVersion,
    pass: bool,
    path: String,
    check: String,
}

fn read_tsv(name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(fixtures_dir().join(name))
        .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split('\t').map(str::to_string))
                .collect()
        })
        .collect()
}

fn rows() -> Vec<Row> {
    read_tsv("expectations.tsv")
        .into_iter()
        .map(|r| Row {
            level: match r["level"].as_str() {
                "baseline" => PssLevel::Baseline,
                "restricted" => PssLevel::Restricted,
                other => panic!("unknown level {other}"),
            },
            version: r["version"].parse().expect("version"),
            pass: match r["expected"].as_str() {
                "pass" => true,
                "fail" => false,
                other => panic!("unknown expectation {other}"),
            },
            path: r["path"].clone(),
            check: r["check_id"].clone(),
        })
        .collect()
}

/// The PSS checks kubeward reports for the (single) pod-bearing object in `text`, at `level`
/// and `version`, with the controls' messages.
fn violated(
    text: &str,
    level: PssLevel,
    version: PssVersion,
) -> Result<BTreeMap<String, Vec<String>>, String> {
    let parsed = parse_str(text, &Limits::default());
    if let Some(e) = parsed.error {
        return Err(format!("does not parse: {e:?}"));
    }
    let settings = Settings {
        pss_version: version,
        ..Settings::default()
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pods = 0;
    for doc in &parsed.documents {
        for item in objects_in(doc) {
            let Item::Object(object) = item else {
                return Err("holds a non-object".into());
            };
            let Some(pod) = object.pod() else {
                return Err(format!("{} is not pod-bearing", object.kind));
            };
            pods += 1;
            let target = Target {
                pod: Some(pod),
                object,
            };
            for control in registry::all() {
                let meta = control.meta();
                let Some(pss) = meta.frameworks.pss else {
                    continue;
                };
                if pss.level > level || !applies(meta, &settings) {
                    continue;
                }
                let mut cx = Context::new(&settings);
                control.check(&target, &mut cx);
                for v in cx.violations {
                    out.entry(pss.check.to_string())
                        .or_default()
                        .push(format!("{} {}: {} {}", meta.id, v.pos, v.path, v.message));
                }
            }
        }
    }
    if pods != 1 {
        return Err(format!("holds {pods} pod-bearing objects, expected 1"));
    }
    Ok(out)
}

/// The fixture (a Pod) as the pod template of a Deployment, as upstream's `Run` creates it.
fn as_deployment(pod_yaml: &str) -> String {
    let mut out = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wrapped\nspec:\n  selector:\n    matchLabels: {app: wrapped}\n  template:\n",
    );
    for line in pod_yaml.lines() {
        if line.starts_with("apiVersion:") || line.starts_with("kind:") {
            continue;
        }
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The v1.37 index: fixture path → every check PSA reports (modulo families).
fn v137_violations() -> BTreeMap<String, BTreeSet<String>> {
    read_tsv("expectations-v1.37-violations.tsv")
        .into_iter()
        .map(|r| {
            let all = &r["all_violated_check_ids_at_level"];
            let set = if all == "-" {
                BTreeSet::new()
            } else {
                all.split(',')
                    .map(|c| family(c.trim()).to_string())
                    .collect()
            };
            (r["path"].clone(), set)
        })
        .collect()
}

fn agree(wrap: fn(&str) -> String) -> (usize, Vec<String>) {
    let rows = rows();
    let v137 = v137_violations();
    let mut checked = 0;
    let mut v137_checked = 0;
    let mut disagreements = Vec::new();
    for row in &rows {
        let text = std::fs::read_to_string(fixtures_dir().join(&row.path))
            .unwrap_or_else(|e| panic!("{}: {e}", row.path));
        let found = match violated(&wrap(&text), row.level, row.version) {
            Ok(f) => f,
            Err(e) => {
                disagreements.push(format!("{}: {e}", row.path));
                continue;
            }
        };
        checked += 1;
        let families: BTreeSet<String> = found.keys().map(|c| family(c).to_string()).collect();
        let detail = || {
            found
                .values()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        };
        if row.pass {
            if !found.is_empty() {
                disagreements.push(format!("{} (pass): unexpected {}", row.path, detail()));
            }
        } else if !families.contains(family(&row.check)) {
            let got = if found.is_empty() {
                "nothing".to_string()
            } else {
                detail()
            };
            disagreements.push(format!(
                "{} (fail, {}): reported {got}",
                row.path, row.check
            ));
        }
        if row.version == PssVersion::LATEST {
            let Some(expected) = v137.get(&row.path) else {
                disagreements.push(format!(
                    "{}: missing from expectations-v1.37-violations.tsv",
                    row.path
                ));
                continue;
            };
            v137_checked += 1;
            if &families != expected {
                disagreements.push(format!(
                    "{}: violated checks {families:?}, expected {expected:?} ({})",
                    row.path,
                    detail()
                ));
            }
        }
    }
    assert_eq!(
        v137_checked,
        v137.len(),
        "every v1.37 violation row is checked"
    );
    (checked, disagreements)
}

#[test]
fn agrees_with_every_psa_fixture() {
    let (checked, disagreements) = agree(|t| t.to_string());
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(checked, EXPECTED_ROWS, "fixture rows checked");
}

#[test]
fn agrees_with_every_psa_fixture_as_deployment_template() {
    let (checked, disagreements) = agree(as_deployment);
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(checked, EXPECTED_ROWS, "fixture rows checked");
}

#[test]
fn expectations_cover_every_fixture_file() {
    let listed: BTreeSet<String> = rows().into_iter().map(|r| r.path).collect();
    let mut on_disk = BTreeSet::new();
    for level in ["baseline", "restricted"] {
        for version in std::fs::read_dir(fixtures_dir().join(level)).expect("level dir") {
            let version = version.expect("entry").path();
            for outcome in ["pass", "fail"] {
                let Ok(files) = std::fs::read_dir(version.join(outcome)) else {
                    continue;
                };
                for f in files {
                    let f = f.expect("entry").path();
                    let rel = f.strip_prefix(fixtures_dir()).expect("prefix");
                    on_disk.insert(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    assert_eq!(on_disk.len(), EXPECTED_ROWS);
    assert_eq!(listed, on_disk);
}
