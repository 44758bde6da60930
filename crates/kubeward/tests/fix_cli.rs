//! `kubeward fix`, the text report's source snippets, and findings mapped to Helm templates and
//! Kustomize files: real processes on real files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn kubeward(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(dir);
    c
}

fn shared() -> PathBuf {
    std::env::var_os("KUBEWARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// A Deployment in kubectl's style with CRLF line ends, a comment and a blank line.
const DEPLOY: &str = "# the web tier\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\n  namespace: shop\r\nspec:\r\n  template:\r\n    spec:\r\n      hostPID: true   # debugging, remove\r\n\r\n      containers:\r\n      - name: web\r\n        image: registry.example.com/web:1.2.3@sha256:0123456789012345678901234567890123456789012345678901234567890123\r\n        securityContext:\r\n          privileged: true\r\n        resources:\r\n          limits: {cpu: 500m, memory: 256Mi}\r\n          requests: {cpu: 100m, memory: 128Mi}\r\n";

/// What a person fixing DEPLOY by hand in its own style writes.
const DEPLOY_FIXED: &str = "# the web tier\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\n  namespace: shop\r\nspec:\r\n  template:\r\n    spec:\r\n      hostPID: false   # debugging, remove\r\n\r\n      containers:\r\n      - name: web\r\n        image: registry.example.com/web:1.2.3@sha256:0123456789012345678901234567890123456789012345678901234567890123\r\n        securityContext:\r\n          privileged: false\r\n          allowPrivilegeEscalation: false\r\n          capabilities:\r\n            drop:\r\n            - ALL\r\n          runAsNonRoot: true\r\n          seccompProfile:\r\n            type: RuntimeDefault\r\n          readOnlyRootFilesystem: true\r\n        resources:\r\n          limits: {cpu: 500m, memory: 256Mi}\r\n          requests: {cpu: 100m, memory: 128Mi}\r\n      automountServiceAccountToken: false\r\n";

#[test]
fn fix_edits_in_place_in_the_files_style() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, DEPLOY).unwrap();
    let out = kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fixed = std::fs::read_to_string(&file).unwrap();
    // Field order within the new keys follows the order of the controls' findings; compare as
    // sets of lines where order among inserted siblings may differ, and exactly elsewhere.
    let mut got: Vec<&str> = fixed.split_inclusive("\r\n").collect();
    let mut want: Vec<&str> = DEPLOY_FIXED.split_inclusive("\r\n").collect();
    assert_eq!(got.len(), want.len(), "{stderr}\n{fixed}");
    assert_eq!(got[..15], want[..15], "{fixed}");
    assert_eq!(got[got.len() - 3..], want[want.len() - 3..], "{fixed}");
    got.sort();
    want.sort();
    assert_eq!(got, want, "{fixed}");
    assert!(!fixed.replace("\r\n", "").contains('\n'), "CRLF kept");
    // What is left: the default namespace-level and NetworkPolicy checks, not the fixed ones.
    assert!(stderr.contains("fixed web.yaml:10:7 KW102"), "{stderr}");
    assert!(stderr.contains("fixed web.yaml:16:11 KW101"), "{stderr}");
    assert!(!fixed.contains("privileged: true"));
    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // A second run has nothing left to fix.
    kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config"])
        .assert()
        .stderr(predicate::str::contains("fixed 0 findings in 0 files"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
}

#[test]
fn dry_run_prints_a_diff_that_patch_applies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, DEPLOY).unwrap();
    let out = kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings remain (NetworkPolicy, ...)"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        DEPLOY,
        "nothing written"
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.starts_with("--- a/web.yaml\n+++ b/web.yaml\n@@ "),
        "{diff}"
    );
    assert!(diff.contains("-          privileged: true\r\n+          privileged: false\r\n"));
    // GNU patch applies it; the result is what fix writes.
    let status = std::process::Command::new("patch")
        .current_dir(dir.path())
        .args(["-p1", "--quiet", "--binary"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(diff.as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(status.success());
    let patched = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, DEPLOY).unwrap();
    kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), patched);
}

#[test]
fn only_the_chosen_controls_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, DEPLOY).unwrap();
    kubeward(dir.path())
        .args([
            "fix",
            "web.yaml",
            "--no-config",
            "--control",
            "KW101,host-namespaces",
        ])
        .assert()
        .code(1);
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        fixed,
        DEPLOY
            .replace("hostPID: true", "hostPID: false")
            .replace("privileged: true", "privileged: false")
    );
    // Nothing left at or above critical once KW101 is fixed: exit 0.
    std::fs::write(&file, DEPLOY).unwrap();
    kubeward(dir.path())
        .args([
            "fix",
            "web.yaml",
            "--no-config",
            "--control",
            "KW101",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(0);
    // A value only the user knows: a usage error that says so.
    kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config", "--control", "KW305"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a value only you know"));
    kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config", "--control", "KW999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such control"));
    // Suggestions for the controls fix does not edit.
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .unwrap();
    kubeward(dir.path())
        .args(["fix", "web.yaml", "--no-config"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "suggestion web.yaml: KW305 (1 finding): set resources.limits.memory",
        ));
}

