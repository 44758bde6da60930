//! The layered walk's semantics on hand-made layers: whiteouts, opaque directories, overrides,
//! hard links, symlinks (escapes included), `..` entries, damaged and missing layers, zstd,
//! multi-platform indexes, root filesystem directories.

#[path = "layered/mod.rs"]
mod common;
use common::*;
use kubeward_image::SourceSpec;

/// Paths a [`Named`] cataloger asks for: symlinks (escaping, absolute, dangling, looping) and
/// a hard link.
const LINKS: &[&str] = &[
    "etc/os-release",
    "lnk/esc",
    "lnk/abs",
    "lnk/dangling",
    "lnk/loop1",
    "bin/tool2",
];

const OS: &[u8] = b"ID=debian\nVERSION_ID=12\n";
const OS_USR: &[u8] = b"ID=fromusrlib\nVERSION_ID=1\n";

fn base() -> Vec<u8> {
    layer_tar(&[
        E::Dir("etc"),
        E::File("etc/os-release", OS),
        E::File("usr/lib/os-release", OS_USR),
        E::File("var/lib/dpkg/status", b"Package: a\n"),
        E::File("dir/a", b"a"),
        E::File("dir/b", b"b"),
        E::File("dir/sub/c", b"c"),
        E::File("gone/x", b"x"),
        E::File("gone/y/z", b"z"),
        E::File("opq/keep-not", b"old"),
        E::File("opq/sub/deep", b"old"),
        E::File("bin/tool", b"tool body"),
        E::File("replaced-dir/f", b"f"),
    ])
}

fn upper() -> Vec<u8> {
    layer_tar(&[
        E::File(".wh.gone", b""),
        E::File("dir/.wh.a", b""),
        E::File("opq/.wh..wh..opq", b""),
        E::File("opq/new", b"new"),
        E::File("var/lib/dpkg/status", b"Package: b\n"),
        E::Hardlink("bin/tool2", "bin/tool"),
        E::File("bin/same-layer", b"same"),
        E::Hardlink("bin/same-layer-link", "bin/same-layer"),
        E::Symlink("lnk/esc", "../../../../../../etc/os-release"),
        E::Symlink("lnk/abs", "/bin/tool"),
        E::Symlink("lnk/dangling", "/nowhere"),
        E::Symlink("lnk/loop1", "loop2"),
        E::Symlink("lnk/loop2", "loop1"),
        E::File("replaced-dir", b"now a file"),
        E::File("etc/.wh.os-release", b""),
        E::Symlink("etc/os-release", "../usr/lib/os-release"),
    ])
}

fn sha(b: &[u8]) -> String {
    format!("{}:644", sha256_hex(b))
}

