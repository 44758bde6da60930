//! Fixture tests: every control has `fixtures/<ID>/pass*.yaml` and `fail*.yaml`.
//!
//! * each document of a `pass` file gives no violation of that control;
//! * each document of a `fail` file gives at least one, and all of them are snapshotted
//!   (line, column, field path, message), so a moved location or a changed message shows up.
//!
//! A file named `pass@v1.18.yaml` or `fail@v1.18.yaml` is evaluated at that PSS version.
//! A first line `# settings: allowed_registries=a,b; require_pull_always=true` sets the
//! config-driven settings for that fixture (also `now=<RFC 3339 time>` and
//! `secret_max_age_days=N`).
//!
//! `KUBEWARD_FIXTURES=KW3` (a comma-separated list of ID prefixes) limits both fixture tests
//! to those controls while working on one family.

use std::path::{Path, PathBuf};

use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_str, Limits};

use crate::{registry, Context, Control, PssVersion, Settings, Target};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Evaluate one control over every object of `text`; one entry per document.
fn evaluate(control: &dyn Control, text: &str, settings: &Settings) -> Vec<Vec<String>> {
    let parsed = parse_str(text, &Limits::default());
    assert!(
        parsed.error.is_none(),
        "fixture does not parse: {:?}",
        parsed.error
    );
    let mut out = Vec::new();
    for doc in &parsed.documents {
        let mut lines = Vec::new();
        for item in objects_in(doc) {
            let Item::Object(object) = item else {
                panic!("fixture holds a non-object")
            };
            let target = Target {
                pod: object.pod(),
                object,
            };
            let mut cx = Context::new(settings);
            control.check(&target, &mut cx);
            for v in cx.violations {
                lines.push(format!(
                    "{}:{} {} :: {}",
                    v.pos.line, v.pos.column, v.path, v.message
                ));
            }
        }
        out.push(lines);
    }
    out
}

/// Evaluate a cross-object control over a whole file: one scenario per file.
fn evaluate_cross(control: &dyn Control, text: &str) -> Vec<String> {
    let parsed = parse_str(text, &Limits::default());
    assert!(
        parsed.error.is_none(),
        "fixture does not parse: {:?}",
        parsed.error
    );
    let file: std::sync::Arc<str> = std::sync::Arc::from("fixture.yaml");
    let mut inventory = crate::Inventory::default();
    for doc in &parsed.documents {
        for item in objects_in(doc) {
            let Item::Object(object) = item else {
                panic!("fixture holds a non-object")
            };
            inventory.add(
                &Target {
                    pod: object.pod(),
                    object,
                },
                &file,
            );
        }
    }
    let mut out = Vec::new();
    control.check_inventory(&inventory, &mut crate::CrossOut::new(&mut |v| out.push(v)));
    out.iter()
        .map(|v| {
            format!(
                "{}:{} {} {} :: {}",
                v.at.pos.line, v.at.pos.column, v.at.object, v.path, v.message
            )
        })
        .collect()
}

fn version_of(stem: &str) -> PssVersion {
    match stem.split_once('@') {
        Some((_, v)) => v.parse().expect("fixture version"),
        None => PssVersion::LATEST,
    }
}

/// The settings a fixture asks for: its version suffix and an optional first-line
/// `# settings: key=value; ...` comment.
fn settings_of(stem: &str, text: &str) -> Settings {
    let mut settings = Settings {
        pss_version: version_of(stem),
        ..Settings::default()
    };
    let first = text.lines().next().unwrap_or("");
    if let Some(spec) = first.strip_prefix("# settings:") {
        for pair in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').expect("settings: key=value");
            match key.trim() {
                "allowed_registries" => {
                    settings.allowed_registries =
                        value.split(',').map(|r| r.trim().to_string()).collect()
                }
                "require_pull_always" => {
                    settings.require_pull_always = value.trim().parse().expect("bool")
                }
                "now" => {
                    let t = time::OffsetDateTime::parse(
                        value.trim(),
                        &time::format_description::well_known::Rfc3339,
                    )
                    .expect("now=RFC 3339 time");
                    settings.now = Some(t.unix_timestamp());
                }
                "secret_max_age_days" => {
                    settings.secret_max_age_days = value.trim().parse().expect("days")
                }
                other => panic!("{stem}: unknown fixture setting {other}"),
            }
        }
    }
    settings
}

/// The controls the fixture tests cover: all, or those `KUBEWARD_FIXTURES` selects.
fn selected() -> Vec<&'static dyn Control> {
    let filter = std::env::var("KUBEWARD_FIXTURES").unwrap_or_default();
    let prefixes: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    registry::all()
        .iter()
        .copied()
        .filter(|c| prefixes.is_empty() || prefixes.iter().any(|p| c.meta().id.starts_with(p)))
        .collect()
}

