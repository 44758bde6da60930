//! The rpm cataloger against the real rpm: packages built with `rpmbuild`, recorded in a sqlite
//! rpm database with `rpm -i --justdb`; the truth is `rpm -qa --qf`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{catalog_dir, read_bytes, run};
use kubeward_image::catalog::Rpm;
use kubeward_image::Evidence;

const SQLITE: &str = "--define=_db_backend sqlite";

/// Two packages: one with an Epoch and an SPDX licence, one without and a Fedora-style
/// licence name (not SPDX: no licence kept).
const SPECS: [(&str, &str); 2] = [
    (
        "kw-one",
        "Name: kw-one\nEpoch: 3\nVersion: 1.2.3\nRelease: 4.el9\nSummary: t\n\
         License: MIT AND (Apache-2.0 OR BSD-3-Clause)\nBuildArch: noarch\n%description\nt\n%files\n",
    ),
    (
        "kw-two",
        "Name: kw-two\nVersion: 0.9~rc1\nRelease: 1\nSummary: t\nLicense: GPLv2+\n\
         BuildArch: noarch\n%description\nt\n%files\n",
    ),
];

/// Builds the packages and an rpm database of them under `root/var/lib/rpm`.
fn make_root(work: &Path, root: &Path) {
    let topdir = format!("--define=_topdir {}", work.display());
    let mut rpms = Vec::new();
    for (name, spec) in SPECS {
        let path = work.join(format!("{name}.spec"));
        std::fs::write(&path, spec).unwrap();
        run(
            "rpmbuild",
            &[&topdir, "-bb", &path.to_string_lossy()],
            "rpm",
        );
    }
    for entry in std::fs::read_dir(work.join("RPMS/noarch")).unwrap() {
        rpms.push(entry.unwrap().path().to_string_lossy().into_owned());
    }
    let db = root.join("var/lib/rpm");
    std::fs::create_dir_all(&db).unwrap();
    let dbpath = format!("--dbpath={}", db.display());
    run("rpm", &[&dbpath, SQLITE, "--initdb"], "rpm");
    let mut args = vec![
        dbpath.as_str(),
        SQLITE,
        "-i",
        "--justdb",
        "--nodeps",
        "--noscripts",
    ];
    args.extend(rpms.iter().map(String::as_str));
    run("rpm", &args, "rpm");
}

#[test]
fn a_database_made_by_rpm_matches_rpm_qa() {
    let work = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    make_root(work.path(), root.path());
    let dbpath = format!("--dbpath={}", root.path().join("var/lib/rpm").display());
    let qf =
        "--qf=%{NAME}|%{EVR}|%{VERSION}-%{RELEASE}|%{EPOCHNUM}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\n";
    let truth: BTreeSet<Vec<String>> = run("rpm", &["-qa", &dbpath, SQLITE, qf], "rpm")
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect();
    assert_eq!(truth.len(), 2, "{truth:?}");
    assert!(
        root.path().join("var/lib/rpm/rpmdb.sqlite").exists(),
        "rpm wrote no sqlite database: check `rpm --eval %_db_backend`"
    );
    // An rpm image has os-release; Rocky Linux here, to see the ecosystem and purl follow it.
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(
        root.path().join("etc/os-release"),
        "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
    )
    .unwrap();

    let found = catalog_dir(root.path());
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let ours: BTreeSet<Vec<String>> = found
        .by("rpm")
        .iter()
        .map(|p| {
            let q = |k: &str| {
                p.purl
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or("")
                    .to_string()
            };
            let vr = p.purl.split('@').nth(1).unwrap().split('?').next().unwrap();
            let srpm_name = p.source_name.clone().unwrap_or_else(|| p.name.clone());
            let epoch = q("epoch");
            vec![
                p.name.clone(),
                p.version.clone(),
                vr.replace("%7E", "~"),
                if epoch.is_empty() { "0".into() } else { epoch },
                q("arch"),
                format!("{srpm_name}-{}.src.rpm", vr.replace("%7E", "~")),
                p.license.clone().unwrap_or_else(|| "GPLv2+".into()),
            ]
        })
        .collect();
    assert_eq!(ours, truth);
    for p in found.by("rpm") {
        assert_eq!(p.ecosystem, "Rocky Linux");
        assert!(p.purl.starts_with("pkg:rpm/rocky/"), "{}", p.purl);
        assert!(p.purl.contains("distro=rocky-9.3"), "{}", p.purl);
        assert_eq!(p.location.path, "var/lib/rpm/rpmdb.sqlite");
    }
    let two = found
        .by("rpm")
        .into_iter()
        .find(|p| p.name == "kw-two")
        .unwrap();
    assert_eq!(two.license, None, "GPLv2+ is not an SPDX expression");
}

#[test]
fn a_bad_record_is_a_note_and_the_others_are_read() {
    let work = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    make_root(work.path(), root.path());
    let db = root.path().join("var/lib/rpm/rpmdb.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO Packages (hnum, blob) VALUES (999, x'00000001000000')",
        [],
    )
    .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    let bytes = std::fs::read(&db).unwrap();
    let evs = read_bytes(&Rpm, "usr/lib/sysimage/rpm/rpmdb.sqlite", &bytes).unwrap();
    let packages = evs
        .iter()
        .filter(|e| matches!(e, Evidence::Package(_)))
        .count();
    let notes: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Evidence::Note(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(packages, 2);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("record 999"), "{}", notes[0]);
}

#[test]
fn berkeley_db_and_ndb_are_noted_as_unsupported_and_garbage_is_an_error() {
    for (path, format) in [
        ("var/lib/rpm/Packages", "Berkeley DB"),
        ("usr/lib/sysimage/rpm/Packages.db", "NDB"),
    ] {
        let evs = read_bytes(&Rpm, path, b"\x00\x06\x15\x61 whatever").unwrap();
        match evs.as_slice() {
            [Evidence::Note(n)] => {
                assert!(n.contains(format) && n.contains("not supported"), "{n}")
            }
            other => panic!("{other:?}"),
        }
    }
    let secret = b"SQLite format 3\0password=hunter2 and more bytes that are not a database";
    let err = read_bytes(&Rpm, "var/lib/rpm/rpmdb.sqlite", secret).unwrap_err();
    assert!(!err.contains("hunter2"), "{err}");
    let err = read_bytes(&Rpm, "var/lib/rpm/rpmdb.sqlite", b"").unwrap_err();
    assert!(err.contains("Packages"), "{err}");
}
