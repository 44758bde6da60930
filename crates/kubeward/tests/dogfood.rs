//! Dogfood: every manifest the project ships as the good path passes kubeward's own scan at the
//! Pod Security Standards `restricted` level.

use std::path::PathBuf;

use assert_cmd::Command;

#[test]
fn shipped_manifests_pass_restricted() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec!["examples/hardened"];
    if repo.join("deploy").is_dir() {
        dirs.push("deploy");
    }
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(&repo)
        .args(["scan", "--framework", "pss-restricted", "--format", "json"])
        .args(&dirs)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["summary"]["objects"].as_u64().unwrap() > 0,
        "scanned something"
    );
    assert_eq!(
        doc["findings"],
        serde_json::json!([]),
        "shipped manifests must pass restricted"
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
    assert_eq!(out.status.code(), Some(0));
}

/// The one exemption: `deploy/50-node-job.yaml` runs `kubeward node`, which needs host access
/// (hostPID, read-only hostPath mounts, UID 0 with DAC_READ_SEARCH) to do what the CIS
/// benchmark asks. Its `kubeward.io/ignore` annotations name each restricted control it is
/// exempt from with the reason; nothing else in the shipped manifests is suppressed, and the
/// job passes every restricted check that does not concern host access.
#[test]
fn only_the_node_job_is_exempt_and_says_why() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !repo.join("deploy/50-node-job.yaml").is_file() {
        return;
    }
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(&repo)
        .args([
            "scan",
            "--framework",
            "pss-restricted",
            "--format",
            "json",
            "--show-suppressed",
            "--no-config",
            "deploy",
            "examples/hardened",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let suppressed = doc["findings"].as_array().unwrap();
    assert!(!suppressed.is_empty());
    let host_access = ["KW102", "KW103", "KW107", "KW205", "KW206"];
    for f in suppressed {
        assert_eq!(f["location"]["file"], "deploy/50-node-job.yaml", "{f}");
        assert_eq!(f["suppressed"]["by"], "annotation");
        assert!(
            f["suppressed"]["reason"].as_str().unwrap().len() > 20,
            "{f}"
        );
        assert!(host_access.contains(&f["id"].as_str().unwrap()), "{f}");
    }
}
