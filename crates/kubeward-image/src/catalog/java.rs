//! Java archives (`*.jar`, `*.war`, `*.ear`): the Maven coordinates they carry.
//!
//! A zip's central directory is at its end, so the whole archive is needed: it is spooled in
//! memory up to 16 MiB, else to an anonymous temp file, up to [`MAX_SIZE`], and read with the
//! `zip` crate. In each archive:
//! * every `META-INF/maven/<g>/<a>/pom.properties` (what Maven writes: `groupId`, `artifactId`,
//!   `version`) is a package `<groupId>:<artifactId>` (ecosystem `Maven`, as OSV names Maven
//!   packages), purl `pkg:maven/<g>/<a>@<v>`, with the licences of the `pom.xml` beside it
//!   (`<licenses><license><name>`/`<url>`, as an SPDX expression, alternatives joined by `OR` as
//!   Maven's POM reference reads a list of licences);
//! * with no `pom.properties`, `META-INF/MANIFEST.MF` gives a weaker guess: `Bundle-SymbolicName`
//!   or `Implementation-Title`, `Bundle-Version` or `Implementation-Version`;
//! * nested archives (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, an ear's modules) are read the
//!   same way, up to [`MAX_DEPTH`] levels.
//!
//! Zip bombs: every entry is read through a bound (1 MiB for text, 256 MiB for a nested
//! archive), and all that one file inflates, nested archives included, is bounded by 1 GiB;
//! past it the walk stops with a note. Packages are located at the outer file.

use crate::{Evidence, FileRef, Location, Package};
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

/// Archives larger than this are not read.
pub const MAX_SIZE: u64 = 512 << 20;
/// Archive levels read: the file itself and two levels of nested archives.
pub const MAX_DEPTH: u32 = 3;
const MEMORY_SPOOL: u64 = 16 << 20;
const MAX_NESTED: u64 = 256 << 20;
const MAX_INFLATED: u64 = 1 << 30;
const MAX_TEXT: u64 = 1 << 20;
/// The zip crate holds each open archive's central directory in memory (a few hundred bytes
/// per entry), and nested archives stay open under their parent: one budget of entries for a
/// file and everything nested in it bounds that memory (about 100 MB). Checked against the
/// count the archive declares before the zip crate parses its directory. Real archives are far
/// below it (a Spring Boot fat jar: some thousands of entries, its nested jars included).
const MAX_ENTRIES: u64 = 200_000;

/// The Java archive cataloger.
#[derive(Debug, Default, Clone, Copy)]
pub struct JavaCataloger;

impl crate::Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        "java"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        is_archive_name(file.path) && file.size <= MAX_SIZE
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        read_archive(file, content, MAX_ENTRIES)
    }
}

/// One file's archive and those nested in it, with `entries` central-directory entries to read.
fn read_archive(
    file: &FileRef<'_>,
    content: &mut dyn Read,
    entries: u64,
) -> Result<Vec<Evidence>, String> {
    let spooled = spool(content, MAX_SIZE).map_err(|e| format!("reading the archive: {e}"))?;
    let mut walk = Walk {
        file,
        budget: MAX_INFLATED,
        entries,
        out: Vec::new(),
    };
    walk.archive(spooled, 0)?;
    Ok(walk.out)
}

fn is_archive_name(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".jar", ".war", ".ear"].iter().any(|x| lower.ends_with(x))
}

/// An archive's bytes, seekable: in memory when small, else in an anonymous temp file.
enum Spool {
    Memory(Cursor<Vec<u8>>),
    File(std::fs::File),
}

impl Read for Spool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Spool::Memory(c) => c.read(buf),
            Spool::File(f) => f.read(buf),
        }
    }
}

impl Seek for Spool {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Spool::Memory(c) => c.seek(pos),
            Spool::File(f) => f.seek(pos),
        }
    }
}

