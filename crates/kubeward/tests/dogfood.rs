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
