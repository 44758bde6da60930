//! `kubeward image` and `kubeward db` as a user runs them, on the real OSV exports of
//! `../shared/vulndata` (Go vulndb, PyPI advisory database). The expected findings come from
//! the records themselves, read here with `zip` and `serde_json`, never from kubeward.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Value};

mod browser;
mod common;

fn kubeward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = kubeward().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `../shared/vulndata/osv` (or `$KUBEWARD_SHARED/vulndata/osv`): the tests need it and fail
/// saying so when it is missing.
fn osv_dir() -> PathBuf {
    let dir = std::env::var_os("KUBEWARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("vulndata/osv");
    assert!(
        dir.join("PyPI/all.zip").is_file() && dir.join("Go/all.zip").is_file(),
        "the shared OSV exports are missing at {} (set KUBEWARD_SHARED to the shared folder)",
        dir.display()
    );
    dir
}

/// One store with both exports imported (by `kubeward db import`), shared by the tests.
fn db() -> &'static Path {
    static DB: OnceLock<tempfile::TempDir> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let osv = osv_dir();
        let (code, out, err) = run(
            &[
                "db",
                "import",
                "--db",
                dir.path().to_str().unwrap(),
                osv.join("PyPI/all.zip").to_str().unwrap(),
                osv.join("Go/all.zip").to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_eq!(code, 0, "{out}{err}");
        dir
    })
    .path()
}

/// Every record of an export, parsed here.
fn records(eco: &str) -> Vec<Value> {
    let f = std::fs::File::open(osv_dir().join(eco).join("all.zip")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    (0..z.len())
        .map(|i| {
            let mut s = String::new();
            z.by_index(i).unwrap().read_to_string(&mut s).unwrap();
            serde_json::from_str(&s).unwrap()
        })
        .collect()
}

/// `1.3.1-0.2019...` as ((1, 3, 1), false: a pre-release sorts before its release).
fn semver(v: &str) -> ((u64, u64, u64), bool) {
    let (core, pre) = match v.split_once('-') {
        Some((c, _)) => (c, true),
        None => (v, false),
    };
    let n: Vec<u64> = core.split('.').map(|p| p.parse().unwrap()).collect();
    ((n[0], n[1], n[2]), !pre)
}

/// The records affecting `name` at `version`, with their fixed versions: PyPI by the record's
/// explicit `versions` list, Go by its SEMVER `introduced`/`fixed` events (plain versions).
fn expected(eco: &str, name: &str, version: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for r in records(eco) {
        if r.get("withdrawn").is_some() {
            continue;
        }
        for a in r["affected"].as_array().unwrap() {
            if a["package"]["name"].as_str().unwrap().to_lowercase() != name.to_lowercase() {
                continue;
            }
            let fixed: Vec<String> = a["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["events"].as_array().unwrap())
                .filter_map(|e| e["fixed"].as_str().map(str::to_string))
                .collect();
            let hit = if eco == "PyPI" {
                a["versions"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|x| x == version))
            } else {
                let v = semver(version);
                a["ranges"].as_array().unwrap().iter().any(|range| {
                    let mut affected = false;
                    for e in range["events"].as_array().unwrap() {
                        if let Some(i) = e["introduced"].as_str() {
                            if i == "0" || semver(i) <= v {
                                affected = true;
                            }
                        }
                        if let Some(f) = e["fixed"].as_str() {
                            if semver(f) <= v {
                                affected = false;
                            }
                        }
                    }
                    affected
                })
            };
            if hit {
                out.insert(r["id"].as_str().unwrap().to_string(), fixed);
            }
        }
    }
    out
}

/// An SBOM (CycloneDX 1.6, as another tool would write it) listing packages the data marks
/// vulnerable: Jinja2 2.10 and elixir 0.7.1 (PyPI, the latter without a fix), gin v1.6.0 (Go),
/// and one package no record names.
const SBOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "version": 1,
  "metadata": {"component": {"type": "container", "name": "registry.example.com/team/app:1.2"}},
  "components": [
    {"type": "library", "name": "Jinja2", "version": "2.10", "purl": "pkg:pypi/jinja2@2.10",
     "licenses": [{"license": {"id": "BSD-3-Clause"}}]},
    {"type": "library", "name": "Elixir", "version": "0.7.1", "purl": "pkg:pypi/elixir@0.7.1"},
    {"type": "library", "name": "github.com/gin-gonic/gin", "version": "v1.6.0",
     "purl": "pkg:golang/github.com/gin-gonic/gin@v1.6.0", "licenses": [{"expression": "MIT"}]},
    {"type": "library", "name": "kubeward-clean", "version": "1.0.0", "purl": "pkg:pypi/kubeward-clean@1.0.0"}
  ]
}
"#;

/// A working directory with the SBOM (and no config file above it: `--no-config` is not used so
/// that the config tests exercise discovery).
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sbom.cdx.json"), SBOM).unwrap();
    dir
}

fn image(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "image",
        "sbom.cdx.json",
        "--db",
        db().to_str().unwrap(),
        "--db-max-age",
        "100000d",
    ];
    args.extend_from_slice(extra);
    run(&args, dir)
}

fn json_report(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = image(dir, &args);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
        err,
    )
}

