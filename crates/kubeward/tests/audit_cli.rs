//! `kubeward audit` as a user runs it: inputs (files, directories, gzip, stdin), `--follow`
//! across rotation and truncation, every format, the config file's `audit:` section, exit
//! codes, and `kubeward audit policy`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn kubeward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    c.env("NO_COLOR", "1");
    c
}

/// An exec event (KW1002) as the API server writes it, numbered by its auditID.
fn exec_event(id: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/web-0/exec?command=sh\u0026stdin=true","verb":"create","user":{{"username":"alice","groups":["dev","system:authenticated"]}},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.20.2","objectRef":{{"resource":"pods","namespace":"prod","name":"web-0","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}}"#
    ) + "\n"
}

/// A denied secret read by `user` at second `s` (for bursts).
fn denied_read(user: &str, s: u32) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"d-{s}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets","verb":"list","user":{{"username":"{user}"}},"sourceIPs":["10.9.0.{s}"],"objectRef":{{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"status":"Failure","reason":"Forbidden","code":403}},"requestReceivedTimestamp":"2026-11-23T15:25:{s:02}.000000Z","stageTimestamp":"2026-11-23T15:25:{s:02}.000100Z"}}"#
    ) + "\n"
}

fn quiet_event() -> String {
    r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"q","stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.7"],"objectRef":{"resource":"namespaces","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}"#.to_string() + "\n"
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = kubeward().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn directories_gzip_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all((quiet_event() + &exec_event("rotated")).as_bytes())
        .unwrap();
    std::fs::write(
        logs.join("audit-2026-11-23T15-00-00.000.log.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    std::fs::write(logs.join("audit.log"), exec_event("live")).unwrap();
    std::fs::write(logs.join("notes.txt"), "not a log").unwrap();

    let (code, stdout, stderr) = run(
        &["audit", "--no-config", "--format", "json", "logs"],
        dir.path(),
    );
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let found: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["event"]["auditID"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "logs/audit-2026-11-23T15-00-00.000.log.gz".to_string(),
                2,
                "rotated".to_string()
            ),
            ("logs/audit.log".to_string(), 1, "live".to_string()),
        ]
    );
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["byUser"]["alice"]["findings"], 2);
    assert_eq!(report["summary"]["byDetection"]["KW1002"], 2);

    // stdin, gzip or not.
    let mut child = kubeward()
        .args(["audit", "--no-config", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exec_event("piped").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.starts_with("<stdin>\n"), "{text}");
    assert!(
        text.contains("KW1002  alice ran exec in pod prod/web-0: allowed (101)"),
        "{text}"
    );
}

#[test]
fn text_report_has_the_event_a_timeline_and_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = exec_event("e1");
    for s in 0..10 {
        log.push_str(&denied_read("mallory", s));
    }
    log.push_str("garbage\n");
    std::fs::write(dir.path().join("audit.log"), &log).unwrap();
    let (code, text, _) = run(&["audit", "--no-config", "audit.log"], dir.path());
    assert_eq!(code, 2, "an input error wins: {text}");
    for want in [
        "      1:426   medium   KW1002  alice ran exec in pod prod/web-0: allowed (101)",
        "2026-11-23T15:25:01.158585Z · auditID e1 · level Request · stage ResponseComplete",
        "user alice (groups dev, system:authenticated), from 10.0.0.7, kubectl/v1.20.2",
        "create /api/v1/namespaces/prod/pods/web-0/exec?command=sh&stdin=true → 101 · pods/exec prod/web-0 · at objectRef.subresource",
        "KW1009  10 requests answered 401/403 for user mallory within 9s (threshold 10 in 60s)",
        "     12:1     error    not an audit event: expected value",
        "Timeline",
        "By detection",
        "  KW1002       1  Command run in a container (exec or attach)",
        "By user",
        "      11  mallory  (KW1004 ×10, KW1009 ×1)",
        "       1  alice  (KW1002 ×1)",
        "12 lines, 11 audit events (11 requests) in 1 file(s): 12 finding(s) (2 medium, 10 low), 1 input error(s) (exit 2)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // Timeline in time order: the exec at 15:25:01 before the burst's last failure at 15:25:09.
    let timeline = &text[text.find("Timeline").unwrap()..];
    assert!(timeline.find("KW1002").unwrap() < timeline.find("KW1009").unwrap());
    assert!(
        timeline.find("auditID").is_none() && timeline.contains("(audit.log:11)"),
        "{timeline}"
    );

    // Flags override the burst rule.
    let (_, text, _) = run(
        &[
            "audit",
            "--no-config",
            "--auth-failure-threshold",
            "3",
            "--auth-failure-window",
            "2s",
            "audit.log",
        ],
        dir.path(),
    );
    assert!(
        text.contains("3 requests answered 401/403 for user mallory within 2s (threshold 3 in 2s)"),
        "{text}"
    );
}

