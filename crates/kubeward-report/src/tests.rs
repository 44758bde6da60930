use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;

use kubeward_controls::{registry, PssVersion, Settings, Severity};
use kubeward_engine::{Engine, Policy, Source};
use kubeward_yaml::Limits;
use serde_json::Value;

use crate::{reporter, Format, RunInfo};

#[derive(Clone, Default)]
struct Buf(Rc<RefCell<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const INPUT: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod}\nspec:\n  containers:\n  - name: app\n    securityContext: {privileged: true}\n---\nkind: [broken\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: \"a&b<c>\"}\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: init\n        securityContext:\n          privileged: true\n---\nreplicas: 3\n";

/// A finding suppressed on the object: counted and shown as suppressed, never failing.
const SUPPRESSED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lab\n  annotations:\n    kubeward.io/ignore: \"KW101: lab node, isolated\"\nspec:\n  containers:\n  - name: app\n    securityContext: {privileged: true}\n";

fn render(format: Format) -> String {
    render_with(format, false)
}

fn render_with(format: Format, snippets: bool) -> String {
    // One control, so that these tests do not change as the catalog grows.
    let engine = Engine::new(
        vec![registry::find("KW101").unwrap()],
        Settings::default(),
        Limits::default(),
    )
    .with_policy(Policy {
        show_suppressed: true,
        snippets,
        ..Policy::default()
    });
    let info = RunInfo {
        tool_version: "0.0.0-test",
        pss_version: PssVersion::LATEST,
        frameworks: vec!["all".into()],
        fail_on: Severity::Low,
        controls: engine.controls().to_vec(),
        attack_paths: false,
    };
    let buf = Buf::default();
    let mut rep: Box<dyn crate::Reporter> = if snippets {
        Box::new(crate::TextReporter::new(Box::new(buf.clone()), info, false).with_snippets())
    } else {
        reporter(format, Box::new(buf.clone()), info, false)
    };
    let sources = vec![
        Source::Text {
            name: "deploy/app with space.yaml".into(),
            text: Arc::from(INPUT),
        },
        Source::Text {
            name: "clean.yaml".into(),
            text: Arc::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        },
        Source::Text {
            name: "ignored.yaml".into(),
            text: Arc::from(SUPPRESSED),
        },
    ];
    let summary = engine.scan(&sources, rep.as_mut()).unwrap();
    rep.finish(&summary).unwrap();
    let out = buf.0.borrow().clone();
    String::from_utf8(out).unwrap()
}

fn validate(schema_text: &str, draft: jsonschema::Draft, doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema_text).unwrap();
    let validator = jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_matches_its_documented_schema() {
    let out = render(Format::Json);
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    let errors = validate(
        include_str!("../schema/kubeward-report.schema.json"),
        jsonschema::Draft::Draft7,
        &doc,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    let findings = doc["findings"].as_array().unwrap();
    let kw101: Vec<&Value> = findings
        .iter()
        .filter(|f| f["id"] == "KW101" && f.get("suppressed").is_none())
        .collect();
    assert_eq!(kw101.len(), 2);
    assert_eq!(kw101[0]["location"]["line"], 7);
    assert_eq!(
        kw101[0]["location"]["path"],
        "spec.containers[0].securityContext.privileged"
    );
    assert_eq!(
        kw101[0]["frameworks"]["pss"],
        serde_json::json!({"level": "baseline", "check": "privileged"})
    );
    assert_eq!(kw101[1]["object"]["name"], "a&b<c>");
    assert_eq!(doc["errors"][0]["line"], 9);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["summary"]["files"], 3);
    let lab = findings
        .iter()
        .find(|f| f["object"]["name"] == "lab")
        .unwrap();
    assert_eq!(
        lab["suppressed"],
        serde_json::json!({"by": "annotation", "reason": "lab node, isolated"})
    );
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(
        doc["summary"]["findings"], 2,
        "suppressed findings are not counted as findings"
    );
    let score = &doc["summary"]["frameworks"]["pss-baseline"];
    assert_eq!(score["controls"], 1);
    assert_eq!(score["passed"], 0);
    assert_eq!(doc["summary"]["exitCode"], 2);
}

#[test]
fn json_schema_rejects_what_it_should() {
    // The schema is not a rubber stamp: a finding without a location fails it.
    let mut doc: Value = serde_json::from_str(&render(Format::Json)).unwrap();
    doc["findings"][0]
        .as_object_mut()
        .unwrap()
        .remove("location");
    let errors = validate(
        include_str!("../schema/kubeward-report.schema.json"),
        jsonschema::Draft::Draft7,
        &doc,
    );
    assert!(!errors.is_empty());
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let out = render(Format::Sarif);
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    let errors = validate(
        include_str!("../schema/sarif-schema-2.1.0.json"),
        jsonschema::Draft::Draft4,
        &doc,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        assert!(rules[idx]["properties"]["security-severity"].is_string());
    }
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "lab node, isolated"
    );
    assert!(run["properties"]["compliance"]["pss-baseline"]["score"].is_number());
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "deploy/app%20with%20space.yaml"
    );
    assert_eq!(loc["region"]["startLine"], 7);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
            ["region"]["startLine"],
        9
    );
    // Fingerprints differ per finding and are stable.
    let fp: Vec<&Value> = results
        .iter()
        .map(|r| &r["partialFingerprints"]["kubewardFinding/v1"])
        .collect();
    assert_ne!(fp[0], fp[1]);
    let again: Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    assert_eq!(
        again["runs"][0]["results"][0]["partialFingerprints"],
        results[0]["partialFingerprints"]
    );
}

#[test]
fn sarif_schema_rejects_a_bad_level() {
    let mut doc: Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    doc["runs"][0]["results"][0]["level"] = Value::from("critical");
    let errors = validate(
        include_str!("../schema/sarif-schema-2.1.0.json"),
        jsonschema::Draft::Draft4,
        &doc,
    );
    assert!(!errors.is_empty());
}

#[test]
fn junit_is_well_formed_and_counts() {
    let out = render(Format::Junit);
    let mut reader = quick_xml::Reader::from_str(&out);
    let (mut cases, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    "skipped" => skipped += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(failures, 2);
    assert_eq!(errors, 1);
    assert_eq!(skipped, 1, "the suppressed finding");
    assert_eq!(cases, 5, "2 failures, 1 skipped, 1 error, 1 clean file");
    assert!(out.contains("compliance.pss-baseline"));
    assert!(out.contains("a&amp;b&lt;c&gt;"));
}

#[test]
fn text_output() {
    insta::assert_snapshot!(render(Format::Text));
}

/// The default text form: findings grouped by object, each with its source line and a marker
/// under the field; the suppressed finding, the parse error and the skipped document as in the
/// compact form.
#[test]
fn text_output_with_snippets() {
    insta::assert_snapshot!(render_with(Format::Text, true));
}