/// Finding ID -> (its IDs and aliases, fixed version, package name).
fn by_id(report: &Value) -> BTreeMap<String, (BTreeSet<String>, Value, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "KW1101")
        .map(|f| {
            let v = &f["vulnerability"];
            let mut ids: BTreeSet<String> = v["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            ids.insert(v["id"].as_str().unwrap().to_string());
            (
                v["id"].as_str().unwrap().to_string(),
                (
                    ids,
                    v["fixed"].clone(),
                    f["package"]["name"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn findings_are_the_records_that_affect_the_packages() {
    let dir = workdir();
    let (code, report, err) = json_report(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let found = by_id(&report);
    for (eco, name, version) in [
        ("PyPI", "jinja2", "2.10"),
        ("PyPI", "elixir", "0.7.1"),
        ("Go", "github.com/gin-gonic/gin", "1.6.0"),
    ] {
        let want = expected(eco, name, version);
        assert!(!want.is_empty(), "{name} {version}: the data names it");
        for (id, fixed) in &want {
            let (fid, (_, got_fixed, _)) = found
                .iter()
                .find(|(_, (ids, _, _))| ids.contains(id))
                .unwrap_or_else(|| panic!("{id} ({name} {version}) not reported: {found:#?}"));
            let got: Vec<&str> = got_fixed
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            for f in fixed
                .iter()
                .filter(|f| !f.chars().all(|c| c.is_ascii_hexdigit()))
            {
                // (GIT commit hashes are not versions)
                assert!(got.contains(&f.as_str()), "{fid}: fixed {f} not in {got:?}");
            }
        }
        let reported: Vec<&String> = found
            .iter()
            .filter(|(_, (_, _, pkg))| pkg.to_lowercase() == name)
            .map(|(id, _)| id)
            .collect();
        for id in reported {
            assert!(
                found[id].0.iter().any(|a| want.contains_key(a)),
                "{id} reported for {name} {version} but no record says so"
            );
        }
    }
    // Located at the package's component in the SBOM, named by the image.
    let jinja = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"]["id"] == "PYSEC-2019-217")
        .unwrap();
    assert_eq!(jinja["image"], "registry.example.com/team/app:1.2");
    assert_eq!(jinja["location"]["file"], "sbom.cdx.json");
    assert_eq!(jinja["location"]["line"], 7);
    assert!(jinja["message"]
        .as_str()
        .unwrap()
        .contains("fixed in 2.10.1"));
    assert!(report["warnings"].as_array().unwrap().is_empty());
    // Nothing for the clean package, and unfixed ones say so.
    assert!(!found.values().any(|(_, _, p)| p == "kubeward-clean"));
    let elixir = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "elixir")
        .unwrap();
    assert!(elixir["message"].as_str().unwrap().contains("no fix yet"));
}

#[test]
fn ignore_unfixed_and_severity_filters() {
    let dir = workdir();
    let (_, all, _) = json_report(dir.path(), &[]);
    let (_, fixed_only, _) = json_report(dir.path(), &["--ignore-unfixed"]);
    let unfixed = |r: &Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["vulnerability"]["fixed"].as_array().unwrap().is_empty())
            .count()
    };
    assert!(unfixed(&all) > 0);
    assert_eq!(unfixed(&fixed_only), 0);
    assert_eq!(
        fixed_only["findings"].as_array().unwrap().len(),
        all["findings"].as_array().unwrap().len() - unfixed(&all)
    );
    // None of these records rates a severity: all are medium, so a critical filter leaves none.
    let (code, crit, _) = json_report(dir.path(), &["--severity", "critical"]);
    assert_eq!(crit["findings"].as_array().unwrap().len(), 0);
    assert_eq!(code, 0);
}

#[test]
fn exit_codes() {
    let dir = workdir();
    assert_eq!(image(dir.path(), &[]).0, 1);
    assert_eq!(image(dir.path(), &["--fail-on", "high"]).0, 0);
    // A missing input: exit 2, after reporting the readable one.
    let (code, out, err) = run(
        &[
            "image",
            "missing.cdx.json",
            "sbom.cdx.json",
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
    assert!(err.contains("missing.cdx.json"), "{err}");
    // A broken SBOM is named, its content never quoted.
    std::fs::write(
        dir.path().join("bad.cdx.json"),
        "{\"bomFormat\": \"CycloneDX\", \"components\": [ hunter2",
    )
    .unwrap();
    let (code, _, err) = run(
        &["image", "bad.cdx.json", "--db", db().to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("bad.cdx.json: not JSON"), "{err}");
    assert!(!err.contains("hunter2"));
    // No database: an input error for a vulnerability scan.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        &[
            "image",
            "sbom.cdx.json",
            "--db",
            empty.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("no vulnerability data imported yet"), "{err}");
}

#[test]
fn stale_database_warns_in_every_format() {
    let dir = workdir();
    // The PyPI export's newest record is from 2024-10-10: older than 7 days.
    let db = db().to_str().unwrap();
    let base = ["image", "sbom.cdx.json", "--db", db, "--db-max-age", "7d"];
    let with = |format: &str| {
        let mut a = base.to_vec();
        a.extend(["--format", format]);
        let (_, out, err) = run(&a, dir.path());
        (out, err)
    };
    let needle = "vulnerability data PyPI is";
    let (text, _) = with("text");
    assert!(text.contains(needle), "{text}");
    let (json, err) = with("json");
    assert!(err.contains(needle));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(v["warnings"][0].as_str().unwrap().contains(needle));
    assert_eq!(v["database"]["stale"], true);
    let (sarif, _) = with("sarif");
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let notes = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes.as_array().unwrap().iter().any(
        |n| n["level"] == "warning" && n["message"]["text"].as_str().unwrap().contains(needle)
    ));
    let (junit, _) = with("junit");
    assert!(junit.contains("<property name=\"warning\" value=\"vulnerability data PyPI is"));
    let (cdx, _) = with("cyclonedx");
    let v: Value = serde_json::from_str(&cdx).unwrap();
    assert!(v["metadata"]["properties"][0]["value"]
        .as_str()
        .unwrap()
        .contains(needle));
    let (spdx, _) = with("spdx");
    let v: Value = serde_json::from_str(&spdx).unwrap();
    assert!(v["creationInfo"]["comment"]
        .as_str()
        .unwrap()
        .contains(needle));
    // Go's records carry no date (0001-01-01): its age is the import's, fresh.
    assert!(!text.contains("vulnerability data Go is"));
}

#[test]
fn every_format_parses_and_names_the_vulnerability() {
    let dir = workdir();
    let id = "PYSEC-2019-217";
    let (_, text, _) = image(dir.path(), &[]);
    assert!(text.contains(id) && text.contains("KW1101"), "{text}");
    let (_, json, _) = image(dir.path(), &["-f", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "image");
    assert_eq!(v["images"][0]["packages"].as_array().unwrap().len(), 4);
    let (_, sarif, _) = image(dir.path(), &["-f", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let errors = common::sarif_errors(&v);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["message"]["text"].as_str().unwrap().contains(id)));
    let fps: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["kubewardFinding/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        fps.len(),
        results.len(),
        "one fingerprint per vulnerability"
    );
    let (_, junit, _) = image(dir.path(), &["-f", "junit"]);
    let mut reader = quick_xml::Reader::from_str(&junit);
    let mut failures = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "failure" => failures += 1,
            _ => {}
        }
    }
    assert_eq!(failures, results.len());
    assert!(junit.contains(id));
    let (_, cdx, _) = image(dir.path(), &["-f", "cyclonedx"]);
    let v: Value = serde_json::from_str(&cdx).unwrap();
    assert_eq!(v["specVersion"], "1.6");
    assert!(v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == id));
    let (_, spdx, _) = image(dir.path(), &["-f", "spdx"]);
    let v: Value = serde_json::from_str(&spdx).unwrap();
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
    assert!(spdx.contains(&format!("https://osv.dev/vulnerability/{id}")));
    // An SBOM format takes one input.
    let (code, _, err) = run(
        &[
            "image",
            "sbom.cdx.json",
            "sbom.cdx.json",
            "-f",
            "spdx",
            "--db",
            db().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("one input"), "{err}");
}

#[test]
fn suppressions_by_vulnerability_id_with_reason_and_expiry() {
    let dir = workdir();
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "exclude:\n\
         - vulnerabilities: [CVE-2019-10906]\n  reason: sandboxed templates only\n  expires: 2999-01-31\n\
         - vulnerabilities: [PYSEC-2021-66]\n  reason: old decision\n  expires: 2020-01-31\n\
         - vulnerabilities: [CVE-1999-0001]\n  reason: gone long ago\n\
         licenses:\n  deny: [BSD-3-Clause]\n",
    )
    .unwrap();
    let (_, v, err) = json_report(dir.path(), &[]);
    let find = |id: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["vulnerability"]["id"] == id)
            .cloned()
            .unwrap()
    };
    // By alias (the CVE of PYSEC-2019-217), with its reason.
    assert_eq!(find("PYSEC-2019-217")["suppressed"]["by"], "config");
    assert_eq!(
        find("PYSEC-2019-217")["suppressed"]["reason"],
        "sandboxed templates only"
    );
    // Expired: reported again, and said.
    assert!(find("PYSEC-2021-66").get("suppressed").is_none());
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w
                .contains(":5: exclusion of PYSEC-2021-66 (old decision) expired on 2020-01-31")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("exclusion of CVE-1999-0001 (gone long ago) matched no finding")),
        "{warnings:?}"
    );
    assert!(err.contains("expired on 2020-01-31"));
    assert_eq!(v["summary"]["suppressed"], 1);
    // The licence policy: Jinja2's BSD-3-Clause is denied.
    let lic: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "KW1102")
        .collect();
    assert_eq!(lic.len(), 1);
    assert_eq!(lic[0]["package"]["name"], "jinja2");
    // An unknown licence ID in the policy is a config error.
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "licenses:\n  deny: [NotALicence]\n",
    )
    .unwrap();
    let (code, _, err) = image(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"NotALicence\" is not an SPDX licence ID"),
        "{err}"
    );
}

