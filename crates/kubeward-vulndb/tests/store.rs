//! Import, status, open and query, on real records (tests/data/osv, see PROVENANCE.md) and on
//! hand-written ones (said so where used); malformed input; atomic replacement.

use kubeward_vulndb::{import, status, Database, PackageQuery, Record, StoreError};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/osv")
        .join(p)
}

fn write_zip(path: &Path, members: &[(&str, String)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, body) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

fn q(eco: &str, name: &str, v: &str) -> PackageQuery {
    PackageQuery::new(eco, name, v)
}

#[test]
fn import_directories_and_query() {
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &[data("PyPI"), data("Go")]).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.sources.len(), 2);
    assert_eq!(report.sources[0].name, "PyPI");
    assert_eq!(report.sources[0].records, 5);
    assert_eq!(report.sources[0].withdrawn, 1);
    assert_eq!(report.sources[1].name, "Go");
    assert_eq!(report.sources[1].records, 2);
    // status() reads back what import recorded.
    let st = status(store.path()).unwrap();
    assert_eq!(st, report.sources);
    let newest = st[0].newest_modified.clone().unwrap();
    let by_hand: Vec<String> = std::fs::read_dir(data("PyPI"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "json").then(|| {
                Record::from_json(&std::fs::read(&p).unwrap(), "x")
                    .unwrap()
                    .modified
            })
        })
        .collect();
    assert_eq!(&newest, by_hand.iter().max().unwrap());

    let db = Database::open(store.path()).unwrap();
    assert_eq!(db.record_count(), 6); // the withdrawn record is not held
                                      // Two jinja2 records, each with CVE and GHSA aliases, both affect 2.7.1: two findings.
    let f = db.query(&q("PyPI", "Jinja2", "2.7.1")).unwrap();
    let ids: Vec<&str> = f.iter().map(|f| f.id).collect();
    assert_eq!(ids, ["PYSEC-2014-8", "PYSEC-2019-217"]);
    assert_eq!(f[0].fixed, ["2.7.2"]);
    assert_eq!(f[0].cve(), Some("CVE-2014-1402"));
    assert!(!f[0].references.is_empty());
    // 2.10 is only affected by the second.
    let f = db.query(&q("PyPI", "jinja2", "2.10")).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].fixed, ["2.10.1"]);
    assert!(db.query(&q("PyPI", "jinja2", "2.10.1")).unwrap().is_empty());
    // Withdrawn records never match.
    assert!(db
        .query(&q("PyPI", "arrayfire", "3.5.0"))
        .unwrap()
        .is_empty());
    // Go stdlib, Go's own version spelling.
    let f = db.query(&q("Go", "stdlib", "go1.20.4")).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].fixed, ["1.20.5"]);
    assert_eq!(f[0].aliases, ["CVE-2023-29403"]);
    // Unknown packages: nothing; unknown ecosystems: a clear error.
    assert!(db
        .query(&q("PyPI", "no-such-package", "1.0"))
        .unwrap()
        .is_empty());
    assert!(db.query(&q("Hackage", "x", "1")).is_err());
    let all = db.query_all(&[q("PyPI", "py", "1.11.0"), q("Nope", "x", "1")]);
    assert_eq!(all[0].as_ref().unwrap()[0].fixed, Vec::<String>::new());
    assert!(all[1].is_err());
}