#[test]
fn config_file_audit_section_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log: String =
        (0..4).map(|s| denied_read("ci-bot", s)).collect::<String>() + &exec_event("x");
    std::fs::write(dir.path().join("audit.log"), log).unwrap();
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "failOn: high\naudit:\n  authFailures: {threshold: 4, window: 10s}\nseverity:\n  KW1009: high\n",
    )
    .unwrap();
    let (code, text, stderr) = run(&["audit", "audit.log"], dir.path());
    assert_eq!(
        code, 1,
        "a high finding fails at failOn high: {text}{stderr}"
    );
    assert!(
        text.contains("high     KW1009  4 requests answered 401/403 for user ci-bot"),
        "{text}"
    );

    // ci-bot trusted: its failures no longer count; the exec alone is below failOn.
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "failOn: high\naudit:\n  authFailures: {threshold: 4}\n  trustedUsers: [\"ci-*\"]\n",
    )
    .unwrap();
    let (code, text, _) = run(&["audit", "audit.log"], dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(
        !text.contains("KW1009") && text.contains("KW1002"),
        "{text}"
    );

    // Disabled detections do not run; exclusions suppress by namespace.
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "controls:\n  disable: [KW1009, KW1004]\nexclude:\n- controls: [KW1002]\n  namespaces: [prod]\n  reason: break-glass namespace\n",
    )
    .unwrap();
    let (code, text, _) = run(&["audit", "audit.log"], dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 finding(s), 1 suppressed"), "{text}");

    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "audit:\n  authFailures:\n    treshold: 3\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&["audit", "audit.log"], dir.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(".kubeward.yaml:3:")
            && stderr.contains("unknown key \"treshold\" in `audit.authFailures`"),
        "{stderr}"
    );
}

#[test]
fn sarif_and_junit_carry_the_event() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("audit.log"),
        quiet_event() + &exec_event("abc"),
    )
    .unwrap();
    let (code, sarif, _) = run(
        &["audit", "--no-config", "-f", "sarif", "audit.log"],
        dir.path(),
    );
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &sarif["runs"][0];
    let rules: Vec<&str> = run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 13);
    assert!(rules.contains(&"KW1002") && rules.contains(&"KW1013"));
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "KW1002");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let message = result["message"]["text"].as_str().unwrap();
    assert!(
        message
            .contains("auditID abc, 2026-11-23T15:25:01.158585Z, from 10.0.0.7, kubectl/v1.20.2"),
        "{message}"
    );

    let (code, junit, _) = run(
        &["audit", "--no-config", "-f", "junit", "audit.log"],
        dir.path(),
    );
    assert_eq!(code, 1);
    assert!(
        junit.contains("KW1002") && junit.contains("auditID abc"),
        "{junit}"
    );
}