/// Spool `r` (at most `max` bytes, else an error).
fn spool(r: &mut dyn Read, max: u64) -> io::Result<Spool> {
    let mut mem = Vec::new();
    r.take(MEMORY_SPOOL.min(max + 1)).read_to_end(&mut mem)?;
    let too_large = || io::Error::other(format!("larger than {} MiB", max >> 20));
    if (mem.len() as u64) < MEMORY_SPOOL {
        return if mem.len() as u64 > max {
            Err(too_large())
        } else {
            Ok(Spool::Memory(Cursor::new(mem)))
        };
    }
    let mut f = tempfile::tempfile()?;
    f.write_all(&mem)?;
    let copied = io::copy(&mut r.take(max + 1 - mem.len() as u64), &mut f)?;
    if mem.len() as u64 + copied > max {
        return Err(too_large());
    }
    f.seek(SeekFrom::Start(0))?;
    Ok(Spool::File(f))
}

/// One file's walk through its archive and the archives nested in it.
struct Walk<'a, 'f> {
    file: &'a FileRef<'f>,
    /// What may still be inflated.
    budget: u64,
    /// Central-directory entries that may still be parsed ([`MAX_ENTRIES`]).
    entries: u64,
    out: Vec<Evidence>,
}

/// What the names of one archive's entries say.
#[derive(Default)]
struct Entries {
    /// (index, group directory, artifact directory) of each `pom.properties` and `pom.xml`.
    properties: Vec<(usize, String, String)>,
    poms: Vec<(usize, String, String)>,
    manifest: Option<usize>,
    nested: Vec<(usize, String)>,
}

impl Walk<'_, '_> {
    fn archive(&mut self, mut reader: Spool, depth: u32) -> Result<(), String> {
        let declared = declared_entries(&mut reader)
            .map_err(|e| format!("reading the archive: {e}"))?
            .ok_or("not a readable zip archive (no end of central directory record)")?;
        if declared > self.entries {
            return Err(format!(
                "{declared} entries declared, more than the {} left of the {MAX_ENTRIES} read per file",
                self.entries
            ));
        }
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| format!("not a readable zip archive ({e})"))?;
        let n = zip.len() as u64;
        if n > self.entries {
            return Err(format!(
                "{n} entries, more than the {} left of the {MAX_ENTRIES} read per file",
                self.entries
            ));
        }
        self.entries -= n.max(declared);
        let entries = classify(&zip, depth);
        let mut found = false;
        for (i, g, a) in &entries.properties {
            let Some(text) = self.text(&mut zip, *i) else {
                continue;
            };
            let props = properties(&text);
            let get = |k: &str| {
                props
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            let group = get("groupId").unwrap_or(g);
            let artifact = get("artifactId").unwrap_or(a);
            let Some(version) = get("version").filter(|v| !v.is_empty()) else {
                continue;
            };
            let pom = entries.poms.iter().find(|(_, pg, pa)| pg == g && pa == a);
            let license = match pom {
                Some((j, _, _)) => self.text(&mut zip, *j).and_then(|x| pom_license(&x)),
                None => None,
            };
            let name = format!("{group}:{artifact}");
            let purl = super::purl::purl("maven", Some(group), artifact, version, &[]);
            self.push(name, version, purl, license);
            found = true;
        }
        if !found {
            if let Some(i) = entries.manifest {
                if let Some((name, version)) = self.text(&mut zip, i).and_then(|t| manifest(&t)) {
                    let purl = super::purl::purl("maven", None, &name, &version, &[]);
                    self.push(name, &version, purl, None);
                }
            }
        }
        for (i, name) in &entries.nested {
            if let Err(e) = self.nested(&mut zip, *i, depth) {
                self.out.push(Evidence::Note(format!(
                    "nested archive {name:?} not read: {e}"
                )));
            }
            if self.budget == 0 {
                self.out.push(Evidence::Note(format!(
                    "stopped reading: the archive inflates to more than {} MiB",
                    MAX_INFLATED >> 20
                )));
                break;
            }
        }
        Ok(())
    }

    fn nested(
        &mut self,
        zip: &mut zip::ZipArchive<Spool>,
        i: usize,
        depth: u32,
    ) -> Result<(), String> {
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
        let limit = MAX_NESTED.min(self.budget);
        let mut counted = Counted(&mut entry, 0);
        let spooled = spool(&mut counted, limit);
        self.budget -= counted.1.min(self.budget);
        self.archive(spooled.map_err(|e| e.to_string())?, depth + 1)
    }

