//! SBOMs: what kubeward writes validates against the official CycloneDX 1.6 and SPDX 2.3 JSON
//! schemas (schema/PROVENANCE.md), reads back as the same packages, and SBOMs written by other
//! tools (tests/data/PROVENANCE.md) read as their packages.

use std::path::{Path, PathBuf};

use kubeward_image::sbom::{self, Format, WriteOptions};
use kubeward_image::{Catalog, ImageInfo, LayerInfo, Location, OsRelease, Package};
use serde_json::Value;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

fn load(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(schema_dir().join(name)).unwrap()).unwrap()
}

/// Validation errors of `doc` against CycloneDX 1.6 (with the two schemas it references).
fn cyclonedx_errors(doc: &Value) -> Vec<String> {
    let registry = jsonschema::Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.schema.json",
            load("spdx.schema.json"),
        )
        .unwrap()
        .add(
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            load("jsf-0.82.schema.json"),
        )
        .unwrap()
        .prepare()
        .unwrap();
    let schema = load("bom-1.6.schema.json");
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_registry(&registry)
        .build(&schema)
        .expect("the CycloneDX schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn spdx_errors(doc: &Value) -> Vec<String> {
    let schema = load("spdx-2.3.schema.json");
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("the SPDX schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn pkg(
    eco: &str,
    name: &str,
    version: &str,
    purl: &str,
    license: Option<&str>,
    path: &str,
    line: Option<u32>,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco.into(),
        purl: purl.into(),
        source_name: None,
        source_version: None,
        license: license.map(str::to_string),
        found_by: "test".into(),
        location: Location {
            layer: Some(
                "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef".into(),
            ),
            path: path.into(),
            line,
        },
    }
}

/// A catalog like a Debian-based Python image: OS packages (one with a source package), a
/// Python package, a Go module, a licence that is no SPDX expression, the same purl twice.
fn catalog() -> Catalog {
    let mut openssl = pkg(
        "Debian",
        "libssl3",
        "3.0.11-1~deb12u2",
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
        Some("Apache-2.0"),
        "var/lib/dpkg/status",
        Some(120),
    );
    openssl.source_name = Some("openssl".into());
    openssl.found_by = "dpkg".into();
    let mut packages = vec![
        openssl,
        pkg(
            "Debian",
            "tzdata",
            "2024a-0+deb12u1",
            "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
            Some("public domain, see copyright"),
            "var/lib/dpkg/status",
            Some(300),
        ),
        pkg(
            "PyPI",
            "Jinja2",
            "2.10",
            "pkg:pypi/jinja2@2.10",
            Some("BSD-3-Clause"),
            "usr/lib/python3/dist-packages/Jinja2-2.10.dist-info/METADATA",
            None,
        ),
        pkg(
            "Go",
            "github.com/gin-gonic/gin",
            "v1.6.0",
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            Some("MIT OR Apache-2.0"),
            "usr/local/bin/app",
            None,
        ),
        pkg(
            "Go",
            "github.com/gin-gonic/gin",
            "v1.6.0",
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            None,
            "usr/local/bin/other",
            None,
        ),
    ];
    kubeward_image::sbom::sort_packages(&mut packages);
    Catalog {
        image: ImageInfo {
            name: "registry.example.com/team/app:1.2".into(),
            digest: Some(
                "sha256:0b6a027b5cf322f09f6706c754e86a4e3f6c3fe5a1f3a4f8f5d4d2f7c2b3a1e0".into(),
            ),
            platform: Some("linux/amd64".into()),
            layers: vec![LayerInfo {
                digest: "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
                    .into(),
                diff_id: None,
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                size: 1234,
            }],
        },
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: "12".into(),
            pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
            id_like: Vec::new(),
        }),
        packages,
        notes: Vec::new(),
        errors: Vec::new(),
    }
}

/// Real vulnerabilities of the catalog: the jinja2 records of tests/data/osv matched.
fn vulnerabilities(c: &Catalog) -> Vec<kubeward_image::vulns::Vulnerability> {
    let store = tempfile::tempdir().unwrap();
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/osv");
    kubeward_vulndb::import(store.path(), &[osv]).unwrap();
    let db = kubeward_vulndb::Database::open(store.path()).unwrap();
    let (v, _) = kubeward_image::vulns::match_catalog(&db, c);
    v
}

fn opts<'a>(v: &'a [kubeward_image::vulns::Vulnerability]) -> WriteOptions<'a> {
    WriteOptions {
        tool_version: "0.1.0",
        created: "2026-08-21T10:00:00Z".into(),
        warnings: vec!["vulnerability data PyPI is 680 days old".into()],
        vulnerabilities: v,
    }
}

#[test]
fn cyclonedx_output_is_valid_cyclonedx_1_6() {
    let c = catalog();
    let v = vulnerabilities(&c);
    assert_eq!(v.len(), 2, "jinja2 2.10: PYSEC-2019-217 and PYSEC-2021-66");
    let doc = sbom::write(&c, Format::CycloneDx, &opts(&v));
    let errors = cyclonedx_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["metadata"]["component"]["type"], "container");
    let comps = doc["components"].as_array().unwrap();
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps.len(), 1 + c.packages.len());
    let refs: std::collections::HashSet<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), comps.len(), "bom-refs are unique");
    let ids: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PYSEC-2019-217", "PYSEC-2021-66"]);
    // The same document, broken, is refused: the validation can fail.
    let mut bad = doc.clone();
    bad["components"][1]["type"] = Value::from("bogus");
    assert!(!cyclonedx_errors(&bad).is_empty());
}