#[test]
fn import_names_bad_records_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let recs = dir.path().join("records");
    std::fs::create_dir(&recs).unwrap();
    // A real record, a malformed one, and one of an ecosystem nobody matches.
    let good = records("PyPI")
        .into_iter()
        .find(|r| r["id"] == "PYSEC-2019-217")
        .unwrap();
    std::fs::write(recs.join("PYSEC-2019-217.json"), good.to_string()).unwrap();
    std::fs::write(
        recs.join("BROKEN-1.json"),
        "{\"id\": \"BROKEN-1\", \"modified\": ",
    )
    .unwrap();
    let alien = json!({"id": "ALIEN-1", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "NotAnEcosystem", "name": "x"}, "versions": ["1"]}]});
    std::fs::write(recs.join("ALIEN-1.json"), alien.to_string()).unwrap();
    let store = dir.path().join("db");
    let (code, out, err) = run(
        &[
            "db",
            "import",
            "--db",
            store.to_str().unwrap(),
            recs.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("BROKEN-1.json"), "{err}");
    assert!(
        err.contains("\"NotAnEcosystem\" is not supported") && err.contains("ALIEN-1.json"),
        "{err}"
    );
    let (code, status, _) = run(
        &[
            "db",
            "status",
            "--db",
            store.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    let s: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        s["sources"][0]["records"], 2,
        "the good and the alien record"
    );
    // The good record still matches.
    std::fs::write(dir.path().join("sbom.cdx.json"), SBOM).unwrap();
    let (_, out, _) = run(
        &[
            "image",
            "sbom.cdx.json",
            "--db",
            store.to_str().unwrap(),
            "-f",
            "json",
            "--db-max-age",
            "100000d",
        ],
        dir.path(),
    );
    assert!(out.contains("PYSEC-2019-217"));
}

#[test]
fn status_counts_the_imported_records() {
    let (code, out, err) = run(
        &[
            "db",
            "status",
            "--db",
            db().to_str().unwrap(),
            "--format",
            "json",
        ],
        db(),
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    for (eco, name) in [("PyPI", "PyPI"), ("Go", "Go")] {
        let src = s["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap();
        assert_eq!(
            src["records"].as_u64().unwrap() as usize,
            records(eco).len()
        );
    }
    let (_, text, _) = run(&["db", "status", "--db", db().to_str().unwrap()], db());
    assert!(
        text.contains("PyPI") && text.contains("2024-10-10"),
        "{text}"
    );
}

/// A small HTTPS server standing in for OSV's export bucket
/// (`https://osv-vulnerabilities.storage.googleapis.com/<ECOSYSTEM>/all.zip`): it serves the
/// shared exports at the same paths, with a certificate from a test CA (made by `kubeward
/// cert`), over rustls. Anything else is a 404.
struct Mirror {
    port: u16,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

fn mirror() -> Mirror {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        &[
            "cert",
            "--name",
            "127.0.0.1",
            "--out-dir",
            dir.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.path().join("tls.crt"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(dir.path().join("tls.key")).unwrap();
    let config = std::sync::Arc::new(
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let osv = osv_dir();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            let osv = osv.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if tls.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let file = match path.strip_suffix("/all.zip") {
                    Some(eco) if ["/PyPI", "/Go"].contains(&eco) => {
                        std::fs::read(osv.join(&eco[1..]).join("all.zip")).ok()
                    }
                    _ => None,
                };
                let _ = match file {
                    Some(body) => tls
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/zip\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|_| tls.write_all(&body)),
                    None => tls.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    Mirror {
        port,
        ca: dir.path().join("ca.crt"),
        _dir: dir,
    }
}

#[test]
fn update_downloads_over_https_and_replaces_atomically() {
    let m = mirror();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let url = format!("https://127.0.0.1:{}", m.port);
    let (code, out, err) = run(
        &[
            "db",
            "update",
            "--db",
            store.to_str().unwrap(),
            "--mirror",
            &url,
            "--ecosystem",
            "PyPI",
            "--ca-file",
            m.ca.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let downloaded = store.join("downloads/PyPI/all.zip");
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        std::fs::read(osv_dir().join("PyPI/all.zip")).unwrap()
    );
    let status = |store: &Path| -> Value {
        let (_, out, _) = run(
            &[
                "db",
                "status",
                "--db",
                store.to_str().unwrap(),
                "--format",
                "json",
            ],
            dir.path(),
        );
        serde_json::from_str(&out).unwrap()
    };
    assert_eq!(
        status(&store)["sources"][0]["records"].as_u64().unwrap() as usize,
        records("PyPI").len()
    );
    // Without the CA the mirror is not trusted: nothing changes.
    let (code, _, err) = run(
        &[
            "db",
            "update",
            "--db",
            store.to_str().unwrap(),
            "--mirror",
            &url,
            "--ecosystem",
            "Go",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/Go/all.zip"), "{err}");
    // A missing export (404) fails alone; the ecosystems in use are updated again.
    let (code, _, err) = run(
        &[
            "db",
            "update",
            "--db",
            store.to_str().unwrap(),
            "--mirror",
            &url,
            "--ecosystem",
            "PyPI,npm",
            "--ca-file",
            m.ca.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("/npm/all.zip: the server answered 404"),
        "{err}"
    );
    let s = status(&store);
    assert_eq!(s["sources"].as_array().unwrap().len(), 1);
    assert!(!store.join("downloads/npm").join("all.zip").exists());
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(store.join("downloads/PyPI"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "all.zip")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Plain HTTP mirrors are refused.
    let (code, _, err) = run(
        &[
            "db",
            "update",
            "--db",
            store.to_str().unwrap(),
            "--mirror",
            "http://127.0.0.1:1",
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("only https://"), "{err}");
}

/// A tool the image tests build with (Debian's package of that name): the test fails naming
/// the package when it is missing, as `.ci/run` installs it.
fn tool(program: &str, args: &[&str], package: &str) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} ({package}, installed by .ci/run): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pip_install(site: &Path, requirement: &str) {
    tool(
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
            site.to_str().unwrap(),
            requirement,
        ],
        "python3-pip",
    );
}

const SITE: &str = "usr/lib/python3/site-packages";

/// An empty image `DIR:t` made with `umoci init` + `new`, unpacked into a bundle whose
/// `root` is changed and then `repack`ed as a new layer.
struct Bundle {
    image: String,
    dir: PathBuf,
    root: PathBuf,
}

impl Bundle {
    fn repack(&self) {
        tool(
            "umoci",
            &[
                "repack",
                "--refresh-bundle",
                "--image",
                &self.image,
                self.dir.to_str().unwrap(),
            ],
            "umoci",
        );
    }
}

fn umoci_image(work: &Path, name: &str) -> (PathBuf, Bundle) {
    let layout = work.join(name);
    let dir = work.join(format!("{name}-bundle"));
    let image = format!("{}:t", layout.display());
    tool(
        "umoci",
        &["init", "--layout", layout.to_str().unwrap()],
        "umoci",
    );
    tool("umoci", &["new", "--image", &image], "umoci");
    tool(
        "umoci",
        &["unpack", "--image", &image, dir.to_str().unwrap()],
        "umoci",
    );
    let root = dir.join("rootfs");
    (layout, Bundle { image, dir, root })
}

/// An OCI layout (`layout:t`) built with umoci in two layers: the first installs Jinja2 2.10
/// with pip; the second removes it (a real whiteout) and installs Jinja2 2.10.1 (the fix of one
/// of 2.10's advisories). Returns the digests of the two layers, in order, read from the
/// manifest here.
fn two_layer_image(work: &Path) -> (PathBuf, Vec<String>) {
    let (layout, bundle) = umoci_image(work, "layout");
    let root = bundle.root.clone();
    let repack = || bundle.repack();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    pip_install(&root.join(SITE), "jinja2==2.10");
    assert!(root
        .join(SITE)
        .join("Jinja2-2.10.dist-info/METADATA")
        .is_file());
    repack();
    std::fs::remove_dir_all(root.join(SITE).join("Jinja2-2.10.dist-info")).unwrap();
    std::fs::remove_dir_all(root.join(SITE).join("jinja2")).unwrap();
    pip_install(&root.join(SITE), "jinja2==2.10.1");
    repack();
    // The manifest of tag t, as the OCI image spec lays it out.
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let blob = |digest: &str| -> Value {
        let (alg, hex) = digest.split_once(':').unwrap();
        serde_json::from_slice(&std::fs::read(layout.join("blobs").join(alg).join(hex)).unwrap())
            .unwrap()
    };
    let manifest = blob(index["manifests"][0]["digest"].as_str().unwrap());
    let layers = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    (layout, layers)
}

/// Findings of one image input, as (vulnerability ID and aliases, package, version, file).
fn image_findings(dir: &Path, input: &str) -> (i32, Value, String) {
    let (code, out, err) = run(
        &[
            "image",
            input,
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "--offline",
            "-f",
            "json",
        ],
        dir,
    );
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
        err,
    )
}

/// A real image, built with umoci and converted with skopeo: the findings are exactly the
/// records that affect the Jinja2 of the final layer (2.10.1; the 2.10 of the first layer is
/// whited out), located at its METADATA in the second layer, the same for the OCI layout, the
/// docker-archive tarball and the unpacked root filesystem.
#[test]
fn image_layers_are_scanned_as_the_runtime_sees_them() {
    let work = tempfile::tempdir().unwrap();
    let (layout, layers) = two_layer_image(work.path());
    assert_eq!(layers.len(), 2);
    let archive = work.path().join("image.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:t", layout.display()),
            &format!("docker-archive:{}:example/app:t", archive.display()),
        ],
        "skopeo",
    );
    let want = expected("PyPI", "jinja2", "2.10.1");
    let old = expected("PyPI", "jinja2", "2.10");
    assert!(!want.is_empty(), "the data names Jinja2 2.10.1");
    assert!(
        old.keys().any(|k| !want.contains_key(k)),
        "2.10.1 fixes one of 2.10's advisories"
    );
    let metadata = format!("{SITE}/Jinja2-2.10.1.dist-info/METADATA");
    for (input, layered) in [
        (format!("oci:{}:t", layout.display()), true),
        (format!("docker-archive:{}", archive.display()), true),
        (
            work.path()
                .join("layout-bundle/rootfs")
                .display()
                .to_string(),
            false,
        ),
    ] {
        let (code, report, err) = image_findings(work.path(), &input);
        assert_eq!(code, 1, "{input}: {err}");
        let found = by_id(&report);
        let got: BTreeSet<&String> = found.keys().collect();
        // Each finding is one record (aliases merged): the same set of records either way.
        for id in want.keys() {
            assert!(
                found.values().any(|(ids, _, _)| ids.contains(id)),
                "{input}: {id} not reported: {got:?}"
            );
        }
        for (id, (ids, _, pkg)) in &found {
            assert_eq!(pkg.to_lowercase(), "jinja2", "{input}: {id}");
            assert!(
                ids.iter().any(|a| want.contains_key(a)),
                "{input}: {id} reported, but no record affects Jinja2 2.10.1 (the whited-out 2.10?)"
            );
        }
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["package"]["version"], "2.10.1", "{input}");
            assert_eq!(f["location"]["file"], metadata.as_str(), "{input}: {f}");
            if layered {
                // docker-archive layers are the uncompressed tars: their digests differ from
                // the OCI layout's gzip blobs, so only the OCI layout names the manifest's.
                if input.starts_with("oci:") {
                    assert_eq!(
                        f["package"]["location"]["layer"],
                        layers[1].as_str(),
                        "{input}: the second layer: {f}"
                    );
                    assert!(f["message"].as_str().unwrap().contains(&layers[1]));
                }
                assert!(
                    !f["message"].as_str().unwrap().contains(&layers[0]),
                    "{input}: not the first layer: {f}"
                );
            }
        }
        assert_eq!(report["errors"], json!([]), "{report}");
        assert_eq!(report["images"][0]["errors"], json!([]), "{report}");
        assert_eq!(report["images"][0]["os"]["id"], "debian");
    }
}

/// `--offline` refuses a registry reference before any connection, naming the way round it;
/// an unreachable registry and a missing layout are input errors naming the input (exit 2).
#[test]
fn image_inputs_that_cannot_be_read_exit_2_naming_them() {
    let dir = workdir();
    let (code, out, err) = run(
        &[
            "image",
            "docker://127.0.0.1:9/team/app:1.2",
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "--offline",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("127.0.0.1:9/team/app:1.2") && err.contains("--offline"),
        "{err}"
    );
    // A registry that refuses the connection (port 9, discard, is not served on loopback).
    let (code, out, err) = run(
        &[
            "image",
            "127.0.0.1:9/team/app:1.2",
            "sbom.cdx.json",
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "--insecure-registry",
            "127.0.0.1:9",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("127.0.0.1:9/team/app:1.2"), "{err}");
    // The readable input is reported all the same.
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(!by_id(&report).is_empty(), "{report}");
    let (code, _, err) = run(
        &[
            "image",
            "oci:missing-layout:t",
            "--db",
            db().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("missing-layout"), "{err}");
}

/// Debian's `docker-registry` (Distribution v2) on a free loopback port, plain HTTP (the
/// test passes `--insecure-registry` for it), request logging on; killed on drop.
struct Registry {
    child: std::process::Child,
    host: String,
    log: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(dir: &Path) -> Registry {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let cfg = dir.join("registry.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: test-secret\n",
            storage.display()
        ),
    )
    .unwrap();
    let log = dir.join("registry.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("docker-registry (Debian's docker-registry package; .ci/run installs it)");
    let reg = Registry {
        child,
        host: format!("127.0.0.1:{port}"),
        log,
    };
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the registry did not start: {}",
            std::fs::read_to_string(&reg.log).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    reg
}

/// (line, column) of each `image:` key whose value is `image`, 1-based, found here in the
/// text (not by kubeward): findings point at the key of the offending field, as every
/// control's do.
fn image_field_positions(text: &str, image: &str) -> Vec<(u64, u64)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let key = l.find("image: ")?;
            (l[key + "image: ".len()..].trim() == image).then_some((i as u64 + 1, key as u64 + 1))
        })
        .collect()
}

/// `scan --images`: the images the workloads name are pulled from a real registry (each
/// once), matched, and their findings reported at every container's `image:` field; an ignore
/// annotation on a workload suppresses them there; an image the registry does not have is an
/// input error at its field (exit 2) and the rest is reported.
#[test]
fn scan_images_attaches_findings_to_each_container() {
    let work = tempfile::tempdir().unwrap();
    let (layout, _) = two_layer_image(work.path());
    let reg = start_registry(work.path());
    let app = format!("{}/team/app:t", reg.host);
    let missing = format!("{}/team/missing:1", reg.host);
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            &format!("oci:{}:t", layout.display()),
            &format!("docker://{app}"),
        ],
        "skopeo",
    );
    let manifest = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      initContainers:
      - name: init
        image: {app}
      containers:
      - name: web
        image: {app}
      - name: sidecar
        image: {missing}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
  annotations:
    kubeward.io/ignore: "KW1101: a debugging pod, deleted after use"
spec:
  containers:
  - name: debug
    image: {app}
"#
    );
    std::fs::write(work.path().join("app.yaml"), &manifest).unwrap();
    let cache = work.path().join("cache");
    let scan = |format: &str| {
        run(
            &[
                "scan",
                "app.yaml",
                "--no-config",
                "--images",
                "--db",
                db().to_str().unwrap(),
                "--db-max-age",
                "100000d",
                "--insecure-registry",
                &reg.host,
                "--cache-dir",
                cache.to_str().unwrap(),
                "-f",
                format,
            ],
            work.path(),
        )
    };
    let (code, out, err) = scan("json");
    assert_eq!(code, 2, "the missing image is an input error: {err}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let want = expected("PyPI", "jinja2", "2.10.1");
    let positions = image_field_positions(&manifest, &app);
    assert_eq!(positions.len(), 3);
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "KW1101")
        .collect();
    // The Deployment's two containers each carry every record of Jinja2 2.10.1, at their
    // `image:` field; the annotated Pod none (suppressed).
    for (container, &(line, column)) in ["init", "web"].iter().zip(&positions[..2]) {
        let here: Vec<&&Value> = findings
            .iter()
            .filter(|f| f["location"]["line"] == line)
            .collect();
        assert_eq!(here.len(), want.len(), "{container}: {here:#?}");
        for f in &here {
            assert_eq!(f["location"]["column"], column, "{f}");
            assert_eq!(f["location"]["file"], "app.yaml");
            assert_eq!(f["object"]["kind"], "Deployment");
            assert_eq!(f["object"]["name"], "web");
            let message = f["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("container {container}"))
                    && message.contains("Jinja2 2.10.1")
                    && message.contains("Jinja2-2.10.1.dist-info/METADATA"),
                "{message}"
            );
            assert!(
                want.keys().any(|id| message.contains(id.as_str())),
                "{message}: not a record of Jinja2 2.10.1"
            );
            let path = f["location"]["path"].as_str().unwrap();
            let prefix = if *container == "init" {
                "spec.template.spec.initContainers[0].image"
            } else {
                "spec.template.spec.containers[0].image"
            };
            assert!(path.starts_with(prefix), "{path}");
        }
    }
    assert!(
        !findings.iter().any(|f| f["object"]["name"] == "debug"),
        "the ignore annotation suppresses the debug pod's image findings"
    );
    assert!(report["summary"]["suppressed"].as_u64().unwrap() >= want.len() as u64);
    // The missing image: an error at the sidecar's field.
    let sidecar = image_field_positions(&manifest, &missing)[0];
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == sidecar.0
                && e["message"].as_str().unwrap().contains("team/missing:1")),
        "{errors:#?}"
    );
    // Each distinct image pulled once: one manifest request for app:t.
    let log = std::fs::read_to_string(&reg.log).unwrap();
    let manifest_gets = log
        .lines()
        .filter(|l| l.contains("GET /v2/team/app/manifests/t"))
        .count();
    assert_eq!(manifest_gets, 1, "{log}");
    // The text report counts each object once, though its image findings come after its own.
    let (code, text, err) = scan("text");
    assert_eq!(code, 2, "{err}");
    assert!(text.contains(" in 2 of 2 objects, 1 file"), "{text}");
    assert_eq!(text.matches("KW1101").count(), 2 * want.len(), "{text}");

    // The HTML page of the same scan, in chromium (tests/browser): its image vulnerabilities
    // section has one row for the image, with the reported KW1101 findings per severity as
    // the JSON report has them and the two containers that run it; no console error, no
    // request.
    let (code, page, err) = scan("html");
    assert_eq!(code, 2, "{err}");
    let html = browser::artifacts().join("images.html");
    std::fs::write(&html, page).unwrap();
    let session = browser::Session::start();
    let page = session.open(&html);
    page.assert_clean();
    let rows: Vec<Vec<String>> = serde_json::from_value(page.eval(
        "[...document.querySelectorAll('table[data-images] tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))",
    ))
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], app);
    for (i, severity) in ["critical", "high", "medium", "low", "info"]
        .iter()
        .enumerate()
    {
        let n = findings
            .iter()
            .filter(|f| f["severity"] == *severity)
            .count();
        assert_eq!(rows[0][i + 1], n.to_string(), "{severity}");
    }
    assert_eq!(
        rows[0][6],
        "Deployment/shop/web (init), Deployment/shop/web (web)"
    );
    page.screenshot("images", Some("#images"));
    page.assert_clean();
}

/// An OCI layout (`clean:t`) of one umoci layer holding only an os-release: no package.
fn clean_image(work: &Path) -> PathBuf {
    let (layout, bundle) = umoci_image(work, "clean");
    std::fs::create_dir_all(bundle.root.join("etc")).unwrap();
    std::fs::write(
        bundle.root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    bundle.repack();
    layout
}

/// `cluster --images` against the test API server: a Pod whose tag (`app:moved`) now names a
/// clean image, but whose status says its container runs the vulnerable image's digest, is
/// reported with the vulnerable image's findings: the running digest is what is scanned.
#[test]
fn cluster_images_scans_the_digest_a_pod_runs() {
    let work = tempfile::tempdir().unwrap();
    let (layout, _) = two_layer_image(work.path());
    let clean = clean_image(work.path());
    let reg = start_registry(work.path());
    let push = |from: String, to: String| {
        tool(
            "skopeo",
            &[
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                &from,
                &format!("docker://{to}"),
            ],
            "skopeo",
        )
    };
    let vulnerable = format!("{}/team/app:t", reg.host);
    let moved = format!("{}/team/app:moved", reg.host);
    push(format!("oci:{}:t", layout.display()), vulnerable.clone());
    push(format!("oci:{}:t", clean.display()), moved.clone());
    let inspect: Value = serde_json::from_str(&tool(
        "skopeo",
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{vulnerable}"),
        ],
        "skopeo",
    ))
    .unwrap();
    let digest = inspect["Digest"].as_str().unwrap().to_string();
    let running = format!("{}/team/app@{digest}", reg.host);

    let cluster = kubeward_testkit::TestCluster::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        cluster
            .create_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
            .await;
        cluster.wait_for_default_service_account("shop").await;
        cluster
            .create_yaml(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: shop}}\nspec:\n  containers:\n  - name: web\n    image: {moved}\n"
            ))
            .await;
        // No kubelet here: the status a kubelet would write after pulling the tag, when it
        // still named the vulnerable image.
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(cluster.kube_client().await, "shop");
        pods.patch_status(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"status": {"containerStatuses": [{
                "name": "web", "image": moved, "imageID": format!("docker-pullable://{running}"),
                "ready": true, "restartCount": 0, "state": {"running": {}}
            }]}})),
        )
        .await
        .unwrap();
    });
    let admin = cluster.admin_kubeconfig();
    let cache = work.path().join("cache");
    let (code, out, err) = run(
        &[
            "cluster",
            "--no-config",
            "--kubeconfig",
            admin.to_str().unwrap(),
            "--images",
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "--insecure-registry",
            &reg.host,
            "--cache-dir",
            cache.to_str().unwrap(),
            "-f",
            "json",
        ],
        work.path(),
    );
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(code, 1, "{err}\n{}", report["errors"]);
    let want = expected("PyPI", "jinja2", "2.10.1");
    let found: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "KW1101")
        .collect();
    assert_eq!(found.len(), want.len(), "{found:#?}");
    for f in &found {
        assert_eq!(f["object"]["kind"], "Pod");
        assert_eq!(f["object"]["name"], "web");
        assert_eq!(f["location"]["file"], "cluster/admin@local/Pod/shop/web");
        assert!(f["location"]["path"]
            .as_str()
            .unwrap()
            .starts_with("spec.containers[0].image."));
        let message = f["message"].as_str().unwrap();
        assert!(message.contains(&running), "{message}");
        assert!(
            want.keys().any(|id| message.contains(id.as_str())),
            "{message}"
        );
    }
    // The tag itself was never pulled: one manifest request, by digest.
    let log = std::fs::read_to_string(&reg.log).unwrap();
    assert!(!log.contains("GET /v2/team/app/manifests/moved"), "{log}");
}

