//! Go binaries: the build info the linker embeds (what `go version -m BINARY` prints).
//!
//! Reads executables (ELF, Mach-O, PE) as Go's own `debug/buildinfo` does: the first
//! 16-byte-aligned `\xff Go buildinf:` magic in the binary's writable data (the ELF writable
//! `PT_LOAD` segments, Mach-O `__go_buildinfo`, PE initialised writable sections), located from
//! the headers at the start of the file and reached by streaming forward: nothing but the
//! header prefix and one 64 KiB chunk is held, and a non-binary costs one small read. Go >= 1.18
//! writes the version and module strings inline after the 32-byte header, each prefixed by its
//! varint length; older binaries hold pointers into read-only data that precedes the header in
//! the file, which a forward-only reader cannot reach: they get a note, not packages.
//!
//! Packages (ecosystem `Go`): the toolchain as `stdlib`, versioned as OSV's Go data spells it
//! (`go1.19.8` → `1.19.8`, `go1.21rc2` → `1.21.0-rc.2`); the main module (`mod`, often
//! `(devel)`); every `dep` at its version. A `=>` replacement by another module is what was built,
//! so the replacement's path and version are reported; a replacement by a local directory keeps
//! the required module's path with the directory's version (`(devel)`).

use super::exec::{self, Forward, Range};
use crate::{Evidence, FileRef, Location, Package};
use std::io::{self, Read};

/// Binaries larger than this are not read (a Go binary of a few hundred MB exists; 1 GiB does not).
pub const MAX_SIZE: u64 = 1 << 30;
/// Bounds on the two strings after the header (hostile varints): Go's version is a few bytes,
/// the module list about 100 bytes per dependency.
const MAX_VERSION: u64 = 1024;
const MAX_MODINFO: u64 = 8 << 20;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const ALIGN: u64 = 16;
const CHUNK: usize = 64 * 1024;

/// The Go build info cataloger.
#[derive(Debug, Default, Clone, Copy)]
pub struct GoCataloger;

impl crate::Cataloger for GoCataloger {
    fn name(&self) -> &'static str {
        "go"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        file.mode & 0o111 != 0 && file.size >= HEADER as u64 && file.size <= MAX_SIZE
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let info = match build_info(content).map_err(|e| format!("reading Go build info: {e}"))? {
            Found::No => return Ok(Vec::new()),
            Found::PointerFormat => {
                return Ok(vec![Evidence::Note(
                    "Go binary built before Go 1.18: its build info (pointer format) is not read"
                        .to_string(),
                )])
            }
            Found::Yes(info) => info,
        };
        Ok(packages(&info, file)
            .into_iter()
            .map(Evidence::Package)
            .collect())
    }
}

/// The two strings of a Go >= 1.18 build info: `go1.19.8` and the module list (framing removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub go_version: String,
    pub modinfo: String,
}

enum Found {
    No,
    PointerFormat,
    Yes(BuildInfo),
}

/// Find and read the build info of the binary streamed by `content`.
fn build_info(content: &mut dyn Read) -> io::Result<Found> {
    let prefix = exec::read_prefix(content)?;
    let Some(ranges) = exec::data_ranges(&prefix, b"__go_buildinfo") else {
        return Ok(Found::No);
    };
    let mut file = Forward::new(&prefix, content);
    for range in ranges {
        if let Some(found) = scan(&mut file, range)? {
            return Ok(found);
        }
    }
    Ok(Found::No)
}

/// Scan one range for the magic at 16-byte-aligned addresses. Chunks start aligned and are a
/// multiple of 16 long, so an aligned 14-byte magic never straddles two chunks.
fn scan(file: &mut Forward<'_>, range: Range) -> io::Result<Option<Found>> {
    let misalign = (ALIGN - range.addr % ALIGN) % ALIGN;
    let start = range.offset.saturating_add(misalign);
    let end = range.offset.saturating_add(range.size);
    if start >= end || !file.skip_to(start)? {
        return Ok(None);
    }
    let mut chunk = vec![0u8; CHUNK];
    while file.pos() < end {
        let want = (end - file.pos()).min(CHUNK as u64) as usize;
        let n = exec::read_full(file, &mut chunk[..want])?;
        let hit = memchr::memmem::find_iter(&chunk[..n], MAGIC)
            .find(|i| (*i as u64).is_multiple_of(ALIGN));
        if let Some(i) = hit {
            let mut at = (&chunk[i..n]).chain(&mut *file);
            return parse(&mut at).map(Some);
        }
        if n < want {
            break; // end of file
        }
    }
    Ok(None)
}

