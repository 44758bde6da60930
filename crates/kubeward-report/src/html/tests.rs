//! The page's data read back (base64, gzip, JSON), and the source lines' bounds and redaction.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;

use base64::Engine as _;
use kubeward_controls::{registry, PssVersion, Settings, Severity};
use kubeward_engine::{Engine, Policy, Source};
use kubeward_yaml::Limits;
use serde_json::Value;

use super::HtmlReporter;
use crate::{Reporter, RunInfo};

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

/// The embedded data of a page.
pub(crate) fn data(page: &str) -> Value {
    let start = page.find("id=\"kw-data\"").expect("data element");
    let start = start + page[start..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</script>").unwrap();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(page[start..end].trim())
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Scan the files of `dir` (every control) into a page; returns it.
fn scan(paths: &[std::path::PathBuf], sources: bool) -> String {
    scan_sources(paths.iter().cloned().map(Source::File).collect(), sources)
}

fn scan_sources(list: Vec<Source>, sources: bool) -> String {
    let engine = Engine::new(
        registry::all().to_vec(),
        Settings::default(),
        Limits::default(),
    )
    .with_policy(Policy::default());
    let info = RunInfo {
        tool_version: "0.0.0-test",
        pss_version: PssVersion::LATEST,
        frameworks: vec!["all".into()],
        fail_on: Severity::Low,
        controls: engine.controls().to_vec(),
        attack_paths: false,
    };
    let buf = Buf::default();
    let mut rep: Box<dyn Reporter> = Box::new(HtmlReporter::new(
        Box::new(buf.clone()),
        info,
        "scan",
        sources,
    ));
    let summary = engine.scan(&list, rep.as_mut()).unwrap();
    rep.finish(&summary).unwrap();
    let out = buf.0.borrow().clone();
    String::from_utf8(out).unwrap()
}

const WORKLOAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
        env:
        - name: DB_PASSWORD
          value: hunter2-Xq9
        - {name: API_TOKEN, value: tok-Zz81}
        args: [\"--client-secret=cs-Aa11\"]
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
stringData:
  user: admin-Pp42
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: shop}
data:
  plain: visible-value
";

#[test]
fn page_data_has_every_finding_once_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, WORKLOAD).unwrap();
    let page = scan(std::slice::from_ref(&file), true);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing the browser would fetch: no external script, style, image or font.
    for bad in ["src=", "href=\"http", "url(", "@import"] {
        assert!(!page.contains(bad), "{bad}");
    }
    let d = data(&page);
    let strings: Vec<&str> = d["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let findings = d["findings"].as_array().unwrap();
    let summary = &d["meta"]["reports"][0]["summary"];
    assert_eq!(
        findings.iter().filter(|f| f[12] == 0).count() as u64,
        summary["findings"].as_u64().unwrap()
    );
    // The privileged container, at its line (13) and field.
    let kw101 = d["controls"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["id"] == "KW101")
        .unwrap();
    let f = findings
        .iter()
        .find(|f| f[1] == kw101 as u64)
        .expect("KW101 finding");
    assert_eq!(strings[f[4].as_u64().unwrap() as usize], "Deployment");
    assert_eq!(strings[f[6].as_u64().unwrap() as usize], "web");
    assert_eq!(f[8], 13);
    assert_eq!(
        strings[f[10].as_u64().unwrap() as usize],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(f[2], 0, "critical is severity 0");
    // The control's documentation is the `kubeward explain` text.
    assert_eq!(
        d["controls"][kw101]["doc"].as_str().unwrap(),
        registry::find("KW101").unwrap().meta().documentation()
    );
}

#[test]
fn source_lines_are_bounded_and_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, WORKLOAD).unwrap();
    let page = scan(std::slice::from_ref(&file), true);
    let d = data(&page);
    let name = file.display().to_string();
    let blocks = d["sources"][&name].as_array().expect("lines of app.yaml");
    let mut lines = std::collections::BTreeMap::new();
    for b in blocks {
        let start = b[0].as_u64().unwrap();
        for (i, l) in b[1].as_array().unwrap().iter().enumerate() {
            lines.insert(start + i as u64, l.as_str().unwrap().to_string());
        }
    }
    // The privileged line and its neighbours, as written.
    assert_eq!(lines[&13], "          privileged: true");
    assert_eq!(lines[&11], "        image: nginx:1.27");
    // Credentials: the key stays, the value goes.
    assert_eq!(lines[&16], "          value: <redacted>");
    assert_eq!(lines[&17], "        - {name: <redacted>");
    assert_eq!(lines[&18], "        args: <redacted>");
    let all = serde_json::to_string(&d).unwrap();
    for secret in ["hunter2-Xq9", "tok-Zz81", "cs-Aa11", "admin-Pp42"] {
        assert!(!all.contains(secret), "{secret} in the page");
    }
    // A Secret's lines are never shown, even as a neighbour's context.
    for (n, l) in &lines {
        if (20..=25).contains(n) {
            assert!(l.contains("not shown"), "line {n}: {l}");
        }
    }
    // Without `sources`, no lines at all.
    let d = data(&scan(std::slice::from_ref(&file), false));
    assert!(d.get("sources").is_none());
}

#[test]
fn long_lines_are_cut_and_unreadable_files_give_no_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.yaml");
    let long = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, annotations: {{a: \"{}\"}}}}\nspec:\n  hostNetwork: true\n  containers: [{{name: c, image: x}}]\n",
        "y".repeat(5000)
    );
    std::fs::write(&file, long).unwrap();
    let d = data(&scan(std::slice::from_ref(&file), true));
    let name = file.display().to_string();
    for b in d["sources"][&name].as_array().unwrap() {
        for l in b[1].as_array().unwrap() {
            assert!(l.as_str().unwrap().chars().count() <= super::MAX_LINE_CHARS + 1);
        }
    }
    // Text that is not a file on disk (standard input, a cluster's objects) has no lines.
    let text = std::fs::read_to_string(&file).unwrap();
    let d = data(&scan_sources(
        vec![Source::Text {
            name: "stdin-not-a-file.yaml".into(),
            text: std::sync::Arc::from(text.as_str()),
        }],
        true,
    ));
    assert_eq!(d["sources"], Value::Object(Default::default()));
}

#[test]
fn the_script_cannot_close_its_element() {
    assert!(!super::JS.contains("</script"));
    assert!(!super::CSS.contains("</style"));
}

#[test]
fn long_numbers_are_redacted_and_the_rest_kept() {
    use super::source::redact_long_numbers as r;
    assert_eq!(
        r("subjects: [{kind: ServiceAccount, namespace: 918273645546}]"),
        "subjects: [{kind: ServiceAccount, namespace: <redacted>}]"
    );
    assert_eq!(r("  pin: 123456789"), "  pin: <redacted>");
    // Short numbers, and digits inside words, digests and versions, stay.
    for kept in [
        "  runAsUser: 10001",
        "  image: nginx@sha256:0123456789abcdef0123456789",
        "  version: v1.123456789",
        "  name: build-1234567890",
    ] {
        assert_eq!(r(kept), kept);
    }
}
