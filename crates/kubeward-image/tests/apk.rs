//! The apk cataloger on real Alpine `installed` databases (there is no apk tool on Debian:
//! the databases come from other scanners' fixtures, see data/apk/PROVENANCE.md). The expected
//! values are read off the records by hand.

mod common;

use common::{data, read_bytes};
use kubeward_image::catalog::{all, Apk};
use kubeward_image::{Evidence, Location, OsRelease, Package};

const PATH: &str = "lib/apk/db/installed";

fn read(file: &str) -> (Vec<Package>, Vec<String>, String) {
    let text = std::fs::read_to_string(data(&format!("apk/{file}"))).unwrap();
    let mut packages = Vec::new();
    let mut notes = Vec::new();
    for ev in read_bytes(&Apk, PATH, text.as_bytes()).unwrap() {
        match ev {
            Evidence::Package(p) => packages.push(p),
            Evidence::Note(n) => notes.push(n),
            other => panic!("{other:?}"),
        }
    }
    // Every package is located at its record's `P:` line.
    for p in &packages {
        let line = p.location.line.unwrap() as usize;
        assert_eq!(
            text.lines().nth(line - 1),
            Some(format!("P:{}", p.name).as_str())
        );
    }
    (packages, notes, text)
}

type Expected<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);

fn check(packages: &[Package], expected: &[Expected<'_>]) {
    let got: Vec<Expected<'_>> = packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.source_name.as_deref(),
                p.license.as_deref(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn alpine_3_19_records() {
    let (packages, notes, _) = read("syft-multiple-1.installed");
    assert!(notes.is_empty(), "{notes:?}");
    check(
        &packages,
        &[
            ("bash", "5.2.21-r0", None, Some("GPL-3.0-or-later")),
            (
                "busybox-binsh",
                "1.36.1-r15",
                Some("busybox"),
                Some("GPL-2.0-only"),
            ),
            ("musl", "1.2.4_git20230717-r4", None, Some("MIT")),
            ("readline", "8.2.1-r2", None, Some("GPL-2.0-or-later")),
        ],
    );
    assert_eq!(
        packages[1].purl,
        "pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64"
    );
    assert!(packages.iter().all(|p| p.ecosystem == "Alpine"));
}

#[test]
fn old_records_a_record_without_version_and_non_spdx_licences() {
    let (packages, notes, _) = read("trivy-apk.installed");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("line 23:"), "{}", notes[0]);
    let gpl2 = None; // `GPL2`, `GPL`, `zlib`, `openssl`, `Public-Domain`: not SPDX ids
    check(
        &packages,
        &[
            ("musl", "1.1.14-r10", None, Some("MIT")),
            ("busybox", "1.24.2-r9", None, gpl2),
            ("alpine-baselayout", "3.0.3-r0", None, gpl2),
            ("alpine-keys", "1.1-r0", None, None),
            ("zlib", "1.2.8-r2", None, None),
            ("libcrypto1.0", "1.0.2h-r1", Some("openssl"), None),
            ("libssl1.0", "1.0.2h-r1", Some("openssl"), None),
            ("apk-tools", "2.6.7-r0", None, gpl2),
            ("scanelf", "1.1.6-r0", Some("pax-utils"), gpl2),
            ("musl-utils", "1.1.14-r10", Some("musl"), None),
            ("libc-utils", "0.7-r0", Some("libc-dev"), None),
            ("pkgconf", "1.6.0-r0", None, Some("ISC")),
            ("sqlite-libs", "3.26.0-r3", Some("sqlite"), None),
            ("test", "2.9.11_pre20061021-r2", Some("test-parent"), None),
            (
                "ada-libs",
                "2.7.4-r0",
                Some("ada"),
                Some("( Apache-2.0 OR MIT ) AND MPL-2.0"),
            ),
        ],
    );
}

#[test]
fn the_distribution_comes_from_os_release_in_finish() {
    let (mut packages, _, _) = read("syft-base.installed");
    let os = OsRelease {
        id: "wolfi".into(),
        version_id: "20230201".into(),
        ..Default::default()
    };
    let at = |path: &str| Location {
        layer: None,
        path: path.into(),
        line: None,
    };
    let evidence = vec![(at("etc/os-release"), Evidence::Os(os))];
    for c in all() {
        c.finish(&mut packages, &evidence);
    }
    assert_eq!(packages[0].name, "alpine-baselayout");
    assert_eq!(packages[0].ecosystem, "Wolfi");
    assert_eq!(
        packages[0].purl,
        "pkg:apk/wolfi/alpine-baselayout@3.2.0-r6?arch=x86_64&distro=wolfi-20230201"
    );
}
