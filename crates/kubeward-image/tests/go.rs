//! The Go cataloger against real Go binaries built here with Debian's `golang-go` (and `gcc` for
//! an externally linked one), compared with what `go version -m` prints for the same binary.
//! Dependencies come from a module proxy written by the test (`GOPROXY=file://...`: no network),
//! with one module replaced by another module and one by a local directory.

use kubeward_image::catalog::go::GoCataloger;
use kubeward_image::{Cataloger, Evidence, FileRef, Package};
mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn go() -> &'static str {
    let ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the Go tests need Debian's golang-go (`apt-get install golang-go`; .ci/run installs it)"
    );
    "go"
}

/// A module in the test's proxy: `<proxy>/<path>/@v/{list,<v>.info,<v>.mod,<v>.zip}`.
fn proxy_module(proxy: &Path, path: &str, version: &str, package: &str) {
    let dir = proxy.join(path).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let gomod = format!("module {path}\n\ngo 1.19\n");
    std::fs::write(dir.join("list"), format!("{version}\n")).unwrap();
    std::fs::write(dir.join(format!("{version}.mod")), &gomod).unwrap();
    std::fs::write(
        dir.join(format!("{version}.info")),
        format!("{{\"Version\":\"{version}\"}}"),
    )
    .unwrap();
    let zip_file = std::fs::File::create(dir.join(format!("{version}.zip"))).unwrap();
    let mut zip = zip::ZipWriter::new(zip_file);
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file(format!("{path}@{version}/go.mod"), opts)
        .unwrap();
    zip.write_all(gomod.as_bytes()).unwrap();
    zip.start_file(format!("{path}@{version}/{package}.go"), opts)
        .unwrap();
    let src = format!("package {package}\n\nfunc Name() string {{ return \"{package}\" }}\n");
    zip.write_all(src.as_bytes()).unwrap();
    zip.finish().unwrap();
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// The app module: requires alpha (from the proxy), beta (replaced by the module gamma) and
/// delta (replaced by a local directory).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let proxy = root.join("proxy");
    proxy_module(&proxy, "example.com/alpha", "v1.2.3", "alpha");
    proxy_module(&proxy, "example.com/gamma", "v0.9.1", "beta");
    std::fs::create_dir_all(root.join("delta")).unwrap();
    std::fs::write(
        root.join("delta/go.mod"),
        "module example.com/delta\n\ngo 1.19\n",
    )
    .unwrap();
    std::fs::write(
        root.join("delta/delta.go"),
        "package delta\n\nfunc Name() string { return \"delta\" }\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::write(
        root.join("app/go.mod"),
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/alpha v1.2.3\n\
         \texample.com/beta v0.4.0\n\texample.com/delta v1.0.0\n)\n\n\
         replace example.com/beta => example.com/gamma v0.9.1\n\n\
         replace example.com/delta => ../delta\n",
    )
    .unwrap();
    std::fs::write(
        root.join("app/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/alpha\"\n\t\"example.com/beta\"\n\
         \t\"example.com/delta\"\n)\n\nfunc main() { fmt.Println(alpha.Name(), beta.Name(), delta.Name()) }\n",
    )
    .unwrap();
    Fixture { _dir: dir, root }
}

impl Fixture {
    /// `go build` with extra environment and flags; returns the binary's path.
    fn build(&self, out: &str, env: &[(&str, &str)], flags: &[&str]) -> PathBuf {
        let bin = self.root.join("bin").join(out);
        let proxy = format!("file://{}", self.root.join("proxy").display());
        let status = Command::new(go())
            .current_dir(self.root.join("app"))
            .env("GOPROXY", proxy)
            .env("GOFLAGS", "-mod=mod -modcacherw")
            .env("GOSUMDB", "off")
            .env("GOMODCACHE", self.root.join("modcache"))
            .env("GOTOOLCHAIN", "local")
            .envs(env.iter().copied())
            .arg("build")
            .args(flags)
            .arg("-o")
            .arg(&bin)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success(), "go build {flags:?} {env:?} failed");
        bin
    }
}

/// The (name, version) pairs `go version -m` prints, with the rules the cataloger documents:
/// the toolchain `goX.Y.Z` as `stdlib` `X.Y.Z`, a module replacement's path and version, a
/// directory replacement's version under the required path.
fn truth(bin: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(go())
        .arg("version")
        .arg("-m")
        .arg(bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "go version -m {}", bin.display());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    let toolchain = first.rsplit(": ").next().unwrap();
    let mut set = BTreeSet::new();
    set.insert((
        "stdlib".to_string(),
        toolchain.strip_prefix("go").unwrap().to_string(),
    ));
    let mut pending: Option<(String, String)> = None;
    for line in lines {
        let cols: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        match cols[0] {
            "mod" | "dep" => {
                set.extend(pending.take());
                pending = Some((cols[1].to_string(), cols[2].to_string()));
            }
            "=>" => {
                let (path, _) = pending.take().unwrap();
                let local = cols[1].starts_with('.') || cols[1].starts_with('/');
                let name = if local { path } else { cols[1].to_string() };
                set.insert((name, cols[2].to_string()));
            }
            _ => set.extend(pending.take()),
        }
    }
    set.extend(pending);
    set
}

