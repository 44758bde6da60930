use super::*;
use kubeward_controls::{registry, Severity};
use std::collections::HashSet;

fn engine() -> Engine {
    Engine::new(
        registry::all().to_vec(),
        Settings::default(),
        Limits::default(),
    )
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n";

#[test]
fn bad_documents_cost_only_themselves() {
    let text = format!("{PRIVILEGED}---\nkind: [broken\n---\n{PRIVILEGED}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: q}}\nspec:\n  containers: \"x\"\n");
    let r = engine().scan_text("m.yaml", &text);
    assert_eq!(
        r.objects, 3,
        "the two good pods and the one with a wrong type"
    );
    let kw101: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.control.id == "KW101")
        .collect();
    assert_eq!(kw101.len(), 2);
    assert_eq!(
        kw101[1].pos.line, 17,
        "second pod's finding is at its absolute line"
    );
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert_eq!(r.errors[0].pos.unwrap().line, 9);
    assert!(r.errors[1]
        .message
        .contains("spec.containers: expected a list"));
    assert_eq!(r.errors[1].object.as_ref().unwrap().name, "q");
}

#[test]
fn scan_walks_directories_in_order_and_reports_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("b.yaml"), PRIVILEGED).unwrap();
    std::fs::write(dir.path().join("sub/a.yml"), PRIVILEGED).unwrap();
    std::fs::write(dir.path().join(".git/x.yaml"), PRIVILEGED).unwrap();
    std::fs::write(dir.path().join("warnings.txt"), "not yaml").unwrap();
    std::fs::write(dir.path().join("bad.json"), b"{\"a\": \xff}").unwrap();
    let args = vec![
        dir.path().display().to_string(),
        "/nonexistent/kubeward".to_string(),
    ];
    let (sources, errors) = collect_sources(&args);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.starts_with("cannot read"));
    let names: Vec<String> = sources.iter().map(|s| s.name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].ends_with("b.yaml")
            && names[1].ends_with("bad.json")
            && names[2].ends_with("sub/a.yml")
    );
    let mut sink = Collect::default();
    let summary = engine().scan(&sources, &mut sink).unwrap();
    assert_eq!(summary.files, 3);
    assert_eq!(summary.objects, 2);
    assert_eq!(summary.errors, 1, "invalid UTF-8");
    assert_eq!(sink.errors().next().unwrap().pos.unwrap().line, 1);
    assert_eq!(summary.exit_code(Severity::Low), 2);
}

#[test]
fn large_files_arrive_in_ordered_pieces() {
    let text: String = (0..5000)
        .map(|i| format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n  - name: c\n    securityContext: {{privileged: true}}\n"))
        .collect();
    let sources = vec![Source::Text {
        name: "big.yaml".into(),
        text: Arc::from(text.as_str()),
    }];
    let mut sink = Collect::default();
    let summary = engine().scan(&sources, &mut sink).unwrap();
    assert!(
        sink.results.len() > GROUP,
        "more pieces than one pipelined group"
    );
    assert!(sink.results[0].first_piece && !sink.results[1].first_piece);
    assert_eq!(summary.files, 1);
    let names: Vec<String> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| f.object.name.clone())
        .collect();
    let expected: Vec<String> = (0..5000).map(|i| format!("p{i}")).collect();
    assert_eq!(
        names, expected,
        "input order is kept across parallel pieces"
    );
}

#[test]
fn framework_selection() {
    let privileged = registry::find("KW101").unwrap();
    assert!(Framework::PssBaseline.includes(privileged));
    assert!(Framework::PssRestricted.includes(privileged));
    assert!("pss-nope".parse::<Framework>().is_err());
}

#[test]
fn not_objects_are_notes_not_errors() {
    let r = engine().scan_text("values.yaml", "replicas: 3\nimage: {tag: x}\n");
    assert_eq!(r.errors.len(), 0);
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.objects, 0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// The engine never panics on mutated manifests and every object it counts is evaluated.
    #[test]
    fn engine_never_panics(cut in 0usize..600, junk in "[-:\\[\\]{}&*!|>'\"#\n a-z0-9]{0,12}") {
        let base = format!("{PRIVILEGED}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n    metadata:\n      annotations: {{a: b}}\n    spec:\n      hostPID: true\n      volumes: [{{name: v, hostPath: {{path: /}}}}]\n      containers:\n      - name: c\n        ports: [{{hostPort: 80}}]\n        securityContext:\n          capabilities: {{add: [NET_RAW]}}\n");
        let at = cut.min(base.len());
        let text = format!("{}{}{}", &base[..at], junk, &base[at..]);
        let _ = engine().scan_text("fuzz.yaml", &text);
    }
}

#[test]
fn annotation_suppresses_with_a_reason_and_is_still_counted() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kubeward.io/ignore: \"KW101: debug pod, deleted after the incident; run-as-non-root: vendor image\"\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n";
    let sources = vec![Source::Text {
        name: "s.yaml".into(),
        text: Arc::from(text),
    }];
    let mut sink = Collect::default();
    let summary = engine().scan(&sources, &mut sink).unwrap();
    assert_eq!(summary.by_control.get("KW101"), None);
    assert_eq!(summary.by_control.get("KW205"), None);
    assert!(summary.suppressed >= 2);
    assert!(
        sink.findings().all(|f| f.control.id != "KW101"),
        "hidden unless asked"
    );

    let shown = engine().with_policy(Policy {
        show_suppressed: true,
        ..Policy::default()
    });
    let mut sink = Collect::default();
    shown.scan(&sources, &mut sink).unwrap();
    let f = sink.findings().find(|f| f.control.id == "KW101").unwrap();
    let s = f.suppressed.as_ref().unwrap();
    assert_eq!(s.by, SuppressedBy::Annotation);
    assert_eq!(s.reason, "debug pod, deleted after the incident");
}