    /// A small text entry, bounded; `None` if unreadable or too large.
    fn text(&mut self, zip: &mut zip::ZipArchive<Spool>, i: usize) -> Option<String> {
        let entry = zip.by_index(i).ok()?;
        let mut bytes = Vec::new();
        let read = entry
            .take(MAX_TEXT.min(self.budget) + 1)
            .read_to_end(&mut bytes);
        self.budget -= (bytes.len() as u64).min(self.budget);
        if read.is_err() || bytes.len() as u64 > MAX_TEXT {
            return None;
        }
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn push(&mut self, name: String, version: &str, purl: String, license: Option<String>) {
        self.out.push(Evidence::Package(Package {
            name,
            version: version.to_string(),
            ecosystem: "Maven".to_string(),
            purl,
            source_name: None,
            source_version: None,
            license,
            found_by: "java".to_string(),
            location: Location {
                layer: self.file.layer.map(str::to_string),
                path: self.file.path.to_string(),
                line: None,
            },
        }));
    }
}

/// A reader that counts what it reads (what a nested archive inflated to).
struct Counted<'r>(&'r mut dyn Read, u64);

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
}

fn classify(zip: &zip::ZipArchive<Spool>, depth: u32) -> Entries {
    let mut e = Entries::default();
    for i in 0..zip.len() {
        let Some(Ok(name)) = zip.name_for_index(i) else {
            continue;
        };
        if let Some(rest) = name.strip_prefix("META-INF/maven/") {
            let parts: Vec<&str> = rest.split('/').collect();
            if let [g, a, leaf] = parts[..] {
                let item = (i, g.to_string(), a.to_string());
                match leaf {
                    "pom.properties" => e.properties.push(item),
                    "pom.xml" => e.poms.push(item),
                    _ => {}
                }
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            e.manifest = Some(i);
        } else if depth + 1 < MAX_DEPTH && is_archive_name(&name) {
            e.nested.push((i, name.into_owned()));
        }
    }
    e
}

/// The number of entries an archive's end of central directory record declares (the zip64
/// record's when the classic one says 0xFFFF), `None` when there is no such record. Read by
/// hand because the zip crate parses (and allocates for) the whole directory before it says
/// how many entries there are. As the zip crate does, the record is the last `PK\x05\x06`
/// in the final 64 KiB + 22 bytes (the largest comment and the record).
fn declared_entries<R: Read + Seek>(r: &mut R) -> io::Result<Option<u64>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = r.seek(SeekFrom::End(0))?;
    let tail_len = len.min(65_535 + 22);
    let start = len - tail_len;
    r.seek(SeekFrom::Start(start))?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail)?;
    r.seek(SeekFrom::Start(0))?;
    let Some(at) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| &tail[i..i + 4] == EOCD)
    else {
        return Ok(None);
    };
    let total = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    if total != 0xFFFF {
        return Ok(Some(u64::from(total)));
    }
    // Zip64: the locator is the 20 bytes before the classic record; it gives the offset of the
    // zip64 end of central directory record, whose entry count is at byte 32.
    let locator = start + at as u64;
    if locator < 20 {
        return Ok(Some(u64::from(total)));
    }
    let mut loc = [0u8; 20];
    r.seek(SeekFrom::Start(locator - 20))?;
    r.read_exact(&mut loc)?;
    if &loc[..4] != b"PK\x06\x07" {
        r.seek(SeekFrom::Start(0))?;
        return Ok(Some(u64::from(total)));
    }
    let mut off = [0u8; 8];
    off.copy_from_slice(&loc[8..16]);
    let record = u64::from_le_bytes(off);
    let mut rec = [0u8; 40];
    let read = r
        .seek(SeekFrom::Start(record))
        .and_then(|_| r.read_exact(&mut rec));
    r.seek(SeekFrom::Start(0))?;
    if read.is_err() || &rec[..4] != b"PK\x06\x06" {
        return Ok(Some(u64::from(total)));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&rec[32..40]);
    Ok(Some(u64::from_le_bytes(n)))
}

