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

/// A file larger than one batch is read a piece at a time: every object is still found once,
/// in order, at the lines of the whole file, and the file counts once.
#[test]
fn files_larger_than_a_batch_are_streamed_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let pod = |i: usize| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, annotations: {{pad: \"{}\"}}}}\nspec:\n  containers:\n  - name: c\n    securityContext: {{privileged: true}}\n", "x".repeat(2000))
    };
    let n = (BATCH_BYTES * 5 / 2) / pod(0).len();
    let text: String = (0..n).map(pod).collect();
    std::fs::write(&path, &text).unwrap();
    let sources = vec![Source::File(path)];
    let mut sink = Collect::default();
    let summary = engine().scan(&sources, &mut sink).unwrap();
    assert_eq!(summary.files, 1);
    assert_eq!(summary.objects, n);
    assert_eq!(summary.errors, 0);
    assert_eq!(sink.results.iter().filter(|r| r.first_piece).count(), 1);
    let found: Vec<(String, u32)> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| (f.object.name.clone(), f.pos.line))
        .collect();
    let lines_per_pod = pod(0).lines().count() as u32;
    let expected: Vec<(String, u32)> = (0..n)
        .map(|i| (format!("p{i}"), i as u32 * lines_per_pod + 8))
        .collect();
    assert_eq!(found, expected);
}

/// D08: a document over the limit is refused and skipped as it is read, never held; the
/// documents around it are scanned; a source with no boundary in sight stops being read.
#[test]
fn oversized_documents_are_skipped_while_reading() {
    let limits = Limits {
        max_document_bytes: 4096,
        ..Limits::default()
    };
    let engine = Engine::new(registry::all().to_vec(), Settings::default(), limits);
    let privileged = |name: &str| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - name: c\n    securityContext: {{privileged: true}}\n")
    };
    // A document over the limit (within the skip bound of 4 times it), with a line longer than
    // a read and many short ones, between two small ones.
    let mut text = privileged("before");
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: \"");
    text.push_str(&"y".repeat(8_000));
    text.push_str("\"\n");
    for i in 0..600 {
        text.push_str(&format!("  k{i}: v\n"));
    }
    text.push_str(&privileged("after"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    std::fs::write(&path, &text).unwrap();
    let mut stream = Stream::open(&Source::File(path.clone()), 4096).read_size(1000);
    let mut most = 0;
    let mut pieces = Vec::new();
    loop {
        let p = stream.next_piece(1024);
        most = most.max(p.bytes.len());
        pieces.push(p);
        if stream.at_end() {
            break;
        }
    }
    // A piece holds its documents and at most one read beyond them, never the refused one.
    assert!(most <= 1024 + 1000 + 512, "a piece held {most} bytes");
    assert_eq!(pieces.iter().map(|p| p.chunks.len()).sum::<usize>(), 2);
    assert_eq!(pieces.iter().map(|p| p.errors.len()).sum::<usize>(), 1);
    let mut sink = Collect::default();
    let summary = engine.scan(&[Source::File(path)], &mut sink).unwrap();
    let names: Vec<String> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| f.object.name.clone())
        .collect();
    assert_eq!(names, ["before", "after"]);
    let errors: Vec<&InputError> = sink.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].pos.unwrap().line,
        9,
        "the refused document's `---` line"
    );
    assert!(errors[0].message.contains("larger than the limit"));
    assert_eq!(summary.exit_code(Severity::Low), 2);

    // No boundary at all (like /dev/zero): reading stops after a bounded skip.
    let endless = std::io::repeat(b'0');
    let mut stream = Stream::from_reader("zeros", Box::new(endless), 4096).read_size(1000);
    let mut errors = Vec::new();
    for _ in 0..100 {
        let p = stream.next_piece(1024);
        assert!(p.chunks.is_empty());
        errors.extend(p.errors);
        if stream.at_end() {
            break;
        }
    }
    assert!(stream.at_end(), "an endless source is not read forever");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[1].message.contains("not read"));
}

