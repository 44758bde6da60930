//! The npm cataloger against `npm ls --all --long --json`: real packages from the npm registry
//! installed with `npm install --prefix` (a scoped one, and two versions of `ms`, one nested).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{cache_dir, catalog_dir, read_bytes, run};
use kubeward_image::catalog::Npm;
use kubeward_image::Evidence;

const PACKAGES: [&str; 4] = [
    "lodash@4.17.20",
    "@sindresorhus/is@4.6.0",
    "debug@4.3.4",
    "ms@2.0.0",
];

/// `(package.json path relative to the prefix, name, version, license)`.
type Row = (String, String, String, Option<String>);

fn npm_root() -> std::path::PathBuf {
    let root = cache_dir("npm-lodash4.17.20-is4.6.0-debug4.3.4-ms2.0.0");
    if !root
        .join("node_modules/debug/node_modules/ms/package.json")
        .exists()
    {
        let prefix = root.to_string_lossy().into_owned();
        let mut args = vec![
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &prefix,
        ];
        args.extend(PACKAGES);
        run("npm", &args, "npm");
    }
    root
}

/// The installed tree as npm sees it.
fn npm_ls(root: &Path) -> BTreeSet<Row> {
    let prefix = root.to_string_lossy().into_owned();
    let out = run(
        "npm",
        &["ls", "--all", "--long", "--json", "--prefix", &prefix],
        "npm",
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut rows = BTreeSet::new();
    collect(&json, root, &mut rows);
    rows
}

fn collect(node: &serde_json::Value, root: &Path, rows: &mut BTreeSet<Row>) {
    let Some(deps) = node.get("dependencies").and_then(|d| d.as_object()) else {
        return;
    };
    for (name, dep) in deps {
        let path = Path::new(dep["path"].as_str().unwrap());
        let rel = path.strip_prefix(root).unwrap().join("package.json");
        rows.insert((
            rel.to_string_lossy().into_owned(),
            name.clone(),
            dep["version"].as_str().unwrap().to_string(),
            dep.get("license")
                .and_then(|l| l.as_str())
                .map(str::to_string),
        ));
        collect(dep, root, rows);
    }
}

#[test]
fn npm_installed_packages_match_npm_ls() {
    let root = npm_root();
    let truth = npm_ls(&root);
    assert_eq!(truth.len(), 5, "{truth:?}");
    let found = catalog_dir(&root);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let ours: BTreeSet<Row> = found
        .by("npm")
        .iter()
        .map(|p| {
            (
                p.location.path.clone(),
                p.name.clone(),
                p.version.clone(),
                p.license.clone(),
            )
        })
        .collect();
    assert_eq!(ours, truth);
    let is = found
        .by("npm")
        .into_iter()
        .find(|p| p.name == "@sindresorhus/is")
        .unwrap();
    assert_eq!(is.purl, "pkg:npm/%40sindresorhus/is@4.6.0");
    assert_eq!(is.ecosystem, "npm");
}

#[test]
fn private_nameless_and_bad_files_are_not_packages() {
    let path = "app/node_modules/x/package.json";
    let empty = |bytes: &[u8]| read_bytes(&Npm, path, bytes).unwrap().is_empty();
    assert!(empty(br#"{"name":"x","version":"1.0.0","private":true}"#));
    assert!(empty(br#"{"name":"x"}"#));
    assert!(empty(br#"["not", "an", "object"]"#));
    let err = read_bytes(&Npm, path, br#"{"name": "x", "token": "s3cret"#).unwrap_err();
    assert!(!err.contains("s3cret"), "{err}");
    let big = format!(
        r#"{{"name":"x","version":"1","pad":"{}"}}"#,
        "a".repeat(2 << 20)
    );
    assert!(read_bytes(&Npm, path, big.as_bytes()).is_err());
    let legacy =
        br#"{"name":"y","version":"2.0.0","licenses":[{"type":"MIT"},{"type":"GPL-2.0"}]}"#;
    match read_bytes(&Npm, path, legacy).unwrap().as_slice() {
        [Evidence::Package(p)] => assert_eq!(p.license.as_deref(), Some("MIT OR GPL-2.0")),
        other => panic!("{other:?}"),
    }
}