/// `pom.properties` (Java properties as Maven writes them: `key=value` lines, `#` comments).
/// Written by hand: the format is a few lines, and full Java escapes are not used by Maven
/// beyond `\:`, `\=` and `\\`, which are undone here.
pub fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let split = l.find(['=', ':'])?;
            let unescape = |s: &str| {
                s.trim()
                    .replace("\\:", ":")
                    .replace("\\=", "=")
                    .replace("\\\\", "\\")
            };
            Some((unescape(&l[..split]), unescape(&l[split + 1..])))
        })
        .collect()
}

/// The main section of a JAR manifest: `Name: value` lines, a line starting with one space
/// continuing the one before (72-byte lines). Written by hand: no maintained crate reads
/// manifests, and the format is these two rules. Returns (name, version) when both are there.
pub fn manifest(text: &str) -> Option<(String, String)> {
    let mut attrs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some(last) = attrs.last_mut() {
                last.1.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            attrs.push((k.trim().to_string(), v.trim_start().to_string()));
        }
    }
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let symbolic =
        get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or("").trim().to_string());
    let name = symbolic
        .filter(|s| !s.is_empty())
        .or_else(|| get("Implementation-Title"))?;
    let version = get("Bundle-Version").or_else(|| get("Implementation-Version"))?;
    Some((name, version))
}

