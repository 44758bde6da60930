//! What `kubeward image` reads from files it does not control: SBOM files (CycloneDX and SPDX
//! JSON, kubeward-image's reader) and every package database and metadata format the
//! catalogers read (dpkg status and status.d, apk installed, rpmdb.sqlite, os-release, Python
//! METADATA / PKG-INFO, package.json, Go and cargo-auditable binaries, jars, dpkg copyright).
//! The first byte picks the file the bytes are presented as.
//! Invariants: no panic; every cataloger that wants the file reads it or returns an error;
//! a package it reports is located at the file it was read from.
#![no_main]

use kubeward_image::{catalog, sbom, Evidence, FileRef};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/base",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "etc/os-release",
    "usr/lib/python3/site-packages/pkg-1.0.dist-info/METADATA",
    "usr/lib/python3/site-packages/pkg-1.0.egg-info/PKG-INFO",
    "app/node_modules/pkg/package.json",
    "usr/local/bin/app",
    "opt/app/app.jar",
    "usr/share/doc/pkg/copyright",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first == 0xff {
        let _ = sbom::looks_like_sbom(rest);
        if let Ok(c) = sbom::read(rest, "fuzz.cdx.json") {
            for p in &c.packages {
                assert_eq!(p.location.path, "fuzz.cdx.json");
            }
        }
        return;
    }
    let path = PATHS[first as usize % PATHS.len()];
    let file = FileRef {
        path,
        layer: Some("sha256:00"),
        size: rest.len() as u64,
        mode: 0o755,
    };
    for c in catalog::all() {
        if !c.wants(&file) {
            continue;
        }
        let mut content = rest;
        if let Ok(evidence) = c.read(&file, &mut content) {
            for e in evidence {
                if let Evidence::Package(p) = e {
                    assert_eq!(p.location.path, path, "{}: located elsewhere", c.name());
                }
            }
        }
    }
});
