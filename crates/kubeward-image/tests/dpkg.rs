//! The dpkg cataloger against the real dpkg: a root filesystem made from real `.deb` files
//! with `dpkg --root`, the same packages as distroless `status.d/` entries, and this machine's
//! own database; the truth is `dpkg-query`'s.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{catalog_dir, data, read_bytes, run};
use kubeward_image::catalog::Dpkg;
use kubeward_image::{Evidence, Package};

/// `(name, version, source name, source version, arch)` as dpkg-query prints them: the source
/// defaults to the package's own name and version.
type Row = (String, String, String, String, String);

const QUERY: &str =
    "${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version} ${Architecture}\n";

/// Installed packages according to `dpkg-query` (for the given admin directory, if any).
fn dpkg_query(admindir: Option<&Path>) -> BTreeSet<Row> {
    let mut args = Vec::new();
    let dir;
    if let Some(d) = admindir {
        dir = d.to_string_lossy().into_owned();
        args.extend(["--admindir", dir.as_str()]);
    }
    args.extend(["-W", "-f", QUERY]);
    run("dpkg-query", &args, "dpkg")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0] == "installed").then(|| {
                (
                    f[1].into(),
                    f[2].into(),
                    f[3].into(),
                    f[4].into(),
                    f[5].into(),
                )
            })
        })
        .collect()
}

fn rows<'a>(packages: impl IntoIterator<Item = &'a Package>) -> BTreeSet<Row> {
    packages
        .into_iter()
        .map(|p| {
            let arch = p
                .purl
                .split("arch=")
                .nth(1)
                .unwrap_or("")
                .split('&')
                .next()
                .unwrap_or("");
            (
                p.name.clone(),
                p.version.clone(),
                p.source_name.clone().unwrap_or_else(|| p.name.clone()),
                p.source_version
                    .clone()
                    .unwrap_or_else(|| p.version.clone()),
                arch.to_string(),
            )
        })
        .collect()
}

/// A root with hostname and libbz2-1.0 installed and bc only unpacked (it has a postinst),
/// by the real dpkg, and this machine's os-release (Debian 12).
fn make_root(root: &Path) {
    let admin = root.join("var/lib/dpkg");
    for d in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(d)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    std::fs::write(admin.join("available"), "").unwrap();
    let root_arg = format!("--root={}", root.display());
    let deb = |n: &str| data(&format!("deb/{n}")).to_string_lossy().into_owned();
    let (hostname, libbz2, bc) = (
        deb("hostname_3.23+nmu1_amd64.deb"),
        deb("libbz2-1.0_1.0.8-5+b1_amd64.deb"),
        deb("bc_1.07.1-3+b1_amd64.deb"),
    );
    let force = ["--force-not-root", "--force-depends"];
    let mut install = vec![root_arg.as_str()];
    install.extend(force);
    install.extend(["-i", hostname.as_str(), libbz2.as_str()]);
    run("dpkg", &install, "dpkg");
    let mut unpack = vec![root_arg.as_str()];
    unpack.extend(force);
    unpack.extend(["--unpack", bc.as_str()]);
    run("dpkg", &unpack, "dpkg");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
}

#[test]
fn a_root_made_by_dpkg_matches_dpkg_query() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    make_root(root);
    let truth = dpkg_query(Some(&root.join("var/lib/dpkg")));
    assert_eq!(
        truth.len(),
        2,
        "dpkg installed hostname and libbz2-1.0: {truth:?}"
    );

    let found = catalog_dir(root);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let dpkg = found.by("dpkg");
    assert_eq!(rows(dpkg.iter().copied()), truth);
    assert!(!dpkg.iter().any(|p| p.name == "bc"), "bc is only unpacked");

    let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
    let os = kubeward_image::catalog::os::parse_os_release(
        &std::fs::read_to_string("/usr/lib/os-release").unwrap(),
    )
    .unwrap();
    for p in &dpkg {
        let line = p.location.line.expect("a line") as usize;
        assert_eq!(
            status.lines().nth(line - 1),
            Some(format!("Package: {}", p.name).as_str()),
            "{}: line {line}",
            p.name
        );
        assert_eq!(p.location.path, "var/lib/dpkg/status");
        assert_eq!(p.ecosystem, "Debian");
        assert!(
            p.purl.starts_with(&format!("pkg:deb/debian/{}@", p.name))
                && p.purl.contains("arch=amd64")
                && p.purl
                    .ends_with(&format!("distro=debian-{}", os.version_id)),
            "{}",
            p.purl
        );
    }
    // The licences of the DEP-5 copyright files: hostname's `Files: *` is `GPL-2`; libbz2's
    // are `BSD-variant` (no SPDX id: a LicenseRef) and `GPL-2`.
    let license = |n: &str| dpkg.iter().find(|p| p.name == n).unwrap().license.clone();
    assert_eq!(license("hostname").as_deref(), Some("GPL-2.0-only"));
    assert_eq!(
        license("libbz2-1.0").as_deref(),
        Some("LicenseRef-BSD-variant AND GPL-2.0-only")
    );
}

#[test]
fn distroless_status_d_entries_match_dpkg_query() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    make_root(root);
    let admindir = root.join("var/lib/dpkg");
    let truth = dpkg_query(Some(&admindir));
    // Distroless: one stanza a package in status.d (no Status line), md5sums beside it.
    let status_d = tempfile::tempdir().unwrap();
    let sd = status_d.path().join("var/lib/dpkg/status.d");
    std::fs::create_dir_all(&sd).unwrap();
    let admin = admindir.to_string_lossy().into_owned();
    for (name, ..) in &truth {
        let stanza = run("dpkg-query", &["--admindir", &admin, "-s", name], "dpkg");
        let without_status: String = stanza
            .lines()
            .filter(|l| !l.starts_with("Status:"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(sd.join(name), without_status).unwrap();
        std::fs::write(sd.join(format!("{name}.md5sums")), "0123  usr/bin/x\n").unwrap();
    }
    let found = catalog_dir(status_d.path());
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert_eq!(rows(found.by("dpkg")), truth);
    for p in found.by("dpkg") {
        assert_eq!(p.location.path, format!("var/lib/dpkg/status.d/{}", p.name));
        assert_eq!(p.location.line, Some(1));
        // No os-release in this root: the default distribution.
        assert!(p.purl.starts_with("pkg:deb/debian/"), "{}", p.purl);
    }
}

#[test]
fn this_machines_database_matches_dpkg_query() {
    let truth = dpkg_query(None);
    assert!(
        truth.len() > 100,
        "dpkg-query lists {} packages",
        truth.len()
    );
    let status = std::fs::read("/var/lib/dpkg/status").unwrap();
    let evidence = read_bytes(&Dpkg, "var/lib/dpkg/status", &status).unwrap();
    let packages: Vec<Package> = evidence
        .into_iter()
        .filter_map(|e| match e {
            Evidence::Package(p) => Some(p),
            _ => None,
        })
        .collect();
    let ours = rows(&packages);
    let missing: Vec<_> = truth.difference(&ours).take(5).collect();
    let extra: Vec<_> = ours.difference(&truth).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}
