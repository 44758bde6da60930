//! OSV matching. Real records come from tests/data/osv (see its PROVENANCE.md). Records for the
//! ecosystems the shared exports lack (Debian, Alpine, Ubuntu, Red Hat, npm, Maven) are written
//! here by hand in the OSV schema, and say so. The `osv_scalibr_*` tests carry the expectations of
//! google/osv-scalibr's `enricher/vulnmatch/osvlocal/internal/vulns/vulnerability_test.go`
//! (Apache-2.0), restated as data.

use kubeward_vulndb::{affected_by, is_affected, PackageQuery, Record};
use serde_json::json;

fn real(path: &str) -> Record {
    let p = format!("{}/tests/data/osv/{path}", env!("CARGO_MANIFEST_DIR"));
    Record::from_json(&std::fs::read(&p).unwrap(), &p).unwrap()
}

fn record(v: serde_json::Value) -> Record {
    Record::from_json(v.to_string().as_bytes(), "hand-written").unwrap()
}

/// A hand-written record with one affected package.
fn one(eco: &str, name: &str, ranges: serde_json::Value, versions: serde_json::Value) -> Record {
    record(json!({
        "id": "TEST-1", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": ranges, "versions": versions}]
    }))
}

fn q(eco: &str, name: &str, v: &str) -> PackageQuery {
    PackageQuery::new(eco, name, v)
}

fn check(r: &Record, eco: &str, name: &str, affected: &[&str], not: &[&str]) {
    for v in affected {
        assert!(
            is_affected(r, &q(eco, name, v)).unwrap(),
            "{eco} {name} {v} should be affected"
        );
    }
    for v in not {
        assert!(
            !is_affected(r, &q(eco, name, v)).unwrap(),
            "{eco} {name} {v} should not be affected"
        );
    }
}

#[test]
fn real_pypi_records() {
    // GIT + ECOSYSTEM ranges, introduced 4.0 fixed 4.3, introduced 5.0 fixed 5.2.
    let r = real("PyPI/PYSEC-2021-335.json");
    check(
        &r,
        "PyPI",
        "AccessControl",
        &["4.0", "4.2", "5.0", "5.1", "5.1.post1"],
        &["3.9", "4.3", "4.3.1", "5.2", "6.0"],
    );
    assert_eq!(
        affected_by(&r, &q("PyPI", "accesscontrol", "4.2")).unwrap(),
        Some(vec!["4.3".to_string()])
    );
    assert_eq!(
        affected_by(&r, &q("PyPI", "accesscontrol", "5.1")).unwrap(),
        Some(vec!["5.2".to_string()])
    );
    // last_affected is inclusive, and there is no fix.
    let r = real("PyPI/PYSEC-2022-42969.json");
    check(&r, "PyPI", "py", &["1.0", "1.11.0"], &["1.11.1", "2.0"]);
    assert_eq!(
        affected_by(&r, &q("PyPI", "py", "1.11.0")).unwrap(),
        Some(vec![])
    );
    // Withdrawn: never matches, even inside its range.
    let r = real("PyPI/PYSEC-2019-144.json");
    assert!(r.withdrawn.is_some());
    check(&r, "PyPI", "arrayfire", &[], &["3.5.0", "0.1"]);
    // PEP 503 names: Jinja2, jinja_2 style spellings.
    let r = real("PyPI/PYSEC-2014-8.json");
    check(
        &r,
        "PyPI",
        "Jinja2",
        &["2.7.1", "2.7.2rc1"],
        &["2.7.2", "2.8"],
    );
    check(&r, "PyPI", "JINJA2", &["2.0"], &[]);
}

#[test]
fn real_go_records() {
    let r = real("Go/GO-2023-1840.json");
    check(
        &r,
        "Go",
        "stdlib",
        &["1.19.9", "go1.19.9", "1.20.0", "go1.20.4", "go1.20rc1"],
        &["1.19.10", "go1.20.5", "1.21.0"],
    );
    assert_eq!(
        affected_by(&r, &q("Go", "stdlib", "go1.20.4")).unwrap(),
        Some(vec!["1.20.5".to_string()])
    );
    assert_eq!(
        affected_by(&r, &q("Go", "stdlib", "1.18.0")).unwrap(),
        Some(vec!["1.19.10".to_string()])
    );
    // A module fixed at a pseudo-version; installed versions carry Go's `v`.
    let r = real("Go/GO-2020-0014.json");
    check(
        &r,
        "Go",
        "golang.org/x/net",
        &[
            "v0.0.0-20180925071336-cf3bd585ca2a",
            "v0.0.0-20190125091013-d26f9f9a57f2",
        ],
        &["v0.0.0-20190125091013-d26f9f9a57f3", "v0.1.0", "v0.17.0"],
    );
    // Go module paths are case-sensitive.
    check(
        &r,
        "Go",
        "golang.org/X/net",
        &[],
        &["v0.0.0-20180925071336-cf3bd585ca2a"],
    );
}