/// The licences of a `pom.xml` as one SPDX expression (alternatives joined by `OR`).
pub fn pom_license(xml: &str) -> Option<String> {
    // roxmltree refuses DTDs by default: no entity expansion.
    let doc = roxmltree::Document::parse(xml).ok()?;
    let project = doc.root_element();
    let licenses = project
        .children()
        .find(|n| n.tag_name().name() == "licenses")?;
    let child = |n: roxmltree::Node<'_, '_>, tag: &str| {
        n.children()
            .find(|c| c.tag_name().name() == tag)
            .and_then(|c| c.text())
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let mut ids: Vec<String> = Vec::new();
    for l in licenses
        .children()
        .filter(|n| n.tag_name().name() == "license")
    {
        let id = spdx_id(&child(l, "name"), &child(l, "url"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let expr = match ids.len() {
        0 => return None,
        1 => ids.remove(0),
        _ => ids
            .iter()
            .map(|i| {
                if i.contains(' ') {
                    format!("({i})")
                } else {
                    i.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" OR "),
    };
    spdx::Expression::parse(&expr).ok()?;
    Some(expr)
}

/// Lowercase letters and digits only: how licence names are compared.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The names and URLs Maven Central's POMs commonly give for licences that SPDX names
/// differently; anything else is matched against SPDX ids and full names, else becomes a
/// `LicenseRef-`.
const KNOWN: &[(&[&str], &str)] = &[
    (
        &[
            "apachelicenseversion20",
            "theapachesoftwarelicenseversion20",
            "apachesoftwarelicenseversion20",
            "apache20",
            "asl20",
            "apachelicensev20",
            "apachev2",
            "apachelicense2",
        ],
        "Apache-2.0",
    ),
    (&["mit", "themitlicense", "mitlicensemit"], "MIT"),
    (
        &[
            "newbsdlicense",
            "thebsd3clauselicense",
            "bsd3clauselicense",
            "revisedbsd",
            "bsd3clause",
        ],
        "BSD-3-Clause",
    ),
    (
        &["simplifiedbsdlicense", "thebsd2clauselicense", "bsd2clause"],
        "BSD-2-Clause",
    ),
    (
        &["eclipsepubliclicense10", "eclipsepubliclicensev10", "epl10"],
        "EPL-1.0",
    ),
    (
        &["eclipsepubliclicense20", "eclipsepubliclicensev20", "epl20"],
        "EPL-2.0",
    ),
    (
        &[
            "gnulessergeneralpubliclicensev21",
            "gnulessergeneralpubliclicenseversion21",
            "lgpl21",
        ],
        "LGPL-2.1-only",
    ),
    (
        &["cddl11", "commondevelopmentanddistributionlicensecddlv11"],
        "CDDL-1.1",
    ),
    (
        &[
            "gpl2wcpe",
            "gplv2withclasspathexception",
            "gnugeneralpubliclicenseversion2withtheclasspathexception",
        ],
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
];

const KNOWN_URLS: &[(&str, &str)] = &[
    ("apache.org/licenses/license-2.0", "Apache-2.0"),
    ("opensource.org/licenses/mit", "MIT"),
    ("opensource.org/licenses/bsd-3-clause", "BSD-3-Clause"),
    ("eclipse.org/legal/epl-2.0", "EPL-2.0"),
    ("eclipse.org/legal/epl-v20", "EPL-2.0"),
    ("eclipse.org/legal/epl-v10", "EPL-1.0"),
];

fn spdx_id(name: &str, url: &str) -> Option<String> {
    if let Some(id) = spdx::license_id(name) {
        return Some(id.name.to_string());
    }
    let squashed = squash(name);
    if let Some((_, id)) = KNOWN
        .iter()
        .find(|(names, _)| names.contains(&squashed.as_str()))
    {
        return Some(id.to_string());
    }
    let url = url.to_ascii_lowercase();
    if let Some((_, id)) = KNOWN_URLS.iter().find(|(u, _)| url.contains(u)) {
        return Some(id.to_string());
    }
    if !squashed.is_empty() {
        if let Some(l) = spdx::identifiers::LICENSES
            .iter()
            .find(|l| squash(l.full_name) == squashed)
        {
            return Some(l.name.to_string());
        }
    }
    // Unknown: keep it as a licence reference (SPDX allows letters, digits, `.` and `-`).
    let reference: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let reference = reference.trim_matches('-');
    (!reference.is_empty()).then(|| format!("LicenseRef-{reference}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_main_section_and_continuations() {
        let mf = "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.very.long.na\r\n me;singleton:=true\r\nBundle-Version: 2.1.0\r\n\r\nName: other\r\nBundle-Version: 9\r\n";
        assert_eq!(
            manifest(mf),
            Some((
                "org.example.very.long.name".to_string(),
                "2.1.0".to_string()
            ))
        );
        let mf = "Implementation-Title: demo\nImplementation-Version: 1.0\n";
        assert_eq!(manifest(mf), Some(("demo".to_string(), "1.0".to_string())));
        assert_eq!(manifest("Manifest-Version: 1.0\n"), None);
    }

    #[test]
    fn properties_as_maven_writes_them() {
        let p = properties(
            "#Created by Apache Maven 3.8.7\ngroupId=com.example\nartifactId=demo\nversion=1.2.3\n",
        );
        assert_eq!(p[0], ("groupId".to_string(), "com.example".to_string()));
        assert_eq!(p[2], ("version".to_string(), "1.2.3".to_string()));
    }

    #[test]
    fn pom_licences() {
        let pom = |l: &str| {
            format!("<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><licenses>{l}</licenses></project>")
        };
        let lic = |n: &str, u: &str| format!("<license><name>{n}</name><url>{u}</url></license>");
        assert_eq!(
            pom_license(&pom(&lic("The Apache Software License, Version 2.0", ""))).as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            pom_license(&pom(&lic(
                "Apache 2",
                "https://www.apache.org/licenses/LICENSE-2.0.txt"
            )))
            .as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(pom_license(&pom(&lic("MIT", ""))).as_deref(), Some("MIT"));
        assert_eq!(
            pom_license(&pom(&(lic("EPL 2.0", "") + &lic("GPL2 w/ CPE", "")))).as_deref(),
            Some("EPL-2.0 OR (GPL-2.0-only WITH Classpath-exception-2.0)")
        );
        assert_eq!(
            pom_license(&pom(&lic("Some Vendor Licence (c)", ""))).as_deref(),
            Some("LicenseRef-Some-Vendor-Licence--c")
        );
        assert_eq!(pom_license("<project/>"), None);
        assert_eq!(
            pom_license("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><project/>"),
            None
        );
    }

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const FILE: FileRef<'static> = FileRef {
        path: "app.jar",
        layer: None,
        size: 0,
        mode: 0o644,
    };

    #[test]
    fn declared_entries_classic_and_zip64_agree_with_the_zip_crate() {
        let small = jar(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        assert_eq!(declared_entries(&mut Cursor::new(&small)).unwrap(), Some(3));
        // More than 65,535 entries: the zip crate writes a zip64 record.
        let names: Vec<String> = (0..70_000).map(|i| format!("e{i}")).collect();
        let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let big = jar(&many);
        assert_eq!(
            declared_entries(&mut Cursor::new(&big)).unwrap(),
            Some(70_000)
        );
        assert_eq!(
            zip::ZipArchive::new(Cursor::new(&big)).unwrap().len(),
            70_000
        );
        assert_eq!(
            declared_entries(&mut Cursor::new(b"not a zip")).unwrap(),
            None
        );
        assert_eq!(declared_entries(&mut Cursor::new(b"")).unwrap(), None);
    }

    /// A 96-byte file whose zip64 record declares 2^40 entries: refused before the zip crate
    /// parses (and allocates for) a directory that size.
    #[test]
    fn a_huge_declared_count_is_refused_before_parsing() {
        let mut z = Vec::new();
        // Zip64 end of central directory record at 0.
        z.extend_from_slice(b"PK\x06\x06");
        z.extend_from_slice(&44u64.to_le_bytes()); // size of the rest
        z.extend_from_slice(&[45, 0, 45, 0]); // versions
        z.extend_from_slice(&[0; 8]); // disk numbers
        z.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries on this disk
        z.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries in total
        z.extend_from_slice(&[0; 16]); // directory size and offset
                                       // Locator, pointing at it.
        z.extend_from_slice(b"PK\x06\x07");
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(&0u64.to_le_bytes());
        z.extend_from_slice(&1u32.to_le_bytes());
        // Classic record: 0xFFFF entries, "see zip64".
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(&[0xFF; 4]);
        z.extend_from_slice(&[0xFF; 8]);
        z.extend_from_slice(&[0; 2]);
        assert_eq!(
            declared_entries(&mut Cursor::new(&z)).unwrap(),
            Some(1 << 40)
        );
        let err = read_archive(&FILE, &mut &z[..], MAX_ENTRIES).unwrap_err();
        assert!(err.contains("1099511627776 entries declared"), "{err}");
    }

    /// The entry budget spans a file and the archives nested in it.
    #[test]
    fn the_entry_budget_spans_nested_archives() {
        let props = b"groupId=org.example\nartifactId=inner\nversion=1.0\n";
        let inner = jar(&[
            ("META-INF/maven/org.example/inner/pom.properties", props),
            ("x1", b""),
            ("x2", b""),
            ("x3", b""),
            ("x4", b""),
        ]);
        let outer = jar(&[
            (
                "META-INF/maven/org.example/outer/pom.properties",
                b"groupId=org.example\nartifactId=outer\nversion=2.0\n",
            ),
            ("BOOT-INF/lib/inner.jar", &inner),
        ]);
        let names = |ev: &[Evidence]| -> Vec<String> {
            ev.iter()
                .filter_map(|e| match e {
                    Evidence::Package(p) => Some(p.name.clone()),
                    _ => None,
                })
                .collect()
        };
        // 7 entries: both read.
        let all = read_archive(&FILE, &mut &outer[..], 7).unwrap();
        assert_eq!(names(&all), ["org.example:outer", "org.example:inner"]);
        // 6: the outer one (2 entries) leaves 4, fewer than the nested archive's 5.
        let some = read_archive(&FILE, &mut &outer[..], 6).unwrap();
        assert_eq!(names(&some), ["org.example:outer"]);
        assert!(
            some.iter().any(|e| matches!(e, Evidence::Note(n)
                if n.contains("BOOT-INF/lib/inner.jar") && n.contains("5 entries declared"))),
            "{some:?}"
        );
    }

    #[test]
    fn spool_bounds() {
        assert!(spool(&mut &[0u8; 100][..], 99).is_err());
        assert!(matches!(
            spool(&mut &[0u8; 100][..], 100),
            Ok(Spool::Memory(_))
        ));
        let big = vec![1u8; (MEMORY_SPOOL + 10) as usize];
        let mut s = spool(&mut &big[..], MEMORY_SPOOL + 10).unwrap();
        assert!(matches!(s, Spool::File(_)));
        let mut back = Vec::new();
        s.read_to_end(&mut back).unwrap();
        assert_eq!(back, big);
        assert!(spool(&mut &big[..], MEMORY_SPOOL + 9).is_err());
    }
}
