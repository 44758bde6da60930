//! Every cataloger on garbage and on truncated real input: an error or nothing (or fewer
//! packages), never a panic, and no error quotes the content. Property tests of the deb822
//! and os-release parsers on arbitrary text.

mod common;

use common::data;
use kubeward_image::catalog::deb822::paragraphs;
use kubeward_image::catalog::os::parse_os_release;
use kubeward_image::catalog::{all, Apk, Dpkg, Npm, Os, Python, Rpm};
use kubeward_image::{Cataloger, FileRef};
use proptest::prelude::*;

const MARKER: &str = "hunter2-SECRET";

/// Catalogers with a path each wants.
type Targets = Vec<(Box<dyn Cataloger>, &'static str)>;

/// A path each cataloger wants, per kind of file it reads.
fn targets() -> Targets {
    vec![
        (Box::new(Os), "etc/os-release"),
        (Box::new(Dpkg), "var/lib/dpkg/status"),
        (Box::new(Dpkg), "var/lib/dpkg/status.d/base"),
        (Box::new(Dpkg), "usr/share/doc/base/copyright"),
        (Box::new(Apk), "lib/apk/db/installed"),
        (Box::new(Rpm), "var/lib/rpm/rpmdb.sqlite"),
        (Box::new(Rpm), "var/lib/rpm/Packages"),
        (
            Box::new(Python),
            "usr/lib/python3/dist-packages/a-1.dist-info/METADATA",
        ),
        (
            Box::new(Python),
            "usr/lib/python3/dist-packages/a-1.egg-info",
        ),
        (Box::new(Npm), "node_modules/a/package.json"),
    ]
}

/// Runs a cataloger; a panic fails the test, and so does an error that quotes the marker.
fn feed(c: &dyn Cataloger, path: &str, bytes: &[u8]) {
    let file = FileRef {
        path,
        layer: None,
        size: bytes.len() as u64,
        mode: 0o644,
    };
    assert!(c.wants(&file), "{} does not want {path}", c.name());
    if let Err(e) = c.read(&file, &mut &bytes[..]) {
        assert!(
            !e.contains(MARKER),
            "{} on {path}: error quotes content: {e}",
            c.name()
        );
    }
}

#[test]
fn catalog_all_lists_the_catalogers() {
    let names: Vec<_> = all().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["os", "dpkg", "apk", "rpm", "python", "npm", "go", "rust", "java"]
    );
}

#[test]
fn garbage_is_an_error_or_nothing() {
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0\0\0\0\xff\xfe".to_vec(),
        format!("{MARKER}\n{MARKER}: {MARKER}\n \n\t{MARKER}").into_bytes(),
        format!("{{\"name\": \"{MARKER}").into_bytes(),
        format!("SQLite format 3\0{MARKER}").into_bytes(),
        (0..=255u8).cycle().take(70_000).collect(),
        format!("Package: x\nVersion: {MARKER}\nStatus: {MARKER}\nSource: ((((\n").into_bytes(),
        format!("Format: copyright-format\n\nFiles: *\nLicense: {MARKER} or , and with\n")
            .into_bytes(),
    ];
    for (c, path) in targets() {
        for g in &garbage {
            feed(c.as_ref(), path, g);
        }
    }
}

#[test]
fn truncated_real_inputs_never_panic() {
    let mut inputs: Vec<(Vec<u8>, Targets)> = vec![
        (
            std::fs::read("/var/lib/dpkg/status").unwrap(),
            vec![(Box::new(Dpkg), "var/lib/dpkg/status")],
        ),
        (
            std::fs::read(data("apk/trivy-apk.installed")).unwrap(),
            vec![(Box::new(Apk), "lib/apk/db/installed")],
        ),
        (
            std::fs::read("/usr/lib/os-release").unwrap(),
            vec![(Box::new(Os), "etc/os-release")],
        ),
        (
            std::fs::read("/usr/share/doc/dash/copyright").unwrap(),
            vec![(Box::new(Dpkg), "usr/share/doc/dash/copyright")],
        ),
    ];
    // A real sqlite rpm database from the rpm test would need rpmbuild here; an rpm header
    // is truncated byte by byte in rpm_header's unit tests, and a sqlite file at a few cuts:
    let db = sqlite_rpmdb();
    inputs.push((db, vec![(Box::new(Rpm), "var/lib/rpm/rpmdb.sqlite")]));
    for (bytes, targets) in &inputs {
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            for (c, path) in targets {
                feed(c.as_ref(), path, &bytes[..cut]);
            }
        }
    }
}

/// A sqlite database with rpm's `Packages` table and one synthetic header, written with
/// rusqlite (the rpm test builds real ones with rpm).
fn sqlite_rpmdb() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("rpmdb.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .unwrap();
    let blob = kubeward_image::catalog::rpm_header::build(&[
        (1000, 6, b"a\0"),
        (1001, 6, b"1\0"),
        (1002, 6, b"1\0"),
    ]);
    for _ in 0..50 {
        conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [&blob])
            .unwrap();
    }
    drop(conn);
    std::fs::read(&path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn deb822_on_arbitrary_text(text in "(?s).{0,400}") {
        let lines = text.split('\n').count() as u32;
        for p in paragraphs(text.as_bytes()) {
            let p = p.unwrap();
            for f in &p.fields {
                prop_assert!(f.line >= 1 && f.line <= lines);
                prop_assert!(!f.name.is_empty() && !f.name.contains(char::is_whitespace));
            }
        }
    }

    #[test]
    fn deb822_reads_back_what_it_is_given(
        paras in prop::collection::vec(
            prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,8}", "[!-~]([ -~]{0,20}[!-~])?"), 1..5),
            1..5,
        )
    ) {
        let mut text = String::new();
        let mut expected = Vec::new();
        let mut line = 0;
        for fields in &paras {
            for (name, value) in fields {
                line += 1;
                text.push_str(&format!("{name}: {value}\n"));
                expected.push((name.clone(), value.clone(), line));
            }
            text.push('\n');
            line += 1;
        }
        let got: Vec<_> = paragraphs(text.as_bytes())
            .flat_map(|p| p.unwrap().fields)
            .map(|f| (f.name, f.value, f.line))
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn os_release_on_arbitrary_text(text in "(?s).{0,400}") {
        let _ = parse_os_release(&text);
    }

    #[test]
    fn os_release_unquotes_what_a_shell_would(value in "[ -~]{0,30}") {
        let mut quoted = String::from("\"");
        for c in value.chars() {
            if matches!(c, '"' | '\\' | '$' | '`') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        let os = parse_os_release(&format!("ID=x\nPRETTY_NAME={quoted}\n")).unwrap();
        prop_assert_eq!(os.pretty_name, value);
    }
}
