//! Images built with the real tools: umoci writes the layers (whiteouts from real deletions,
//! hard links from real links) and unpacks the truth; skopeo converts to a docker-archive
//! tarball and to zstd layers. The walk must present exactly the files `umoci unpack` gives.

#[path = "layered/mod.rs"]
mod common;
use common::*;
use kubeward_image::SourceSpec;
use std::path::Path;

/// Two symlinks (one climbing out, resolved inside) and a link replaced by a file.
const NAMES: &[&str] = &["etc/os-release", "usr/escape", "usr/abs-tool"];

/// Builds `layout:t` in three umoci layers from a rootfs changed between them.
fn build(layout: &Path, bundle: &Path) {
    let image = format!("{}:t", layout.display());
    umoci(&["init", "--layout", &layout.display().to_string()]);
    umoci(&["new", "--image", &image]);
    umoci(&["unpack", "--image", &image, &bundle.display().to_string()]);
    let root = bundle.join("rootfs");
    let repack = || {
        umoci(&[
            "repack",
            "--refresh-bundle",
            "--image",
            &image,
            &bundle.display().to_string(),
        ])
    };

    // Layer 1: a small distribution.
    write(
        &root,
        "usr/lib/os-release",
        b"ID=debian\nVERSION_ID=12\n",
        0o644,
    );
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release"))
        .or_else(|_| {
            std::fs::create_dir_all(root.join("etc"))?;
            std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release"))
        })
        .unwrap();
    write(
        &root,
        "var/lib/dpkg/status",
        b"Package: base-files\nVersion: 12\n",
        0o644,
    );
    write(&root, "usr/bin/tool", b"\x7fELF tool", 0o755);
    std::fs::hard_link(
        root.join("usr/bin/tool"),
        root.join("usr/bin/tool-hardlink"),
    )
    .unwrap();
    for i in 0..20 {
        write(
            &root,
            &format!("usr/share/doc/pkg{i}/copyright"),
            format!("licence {i}").as_bytes(),
            0o644,
        );
    }
    write(&root, "opt/app/lib/a.py", b"a", 0o644);
    write(&root, "opt/app/lib/b.py", b"b", 0o644);
    write(&root, "srv/will-be-file/x", b"x", 0o644);
    std::os::unix::fs::symlink("../../../../../../etc/shadow", root.join("usr/escape")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/tool", root.join("usr/abs-tool")).unwrap();
    repack();

    // Layer 2: deletions (files and a directory), a changed file, a directory made a file.
    std::fs::remove_file(root.join("usr/share/doc/pkg3/copyright")).unwrap();
    std::fs::remove_dir_all(root.join("usr/share/doc/pkg4")).unwrap();
    std::fs::remove_dir_all(root.join("opt/app")).unwrap();
    write(
        &root,
        "var/lib/dpkg/status",
        b"Package: base-files\nVersion: 12.1\n\nPackage: new\n",
        0o644,
    );
    std::fs::remove_dir_all(root.join("srv/will-be-file")).unwrap();
    write(&root, "srv/will-be-file", b"now a file", 0o600);
    write(&root, "etc/shadow", b"root:*:", 0o640);
    repack();

    // Layer 3: a directory deleted and made again with other content, a mode change, the
    // hard-linked file's other name removed, a link replaced by a file.
    write(&root, "opt/app/lib/c.py", b"c", 0o644);
    std::fs::set_permissions(
        root.join("usr/bin/tool"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::fs::remove_file(root.join("usr/abs-tool")).unwrap();
    write(&root, "usr/abs-tool", b"replaced", 0o644);
    repack();
}

#[test]
fn umoci_layers_skopeo_archive_and_zstd_match_umoci_unpack() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    build(&layout, &dir.path().join("bundle"));

    // The truth: umoci's own unpack of the final stack.
    let fresh = dir.path().join("fresh");
    umoci(&[
        "unpack",
        "--image",
        &format!("{}:t", layout.display()),
        &fresh.display().to_string(),
    ]);
    let want = truth(&fresh.join("rootfs"));
    assert!(want.contains_key("usr/lib/os-release") && want.contains_key("usr/bin/tool-hardlink"));
    // What a cataloger that asks for the links sees: their targets, resolved inside the image.
    let links = truth_links(&fresh.join("rootfs"));
    let want_named: std::collections::BTreeMap<String, String> = NAMES
        .iter()
        .filter_map(|n| {
            links
                .get(*n)
                .or(want.get(*n))
                .map(|v| (n.to_string(), v.clone()))
        })
        .collect();
    assert_eq!(want_named.len(), 3, "{want_named:?}");
    assert_eq!(want_named["usr/escape"], want["etc/shadow"]);
    assert!(
        !want.contains_key("usr/share/doc/pkg3/copyright")
            && !want.contains_key("opt/app/lib/a.py")
    );
    // umoci wrote real whiteouts and a real hard link.
    let listing: String = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            std::process::Command::new("tar")
                .arg("-tvzf")
                .arg(&p)
                .output()
                .ok()
                .filter(|o| o.status.success())
        })
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .collect();
    assert!(
        listing.contains(".wh.copyright") && listing.contains(".wh.pkg4"),
        "{listing}"
    );
    assert!(listing.contains("link to"), "{listing}");
    if std::env::var_os("KW_SHOW_LAYERS").is_some() {
        eprintln!("{listing}");
    }

    let cat = scan_named(
        SourceSpec::OciLayout {
            path: layout.clone(),
            tag: Some("t".into()),
        },
        None,
        NAMES,
    );
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(cat.image.layers.len(), 3);
    assert_eq!(presented(&cat), want);
    assert_eq!(presented_by(&cat, "named"), want_named);
    let status: Vec<_> = cat
        .packages
        .iter()
        .filter(|p| p.found_by == "probe" && p.name == "var/lib/dpkg/status")
        .collect();
    assert_eq!(status.len(), 1);
    assert_eq!(
        status[0].location.layer.as_deref(),
        Some(cat.image.layers[1].digest.as_str())
    );
    assert_eq!(cat.os.as_ref().map(|o| o.id.as_str()), Some("debian"));

    // The unpacked directory as a root filesystem gives the same.
    let cat_dir = scan_named(SourceSpec::RootFs(fresh.join("rootfs")), None, NAMES);
    assert!(cat_dir.errors.is_empty(), "{:?}", cat_dir.errors);
    assert_eq!(presented(&cat_dir), want);
    assert_eq!(presented_by(&cat_dir, "named"), want_named);

    // skopeo: a docker-archive tarball (uncompressed layer tars, manifest.json).
    let archive = dir.path().join("image.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:t", layout.display()),
        &format!("docker-archive:{}:example/img:t", archive.display()),
    ]);
    let cat = scan_named(SourceSpec::Archive(archive.clone()), None, NAMES);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert_eq!(presented(&cat), want);
    assert_eq!(presented_by(&cat, "named"), want_named);
    assert!(cat.image.layers.iter().all(|l| l.diff_id.is_some()));

    // skopeo: zstd layers.
    let zlayout = dir.path().join("zstd");
    skopeo(&[
        "copy",
        "--dest-compress-format",
        "zstd",
        &format!("oci:{}:t", layout.display()),
        &format!("oci:{}:t", zlayout.display()),
    ]);
    let cat = scan_named(
        SourceSpec::OciLayout {
            path: zlayout.clone(),
            tag: None,
        },
        None,
        NAMES,
    );
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert!(
        cat.image
            .layers
            .iter()
            .all(|l| l.media_type.ends_with("zstd")),
        "{:?}",
        cat.image.layers
    );
    assert_eq!(presented(&cat), want);
    assert_eq!(presented_by(&cat, "named"), want_named);

    // The newer docker save: an OCI layout inside the tarball (with a manifest.json beside).
    let oci_tar = dir.path().join("oci-in.tar");
    run(std::process::Command::new("tar")
        .arg("-C")
        .arg(&layout)
        .arg("-cf")
        .arg(&oci_tar)
        .arg("."));
    let cat = scan_named(SourceSpec::Archive(oci_tar), None, NAMES);
    assert!(cat.errors.is_empty(), "{:?}", cat.errors);
    assert!(cat.image.digest.is_some());
    assert_eq!(presented(&cat), want);
    assert_eq!(presented_by(&cat, "named"), want_named);

    // A truncated tarball as skopeo writes it (manifest.json last): nothing to open, and the
    // error says why.
    let bytes = std::fs::read(&archive).unwrap();
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let cat = scan_named(SourceSpec::Archive(cut.clone()), None, NAMES);
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    assert_eq!(cat.errors[0].image, cut.display().to_string());
    assert!(
        cat.errors[0].message.contains("manifest.json")
            && cat.errors[0].message.contains("truncated"),
        "{}",
        cat.errors[0]
    );

    // The same members with manifest.json and the config first, cut inside the last layer:
    // the first two layers are catalogued, the last is reported.
    let x = dir.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    run(std::process::Command::new("tar")
        .arg("-C")
        .arg(&x)
        .arg("-xf")
        .arg(&archive));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(x.join("manifest.json")).unwrap()).unwrap();
    let mut members = vec![
        "manifest.json".to_string(),
        m[0]["Config"].as_str().unwrap().to_string(),
    ];
    members.extend(
        m[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string()),
    );
    let first = dir.path().join("manifest-first.tar");
    run(std::process::Command::new("tar")
        .arg("-C")
        .arg(&x)
        .arg("-cf")
        .arg(&first)
        .args(&members));
    // Where the last layer's bytes are in the tarball.
    let (last_at, last_len) = {
        let mut ar = tar::Archive::new(std::fs::File::open(&first).unwrap());
        let e = ar
            .entries_with_seek()
            .unwrap()
            .map(|e| e.unwrap())
            .last()
            .unwrap();
        (e.raw_file_position() as usize, e.size() as usize)
    };
    let bytes = std::fs::read(&first).unwrap();
    let whole = scan_named(SourceSpec::Archive(first.clone()), None, NAMES);
    assert!(whole.errors.is_empty(), "{:?}", whole.errors);
    assert_eq!(presented(&whole), want);
    assert_eq!(presented_by(&whole, "named"), want_named);
    std::fs::write(&first, &bytes[..last_at + last_len / 2]).unwrap();
    let cat = scan_named(SourceSpec::Archive(first.clone()), None, NAMES);
    assert_eq!(cat.errors.len(), 1, "{:?}", cat.errors);
    assert_eq!(
        cat.errors[0].layer.as_deref(),
        Some(whole.image.layers[2].digest.as_str())
    );
    assert!(
        cat.errors[0].message.contains("truncated"),
        "{}",
        cat.errors[0]
    );
    assert!(
        cat.notes.iter().any(|n| n.message.contains("truncated")),
        "{:?}",
        cat.notes
    );
    let got = presented(&cat);
    assert!(got.contains_key("etc/shadow") && got.contains_key("usr/bin/tool-hardlink"));
    assert!(!got.contains_key("opt/app/lib/c.py"));
    // Without the last layer, usr/abs-tool is still the symlink to the tool (mode 755 then).
    assert_eq!(
        presented_by(&cat, "named")["usr/abs-tool"],
        want["usr/bin/tool"].replace(":700", ":755")
    );
}