#[test]
fn aliases_merge_into_one_finding_and_severity() {
    // Hand-written records in OSV's schema: a PYSEC and a GHSA record for the same CVE, as the
    // real feeds publish them; the GHSA one carries a CVSS v3.1 vector and GitHub's rating.
    let dir = tempfile::tempdir().unwrap();
    let pysec = json!({"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]});
    let ghsa = json!({"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-0001"], "modified": "2099-02-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "database_specific": {"severity": "CRITICAL", "cwe_ids": ["CWE-79"]},
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo.pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.1.5"}]}],
            "ecosystem_specific": {"anything": [1, 2, 3]}}]});
    std::fs::write(dir.path().join("PYSEC-2099-1.json"), pysec.to_string()).unwrap();
    std::fs::write(
        dir.path().join("GHSA-aaaa-bbbb-cccc.json"),
        ghsa.to_string(),
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &[dir.path().to_path_buf()]).unwrap();
    assert_eq!(report.sources[0].records, 2);
    assert_eq!(
        report.sources[0].newest_modified.as_deref(),
        Some("2099-02-01T00:00:00Z")
    );
    let db = Database::open(store.path()).unwrap();
    let f = db.query(&q("PyPI", "demo-pkg", "1.1.0")).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    let f = &f[0];
    assert_eq!(f.id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(f.records, ["GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]);
    assert_eq!(f.aliases, ["CVE-2099-0001", "PYSEC-2099-1"]);
    assert_eq!(f.fixed, ["1.1.5", "1.2.0"]);
    assert_eq!(f.severity.score, Some(9.8));
    assert_eq!(f.severity.rating.as_deref(), Some("CRITICAL"));
    assert_eq!(f.severity.level(), Some("critical"));
    assert_eq!(f.modified, "2099-02-01T00:00:00Z");
    // Only the PYSEC record covers 0.9.
    let f = db.query(&q("PyPI", "DEMO_PKG", "0.9")).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].id, "PYSEC-2099-1");
    assert_eq!(f[0].severity.score, None);
}

#[test]
fn times() {
    use kubeward_vulndb::parse_time;
    assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some((0, 0)));
    assert_eq!(
        parse_time("2024-10-09T12:05:48.156835Z"),
        Some((1_728_475_548, 156_835_000))
    );
    // The PyPI export's other spelling, and offsets.
    assert_eq!(
        parse_time("2024-10-10 17:22:00.587279+00:00"),
        Some((1_728_580_920, 587_279_000))
    );
    assert_eq!(
        parse_time("2024-10-10T19:22:00+02:00"),
        parse_time("2024-10-10T17:22:00Z")
    );
    assert_eq!(
        parse_time("0001-01-01T00:00:00Z"),
        Some((-62_135_596_800, 0))
    );
    for bad in [
        "",
        "2024-10-10",
        "2024-13-01T00:00:00Z",
        "2024-10-10T17:22:00",
        "yesterday",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}

#[test]
fn newest_modified_compares_instants() {
    // Hand-written records: the later instant is written in the space-separated spelling.
    let dir = tempfile::tempdir().unwrap();
    for (id, m) in [
        ("A-1", "2024-10-10T09:00:00Z"),
        ("A-2", "2024-10-10 17:22:00.587279+00:00"),
        ("A-3", "2024-10-10T18:00:00+02:00"),
    ] {
        let r = json!({"id": id, "modified": m, "affected": []});
        std::fs::write(dir.path().join(format!("{id}.json")), r.to_string()).unwrap();
    }
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &[dir.path().to_path_buf()]).unwrap();
    assert_eq!(
        report.sources[0].newest_modified.as_deref(),
        Some("2024-10-10 17:22:00.587279+00:00")
    );
}

#[test]
fn cvss_scores() {
    use kubeward_vulndb::osv::cvss_base_score;
    assert_eq!(
        cvss_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        Some(9.8)
    );
    assert_eq!(
        cvss_base_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
        Some(3.1)
    );
    // CVSS v4.0 (FIRST's calculator gives 9.3 for this vector).
    assert_eq!(
        cvss_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
        Some(9.3)
    );
    assert_eq!(cvss_base_score("CVSS:3.1/AV:X"), None);
    assert_eq!(cvss_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None); // v2 is not scored
}

