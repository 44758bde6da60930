//! The Python cataloger against the installed metadata as Python itself reads it
//! (`importlib.metadata`): packages installed from PyPI with `pip install --target` at pinned
//! versions, and the site directories of this machine (Debian's `dist-packages`, with
//! `.egg-info` directories and files, and the interpreter's `site-packages`).

mod common;

use std::path::Path;

use common::{cache_dir, catalog_dir, read_bytes, run};
use kubeward_image::catalog::Python;
use kubeward_image::Evidence;

/// `(Name, Version)` of every distribution `importlib.metadata` finds in `dir`, sorted.
fn importlib(dir: &Path) -> Vec<(String, String)> {
    let script = "import importlib.metadata as m, sys\n\
                  for d in m.distributions(path=[sys.argv[1]]):\n    \
                  print(d.metadata['Name'], d.version, sep='\\t')\n";
    let mut out: Vec<(String, String)> = run(
        "python3",
        &["-c", script, &dir.to_string_lossy()],
        "python3",
    )
    .lines()
    .map(|l| {
        let (n, v) = l.split_once('\t').unwrap();
        (n.to_string(), v.to_string())
    })
    .collect();
    out.sort();
    out
}

/// Real PyPI packages, installed once into the test cache (pip needs PyPI the first time).
fn pip_root() -> std::path::PathBuf {
    let root = cache_dir("pip-six1.16.0-jinja2.2.10-markupsafe2.1.5");
    let site = root.join("usr/lib/python3/site-packages");
    if !site.join("six-1.16.0.dist-info").exists() {
        run(
            "python3",
            &[
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--no-deps",
                "--target",
                &site.to_string_lossy(),
                "six==1.16.0",
                "jinja2==2.10",
                "markupsafe==2.1.5",
            ],
            "python3-pip",
        );
    }
    root
}

#[test]
fn pip_installed_packages_match_importlib_metadata() {
    let root = pip_root();
    let truth = importlib(&root.join("usr/lib/python3/site-packages"));
    assert_eq!(truth.len(), 3, "{truth:?}");
    let found = catalog_dir(&root);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let mut ours: Vec<(String, String)> = found
        .by("python")
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    ours.sort();
    assert_eq!(ours, truth);
    let get = |n: &str| {
        found
            .by("python")
            .into_iter()
            .find(|p| p.name == n)
            .unwrap()
    };
    // METADATA says `License: MIT` (six), `License: BSD-3-Clause` (MarkupSafe), and only
    // `License: BSD` with the `BSD License` classifier (Jinja2 2.10): which BSD is not said.
    assert_eq!(get("six").license.as_deref(), Some("MIT"));
    assert_eq!(get("MarkupSafe").license.as_deref(), Some("BSD-3-Clause"));
    assert_eq!(get("Jinja2").license, None);
    let jinja = get("Jinja2");
    assert_eq!(jinja.purl, "pkg:pypi/jinja2@2.10");
    assert_eq!(jinja.ecosystem, "PyPI");
    assert_eq!(
        jinja.location.path,
        "usr/lib/python3/site-packages/Jinja2-2.10.dist-info/METADATA"
    );
    let metadata = std::fs::read_to_string(root.join(&jinja.location.path)).unwrap();
    let line = jinja.location.line.unwrap() as usize;
    assert_eq!(metadata.lines().nth(line - 1), Some("Name: Jinja2"));
}

/// Every distribution of the machine's site directories, as the image path `<prefix>/<entry>`.
#[test]
fn this_machines_site_directories_match_importlib_metadata() {
    let script = "import sys\nfor p in sys.path:\n    \
                  if p.endswith(('site-packages', 'dist-packages')): print(p)\n";
    let mut dirs: Vec<String> = run("python3", &["-c", script], "python3")
        .lines()
        .map(str::to_string)
        .collect();
    dirs.push("/usr/lib/python3/dist-packages".to_string());
    dirs.sort();
    dirs.dedup();
    let mut checked = 0;
    for dir in dirs.iter().map(Path::new).filter(|d| d.is_dir()) {
        let truth = importlib(dir);
        let image_dir = format!(
            "usr/lib/python3/{}",
            dir.file_name().unwrap().to_string_lossy()
        );
        let mut ours = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let (file, rel) = if name.ends_with(".dist-info") {
                (
                    path.join("METADATA"),
                    format!("{image_dir}/{name}/METADATA"),
                )
            } else if name.ends_with(".egg-info") && path.is_dir() {
                (
                    path.join("PKG-INFO"),
                    format!("{image_dir}/{name}/PKG-INFO"),
                )
            } else if name.ends_with(".egg-info") {
                (path.clone(), format!("{image_dir}/{name}"))
            } else {
                continue;
            };
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for ev in read_bytes(&Python, &rel, &bytes).unwrap() {
                if let Evidence::Package(p) = ev {
                    ours.push((p.name, p.version));
                }
            }
        }
        ours.sort();
        assert_eq!(ours, truth, "{}", dir.display());
        checked += truth.len();
    }
    assert!(checked > 10, "only {checked} distributions on this machine");
}

#[test]
fn license_expression_wins_and_classifiers_are_alternatives() {
    let meta =
        "Metadata-Version: 2.4\nName: x_Y.z\nVersion: 1.0\nLicense-Expression: Apache-2.0 OR MIT\n\
                License: something else\n\nbody\n";
    let path = "app/venv/lib/python3.12/site-packages/x_y.z-1.0.dist-info/METADATA";
    let evs = read_bytes(&Python, path, meta.as_bytes()).unwrap();
    let Evidence::Package(p) = &evs[0] else {
        panic!("{evs:?}")
    };
    assert_eq!(p.license.as_deref(), Some("Apache-2.0 OR MIT"));
    assert_eq!(p.purl, "pkg:pypi/x-y-z@1.0");
    let meta =
        "Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: Apache Software License\n\
                Classifier: License :: OSI Approved :: BSD License\n\
                Classifier: License :: OSI Approved :: MIT License\n\n";
    let evs = read_bytes(&Python, path, meta.as_bytes()).unwrap();
    let Evidence::Package(p) = &evs[0] else {
        panic!("{evs:?}")
    };
    assert_eq!(p.license.as_deref(), Some("Apache-2.0 OR MIT"));
}