#[test]
fn osv_scalibr_ecosystem_and_semver_ranges() {
    for kind in ["ECOSYSTEM", "SEMVER"] {
        let r = one(
            "npm",
            "my-package",
            json!([{"type": kind, "events": [{"introduced": "0"}]}]),
            json!([]),
        );
        check(
            &r,
            "npm",
            "my-package",
            &["1.0.0", "1.1.1", "2.0.0", ""],
            &[],
        );

        let r = one(
            "npm",
            "my-package",
            json!([{"type": kind, "events": [{"introduced": "0"}, {"fixed": "1"}]}]),
            json!([]),
        );
        check(
            &r,
            "npm",
            "my-package",
            &["0.0.0", "0.1.0", "0.0.0.1", "1.0.0-rc", ""],
            &["1.0.0", "1.1.0", "2.0.0"],
        );

        let multi = json!([{"type": kind, "events": [{"introduced": "0"}, {"fixed": "1"}, {"introduced": "2.1.0"}, {"fixed": "3.2.0"}]}]);
        let r = one("npm", "my-package", multi, json!([]));
        check(
            &r,
            "npm",
            "my-package",
            &[
                "0.0.0", "0.1.0", "0.0.0.1", "1.0.0-rc", "2.1.1", "2.3.4", "3.0.0", "3.0.0-rc", "",
            ],
            &[
                "1.0.0", "1.1.0", "2.0.0rc2", "2.0.1", "3.2.0", "3.2.1", "4.0.0",
            ],
        );

        let r = one(
            "npm",
            "my-package",
            json!([{"type": kind, "events": [{"introduced": "0"}, {"last_affected": "1"}]}]),
            json!([]),
        );
        check(
            &r,
            "npm",
            "my-package",
            &["0.0.0", "0.1.0", "0.0.0.1", "1.0.0-rc", "1.0.0", ""],
            &["1.0.1", "1.1.0", "2.0.0"],
        );

        // Unsorted events, mixed fixed and last_affected.
        let unsorted = json!([{"type": kind, "events": [{"introduced": "0"}, {"introduced": "2.1.0"}, {"fixed": "1"}, {"last_affected": "3.1.9"}]}]);
        let r = one("npm", "my-package", unsorted, json!([]));
        check(
            &r,
            "npm",
            "my-package",
            &[
                "0.0.0", "0.1.0", "0.0.0.1", "1.0.0-rc", "2.1.1", "2.3.4", "3.0.0", "3.0.0-rc",
                "3.1.9", "",
            ],
            &[
                "1.0.0", "1.1.0", "2.0.0rc2", "2.0.1", "3.2.0", "3.2.1", "4.0.0",
            ],
        );

        // Zeros with build strings (golang.org/x/sys and x/net style).
        let r = record(json!({"id": "TEST-2", "modified": "", "affected": [
            {"package": {"ecosystem": "npm", "name": "my-package"},
             "ranges": [{"type": kind, "events": [{"fixed": "0.0.0-20220412211240-33da011f77ad"}, {"introduced": "0"}]}]},
            {"package": {"ecosystem": "npm", "name": "my-package"},
             "ranges": [{"type": kind, "events": [{"introduced": "0.0.0-20180925071336-cf3bd585ca2a"}, {"fixed": "0"}]}]}
        ]}));
        check(
            &r,
            "npm",
            "my-package",
            &["0.0.0-20180925071336-cf3bd585ca2a", ""],
            &["0.0.0", "0.14.0"],
        );
    }
    // Several affected entries for one package.
    let r = record(json!({"id": "TEST-3", "modified": "", "affected": [
        {"package": {"ecosystem": "npm", "name": "my-package"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]},
        {"package": {"ecosystem": "npm", "name": "my-package"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.1.0"}, {"fixed": "3.2.0"}]}]},
        {"package": {"ecosystem": "npm", "name": "my-package"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.3.0"}, {"last_affected": "3.5.0"}]}]}
    ]}));
    check(
        &r,
        "npm",
        "my-package",
        &["0.1.0", "2.1.1", "3.0.0-rc", "3.3.1", "3.4.5", ""],
        &["1.0.0", "2.0.1", "3.2.0", "4.0.0"],
    );
    // A different ecosystem never matches.
    check(&r, "PyPI", "my-package", &[], &["0.1.0"]);
}

#[test]
fn osv_scalibr_only_versions() {
    let r = one("npm", "my-package", json!([]), json!(["1.0.0"]));
    check(
        &r,
        "npm",
        "my-package",
        &["1.0.0", ""],
        &["0.0.0", "1.0.0-beta1", "1.1.0"],
    );
}

#[test]
fn osv_scalibr_rpm_epoch_and_suffixed_ecosystems() {
    // Hand-written in OSV's schema (the shared exports have no Red Hat data).
    let eco = "Red Hat:enterprise_linux:9::baseos";
    let ranges = |fixed: &str| json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]);
    let r = one(eco, "bash", ranges("1:5.1-7"), json!([]));
    check(&r, "Red Hat:9", "bash", &["1:5.1-6"], &["1:5.1-7"]);
    let r = one(eco, "bash", ranges("1:5.1-5"), json!([]));
    check(&r, "Red Hat:9", "bash", &["5.0-1"], &["1:5.1-6"]);
    // Another RHEL release does not match; an unknown release matches.
    check(&r, "Red Hat:8", "bash", &[], &["5.0-1"]);
    check(&r, "Red Hat", "bash", &["5.0-1"], &[]);
    // Debian:12 with a SEMVER range (scalibr's EcosystemsWithSuffix).
    let r = one(
        "Debian:12",
        "my-package",
        json!([{"type": "SEMVER", "events": [{"introduced": "0"}]}]),
        json!([]),
    );
    check(&r, "Debian:12", "my-package", &["0.0.0"], &[]);
}

#[test]
fn distribution_releases() {
    // Hand-written in OSV's schema: the shared exports have no distribution data.
    let deb = record(
        json!({"id": "DSA-0000-1", "aliases": ["CVE-2024-0001"], "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "Debian:11", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1w-0+deb11u1"}]}]},
            {"package": {"ecosystem": "Debian:12", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}]}
        ]}),
    );
    check(
        &deb,
        "Debian:12",
        "openssl",
        &["3.0.11-1~deb12u1", "3.0.9-1"],
        &["3.0.11-1~deb12u2", "3.0.11-1"],
    );
    check(
        &deb,
        "Debian:11",
        "openssl",
        &["1.1.1n-0+deb11u5"],
        &["1.1.1w-0+deb11u1", "3.0.11-1~deb12u1"],
    );
    check(&deb, "Debian:12.5", "openssl", &["3.0.9-1"], &[]);
    check(&deb, "Debian:10", "openssl", &[], &["1.1.1n-0+deb10u1"]);
    assert_eq!(
        affected_by(&deb, &q("Debian:12", "openssl", "3.0.9-1")).unwrap(),
        Some(vec!["3.0.11-1~deb12u2".to_string()])
    );

    let apk = one(
        "Alpine:v3.20",
        "busybox",
        json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.36.1-r29"}]}]),
        json!([]),
    );
    check(
        &apk,
        "Alpine:v3.20",
        "busybox",
        &["1.36.1-r28", "1.36.1_rc1-r30"],
        &["1.36.1-r29", "1.36.2-r0"],
    );
    check(&apk, "Alpine:3.20.3", "busybox", &["1.36.1-r28"], &[]);
    check(&apk, "Alpine:v3.19", "busybox", &[], &["1.36.1-r28"]);

    let ubu = one(
        "Ubuntu:22.04:LTS",
        "curl",
        json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "7.81.0-1ubuntu1.16"}]}]),
        json!([]),
    );
    check(
        &ubu,
        "Ubuntu:22.04",
        "curl",
        &["7.81.0-1ubuntu1.15"],
        &["7.81.0-1ubuntu1.16"],
    );
    check(&ubu, "Ubuntu:24.04", "curl", &[], &["7.81.0-1ubuntu1.15"]);
    check(
        &ubu,
        "Ubuntu:Pro:22.04",
        "curl",
        &[],
        &["7.81.0-1ubuntu1.15"],
    );
}