fn file_ref(path: &Path) -> (String, u64, u32) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).unwrap();
    (
        path.display().to_string(),
        meta.len(),
        meta.permissions().mode(),
    )
}

fn catalog(path: &Path) -> Result<Vec<Evidence>, String> {
    let (p, size, mode) = file_ref(path);
    let file = FileRef {
        path: p.trim_start_matches('/'),
        layer: Some("sha256:abc"),
        size,
        mode,
    };
    let mut f = std::fs::File::open(path).unwrap();
    GoCataloger.read(&file, &mut f)
}

fn packages(path: &Path) -> Vec<Package> {
    common::only_packages(catalog(path).unwrap())
}

fn pairs(pkgs: &[Package]) -> BTreeSet<(String, String)> {
    pkgs.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn real_go_binaries_match_go_version_m() {
    let fx = fixture();
    let builds = [
        fx.build("app", &[], &[]),
        fx.build("app-stripped", &[], &["-ldflags=-s -w"]),
        fx.build(
            "app-external",
            &[("CGO_ENABLED", "1")],
            &["-ldflags=-linkmode=external"],
        ),
        fx.build("app-386", &[("GOARCH", "386"), ("CGO_ENABLED", "0")], &[]),
        fx.build("app.exe", &[("GOOS", "windows"), ("CGO_ENABLED", "0")], &[]),
        fx.build(
            "app-darwin",
            &[("GOOS", "darwin"), ("CGO_ENABLED", "0")],
            &[],
        ),
    ];
    for bin in &builds {
        let want = truth(bin);
        let (p, size, mode) = file_ref(bin);
        assert!(GoCataloger.wants(&FileRef {
            path: &p,
            layer: None,
            size,
            mode
        }));
        let pkgs = packages(bin);
        assert_eq!(pairs(&pkgs), want, "{}", bin.display());
        assert_eq!(pkgs.len(), want.len(), "no duplicates: {}", bin.display());
        // The fixture's modules, spelled out, so that a wrong reading of `go version -m` in this
        // test cannot hide a wrong cataloger.
        for (name, version) in [
            ("example.com/app", "(devel)"),
            ("example.com/alpha", "v1.2.3"),
            ("example.com/gamma", "v0.9.1"),
            ("example.com/delta", "(devel)"),
        ] {
            assert!(
                want.contains(&(name.to_string(), version.to_string())),
                "{name}"
            );
        }
        for p in &pkgs {
            assert_eq!(p.ecosystem, "Go");
            assert_eq!(p.found_by, "go");
            assert_eq!(p.location.layer.as_deref(), Some("sha256:abc"));
            assert_eq!(
                p.location.path,
                bin.display().to_string().trim_start_matches('/')
            );
        }
        let purls: BTreeSet<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert!(
            purls.contains("pkg:golang/example.com/alpha@v1.2.3"),
            "{purls:?}"
        );
        assert!(
            purls.iter().any(|p| p.starts_with("pkg:golang/stdlib@1.")),
            "{purls:?}"
        );
    }
}

#[test]
fn non_go_truncated_and_random_files_never_panic() {
    let fx = fixture();
    let bin = fx.build("app", &[], &[]);
    let bytes = std::fs::read(&bin).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };
    // A non-Go ELF: no packages, no error.
    let ls = std::fs::read("/bin/ls").unwrap();
    assert_eq!(catalog(&write("ls", &ls)).unwrap(), vec![]);
    // A script.
    assert_eq!(
        catalog(&write(
            "script",
            b"#!/bin/sh\necho this is a shell script, not a binary\n"
        ))
        .unwrap(),
        vec![]
    );
    // Random bytes, and random bytes behind an ELF header.
    let random = common::random_bytes(1 << 20, 0x2545_f491_4f6c_dd1d);
    assert_eq!(catalog(&write("random", &random)).unwrap(), vec![]);
    let mut elf_random = bytes[..64].to_vec();
    elf_random.extend(&random);
    let _ = catalog(&write("elf-random", &elf_random));
    // Truncated before the build info: nothing found.
    let magic = bytes
        .windows(14)
        .position(|w| w == b"\xff Go buildinf:")
        .unwrap();
    assert_eq!(
        catalog(&write("cut-before", &bytes[..magic])).unwrap(),
        vec![]
    );
    // Truncated inside it: an error that says so and does not quote the file.
    for cut in [magic + 20, magic + 40, magic + 200] {
        let err = catalog(&write("cut-inside", &bytes[..cut])).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        assert!(!err.contains("example.com"), "{err}");
    }
    // Every prefix length around the headers and the build info: never a panic.
    for cut in (0..4096).step_by(61).chain((magic..magic + 600).step_by(7)) {
        let _ = catalog(&write("cut", &bytes[..cut.min(bytes.len())]));
    }
    // A hostile length right after the header.
    let mut hostile = bytes[..magic + 32].to_vec();
    hostile.extend([0xff; 10]);
    assert!(catalog(&write("hostile", &hostile)).is_err());
}