#[test]
fn malformed_records_are_named_and_the_rest_import() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("PyPI/PYSEC-2014-8.json")).unwrap();
    // A syntax error on line 3, and a wrong type whose value must not be echoed.
    let broken = "{\n  \"id\": \"X-1\",\n  \"aliases\": [\"a\" \"b\"]\n}";
    let wrong_type =
        r#"{"id": "X-2", "modified": "2020-01-01T00:00:00Z", "affected": "SECRET-VALUE-123"}"#;
    let zip = dir.path().join("all.zip");
    write_zip(
        &zip,
        &[
            ("PYSEC-2014-8.json", good.clone()),
            ("BROKEN.json", broken.to_string()),
            ("WRONG.json", wrong_type.to_string()),
            ("README.txt", "not a record".to_string()),
        ],
    );
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), std::slice::from_ref(&zip)).unwrap();
    assert_eq!(report.sources[0].records, 1);
    assert_eq!(report.errors.len(), 2);
    let e0 = &report.errors[0];
    assert_eq!(e0.source, format!("{}:BROKEN.json", zip.display()));
    assert_eq!((e0.line, e0.column), (3, 19)); // the second string, where a `,` or `]` belongs
    let e1 = report.errors[1].to_string();
    assert!(e1.contains("all.zip:WRONG.json:1:"), "{e1}");
    assert!(!e1.contains("SECRET-VALUE-123"), "the value leaked: {e1}");
    assert!(e1.contains("invalid type"), "{e1}");
    // The good record is queryable.
    let db = Database::open(store.path()).unwrap();
    assert_eq!(db.query(&q("PyPI", "jinja2", "2.7")).unwrap().len(), 1);
}

#[test]
fn oversized_members_are_skipped() {
    // 17 MiB of JSON whitespace around a record: compresses to almost nothing, over the 16 MiB limit.
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "{}{{\"id\": \"BIG-1\", \"modified\": \"\"}}",
        " ".repeat(17 << 20)
    );
    let good = std::fs::read_to_string(data("Go/GO-2023-1840.json")).unwrap();
    let zip = dir.path().join("all.zip");
    write_zip(&zip, &[("BIG-1.json", big), ("GO-2023-1840.json", good)]);
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), std::slice::from_ref(&zip)).unwrap();
    assert_eq!(report.sources[0].records, 1);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].source.ends_with("all.zip:BIG-1.json"));
    assert!(
        report.errors[0].message.contains("larger than"),
        "{}",
        report.errors[0]
    );
}

#[test]
fn unknown_ecosystems_are_counted_not_fatal() {
    // Hand-written: a record for an ecosystem we cannot order, next to a supported one.
    let dir = tempfile::tempdir().unwrap();
    let rec = json!({"id": "X-1", "modified": "2020-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "Hackage", "name": "aeson"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]},
        {"package": {"ecosystem": "npm", "name": "left-pad"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]});
    std::fs::write(dir.path().join("X-1.json"), rec.to_string()).unwrap();
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &[dir.path().to_path_buf()]).unwrap();
    assert_eq!(report.unsupported_ecosystems.get("Hackage"), Some(&1));
    let db = Database::open(store.path()).unwrap();
    assert_eq!(db.query(&q("npm", "left-pad", "1.2.0")).unwrap().len(), 1);
    assert_eq!(
        db.query(&q("Hackage", "aeson", "1"))
            .unwrap_err()
            .to_string(),
        "ecosystem \"Hackage\" is not supported"
    );
}