/// `--baseline`: the findings of an earlier report are accepted (suppressed, counted, never
/// failing), new ones are reported; an unreadable baseline is a usage error.
#[test]
fn image_baseline_accepts_the_findings_of_an_earlier_report() {
    let dir = workdir();
    // The earlier report: the same SBOM without Elixir.
    let sbom: Value = serde_json::from_str(SBOM).unwrap();
    let mut earlier = sbom.clone();
    earlier["components"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["name"] != "Elixir");
    std::fs::write(
        dir.path().join("earlier.cdx.json"),
        serde_json::to_string_pretty(&earlier).unwrap(),
    )
    .unwrap();
    let args = |input: &'static str| {
        [
            "image",
            input,
            "--db",
            db().to_str().unwrap(),
            "--db-max-age",
            "100000d",
            "-f",
            "json",
        ]
        .map(str::to_string)
        .to_vec()
    };
    let run_args = |v: Vec<String>| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        run(&refs, dir.path())
    };
    let (code, out, _) = run_args(args("earlier.cdx.json"));
    assert_eq!(code, 1);
    std::fs::write(dir.path().join("baseline.json"), &out).unwrap();
    let before: Value = serde_json::from_str(&out).unwrap();
    let accepted = before["findings"].as_array().unwrap().len();
    assert!(accepted > 0);

    let mut with = args("sbom.cdx.json");
    with.extend(["--baseline".to_string(), "baseline.json".to_string()]);
    let (code, out, err) = run_args(with.clone());
    assert_eq!(code, 1, "Elixir's findings are new: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let active: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_none_or(Value::is_null))
        .collect();
    assert!(!active.is_empty());
    for f in &active {
        assert_eq!(f["package"]["name"], "elixir", "{f}");
    }
    assert_eq!(
        report["summary"]["suppressed"].as_u64().unwrap() as usize,
        accepted,
        "{}",
        report["summary"]
    );
    // From the full report, nothing is new.
    let (_, full, _) = run_args(args("sbom.cdx.json"));
    std::fs::write(dir.path().join("baseline.json"), &full).unwrap();
    let (code, _, err) = run_args(with.clone());
    assert_eq!(code, 0, "{err}");
    // A baseline that is not a report: exit 2 naming it.
    std::fs::write(dir.path().join("baseline.json"), "[1,").unwrap();
    let (code, _, err) = run_args(with);
    assert_eq!(code, 2);
    assert!(err.contains("baseline.json"), "{err}");
}