/// D05: links inside a scanned directory are followed; dangling and looping links are input
/// errors; a file reached twice is read once. D08: a FIFO inside a directory is refused (it
/// could block), a device named on the command line too.
#[cfg(unix)]
#[test]
fn links_fifos_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir_all(real.join("sub")).unwrap();
    std::fs::write(
        real.join("sub/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\n",
    )
    .unwrap();
    let m = dir.path().join("manifests");
    std::fs::create_dir(&m).unwrap();
    std::os::unix::fs::symlink("../web.yaml", m.join("web.yaml")).unwrap();
    std::os::unix::fs::symlink("../web.yaml", m.join("again.yaml")).unwrap();
    std::os::unix::fs::symlink("../real", m.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", m.join("dangling.yaml")).unwrap();
    std::os::unix::fs::symlink("self.yaml", m.join("self.yaml")).unwrap();
    std::os::unix::fs::symlink(".", m.join("up")).unwrap();
    std::os::unix::fs::symlink("../real", m.join("real-again")).unwrap();
    let fifo = m.join("pipe.yaml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (sources, errors) = collect_sources(&[m.display().to_string(), "/dev/zero".to_string()]);
    let names: Vec<String> = sources.iter().map(|s| s.name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("linked-dir/sub/pod.yaml")));
    assert!(names
        .iter()
        .any(|n| n.ends_with("again.yaml") || n.ends_with("web.yaml")));
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let has = |file: &str, what: &str| {
        messages
            .iter()
            .any(|m| m.contains(file) && m.contains(what))
    };
    assert!(has("dangling.yaml", "symbolic link"), "{messages:?}");
    assert!(has("self.yaml", "symbolic link"), "{messages:?}");
    assert!(has("up", "loop"), "{messages:?}");
    assert!(has("pipe.yaml", "not a regular file"), "{messages:?}");
    assert!(has("/dev/zero", "device"), "{messages:?}");
    assert_eq!(errors.len(), 5, "{messages:?}");
}

/// A control that panics on one object: the failure costs that document, never the run.
struct Crashes;

impl kubeward_controls::Control for Crashes {
    fn meta(&self) -> &'static kubeward_controls::ControlMeta {
        registry::find("KW101").unwrap().meta()
    }
    fn check(
        &self,
        target: &kubeward_controls::Target<'_>,
        _: &mut kubeward_controls::Context<'_>,
    ) {
        if target.object.name == "boom" {
            panic!("a control bug");
        }
    }
}

#[test]
fn a_failing_control_costs_only_its_document() {
    static C: Crashes = Crashes;
    let mut controls = registry::all().to_vec();
    controls.push(&C);
    let engine = Engine::new(controls, Settings::default(), Limits::default());
    let text = format!("{PRIVILEGED}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: boom}}\nspec: {{containers: [{{name: c, securityContext: {{privileged: true}}}}]}}\n---\n{}", PRIVILEGED.replace("name: p,", "name: q,"));
    let sources = vec![Source::Text {
        name: "x.yaml".into(),
        text: Arc::from(text.as_str()),
    }];
    let mut sink = Collect::default();
    let summary = engine.scan(&sources, &mut sink).unwrap();
    let names: Vec<&str> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(names, ["p", "q"]);
    let errors: Vec<&InputError> = sink.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].pos.unwrap().line, 8);
    assert!(errors[0].message.contains("internal error"));
    assert_eq!(summary.objects, 2);
}

/// Each framework's failing-resource count is the number of distinct objects with an
/// unsuppressed finding of one of its controls, per-object and cross-object findings together
/// (counted by the engine without keeping a set of objects: checked here against the set).
/// The same identity in two files (the two examples both define Deployment shop/web) is two
/// objects.
#[test]
fn failing_resources_are_distinct_objects_per_framework() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let (mut sources, errors) = collect_sources(&[root.display().to_string()]);
    assert!(errors.is_empty());
    // Cross-object findings too: a namespace without NetworkPolicies or quota, workloads in
    // it (one also failing per-object controls), a subject bound to cluster-admin.
    let text = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns}}\n---\n{PRIVILEGED}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: ns, labels: {{app: d}}}}\nspec:\n  template:\n    metadata: {{labels: {{app: d}}}}\n    spec: {{containers: [{{name: c, image: nginx}}]}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: ServiceAccount, name: d, namespace: ns}}]\n");
    sources.push(Source::Text {
        name: "cross.yaml".into(),
        text: Arc::from(text.as_str()),
    });
    let engine = engine();
    let mut sink = Collect::default();
    let summary = engine.scan(&sources, &mut sink).unwrap();
    assert!(summary.findings() > 20);
    let mut cross_seen = false;
    for (score, (name, fw)) in summary.frameworks.iter().zip(SCORED) {
        assert_eq!(score.framework, name);
        let objects: HashSet<(&str, &kubeward_model::ObjectId)> = sink
            .findings()
            .filter(|f| {
                f.suppressed.is_none() && fw.includes(registry::find(f.control.id).unwrap())
            })
            .map(|f| (&*f.file, &*f.object))
            .collect();
        cross_seen |= sink
            .findings()
            .any(|f| registry::find(f.control.id).unwrap().is_cross_object());
        assert_eq!(score.resources_failing, objects.len(), "{name}");
    }
    assert!(
        cross_seen,
        "the examples exercise cross-object findings too"
    );
}