#[test]
fn npm_maven_and_limits() {
    // Hand-written in OSV's schema: the shared exports have no npm or Maven data.
    let npm = one(
        "npm",
        "@scope/pkg",
        json!([{"type": "SEMVER", "events": [{"introduced": "4.0.0"}, {"fixed": "4.17.21"}]}]),
        json!([]),
    );
    check(
        &npm,
        "npm",
        "@scope/pkg",
        &["4.17.20", "v4.0.0", "4.17.21-beta.1"],
        &["4.17.21", "3.9.9", "5.0.0"],
    );
    let mvn = one(
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        json!([{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}]),
        json!([]),
    );
    check(
        &mvn,
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        &["2.0-beta9", "2.0", "2.14.1", "2.15.0-rc1"],
        &["2.0-alpha1", "2.15.0", "2.17.1"],
    );
    // limit: versions at or above every limit are outside the range.
    let lim = one(
        "npm",
        "p",
        json!([{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]),
        json!([]),
    );
    check(
        &lim,
        "npm",
        "p",
        &["1.0.0", "1.9.9"],
        &["0.9.0", "2.0.0", "3.0.0"],
    );
    let star = one(
        "npm",
        "p",
        json!([{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "*"}]}]),
        json!([]),
    );
    check(&star, "npm", "p", &["1.0.0", "9.0.0"], &["0.9.0"]);
    // crates.io: names compared as crates.io does.
    let cr = one(
        "crates.io",
        "serde_json",
        json!([{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]),
        json!([]),
    );
    check(&cr, "crates.io", "serde-json", &["1.0.0"], &["1.0.1"]);
}