#[test]
fn non_executables_are_not_wanted() {
    let file = FileRef {
        path: "usr/share/doc/x",
        layer: None,
        size: 1000,
        mode: 0o644,
    };
    assert!(!GoCataloger.wants(&file));
    let big = FileRef {
        mode: 0o755,
        size: 2 << 30,
        ..file
    };
    assert!(!GoCataloger.wants(&big));
}

/// The shared OSV exports (`../shared` beside the repository; `KUBEWARD_SHARED` overrides).
fn go_export() -> PathBuf {
    let shared = std::env::var_os("KUBEWARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let zip = shared.join("vulndata/osv/Go/all.zip");
    assert!(
        zip.exists(),
        "the Go OSV export is missing: {} (the shared data beside the repository)",
        zip.display()
    );
    zip
}

/// The IDs of the export's non-withdrawn records whose `stdlib` SEMVER ranges or `versions`
/// contain `version`, read with serde_json and ordered with the `semver` crate: OSV's rules
/// written independently of kubeward's matcher.
fn stdlib_records_affecting(export: &Path, version: &str) -> BTreeSet<String> {
    use serde_json::Value;
    let v = semver::Version::parse(version).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(export).unwrap()).unwrap();
    let mut ids = BTreeSet::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        let record: Value = serde_json::from_str(&text).unwrap();
        if record.get("withdrawn").is_some() {
            continue;
        }
        let affected = record["affected"].as_array().into_iter().flatten();
        let hit = affected
            .filter(|a| a["package"]["ecosystem"] == "Go" && a["package"]["name"] == "stdlib")
            .any(|a| {
                let listed = a["versions"].as_array().into_iter().flatten();
                let in_list = listed.clone().any(|x| x.as_str() == Some(version));
                let ranges = a["ranges"].as_array().into_iter().flatten();
                in_list
                    || ranges.filter(|r| r["type"] == "SEMVER").any(|r| {
                        let mut events: Vec<(String, semver::Version)> = r["events"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter_map(|e| {
                                let (kind, val) = e.as_object()?.iter().next()?;
                                let val = val.as_str()?;
                                let parsed = if val == "0" {
                                    semver::Version::new(0, 0, 0)
                                } else {
                                    semver::Version::parse(val).ok()?
                                };
                                Some((kind.clone(), parsed))
                            })
                            .collect();
                        events.sort_by(|a, b| a.1.cmp(&b.1));
                        let mut inside = false;
                        for (kind, at) in events {
                            match kind.as_str() {
                                "introduced" if at <= v => inside = true,
                                "fixed" if at <= v => inside = false,
                                "last_affected" if at < v => inside = false,
                                _ => {}
                            }
                        }
                        inside
                    })
            });
        if hit {
            ids.insert(record["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn the_toolchains_stdlib_matches_the_go_vulnerability_data() {
    use kubeward_vulndb::matching::PackageQuery;
    use kubeward_vulndb::store::{import, Database};
    let fx = fixture();
    let bin = fx.build("app", &[], &[]);
    let stdlib = packages(&bin)
        .into_iter()
        .find(|p| p.name == "stdlib")
        .unwrap();
    // Debian 12's toolchain is Go 1.19.8: spelled as OSV's Go data spells stdlib versions.
    assert!(stdlib.version.starts_with("1.19."), "{}", stdlib.version);
    assert_eq!(stdlib.purl, format!("pkg:golang/stdlib@{}", stdlib.version));
    let export = go_export();
    let store = tempfile::tempdir().unwrap();
    import(store.path(), std::slice::from_ref(&export)).unwrap();
    let db = Database::open(store.path()).unwrap();
    let q = PackageQuery::new(&stdlib.ecosystem, &stdlib.name, &stdlib.version);
    let found: BTreeSet<String> = db
        .query(&q)
        .unwrap()
        .iter()
        .flat_map(|f| f.records.iter().map(|r| r.to_string()))
        .collect();
    let expected = stdlib_records_affecting(&export, &stdlib.version);
    // Go 1.19 went out of support with known, fixed vulnerabilities: many records name it.
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(found, expected);
    if stdlib.version == "1.19.8" {
        // html/template, CVE-2023-24539: fixed in 1.19.9.
        assert!(found.contains("GO-2023-1751"), "{found:?}");
    }
}