/// A List whose items are indented under `items:` (valid YAML, not kubectl's layout) is read
/// whole, every item evaluated; it once became an envelope that was never parsed, so its
/// objects were lost without a word.
#[test]
fn lists_with_indented_items_lose_nothing() {
    let engine = Engine::new(
        registry::all().to_vec(),
        Settings::default(),
        Limits::default(),
    );
    for header in [
        "apiVersion: v1\nitems:\n",
        "apiVersion: v1\nkind: List\nitems:\n",
    ] {
        let text = format!("{header}  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: a}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n        securityContext: {{privileged: true}}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: b}}\n    spec: {{hostPID: true, containers: [{{name: c, image: nginx:1.27}}]}}\nkind: List\nmetadata: {{}}\n");
        let r = engine.scan_text("list.yaml", &text);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.objects, 2, "{header}");
        let at = |id: &str| {
            r.findings
                .iter()
                .find(|f| f.control.id == id)
                .map(|f| (f.object.name.clone(), f.pos.line))
        };
        assert_eq!(
            at("KW101"),
            Some((
                "a".to_string(),
                text.lines().position(|l| l.contains("privileged")).unwrap() as u32 + 1
            ))
        );
        assert_eq!(at("KW102").map(|x| x.0), Some("b".to_string()));
    }
}

/// A `kubectl get -o yaml` List is read an item at a time: a dump larger than the document
/// limit is scanned whole, every object at its own line and column, with the same findings as
/// the same objects written as separate documents.
#[test]
fn kubectl_lists_are_read_an_item_at_a_time() {
    let pod = |i: usize| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: ns\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n")
    };
    let n = 200;
    let mut list = String::from("apiVersion: v1\nitems:\n");
    let mut docs = String::new();
    for i in 0..n {
        let text = pod(i);
        let mut lines = text.lines();
        list.push_str(&format!("- {}\n", lines.next().unwrap()));
        for l in lines {
            list.push_str(&format!("  {l}\n"));
        }
        list.push_str("# a comment between items\n");
        docs.push_str("---\n");
        docs.push_str(&text);
    }
    list.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    let limits = Limits {
        max_document_bytes: 4096,
        ..Limits::default()
    };
    assert!(list.len() > 10 * limits.max_document_bytes);
    let engine = Engine::new(registry::all().to_vec(), Settings::default(), limits);
    let run = |name: &str, text: &str| {
        let mut sink = Collect::default();
        let sources = vec![Source::Text {
            name: name.into(),
            text: Arc::from(text),
        }];
        let summary = engine.scan(&sources, &mut sink).unwrap();
        (summary, sink)
    };
    let (ls, lsink) = run("dump.yaml", &list);
    let (ds, dsink) = run("docs.yaml", &docs);
    assert_eq!(ls.errors, 0, "{:?}", lsink.errors().collect::<Vec<_>>());
    assert_eq!(ls.warnings, 0);
    assert_eq!(ls.objects, n);
    assert_eq!(ls.findings(), ds.findings());
    let key = |f: &Finding| {
        (
            f.control.id,
            f.object.name.clone(),
            f.path.as_str().to_string(),
        )
    };
    let a: Vec<_> = lsink.findings().map(key).collect();
    let b: Vec<_> = dsink.findings().map(key).collect();
    assert_eq!(a, b);
    // Each object at its own lines: item i starts at line 3 + 12 * i, its `privileged` key
    // 10 lines below, two columns right of the same key in a separate document.
    let privileged: Vec<(u32, u32)> = lsink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| (f.pos.line, f.pos.column))
        .collect();
    let expected: Vec<(u32, u32)> = (0..n as u32).map(|i| (3 + 12 * i + 10, 9)).collect();
    assert_eq!(privileged, expected);
}