#[test]
fn unknown_ecosystems_are_errors_not_panics() {
    let r = one(
        "npm",
        "p",
        json!([{"type": "SEMVER", "events": [{"introduced": "0"}]}]),
        json!([]),
    );
    let err = is_affected(&r, &q("Hackage", "p", "1.0")).unwrap_err();
    assert_eq!(err.to_string(), "ecosystem \"Hackage\" is not supported");
    // A record naming an unknown ecosystem simply does not match anything we support.
    let odd = one(
        "SomethingNew:1",
        "p",
        json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]),
        json!([]),
    );
    assert!(!is_affected(&odd, &q("npm", "p", "1.0.0")).unwrap());
    // GIT ranges name commits and never match a version; unknown range types neither.
    let git = one(
        "npm",
        "p",
        json!([{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "0"}]}, {"type": "WHATEVER", "events": [{"introduced": "0"}]}]),
        json!([]),
    );
    assert!(!is_affected(&git, &q("npm", "p", "1.0.0")).unwrap());
}

#[test]
fn names_versions_and_os_releases() {
    use kubeward_vulndb::{os_ecosystem, Ecosystem};
    for (name, want) in [
        ("Jinja2", "jinja2"),
        ("zope.interface", "zope-interface"),
        ("Foo__Bar-.baz", "foo-bar-baz"),
        ("_private", "-private"),
    ] {
        assert_eq!(Ecosystem::PyPI.normalize_name(name), want);
    }
    assert_eq!(
        Ecosystem::CratesIo.normalize_name("Serde_JSON"),
        "serde-json"
    );
    assert_eq!(
        Ecosystem::Go.normalize_name("github.com/Masterminds/semver/v3"),
        "github.com/Masterminds/semver/v3"
    );
    assert_eq!(Ecosystem::Npm.normalize_name("@Scope/Pkg"), "@Scope/Pkg");
    for (v, want) in [
        ("go1.21.3", "1.21.3"),
        ("go1.21", "1.21.0"),
        ("go1.21rc2", "1.21.0-rc.2"),
        ("go1.9beta1", "1.9.0-beta.1"),
        ("v1.20.5", "1.20.5"),
        ("1.21.0-rc.2", "1.21.0-rc.2"),
    ] {
        assert_eq!(Ecosystem::Go.normalize_version("stdlib", v), want);
    }
    assert_eq!(
        Ecosystem::Go.normalize_version("golang.org/x/net", "v0.17.0"),
        "0.17.0"
    );
    assert_eq!(os_ecosystem("debian", "12").as_deref(), Some("Debian:12"));
    assert_eq!(
        os_ecosystem("alpine", "3.20.3").as_deref(),
        Some("Alpine:v3.20")
    );
    assert_eq!(
        os_ecosystem("ubuntu", "22.04").as_deref(),
        Some("Ubuntu:22.04")
    );
    assert_eq!(os_ecosystem("rhel", "9.4").as_deref(), Some("Red Hat:9"));
    assert_eq!(os_ecosystem("plan9", "4"), None);
    assert_eq!(
        Ecosystem::parse("Alpine:v3.20").unwrap(),
        (Ecosystem::Alpine, Some("v3.20"))
    );
    assert_eq!(
        Ecosystem::parse("Red Hat:enterprise_linux:9::appstream").unwrap(),
        (Ecosystem::RedHat, Some("enterprise_linux:9::appstream"))
    );
    assert!(Ecosystem::parse("Hackage").is_err());
}