#[test]
fn refuses_anchors_and_templates_with_their_position_and_writes_nothing_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.yaml");
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: &sc\n      privileged: true\n  initContainers:\n  - name: i\n    image: nginx:1.27\n    securityContext: *sc\n";
    std::fs::write(&file, text).unwrap();
    let out = kubeward(dir.path())
        .args(["fix", "a.yaml", "--no-config", "--control", "KW101"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not fixed a.yaml:9:7 KW101") && stderr.contains("anchor"),
        "{stderr}"
    );
    assert!(stderr.contains("(at 8:22)"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn controls_list_their_fix() {
    let dir = tempfile::tempdir().unwrap();
    kubeward(dir.path())
        .args(["controls"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"KW101 +critical +Container runs privileged +auto ").unwrap(),
        )
        .stdout(predicate::str::is_match(r"KW305 +\w+ +.{40} suggestion ").unwrap());
    let out = kubeward(dir.path())
        .args(["controls", "--format", "json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_id = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("KW201")["fix"]["kind"], "auto");
    assert_eq!(by_id("KW307")["fix"]["kind"], "suggestion");
    // Probes and user IDs need values only the user knows: suggested, never guessed.
    for id in ["KW326", "KW327", "KW328", "KW329"] {
        assert_eq!(by_id(id)["fix"]["kind"], "suggestion", "{id}");
    }
    assert_eq!(by_id("KW601")["fix"]["kind"], "no");
}

#[test]
fn text_shows_the_source_line_with_a_marker_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), DEPLOY).unwrap();
    let out = kubeward(dir.path())
        .args(["scan", "web.yaml", "--no-config", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  Deployment/shop/web\n"), "{text}");
    assert!(
        text.contains(
            "    critical KW101  container \"web\" must not set securityContext.privileged=true\n      --> web.yaml:16:11\n    16 |           privileged: true\n       |           ^^^^^^^^^^ spec.template.spec.containers[0].securityContext.privileged\n"
        ),
        "{text}"
    );
    // --compact: today's one-line form.
    kubeward(dir.path())
        .args([
            "scan",
            "web.yaml",
            "--no-config",
            "--color",
            "never",
            "--compact",
        ])
        .assert()
        .stdout(predicate::str::contains("   16:11   critical KW101"));
    // A literal credential: the snippet keeps the key, never the value.
    let secret = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    env:\n    - name: DB_PASSWORD\n      value: hunter2-very-secret\n";
    std::fs::write(dir.path().join("p.yaml"), secret).unwrap();
    let out = kubeward(dir.path())
        .args(["scan", "p.yaml", "--no-config", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("KW4"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

#[test]
fn a_chart_without_helm_says_how_to_pipe_it() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("mychart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
    )
    .unwrap();
    kubeward(dir.path())
        .env("PATH", "/nonexistent")
        .args(["scan", "mychart", "--no-config"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "helm template mychart | kubeward scan -",
        ));
}

/// The real `helm template` output of istio's Prometheus addon (../shared/corpus, Apache-2.0,
/// see its SOURCES.md), fed through a `helm` on PATH that prints it, and a chart directory whose
/// templates read some `.Values` keys.
#[test]
fn helm_findings_map_to_their_template_and_values() {
    let rendered = shared().join("corpus/istio/samples/addons/prometheus.yaml");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helm = bin.join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\n[ \"$1\" = template ] || exit 3\ncat '{}'\n",
            rendered.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let chart = dir.path().join("prometheus");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: prometheus\nversion: 28.13.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/deploy.yaml"),
        "spec:\n  template:\n    spec:\n{{- with .Values.server.podSecurityContext }}\n      securityContext:\n{{ toYaml . | indent 8 }}\n{{- end }}\n      containers:\n        - image: \"{{ .Values.server.image.repository }}:{{ .Values.server.image.tag }}\"\n",
    )
    .unwrap();
    let out = kubeward(dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .args(["scan", "prometheus", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let deploy: Vec<_> = findings
        .iter()
        .filter(|f| f["object"]["kind"] == "Deployment")
        .collect();
    assert!(!deploy.is_empty());
    for f in &deploy {
        assert_eq!(f["location"]["file"], "prometheus (helm template)");
        assert_eq!(
            f["location"]["source"],
            serde_json::json!({
                "tool": "helm",
                "path": "prometheus/templates/deploy.yaml",
                "values": ["server.image.repository", "server.image.tag", "server.podSecurityContext"]
            })
        );
    }
    // The ServiceAccount's template is not in the chart directory: its path without values.
    let sa = findings
        .iter()
        .find(|f| f["object"]["kind"] == "ServiceAccount")
        .unwrap();
    assert_eq!(
        sa["location"]["source"],
        serde_json::json!({"tool": "helm", "path": "prometheus/templates/serviceaccount.yaml"})
    );
    // SARIF: the template as a related location.
    let out = kubeward(dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .args(["scan", "prometheus", "--no-config", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["properties"]["object"]["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "prometheus/templates/deploy.yaml"
    );
    // Piped in, the same mapping (without the values: the chart is not at hand).
    let out = kubeward(dir.path())
        .args(["scan", "-", "--no-config", "--color", "never"])
        .write_stdin(std::fs::read_to_string(&rendered).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "  Deployment/istio-system/prometheus  from prometheus/templates/deploy.yaml (helm)\n"
        ),
        "{text}"
    );
}

#[test]
fn kustomize_origin_annotation_maps_findings() {
    // The annotation as `kustomize build` writes it with buildMetadata: [originAnnotations].
    let built = "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: base/pod.yaml\n      repo: https://github.com/example/app\n      ref: v1.0.6\n  name: dev-myapp-pod\nspec:\n  containers:\n  - image: nginx:1.7.9\n    name: nginx\n";
    let dir = tempfile::tempdir().unwrap();
    let out = kubeward(dir.path())
        .args(["scan", "-", "--no-config", "--format", "json"])
        .write_stdin(built)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &report["findings"][0];
    assert_eq!(
        f["location"]["source"],
        serde_json::json!({"tool": "kustomize", "path": "base/pod.yaml", "repo": "https://github.com/example/app", "ref": "v1.0.6"})
    );
}

#[test]
fn writes_keep_permissions_and_follow_symbolic_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.yaml");
    std::fs::write(&real, DEPLOY).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.yaml", dir.path().join("link.yaml")).unwrap();
    kubeward(dir.path())
        .args(["fix", "link.yaml", "--no-config", "--control", "KW101"])
        .assert()
        .code(1);
    let link = std::fs::symlink_metadata(dir.path().join("link.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
    let meta = std::fs::metadata(&real).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("privileged: false"));
}

/// A fix made in one round moves the lines below it; what a later round reports (here NET_RAW,
/// tried once ALL could not be added) is still located in the file as the user has it.
#[test]
fn later_rounds_report_positions_in_the_original_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: nginx:1.27}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: &sc\n      privileged: false\n  initContainers:\n  - name: i\n    image: nginx:1.27\n    securityContext: *sc\n";
    std::fs::write(dir.path().join("a.yaml"), text).unwrap();
    let out = kubeward(dir.path())
        .args(["fix", "a.yaml", "--no-config", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The first round inserts lines into the first Pod (securityContext, the token).
    assert!(stderr.contains("fixed a.yaml:6:5 KW201"), "{stderr}");
    // Where the anchor and the alias are in the original text.
    let at = |needle: &str| {
        let (i, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        (i + 1, line.find(needle).unwrap() + 1)
    };
    let (al, ac) = at("&sc");
    let (bl, bc) = at("*sc");
    for (kind, line, col) in [("carries an anchor", al, ac), ("is an alias", bl, bc)] {
        let hit = stderr
            .lines()
            .find(|l| l.contains(" KW316 ") && l.contains(kind) && l.starts_with("not fixed"))
            .unwrap_or_else(|| panic!("no KW316 refusal for the {kind}: {stderr}"));
        assert!(
            hit.ends_with(&format!("(at {line}:{col})")),
            "{kind} is at {line}:{col} in the file: {hit}"
        );
        assert!(
            hit.starts_with(&format!("not fixed a.yaml:{line}:")),
            "the finding is on the {kind}'s line {line}: {hit}"
        );
    }
}

/// The origin annotation as a real `kustomize build` (kubectl's built-in kustomize) writes it,
/// where kubectl is installed: findings name the base file the object came from.
#[test]
fn real_kustomize_output_maps_findings_to_the_base_file() {
    let Some(kubectl) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
    else {
        eprintln!("kubectl is not installed: real kustomize output not tested");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let overlay = dir.path().join("overlays/prod");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        base.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
    )
    .unwrap();
    std::fs::write(base.join("kustomization.yaml"), "resources:\n- pod.yaml\n").unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n- ../../base\nnamePrefix: prod-\nbuildMetadata: [originAnnotations]\n",
    )
    .unwrap();
    let built = std::process::Command::new(kubectl)
        .args(["kustomize", "overlays/prod"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let out = kubeward(dir.path())
        .args(["scan", "-", "--no-config", "--format", "json"])
        .write_stdin(built.stdout.clone())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "KW101")
        .expect("KW101");
    assert_eq!(f["object"]["name"], "prod-app");
    assert_eq!(f["location"]["source"]["tool"], "kustomize");
    // kustomize names the file relative to the kustomization it built.
    let path = f["location"]["source"]["path"].as_str().unwrap();
    assert_eq!(
        std::fs::canonicalize(overlay.join(path)).unwrap(),
        std::fs::canonicalize(base.join("pod.yaml")).unwrap(),
        "{path}"
    );
}