/// A `kubectl get -o json` List (Go's `json.MarshalIndent` with four spaces and sorted keys,
/// as kubectl prints unstructured objects) is read an item at a time too: larger than the
/// document limit, every object scanned, each finding on the line and column where its field
/// is in the text.
#[test]
fn kubectl_json_lists_are_read_an_item_at_a_time() {
    use serde::Serialize;
    let n = 150;
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": "ns"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                    "securityContext": {"privileged": true}}]}
            })
        })
        .collect();
    let list = serde_json::json!({
        "apiVersion": "v1", "items": items, "kind": "List",
        "metadata": {"resourceVersion": ""}
    });
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    list.serialize(&mut serde_json::Serializer::with_formatter(&mut buf, fmt))
        .unwrap();
    let text = String::from_utf8(buf).unwrap() + "\n";
    assert!(text.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n"));
    let limits = Limits {
        max_document_bytes: 4096,
        ..Limits::default()
    };
    assert!(text.len() > 10 * limits.max_document_bytes);
    let engine = Engine::new(registry::all().to_vec(), Settings::default(), limits);
    let mut sink = Collect::default();
    let sources = vec![Source::Text {
        name: "dump.json".into(),
        text: Arc::from(text.as_str()),
    }];
    let summary = engine.scan(&sources, &mut sink).unwrap();
    assert_eq!(
        summary.errors,
        0,
        "{:?}",
        sink.errors().take(3).collect::<Vec<_>>()
    );
    assert_eq!(summary.objects, n);
    // Where `"privileged": true` is in the text, found by reading its lines.
    let expected: Vec<(u32, u32)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            l.find("\"privileged\"")
                .map(|c| (i as u32 + 1, c as u32 + 1))
        })
        .collect();
    assert_eq!(expected.len(), n);
    let got: Vec<(u32, u32)> = sink
        .findings()
        .filter(|f| f.control.id == "KW101")
        .map(|f| (f.pos.line, f.pos.column))
        .collect();
    assert_eq!(got, expected);
    // The same List with one entry broken costs that entry only.
    let broken = text.replacen("\"name\": \"p7\"", "\"name\": \"p7\" \"x\"", 1);
    let mut sink = Collect::default();
    let sources = vec![Source::Text {
        name: "dump.json".into(),
        text: Arc::from(broken.as_str()),
    }];
    let summary = engine.scan(&sources, &mut sink).unwrap();
    assert_eq!(summary.errors, 1);
    assert_eq!(summary.objects, n - 1);
}

/// `collect_images`: every container kind's image with the position of its `image:` key; a
/// Pod's running digest (status `imageID`) wins over its tag; blank images are left out.
#[test]
fn images_are_collected_with_their_fields() {
    let digest = "a".repeat(64);
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns}}\nspec:\n  initContainers:\n  - name: i\n    image: busybox:1.36\n  containers:\n  - name: c\n    image: nginx:1.25\n  - name: blank\n    image: ' '\nstatus:\n  containerStatuses:\n  - name: c\n    imageID: docker-pullable://docker.io/library/nginx@sha256:{digest}\n  initContainerStatuses:\n  - name: i\n    imageID: 'containerd://not-a-digest'\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:2\n"
    );
    let sources = vec![Source::Text {
        name: "s.yaml".into(),
        text: Arc::from(text.as_str()),
    }];
    let collecting = engine().with_policy(Policy {
        collect_images: true,
        ..Policy::default()
    });
    let mut sink = Collect::default();
    collecting.scan(&sources, &mut sink).unwrap();
    let uses: Vec<(String, u32, u32, String, String)> = sink
        .results
        .iter()
        .flat_map(|r| &r.images)
        .map(|u| {
            (
                u.image.clone(),
                u.pos.line,
                u.pos.column,
                u.path.as_str().to_string(),
                u.object.kind.clone(),
            )
        })
        .collect();
    assert_eq!(
        uses,
        [
            (
                format!("docker.io/library/nginx@sha256:{digest}"),
                10,
                5,
                "spec.containers[0].image".to_string(),
                "Pod".to_string()
            ),
            (
                "busybox:1.36".to_string(),
                7,
                5,
                "spec.initContainers[0].image".to_string(),
                "Pod".to_string()
            ),
            (
                "registry.example.com/web:2".to_string(),
                29,
                9,
                "spec.template.spec.containers[0].image".to_string(),
                "Deployment".to_string()
            ),
        ]
    );
    // Off by default: nothing collected.
    let mut sink = Collect::default();
    engine().scan(&sources, &mut sink).unwrap();
    assert!(sink.results.iter().all(|r| r.images.is_empty()));
}