#[test]
fn whiteouts_opaque_overrides_links() {
    let dir = tempfile::tempdir().unwrap();
    single_image(dir.path(), &[base(), upper()], "gzip");
    let cat = scan_named(oci(dir.path()), None, LINKS);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    let got = presented(&cat);
    let want: std::collections::BTreeMap<String, String> = [
        ("usr/lib/os-release", sha(OS_USR)),
        ("var/lib/dpkg/status", sha(b"Package: b\n")),
        ("dir/b", sha(b"b")),
        ("dir/sub/c", sha(b"c")),
        ("opq/new", sha(b"new")),
        ("bin/tool", sha(b"tool body")),
        ("bin/tool2", sha(b"tool body")),
        ("bin/same-layer", sha(b"same")),
        ("bin/same-layer-link", sha(b"same")),
        ("replaced-dir", sha(b"now a file")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(got, want);
    // Symlinks and the hard link as a cataloger that wants them sees them: escapes resolve
    // inside the image, dangling links and loops are not files.
    let links: std::collections::BTreeMap<String, String> = [
        ("etc/os-release", sha(OS_USR)),
        ("lnk/esc", sha(OS_USR)),
        ("lnk/abs", sha(b"tool body")),
        ("bin/tool2", sha(b"tool body")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(presented_by(&cat, "named"), links);
    let esc = cat.packages.iter().find(|p| p.name == "lnk/esc").unwrap();
    assert_eq!(esc.location.path, "lnk/esc");
    assert_eq!(
        esc.location.layer.as_deref(),
        Some(cat.image.layers[0].digest.as_str())
    );

    // The probe: one status (the upper layer's), the OS from the symlink's target.
    let probe: Vec<_> = cat
        .packages
        .iter()
        .filter(|p| p.found_by == "probe")
        .collect();
    let status: Vec<_> = probe
        .iter()
        .filter(|p| p.name == "var/lib/dpkg/status")
        .collect();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].version, "Package: b");
    let layers = &cat.image.layers;
    assert_eq!(
        status[0].location.layer.as_deref(),
        Some(layers[1].digest.as_str())
    );
    assert_eq!(status[0].location.path, "var/lib/dpkg/status");
    assert_eq!(status[0].location.line, Some(1));
    let os = cat.os.as_ref().unwrap();
    assert_eq!(os.id, "fromusrlib");
    // The hard link to a lower layer's file is located in the layer that made the link.
    let tool2 = cat.packages.iter().find(|p| p.name == "bin/tool2").unwrap();
    assert_eq!(
        tool2.location.layer.as_deref(),
        Some(layers[1].digest.as_str())
    );
    assert_eq!(cat.image.platform.as_deref(), Some("linux/amd64"));
    assert!(cat.image.digest.as_deref().unwrap().starts_with("sha256:"));
}

#[test]
fn dot_dot_entries_are_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let l = layer_tar(&[
        E::RawName(b"../../etc/evil", b"evil"),
        E::RawName(b"a/../../evil2", b"evil"),
        E::RawName(b"./x/../fine", b"fine"),
        E::RawName(b"/abs/ok", b"ok"),
        E::Hardlink("hl", "../../etc/shadow"),
        E::File("etc/os-release", OS),
    ]);
    single_image(dir.path(), &[l], "none");
    let cat = scan(oci(dir.path()), None);
    let got = presented(&cat);
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        ["abs/ok", "etc/os-release", "fine"]
    );
    assert_eq!(cat.errors.len(), 3, "{:?}", cat.errors);
    for e in &cat.errors {
        assert!(e.layer.is_some() && e.path.is_some(), "{e}");
        assert!(e.message.contains("climbs out"), "{e}");
    }
}

#[test]
fn a_corrupt_layer_loses_its_own_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let good0 = layer_tar(&[E::File("etc/os-release", OS), E::File("keep/me", b"1")]);
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let mid = layer_tar(&[
        E::File("mid/file", b"m"),
        E::File(".wh.keep", b""),
        E::File("mid/big", &big),
    ]);
    let mut truncated = gzip(&mid);
    truncated.truncate(truncated.len() / 2);
    let good2 = layer_tar(&[E::File("top/file", b"t")]);
    let l = Layout::new(dir.path());
    // The truncated gzip is stored as the blob (its digest matches), under a plain tar media
    // type: the walk tells gzip by its magic, and the decompression fails.
    let m = {
        let blobs = [
            ("application/vnd.oci.image.layer.v1.tar", good0.clone()),
            ("application/vnd.oci.image.layer.v1.tar", truncated),
            ("application/vnd.oci.image.layer.v1.tar+gzip", gzip(&good2)),
        ];
        let descs: Vec<_> = blobs
            .iter()
            .map(|(mt, b)| l.blob(mt, b).json(None))
            .collect();
        let config = l.blob(
            "application/vnd.oci.image.config.v1+json",
            br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#,
        );
        let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config.json(None), "layers": descs});
        l.blob(
            "application/vnd.oci.image.manifest.v1+json",
            manifest.to_string().as_bytes(),
        )
    };
    l.set_index_json(vec![m.json(None)]);
    let cat = scan(oci(dir.path()), None);
    let got = presented(&cat);
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        ["etc/os-release", "keep/me", "top/file"]
    );
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    let e = &cat.errors[0];
    assert_eq!(
        e.layer.as_deref(),
        Some(cat.image.layers[1].digest.as_str())
    );
    assert_eq!(e.image, dir.path().display().to_string());
    assert!(e.message.contains("not catalogued"), "{e}");
}