#[test]
fn annotation_without_reason_or_with_unknown_control_is_an_error() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kubeward.io/ignore: \"KW101; KW999: x\"\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n";
    let r = engine().scan_text("s.yaml", text);
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert!(r.errors[0].message.contains("needs a reason"));
    assert!(r.errors[1].message.contains("unknown control \"KW999\""));
    assert_eq!(r.errors[0].pos.unwrap().line, 6);
    assert!(
        r.findings
            .iter()
            .any(|f| f.control.id == "KW101" && f.suppressed.is_none()),
        "not suppressed"
    );
}

#[test]
fn config_exclusions_severity_and_expiry() {
    let cfg = config::Config::parse(
        "severity:\n  KW101: low\nexclude:\n- controls: [KW205]\n  namespaces: [\"team-*\"]\n  reason: migrating\n- controls: [KW207]\n  reason: old\n  expires: 2020-01-01\n",
        Arc::from(".kubeward.yaml"),
        None,
    )
    .unwrap();
    let policy = Policy {
        severity: cfg.severity.iter().copied().collect(),
        exclusions: cfg.exclude,
        today: (2026, 11, 23),
        config_file: ".kubeward.yaml".into(),
        ..Policy::default()
    };
    let e = engine().with_policy(policy);
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n";
    let sources = vec![Source::Text {
        name: "s.yaml".into(),
        text: Arc::from(text),
    }];
    let mut sink = Collect::default();
    let summary = e.scan(&sources, &mut sink).unwrap();
    let kw101 = sink.findings().find(|f| f.control.id == "KW101").unwrap();
    assert_eq!(kw101.severity, Severity::Low, "severity override");
    assert!(
        sink.findings().all(|f| f.control.id != "KW205"),
        "excluded in team-*"
    );
    assert!(
        sink.findings().any(|f| f.control.id == "KW207"),
        "expired exclusion no longer applies"
    );
    let expired: Vec<_> = sink
        .results
        .iter()
        .flat_map(|r| &r.warnings)
        .filter(|w| w.message.contains("expired"))
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(&*expired[0].file, ".kubeward.yaml");
    assert_eq!(expired[0].pos.line, 7);
    assert_eq!(summary.suppressed, 1);
}

#[test]
fn baseline_hides_known_findings_only() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n";
    let first = engine().scan_text("s.yaml", text);
    let known: HashSet<String> = first
        .findings
        .iter()
        .filter(|f| f.control.id != "KW101")
        .map(|f| f.fingerprint())
        .collect();
    let e = engine().with_policy(Policy {
        baseline: known,
        baseline_name: "old.json".into(),
        ..Policy::default()
    });
    let sources = vec![Source::Text {
        name: "s.yaml".into(),
        text: Arc::from(text),
    }];
    let mut sink = Collect::default();
    let summary = e.scan(&sources, &mut sink).unwrap();
    let ids: Vec<&str> = sink.findings().map(|f| f.control.id).collect();
    assert_eq!(ids, vec!["KW101"], "only the finding not in the baseline");
    assert_eq!(summary.findings(), 1);
}

#[test]
fn cross_object_findings_and_scores() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: nginx}]\n";
    let sources = vec![Source::Text {
        name: "app.yaml".into(),
        text: Arc::from(text),
    }];
    let mut sink = Collect::default();
    let summary = engine().scan(&sources, &mut sink).unwrap();
    let kw801 = sink
        .findings()
        .find(|f| f.control.id == "KW801")
        .expect("namespace without policy");
    assert_eq!(&*kw801.file, "app.yaml");
    assert_eq!(kw801.pos.line, 3);
    let pss = summary
        .frameworks
        .iter()
        .find(|s| s.framework == "pss-restricted")
        .unwrap();
    assert!(pss.controls_evaluated >= 19);
    assert!(pss.controls_passed < pss.controls_evaluated);
    assert_eq!(pss.resources_failing, 1, "only the Deployment fails PSS");
    assert!(pss.score() > 0.0 && pss.score() < 100.0);
}

#[test]
fn covered_objects_are_neither_evaluated_nor_counted() {
    let pod = |name: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  containers:\n  - name: c\n    securityContext: {{privileged: true}}\n")
    };
    let text = format!("{}---\n{}", pod("owned"), pod("lone"));
    let covered = kubeward_model::ObjectId {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: Some("shop".into()),
        name: "owned".into(),
    };
    let e = engine().with_policy(Policy {
        covered: [covered].into_iter().collect(),
        ..Policy::default()
    });
    let sources = [Source::Text {
        name: "dump.yaml".into(),
        text: Arc::from(text.as_str()),
    }];
    let mut sink = Collect::default();
    let summary = e.scan(&sources, &mut sink).unwrap();
    assert_eq!(summary.objects, 1);
    let kw101: Vec<&str> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(kw101, ["lone"]);
}