#[test]
fn policy_controls_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (code, policy, _) = run(&["audit", "policy"], dir.path());
    assert_eq!(code, 0);
    assert!(policy.contains("kind: Policy") && policy.contains("level: RequestResponse"));
    let (code, list, _) = run(&["controls"], dir.path());
    assert_eq!(code, 0);
    let (kw806, kw1001) = (list.find("KW806").unwrap(), list.find("KW1001").unwrap());
    assert!(kw806 < kw1001, "numeric order");
    let (code, doc, _) = run(&["explain", "audit-exec-into-pod"], dir.path());
    assert_eq!(code, 0);
    assert!(
        doc.starts_with("KW1002 audit-exec-into-pod") && doc.contains("MITRE ATT&CK: T1609"),
        "{doc}"
    );
    // Manifest scans never run the audit detections, nor count them in scores.
    std::fs::write(dir.path().join("pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n").unwrap();
    let (_, json, _) = run(
        &["scan", "--no-config", "-f", "json", "pod.yaml"],
        dir.path(),
    );
    assert!(!json.contains("KW10"), "{json}");
    // --follow takes one file and a streaming format.
    let (code, _, stderr) = run(&["audit", "--follow", "-f", "sarif", "a.log"], dir.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("--follow writes text or json"), "{stderr}");
    let (code, text, _) = run(&["audit", "missing.log"], dir.path());
    assert_eq!(code, 2);
    assert!(
        text.starts_with("missing.log\n") && text.contains("error    cannot read: No such file"),
        "{text}"
    );
}