#[test]
fn digest_mismatch_and_missing_blob() {
    let dir = tempfile::tempdir().unwrap();
    let l0 = layer_tar(&[E::File("etc/os-release", OS)]);
    let l1 = layer_tar(&[E::File("one", b"1")]);
    let l2 = layer_tar(&[E::File("two", b"2")]);
    let lay = single_image(dir.path(), &[l0, l1, l2], "gzip");
    let cat = scan(oci(dir.path()), None);
    assert!(cat.errors.is_empty());
    let layers = cat.image.layers.clone();
    // Layer 1 tampered with (same name, other bytes); layer 2 gone.
    std::fs::write(
        lay.blob_path(&layers[1].digest),
        gzip(&layer_tar(&[E::File("one", b"tampered")])),
    )
    .unwrap();
    std::fs::remove_file(lay.blob_path(&layers[2].digest)).unwrap();
    let cat = scan(oci(dir.path()), None);
    assert_eq!(
        presented(&cat).keys().cloned().collect::<Vec<_>>(),
        ["etc/os-release"]
    );
    assert_eq!(cat.errors.len(), 2, "{:?}", cat.errors);
    assert_eq!(
        cat.errors[0].layer.as_deref(),
        Some(layers[1].digest.as_str())
    );
    assert!(
        cat.errors[0].message.contains("digest mismatch") || cat.errors[0].message.contains("size"),
        "{}",
        cat.errors[0]
    );
    assert_eq!(
        cat.errors[1].layer.as_deref(),
        Some(layers[2].digest.as_str())
    );
    assert!(
        cat.errors[1].message.contains("missing"),
        "{}",
        cat.errors[1]
    );

    // A manifest pointing at a missing config: the image cannot be opened, the error says so.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    let mdigest = m["manifests"][0]["digest"].as_str().unwrap().to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lay.blob_path(&mdigest)).unwrap()).unwrap();
    std::fs::remove_file(lay.blob_path(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let cat = scan(oci(dir.path()), None);
    assert_eq!(cat.errors.len(), 1);
    assert!(
        cat.errors[0].message.contains("missing"),
        "{}",
        cat.errors[0]
    );
}

#[test]
fn zstd_and_uncompressed_layers() {
    for compress in ["zstd", "none"] {
        let dir = tempfile::tempdir().unwrap();
        single_image(dir.path(), &[base(), upper()], compress);
        let cat = scan(oci(dir.path()), None);
        assert!(cat.errors.is_empty(), "{compress}: {:?}", cat.errors);
        assert_eq!(presented(&cat).len(), 10, "{compress}");
    }
}

#[test]
fn multi_platform_index() {
    let dir = tempfile::tempdir().unwrap();
    let l = Layout::new(dir.path());
    let mk = |arch: &str| layer_tar(&[E::File("arch", arch.as_bytes())]);
    let amd = l.image(&[mk("amd64")], "gzip", "linux", "amd64", None);
    let arm64 = l.image(&[mk("arm64")], "gzip", "linux", "arm64", Some("v8"));
    let armv7 = l.image(&[mk("armv7")], "gzip", "linux", "arm", Some("v7"));
    let armv6 = l.image(&[mk("armv6")], "gzip", "linux", "arm", Some("v6"));
    // A nested index, one entry without a platform in its descriptor (its config says).
    let inner = l.index(vec![
        armv7.json(Some(("linux", "arm", Some("v7")))),
        armv6.json(None),
    ]);
    let outer = l.index(vec![
        arm64.json(Some(("linux", "arm64", Some("v8")))),
        inner.json(None),
        amd.json(Some(("linux", "amd64", None))),
    ]);
    let mut e = outer.json(None);
    e["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "multi"});
    l.set_index_json(vec![e]);
    for (platform, want, digest) in [
        (None, "amd64", &amd.digest),
        (Some("linux/arm64"), "arm64", &arm64.digest),
        (Some("linux/arm64/v8"), "arm64", &arm64.digest),
        (Some("linux/arm/v7"), "armv7", &armv7.digest),
        (Some("linux/arm/v6"), "armv6", &armv6.digest),
    ] {
        let cat = scan(oci(dir.path()), platform);
        assert!(cat.errors.is_empty(), "{platform:?}: {:?}", cat.errors);
        assert_eq!(
            presented(&cat)["arch"],
            sha(want.as_bytes()),
            "{platform:?}"
        );
        assert_eq!(cat.image.digest.as_deref(), Some(digest.as_str()));
    }
    let cat = scan(oci(dir.path()), Some("linux/s390x"));
    assert_eq!(cat.errors.len(), 1);
    assert!(
        cat.errors[0]
            .message
            .contains("no image for platform linux/s390x"),
        "{}",
        cat.errors[0]
    );
    assert!(
        cat.errors[0].message.contains("linux/arm/v6"),
        "{}",
        cat.errors[0]
    );
    // By tag.
    let spec = SourceSpec::OciLayout {
        path: dir.path().into(),
        tag: Some("multi".into()),
    };
    assert!(scan(spec, None).errors.is_empty());
    let spec = SourceSpec::OciLayout {
        path: dir.path().into(),
        tag: Some("nope".into()),
    };
    assert!(scan(spec, None).errors[0]
        .message
        .contains("no image tagged"));
}

#[test]
fn root_filesystem_directory_never_leaves_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    write(&root, "usr/lib/os-release", OS_USR, 0o644);
    write(&root, "var/lib/dpkg/real-status", b"Package: dir\n", 0o640);
    write(&root, "bin/tool", b"#!/bin/sh\n", 0o755);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    // Escapes: relative climbing, absolute, a link to the host's root.
    std::os::unix::fs::symlink(
        "../../../../../../../../etc/os-release",
        root.join("etc/os-release"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/var/lib/dpkg/real-status",
        root.join("var/lib/dpkg/status"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/", root.join("hostroot")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("passwd")).unwrap();
    static NAMES: &[&str] = &[
        "etc/os-release",
        "var/lib/dpkg/status",
        "passwd",
        "hostroot/etc/passwd",
    ];
    let cat = scan_named(SourceSpec::RootFs(root.clone()), None, NAMES);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    let got = presented(&cat);
    assert_eq!(got, truth(&root));
    let named = presented_by(&cat, "named");
    assert_eq!(named, truth_links(&root));
    // etc/os-release resolves to itself inside the root: a loop, not the host's file; the
    // absolute links stay inside too (root/etc/passwd does not exist).
    assert_eq!(
        named.keys().cloned().collect::<Vec<_>>(),
        ["var/lib/dpkg/status"]
    );
    assert_eq!(
        named["var/lib/dpkg/status"],
        format!("{}:640", sha256_hex(b"Package: dir\n"))
    );
    assert!(cat.os.is_none());
    let probe = cat.packages.iter().find(|p| p.found_by == "probe").unwrap();
    assert_eq!(
        (probe.name.as_str(), probe.version.as_str()),
        ("var/lib/dpkg/status", "Package: dir")
    );
    assert!(!got
        .keys()
        .any(|k| k.starts_with("hostroot/") || k == "passwd"));
    assert!(cat.packages.iter().all(|p| p.location.layer.is_none()));
}

#[test]
fn a_hostile_long_name_entry_is_refused_not_buffered() {
    // A GNU long-name entry stating 64 MiB (it compresses to almost nothing): the tar crate
    // would read it whole into memory; the walk refuses the layer instead.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(64 << 20);
    h.set_cksum();
    b.append(&h, std::io::Read::take(std::io::repeat(b'a'), 64 << 20))
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    b.append_data(&mut h, "x", &b"x"[..]).unwrap();
    let hostile = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = layer_tar(&[E::File("etc/os-release", OS)]);
    single_image(dir.path(), &[good, hostile], "gzip");
    let cat = scan(oci(dir.path()), None);
    assert_eq!(
        presented(&cat).keys().cloned().collect::<Vec<_>>(),
        ["etc/os-release"]
    );
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    assert_eq!(
        cat.errors[0].layer.as_deref(),
        Some(cat.image.layers[1].digest.as_str())
    );
    assert!(
        cat.errors[0].message.contains("long name"),
        "{}",
        cat.errors[0]
    );
}
