//! The image checks' fixtures (kubeward-controls `fixtures/<ID>/{pass,fail}.cdx.json`): each
//! fail SBOM gives findings of its control, each pass SBOM none. KW1101 matches against the
//! real jinja2 records of tests/data/osv; KW1102 runs under `deny: [AGPL-3.0-only]`.

use std::path::Path;

use kubeward_controls::registry;
use kubeward_image::findings::{findings, Options};
use kubeward_image::licenses::LicensePolicy;

fn fixture(id: &str, name: &str) -> kubeward_image::Catalog {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubeward-controls/fixtures")
        .join(id)
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    kubeward_image::sbom::read(&bytes, name).unwrap()
}

#[test]
fn every_image_check_has_fixtures_that_pass_and_fail() {
    let store = tempfile::tempdir().unwrap();
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/osv");
    kubeward_vulndb::import(store.path(), &[osv]).unwrap();
    let db = kubeward_vulndb::Database::open(store.path()).unwrap();
    let licenses = LicensePolicy::new(&kubeward_engine::config::LicensePolicy {
        deny: vec!["AGPL-3.0-only".into()],
        ..Default::default()
    })
    .unwrap();
    let opts = Options {
        licenses,
        ..Options::default()
    };
    let checks: Vec<_> = registry::all()
        .iter()
        .filter(|c| c.is_image_check())
        .collect();
    assert_eq!(checks.len(), 2);
    for c in checks {
        let id = c.meta().id;
        for (name, expect) in [("fail.cdx.json", true), ("pass.cdx.json", false)] {
            let catalog = fixture(id, name);
            let (v, _) = kubeward_image::vulns::match_catalog(&db, &catalog);
            let found: Vec<String> = findings(&catalog, &v, &opts, &mut [])
                .into_iter()
                .filter(|f| f.finding.control.id == id)
                .map(|f| f.finding.message)
                .collect();
            assert_eq!(!found.is_empty(), expect, "{id}/{name}: {found:?}");
        }
    }
}