#[test]
fn every_control_has_pass_and_fail_fixtures() {
    for control in selected() {
        let id = control.meta().id;
        let dir = fixtures_dir().join(id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{id}: no fixtures directory {}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("pass")),
            "{id}: no pass fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("fail")),
            "{id}: no fail fixture"
        );
    }
}

#[test]
fn fixtures() {
    let mut failures = Vec::new();
    for control in selected() {
        let id = control.meta().id;
        let dir = fixtures_dir().join(id);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            let settings = settings_of(&stem, &text);
            assert!(
                crate::applies(control.meta(), &settings),
                "{id}/{stem}: control does not apply at this version"
            );
            if control.is_audit_detection() {
                // Audit events (fixtures/<ID>/*.jsonl), checked by kubeward-audit's tests.
                continue;
            }
            if control.is_image_check() {
                // SBOMs (fixtures/<ID>/*.cdx.json), checked by kubeward-image's tests.
                continue;
            }
            if control.is_cross_object() {
                let found = evaluate_cross(control, &text);
                if stem.starts_with("pass") && !found.is_empty() {
                    failures.push(format!("{id}/{stem}: unexpected {found:?}"));
                } else if stem.starts_with("fail") {
                    if found.is_empty() {
                        failures.push(format!("{id}/{stem}: no violation"));
                    }
                    insta::assert_snapshot!(format!("{id}_{stem}"), found.join("\n"));
                }
                continue;
            }
            let results = evaluate(control, &text, &settings);
            if stem.starts_with("pass") {
                for (i, doc) in results.iter().enumerate() {
                    if !doc.is_empty() {
                        failures.push(format!("{id}/{stem} document {i}: unexpected {doc:?}"));
                    }
                }
            } else {
                for (i, doc) in results.iter().enumerate() {
                    if doc.is_empty() {
                        failures.push(format!("{id}/{stem} document {i}: no violation"));
                    }
                }
                let snapshot: Vec<String> = results.into_iter().flatten().collect();
                insta::assert_snapshot!(format!("{id}_{stem}"), snapshot.join("\n"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ids_and_names_are_unique_and_documented() {
    let all = registry::all();
    for (i, a) in all.iter().enumerate() {
        let m = a.meta();
        assert!(
            m.id.starts_with("KW")
                && (5..=6).contains(&m.id.len())
                && m.id[2..].bytes().all(|b| b.is_ascii_digit()),
            "{}: ID form",
            m.id
        );
        for b in &all[i + 1..] {
            assert_ne!(m.id, b.meta().id);
            assert_ne!(m.name, b.meta().name);
        }
        let doc = m.documentation();
        for heading in [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                doc.contains(heading),
                "{}: documentation lacks {heading:?}",
                m.id
            );
        }
        let f = m.frameworks;
        assert!(
            f.pss.is_some() || !f.nsa.is_empty() || !f.cis.is_empty() || !f.mitre.is_empty(),
            "{}: maps to no framework",
            m.id
        );
    }
}

#[test]
fn registry_sorts_ids_by_number() {
    let ids: Vec<&str> = registry::all().iter().map(|c| c.meta().id).collect();
    let numbers: Vec<u32> = ids.iter().map(|id| id[2..].parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(ids.first(), Some(&"KW101"));
    assert!(ids.iter().position(|i| *i == "KW1001") > ids.iter().position(|i| *i == "KW806"));
}

#[test]
fn find_by_id_name_or_pss_check() {
    assert_eq!(
        registry::find("KW101").unwrap().meta().name,
        "privileged-container"
    );
    assert_eq!(registry::find("kw101").unwrap().meta().id, "KW101");
    assert_eq!(
        registry::find("privileged-container").unwrap().meta().id,
        "KW101"
    );
    assert_eq!(registry::find("privileged").unwrap().meta().id, "KW101");
    assert!(registry::find("nope").is_none());
}

#[test]
fn pss_versions_parse() {
    assert_eq!("v1.37".parse::<PssVersion>().unwrap(), PssVersion::LATEST);
    assert_eq!("latest".parse::<PssVersion>().unwrap(), PssVersion::LATEST);
    assert_eq!(
        "v1.99".parse::<PssVersion>().unwrap(),
        PssVersion::LATEST,
        "clamped like PSA"
    );
    assert_eq!("1.19".parse::<PssVersion>().unwrap().minor(), 19);
    assert!("v2.0".parse::<PssVersion>().is_err());
    assert!("v1.x".parse::<PssVersion>().is_err());
}