/// Issue 17: objects without `metadata.namespace` are in the namespace the scan targets
/// (`default` unless `scan -n` says otherwise), so KW804 judges them.
#[test]
fn objects_without_a_namespace_are_in_the_scans_namespace() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-web}\nspec:\n  podSelector: {matchLabels: {app: web}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    metadata: {labels: {app: worker}}\n    spec:\n      containers: [{name: c, image: nginx}]\n";
    let kw804 = |settings: Settings| -> Vec<String> {
        let sources = vec![Source::Text {
            name: "app.yaml".into(),
            text: Arc::from(text),
        }];
        let mut sink = Collect::default();
        Engine::new(registry::all().to_vec(), settings, Limits::default())
            .scan(&sources, &mut sink)
            .unwrap();
        sink.findings()
            .filter(|f| f.control.id == "KW804")
            .map(|f| {
                format!(
                    "{}:{} {} {}",
                    f.pos.line, f.pos.column, f.object.name, f.message
                )
            })
            .collect()
    };
    let found = kw804(Settings::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("9:12 worker "), "{found:?}");
    assert!(found[0].contains("in namespace \"default\""), "{found:?}");
    let found = kw804(Settings {
        namespace: "shop".into(),
        ..Settings::default()
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("in namespace \"shop\""), "{found:?}");
}

/// Issue 17: a field of the wrong type is an input error, and no control judges it nor what
/// lies under it (a Pod whose `spec` is a list got KW310 and KW311 at 1:1 as well).
#[test]
fn controls_do_not_judge_a_part_that_failed_its_shape_check() {
    let r = engine().scan_text(
        "p.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n- containers: []\n",
    );
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(r.errors[0].message.contains("spec: expected a mapping"));
    let findings: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.control.id, f.pos, f.path))
        .collect();
    assert!(
        findings.iter().all(|f| !f.contains(" spec")),
        "nothing judged inside the broken spec: {findings:?}"
    );
    // The rest of the object is still judged, and a sibling of a broken field too.
    let r = engine().scan_text(
        "p.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: [privileged]\n  - name: d\n    image: nginx\n    securityContext: {privileged: true}\n",
    );
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let paths: Vec<&str> = r.findings.iter().map(|f| f.path.as_str()).collect();
    assert!(
        paths
            .iter()
            .all(|p| !p.starts_with("spec.containers[0].securityContext")),
        "{paths:?}"
    );
    assert!(paths.contains(&"spec.containers[1].securityContext.privileged"));
    assert!(paths.contains(&"spec.containers[0].image"), "{paths:?}");
}

/// A small file is read into a buffer of its size: every file of a batch used to keep a zeroed
/// 4 MiB buffer (472 corpus files peaked at 2.1 GB).
#[test]
fn a_small_file_is_read_into_a_buffer_of_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n").unwrap();
    let piece = crate::read_whole(&Source::File(path), 1 << 20);
    assert_eq!(piece.bytes.len(), 45);
    assert!(
        piece.bytes.capacity() < 4096,
        "capacity {}",
        piece.bytes.capacity()
    );
    let text = Source::Text {
        name: "t".into(),
        text: std::sync::Arc::from("kind: A\n"),
    };
    assert!(crate::read_whole(&text, 1 << 20).bytes.capacity() < 4096);
}

/// A cross-object control with more violations than one batch of cross-object findings
/// (KW804 on every workload a namespace's NetworkPolicy leaves unselected): the findings go
/// out in several batches as the control reports them, and none is lost or repeated.
#[test]
fn cross_object_findings_beyond_one_batch_are_all_written_once() {
    let n = crate::CROSS_BATCH + 57;
    let mut text = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: web}}\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i}, namespace: a}}\nspec:\n  template:\n    metadata: {{labels: {{app: other}}}}\n    spec:\n      containers: [{{name: c, image: nginx}}]\n"
        ));
    }
    let sources = vec![Source::Text {
        name: "many.yaml".into(),
        text: Arc::from(text.as_str()),
    }];
    let mut sink = Collect::default();
    let summary = Engine::new(
        registry::all().to_vec(),
        Settings::default(),
        Limits::default(),
    )
    .scan(&sources, &mut sink)
    .unwrap();
    let names: std::collections::BTreeSet<String> = sink
        .findings()
        .filter(|f| f.control.id == "KW804")
        .map(|f| f.object.name.clone())
        .collect();
    let count = sink.findings().filter(|f| f.control.id == "KW804").count();
    assert_eq!(count, n, "every unselected workload once");
    assert_eq!(names.len(), n);
    assert_eq!(summary.by_control.get("KW804").copied(), Some(n));
    assert!(
        sink.results
            .iter()
            .filter(|r| r.findings.iter().any(|f| f.control.id == "KW804"))
            .count()
            >= 2,
        "more than one batch"
    );
}