#[test]
fn yaml_records() {
    // Hand-written in the layout of pypa/advisory-database (YAML, unquoted versions).
    let yaml = "id: PYSEC-2099-7\nmodified: 2099-01-01T00:00:00Z\naliases:\n- CVE-2099-7\naffected:\n- package:\n    ecosystem: PyPI\n    name: demo\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n  versions:\n  - 1.9\n";
    let r = Record::from_yaml(yaml.as_bytes(), "PYSEC-2099-7.yaml").unwrap();
    assert_eq!(
        r.affected[0].ranges[0].events[1].fixed.as_deref(),
        Some("1.10")
    );
    assert_eq!(r.affected[0].versions, ["1.9"]);
    assert!(kubeward_vulndb::is_affected(&r, &q("PyPI", "demo", "1.9")).unwrap());
    assert!(!kubeward_vulndb::is_affected(&r, &q("PyPI", "demo", "1.10")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("PYSEC-2099-7.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("BAD.yaml"), "id: [unclosed\n").unwrap();
    std::fs::write(
        dir.path().join("WRONG.yml"),
        "id: X\naffected: SECRET-VALUE-9\n",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &[dir.path().to_path_buf()]).unwrap();
    assert_eq!(report.sources[0].records, 1);
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    for e in &report.errors {
        assert!(e.source.ends_with("BAD.yaml") || e.source.ends_with("WRONG.yml"));
        assert!(e.line >= 1, "{e}");
        assert!(!e.to_string().contains("SECRET-VALUE-9"), "{e}");
    }
}

#[test]
fn a_failed_import_leaves_the_store_whole() {
    let store = tempfile::tempdir().unwrap();
    import(store.path(), &[data("Go")]).unwrap();
    let before = status(store.path()).unwrap();
    // A missing path, and a file that is not a zip: both stop the import before anything is written.
    let missing = import(
        store.path(),
        &[data("PyPI"), PathBuf::from("/nonexistent/all.zip")],
    );
    assert!(matches!(missing, Err(StoreError::Io { .. })));
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("all.zip");
    std::fs::write(&fake, b"PK\x03\x04 this is not really a zip").unwrap();
    let err = import(store.path(), &[fake]).unwrap_err();
    assert!(matches!(err, StoreError::Zip { .. }), "{err}");
    assert!(err.to_string().contains("all.zip"), "{err}");
    assert_eq!(status(store.path()).unwrap(), before);
    let db = Database::open(store.path()).unwrap();
    assert_eq!(db.record_count(), 2);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(store.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["vulndb.bin"]);
}

#[test]
fn missing_and_damaged_stores() {
    let store = tempfile::tempdir().unwrap();
    assert!(matches!(
        status(store.path()),
        Err(StoreError::Missing { .. })
    ));
    assert!(matches!(
        Database::open(store.path()),
        Err(StoreError::Missing { .. })
    ));
    std::fs::write(store.path().join("vulndb.bin"), b"garbage").unwrap();
    assert!(matches!(
        Database::open(store.path()),
        Err(StoreError::Format { .. })
    ));
    assert!(matches!(
        status(store.path()),
        Err(StoreError::Format { .. })
    ));
    // A truncated body.
    import(store.path(), &[data("Go")]).unwrap();
    let bytes = std::fs::read(store.path().join("vulndb.bin")).unwrap();
    std::fs::write(store.path().join("vulndb.bin"), &bytes[..bytes.len() - 10]).unwrap();
    assert!(matches!(
        Database::open(store.path()),
        Err(StoreError::Format { .. })
    ));
}

#[test]
fn real_exports_import_whole() {
    // The shared exports, when present (beside the repository in CI; scripts/test exports
    // KUBEWARD_SHARED).
    let shared = std::env::var_os("KUBEWARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("vulndata/osv");
    let zips: Vec<PathBuf> = ["Go", "PyPI"]
        .iter()
        .map(|e| shared.join(e).join("all.zip"))
        .filter(|p| p.exists())
        .collect();
    if zips.len() < 2 {
        eprintln!(
            "SKIPPED: shared OSV exports not found at {}",
            shared.display()
        );
        return;
    }
    let store = tempfile::tempdir().unwrap();
    let report = import(store.path(), &zips).unwrap();
    assert!(
        report.errors.is_empty(),
        "{:?}",
        &report.errors[..report.errors.len().min(5)]
    );
    assert_eq!(report.sources[0].name, "Go");
    assert_eq!(report.sources[0].records, 4291);
    assert!(report.sources[1].records >= 2600);
    let db = Database::open(store.path()).unwrap();
    let f = db.query(&q("Go", "stdlib", "go1.20.4")).unwrap();
    assert!(f.iter().any(|f| f.id == "GO-2023-1840"));
    assert!(!db.query(&q("PyPI", "Jinja2", "2.10")).unwrap().is_empty());
}