#[test]
fn spdx_output_is_valid_spdx_2_3() {
    let c = catalog();
    let v = vulnerabilities(&c);
    let doc = sbom::write(&c, Format::Spdx, &opts(&v));
    let errors = spdx_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(packages[1]["primaryPackagePurpose"], "OPERATING_SYSTEM");
    assert_eq!(packages.len(), 2 + c.packages.len());
    let rels = doc["relationships"].as_array().unwrap();
    assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
    assert_eq!(rels.len(), 1 + 1 + c.packages.len());
    let advisories: Vec<&str> = packages
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceCategory"] == "SECURITY")
        .map(|r| r["referenceLocator"].as_str().unwrap())
        .collect();
    assert_eq!(
        advisories,
        [
            "https://osv.dev/vulnerability/PYSEC-2019-217",
            "https://osv.dev/vulnerability/PYSEC-2021-66"
        ]
    );
    let mut bad = doc.clone();
    bad["packages"][2]
        .as_object_mut()
        .unwrap()
        .remove("downloadLocation");
    assert!(!spdx_errors(&bad).is_empty());
}

#[test]
fn round_trip_gives_the_same_catalog() {
    let c = catalog();
    for format in [Format::CycloneDx, Format::Spdx] {
        let doc = sbom::write(&c, format, &opts(&[]));
        let bytes = serde_json::to_vec_pretty(&doc).unwrap();
        assert!(sbom::looks_like_sbom(&bytes));
        let back = sbom::read(&bytes, "sbom.json").unwrap();
        assert_eq!(back.packages, c.packages, "{format:?}");
        assert_eq!(back.os.as_ref().map(|o| &o.id), Some(&"debian".to_string()));
        assert_eq!(back.os.as_ref().unwrap().version_id, "12");
        assert_eq!(back.image.name, c.image.name);
        assert_eq!(back.image.digest, c.image.digest);
    }
}

#[test]
fn reads_cyclonedx_written_by_cyclonedx_gomod() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbom/proton-bridge-v1.8.0.cdx.json");
    let text = std::fs::read(&path).unwrap();
    let raw: Value = serde_json::from_slice(&text).unwrap();
    let c = sbom::read(&text, "proton-bridge.cdx.json").unwrap();
    // Ground truth: the document's own components.
    let comps = raw["components"].as_array().unwrap();
    assert_eq!(c.packages.len(), comps.len());
    assert_eq!(c.image.name, "github.com/ProtonMail/proton-bridge");
    for comp in comps {
        let purl = comp["purl"].as_str().unwrap();
        let p = c.packages.iter().find(|p| p.purl == purl).unwrap();
        assert_eq!(p.ecosystem, "Go");
        assert_eq!(
            p.name,
            comp["name"].as_str().unwrap(),
            "module path from the purl"
        );
        assert_eq!(p.version, comp["version"].as_str().unwrap());
        // Each package points at its component's line in the SBOM.
        let line = p.location.line.unwrap() as usize;
        let text = std::str::from_utf8(&text).unwrap();
        assert!(text.lines().nth(line - 1).unwrap().contains(purl));
    }
    let licensed = comps.iter().filter(|c| c.get("licenses").is_some()).count();
    assert_eq!(
        c.packages.iter().filter(|p| p.license.is_some()).count(),
        licensed
    );
}

#[test]
fn reads_spdx_written_by_k8s_bom() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbom/example11.spdx.json");
    let text = std::fs::read(&path).unwrap();
    let raw: Value = serde_json::from_slice(&text).unwrap();
    let c = sbom::read(&text, "example11.spdx.json").unwrap();
    let with_purl: Vec<(&str, &str)> = raw["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["externalRefs"][0]["referenceLocator"].as_str().unwrap(),
                p["versionInfo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(c.packages.len(), with_purl.len());
    let tokio = c.packages.iter().find(|p| p.name == "tokio").unwrap();
    assert_eq!(
        (tokio.ecosystem.as_str(), tokio.version.as_str()),
        ("crates.io", "1.19.2")
    );
    assert_eq!(
        tokio.license.as_deref(),
        Some("MIT"),
        "licenseConcluded when none declared"
    );
    let deb = c
        .packages
        .iter()
        .find(|p| p.purl.starts_with("pkg:deb/"))
        .unwrap();
    assert_eq!(deb.ecosystem, "Debian");
    assert_eq!(deb.license.as_deref(), Some("Apache-2.0"));
}

#[test]
fn bad_sboms_are_errors_that_quote_nothing() {
    let secret = "hunter2-SECRET";
    let e = sbom::read(
        format!("{{\"bomFormat\": \"CycloneDX\", \"x\": {secret}").as_bytes(),
        "a.json",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("a.json: not JSON"), "{e}");
    assert!(!e.to_string().contains(secret));
    let e = sbom::read(format!("{{\"name\": \"{secret}\"}}").as_bytes(), "b.json").unwrap_err();
    assert!(!e.to_string().contains(secret));
    let e = sbom::read(
        b"{\"bomFormat\": \"CycloneDX\", \"components\": 3}",
        "c.json",
    )
    .unwrap_err();
    assert!(e.message.contains("components"));
}