/// Collects the child's output lines as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Wait for the finding of event `id`; returns (file, line).
fn finding_of(rx: &mpsc::Receiver<String>, id: &str) -> (String, u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = rx.recv_timeout(left) else {
            break;
        };
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["finding"]["event"]["auditID"] == id {
            let loc = &v["finding"]["location"];
            return (
                loc["file"].as_str().unwrap().to_string(),
                loc["line"].as_u64().unwrap(),
            );
        }
    }
    panic!("no finding for event {id}");
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_survives_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(&log, exec_event("first")).unwrap();
    let mut child = kubeward()
        .args([
            "audit",
            "--no-config",
            "--follow",
            "--poll-interval",
            "50ms",
            "-f",
            "json",
        ])
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let name = log.display().to_string();
    assert_eq!(finding_of(&rx, "first"), (name.clone(), 1));
    // A line written in two pieces is read once it is whole.
    let second = exec_event("second");
    append(&log, &(quiet_event() + &second[..100]));
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &second[100..]);
    assert_eq!(finding_of(&rx, "second"), (name.clone(), 3));
    // Rotation as the API server does it: rename, a last write to the old file, a new file.
    std::fs::rename(&log, dir.path().join("audit-2026-11-23T15-25-01.000.log")).unwrap();
    append(
        &dir.path().join("audit-2026-11-23T15-25-01.000.log"),
        &exec_event("late"),
    );
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&log, quiet_event() + &exec_event("new-file")).unwrap();
    assert_eq!(finding_of(&rx, "late"), (name.clone(), 4));
    assert_eq!(finding_of(&rx, "new-file"), (name.clone(), 2));
    // Truncation in place (copytruncate): back to line 1.
    std::thread::sleep(Duration::from_millis(200));
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &exec_event("after-truncate"));
    assert_eq!(finding_of(&rx, "after-truncate"), (name, 1));
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Issue 13, D02: credential-looking values seeded in every kind of field of audit events
/// (type errors of each JSON type, enum-like fields, a cut line, a line that is not UTF-8, an
/// over-long line, a request body) appear in no output format of `kubeward audit`.
#[test]
fn no_output_format_repeats_a_value_of_the_log() {
    const SEEDS: [&str; 3] = ["wtEnv-Qa1Ws2Ed3", "739184625501", "Sh0rt9"];
    let base = exec_event("seeded");
    let with = |field: &str, value: &str| -> String {
        let v: Value = serde_json::from_str(&base).unwrap();
        let mut v = v;
        let mut at = &mut v;
        let parts: Vec<&str> = field.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            at = &mut at[*p];
        }
        at[parts[parts.len() - 1]] = serde_json::from_str(value).unwrap();
        serde_json::to_string(&v).unwrap() + "\n"
    };
    let mut log = String::new();
    for (field, value) in [
        ("responseStatus.code", r#""Sh0rt9""#),
        ("responseStatus.code", r#""wtEnv-Qa1Ws2Ed3""#),
        ("responseStatus.code", "7391846.25501"),
        ("level", "739184625501"),
        ("verb", r#"["wtEnv-Qa1Ws2Ed3"]"#),
        ("stage", r#"{"wtEnv-Qa1Ws2Ed3": 739184625501}"#),
        ("user", r#""wtEnv-Qa1Ws2Ed3""#),
        ("user.username", "739184625501"),
        ("objectRef.name", "true"),
        ("objectRef", "[739184625501]"),
        ("kind", r#""wtEnv-Qa1Ws2Ed3""#),
        ("apiVersion", r#""739184625501""#),
        ("requestReceivedTimestamp", "739184625501"),
        ("auditID", r#"{"a": "wtEnv-Qa1Ws2Ed3"}"#),
    ] {
        log.push_str(&with(field, value));
    }
    // A Pod created with a credential in an env value, and one of the wrong type.
    let pod = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"p","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods","verb":"create","user":{"username":"alice"},"sourceIPs":["10.0.0.7"],"objectRef":{"resource":"pods","namespace":"prod","name":"web","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"prod"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true},"env":[{"name":"DB_PASSWORD","value":"wtEnv-Qa1Ws2Ed3"},{"name":"PIN","value":739184625501},"API_PASSWORD=wtEnv-Qa1Ws2Ed3"]}]}},"requestReceivedTimestamp":"2026-11-23T15:25:01.158585Z","stageTimestamp":"2026-11-23T15:25:01.169856Z"}"#;
    log.push_str(pod);
    log.push('\n');
    // Not UTF-8 after the value; an over-long line; a cut last line ending in a value.
    let mut bytes = log.into_bytes();
    bytes.extend(b"{\"level\":\"wtEnv-Qa1Ws2Ed3\xff\"}\n");
    bytes.extend(format!("{{\"auditID\":\"{}\"}}\n", "wtEnv-Qa1Ws2Ed3".repeat(200)).as_bytes());
    bytes.extend(&base.as_bytes()[..base.len() / 2]);
    bytes.extend(b"\"wtEnv-Qa1Ws2Ed3");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("audit.log"), &bytes).unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let (code, stdout, stderr) = run(
            &[
                "audit",
                "--no-config",
                "--max-line-size",
                "2000",
                "--format",
                format,
                "audit.log",
            ],
            dir.path(),
        );
        assert!(code == 1 || code == 2, "{format}: {code} {stderr}");
        for seed in SEEDS {
            for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                assert!(
                    !text.contains(seed),
                    "{format} {what} holds {seed}:\n{}",
                    text.lines()
                        .filter(|l| l.contains(seed))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
        // The errors are still there, with their fields.
        assert!(
            stdout.contains("responseStatus.code: invalid type: a string, expected i64"),
            "{format}: {stdout}"
        );
    }
}

/// Issue 13, D12: a truncated .gz audit log gives the same lines and findings as the bytes
/// `zcat` gets out of it, then says it is cut (exit 2).
#[test]
fn a_truncated_gzip_log_gives_what_zcat_gives() {
    if Command::new("zcat").arg("--version").output().is_err() {
        eprintln!("zcat not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&if i % 5 == 0 {
            exec_event(&format!("e-{i}"))
        } else {
            quiet_event()
        });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for fraction in [0.1, 0.6, 0.999] {
        let name = format!("cut-{fraction}.log.gz");
        std::fs::write(
            dir.path().join(&name),
            &gz[..(gz.len() as f64 * fraction) as usize],
        )
        .unwrap();
        let (code, stdout, stderr) =
            run(&["audit", "--no-config", "-f", "json", &name], dir.path());
        assert_eq!(code, 2, "{stderr}");
        let direct: Value = serde_json::from_str(&stdout).unwrap();
        assert!(stdout.contains("cannot read further"), "{stdout}");

        let piped = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "zcat {name} 2>/dev/null | {} audit --no-config -f json -",
                env!("CARGO_BIN_EXE_kubeward")
            ))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let piped: Value = serde_json::from_slice(&piped.stdout).unwrap();
        let lines = direct["summary"]["lines"].as_u64().unwrap();
        assert!(lines > 0, "{fraction}");
        assert_eq!(
            lines,
            piped["summary"]["lines"].as_u64().unwrap(),
            "{fraction}"
        );
        assert_eq!(
            direct["findings"].as_array().unwrap().len(),
            piped["findings"].as_array().unwrap().len(),
            "{fraction}"
        );
    }
}