/// Parse the build info that starts with the magic.
fn parse(r: &mut dyn Read) -> io::Result<Found> {
    let mut header = [0u8; HEADER];
    r.read_exact(&mut header).map_err(truncated)?;
    // header[14] is the pointer size, header[15] the flags: bit 1 says the strings are inline.
    if header[15] & 2 == 0 {
        return Ok(Found::PointerFormat);
    }
    let go_version = utf8(read_bytes(r, MAX_VERSION)?)?;
    let modinfo = utf8(unframe(&read_bytes(r, MAX_MODINFO)?).to_vec())?;
    Ok(Found::Yes(BuildInfo {
        go_version,
        modinfo,
    }))
}

/// The module list is framed by two 16-byte sentinels; Go's reader drops them when the text
/// before the closing one ends with a newline, and ignores the list otherwise.
/// (The sentinels are binary: the text is UTF-8 only once they are gone.)
fn unframe(b: &[u8]) -> &[u8] {
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        &b[16..b.len() - 16]
    } else {
        &[]
    }
}

fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|_| invalid("a string that is not UTF-8".to_string()))
}

fn read_bytes(r: &mut dyn Read, max: u64) -> io::Result<Vec<u8>> {
    let len = read_uvarint(r)?;
    if len > max {
        return Err(invalid(format!("a string of {len} bytes (limit {max})")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    r.take(len).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < len {
        return Err(truncated(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(bytes)
}

/// Go's `binary.Uvarint`: 7 bits a byte, little end first, at most 10 bytes.
fn read_uvarint(r: &mut dyn Read) -> io::Result<u64> {
    let mut value = 0u64;
    for i in 0..10 {
        let mut byte = [0u8];
        r.read_exact(&mut byte).map_err(truncated)?;
        let b = byte[0];
        if i == 9 && b > 1 {
            break; // overflows 64 bits
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok(value);
        }
    }
    Err(invalid("a length that overflows 64 bits".to_string()))
}

fn truncated(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        invalid("the file ends inside it (truncated)".to_string())
    } else {
        e
    }
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// One module line of the module list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    /// The `=>` line after it: (path, version).
    pub replace: Option<(String, String)>,
}

/// The main module (`mod`) and the dependencies (`dep`) of a module list, as Go's
/// `debug.ParseBuildInfo` reads it: tab-separated lines, a `=>` line replacing the module line
/// before it. Malformed lines are skipped.
pub fn parse_modinfo(modinfo: &str) -> (Option<Module>, Vec<Module>) {
    let (mut main, mut deps) = (None, Vec::new());
    // Which module a `=>` line replaces: none, the main module, or the last dependency.
    let mut last: Option<bool> = None;
    for line in modinfo.split('\n') {
        let mut cols = line.split('\t');
        let (kind, path, version) = (cols.next(), cols.next(), cols.next().unwrap_or(""));
        let Some(path) = path.filter(|p| !p.is_empty()) else {
            continue;
        };
        let module = || Module {
            path: path.to_string(),
            version: version.to_string(),
            replace: None,
        };
        match kind {
            Some("mod") => {
                main = Some(module());
                last = Some(true);
            }
            Some("dep") => {
                deps.push(module());
                last = Some(false);
            }
            Some("=>") => {
                let target = match last.take() {
                    Some(true) => main.as_mut(),
                    Some(false) => deps.last_mut(),
                    None => None,
                };
                if let Some(m) = target {
                    m.replace = Some((path.to_string(), version.to_string()));
                }
            }
            _ => {}
        }
    }
    (main, deps)
}

impl Module {
    /// The path and version that were built: a module replacement's, or for a local directory
    /// replacement (`=> ../dir`) the required path with the directory's version.
    pub fn built(&self) -> (&str, &str) {
        match &self.replace {
            Some((path, version)) if is_local_path(path) => (&self.path, version),
            Some((path, version)) => (path, version),
            None => (&self.path, &self.version),
        }
    }
}

/// Go's rule (`modfile.IsDirectoryPath`): a replacement is a directory when it is a relative or
/// absolute file path.
fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.get(1..3) == Some(":\\")
}

/// The toolchain's version as OSV's Go data spells `stdlib` versions (`go1.19.8` → `1.19.8`);
/// `None` for a development toolchain (`devel go1.23-abc`).
pub fn stdlib_version(go_version: &str) -> Option<String> {
    let v = go_version.split_whitespace().next()?;
    let rest = v.strip_prefix("go")?;
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(kubeward_vulndb::ecosystem::Ecosystem::Go.normalize_version("stdlib", v))
}

/// The packages of a build info.
pub fn packages(info: &BuildInfo, file: &FileRef<'_>) -> Vec<Package> {
    let mut out = Vec::new();
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(package("stdlib", &v, file));
    }
    let (main, deps) = parse_modinfo(&info.modinfo);
    for m in main.iter().chain(&deps) {
        let (path, version) = m.built();
        out.push(package(path, version, file));
    }
    out
}

fn package(path: &str, version: &str, file: &FileRef<'_>) -> Package {
    Package {
        name: path.to_string(),
        version: version.to_string(),
        ecosystem: "Go".to_string(),
        purl: purl(path, version),
        source_name: None,
        source_version: None,
        license: None,
        found_by: "go".to_string(),
        location: Location {
            layer: file.layer.map(str::to_string),
            path: file.path.to_string(),
            line: None,
        },
    }
}

/// `pkg:golang/<namespace>/<name>@<version>`: the module path's last element is the name.
fn purl(path: &str, version: &str) -> String {
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    super::purl::purl("golang", namespace, name, version, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_lines_and_replacements() {
        let text = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
            dep\tgolang.org/x/text\tv0.3.7\th1:x=\n\
            dep\texample.com/b\tv0.4.0\n=>\texample.com/c\tv0.9.1\th1:y=\n\
            dep\texample.com/d\tv1.0.0\n=>\t../d\t(devel)\t\n\
            dep\tbroken\n=>\torphan\tv1\t\nbuild\t-compiler=gc\n";
        let (main, deps) = parse_modinfo(text);
        assert_eq!(main.unwrap().built(), ("example.com/app", "(devel)"));
        let built: Vec<_> = deps.iter().map(Module::built).collect();
        assert_eq!(
            built,
            [
                ("golang.org/x/text", "v0.3.7"),
                ("example.com/c", "v0.9.1"),
                ("example.com/d", "(devel)"),
                ("orphan", "v1"), // a `=>` right after a dep replaces it, as in Go
            ]
        );
    }

    #[test]
    fn stdlib_versions_as_osv_spells_them() {
        assert_eq!(stdlib_version("go1.19.8").as_deref(), Some("1.19.8"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.22.1 X:nocoverageredesign").as_deref(),
            Some("1.22.1")
        );
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
        assert_eq!(stdlib_version(""), None);
    }

    #[test]
    fn purls() {
        assert_eq!(purl("stdlib", "1.19.8"), "pkg:golang/stdlib@1.19.8");
        assert_eq!(
            purl("github.com/foo/bar", "v1.0.0+incompatible"),
            "pkg:golang/github.com/foo/bar@v1.0.0%2Bincompatible"
        );
    }

    #[test]
    fn pre_1_18_pointer_format_is_recognised() {
        // Go < 1.18: flags bit 1 clear, two pointers follow (not readable forward-only).
        let mut h = MAGIC.to_vec();
        h.extend([8, 0]);
        h.resize(HEADER, 0);
        assert!(matches!(parse(&mut &h[..]), Ok(Found::PointerFormat)));
    }

    #[test]
    fn hostile_varints_and_truncation_are_errors() {
        let mut h = MAGIC.to_vec();
        h.extend([8, 2]);
        h.resize(HEADER, 0);
        let mut huge = h.clone();
        huge.extend([0xff; 10]);
        assert!(parse(&mut &huge[..]).is_err());
        let mut big = h.clone();
        big.extend([0x80, 0x80, 0x80, 0x80, 0x01]); // 2^28 > MAX_VERSION
        assert!(parse(&mut &big[..]).is_err());
        let mut short = h.clone();
        short.extend([5, b'g', b'o']);
        assert!(parse(&mut &short[..]).is_err());
        assert!(parse(&mut &h[..10]).is_err());
    }
}
