//! The local store: OSV exports imported once, matched many times.
//!
//! Format: one file, `DIR/vulndb.bin`: the magic `KWVDB\x01`, the header length (u64 LE), the
//! header (the sources: name, path, record count, newest `modified`) and the body (every record's
//! reported fields, and an index of compiled `affected[]` entries sorted by ecosystem and
//! normalised package name), both postcard-encoded. Opening reads the file with one read and
//! decodes it; a lookup is a binary search. `status` reads only the header. An import writes
//! `vulndb.bin.tmp-PID` and renames it over the old file, so a failed or interrupted import
//! leaves the previous store whole.

use crate::ecosystem::{Ecosystem, UnsupportedEcosystem};
use crate::matching::{self, CompiledAffected, PackageQuery};
use crate::osv::{Record, RecordError, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 6] = b"KWVDB\x01";
const FILE: &str = "vulndb.bin";
/// The largest record accepted (the largest real OSV records are a few hundred kilobytes).
const MAX_RECORD_BYTES: u64 = 16 << 20;

/// One imported source, as `status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// The ecosystem directory of an OSV export (`Go` for `.../Go/all.zip`), or the directory's name.
    pub name: String,
    /// The path it was imported from.
    pub path: String,
    /// Records read (withdrawn ones included).
    pub records: usize,
    /// Records withdrawn (kept out of matching).
    pub withdrawn: usize,
    /// The newest `modified` time among its records (RFC 3339, as the record wrote it), if any;
    /// compare with [`parse_time`]. (The Go vulndb export writes `0001-01-01T00:00:00Z` in every
    /// record: use `imported_at` for the age of such data.)
    pub newest_modified: Option<String>,
    /// When it was imported, in seconds since the Unix epoch.
    pub imported_at: u64,
}

/// What an import did: the sources, the records it could not read, and the ecosystems it saw
/// but cannot match (with how many `affected[]` entries named each).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub sources: Vec<SourceStatus>,
    pub errors: Vec<RecordError>,
    pub unsupported_ecosystems: BTreeMap<String, usize>,
    /// For each unsupported ecosystem, the first records (their source, as in
    /// [`RecordError::source`]) that name it, at most [`UNSUPPORTED_NAMED`] per ecosystem.
    pub unsupported_records: BTreeMap<String, Vec<String>>,
}

/// How many records per unsupported ecosystem an import names.
pub const UNSUPPORTED_NAMED: usize = 10;

/// An error that stops an import or an open (a record-level error does not: see [`ImportReport`]).
#[derive(Debug)]
pub enum StoreError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Zip {
        path: PathBuf,
        message: String,
    },
    /// The store file is not one this version wrote, or is damaged.
    Format {
        path: PathBuf,
        message: String,
    },
    /// No store at this location: nothing imported yet.
    Missing {
        path: PathBuf,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StoreError::Zip { path, message } => {
                write!(f, "{}: not a readable zip: {message}", path.display())
            }
            StoreError::Format { path, message } => write!(
                f,
                "{}: not a kubeward vulnerability store: {message}",
                path.display()
            ),
            StoreError::Missing { path } => write!(
                f,
                "{}: no vulnerability data imported yet (run `kubeward db import`)",
                path.display()
            ),
        }
    }
}
impl std::error::Error for StoreError {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The fields of a record that findings report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Vuln {
    pub id: Text,
    pub aliases: Arc<[Text]>,
    pub modified: Text,
    pub published: Option<Text>,
    pub summary: Option<Text>,
    pub severity: Arc<Severity>,
    pub references: Arc<[Text]>,
    /// Records that share an ID or alias, directly or through others, share a group: they are
    /// one vulnerability.
    pub group: u32,
}

/// Shared text: findings point at the store's strings instead of copying them.
pub type Text = Arc<str>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    vuln: u32,
    affected: CompiledAffected,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Header {
    sources: Vec<SourceStatus>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Body {
    vulns: Vec<Vuln>,
    /// Sorted by (ecosystem, normalised name).
    entries: Vec<Entry>,
}

/// An RFC 3339 time (`T` or a space between date and time, optional fraction, `Z` or a `±HH:MM`
/// offset: real exports carry both `2024-10-09T12:05:48.156835Z` and
/// `2024-10-10 17:22:00.587279+00:00`) as UTC (seconds since the Unix epoch, nanoseconds).
pub fn parse_time(s: &str) -> Option<(i64, u32)> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = b.get(r)?;
        t.iter()
            .all(u8::is_ascii_digit)
            .then(|| t.iter().fold(0i64, |a, &c| a * 10 + (c - b'0') as i64))
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + (b[i] - b'0') as u32;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset, nanos))
}

/// Keep the later of two times, by their UTC instant (text that is not a time loses to one that is).
fn newer(a: Option<String>, b: &str) -> Option<String> {
    let tb = parse_time(b);
    match a {
        _ if b.trim().is_empty() => a,
        None => Some(b.to_string()),
        Some(a) => match (parse_time(&a), tb) {
            (Some(ta), Some(tb)) if tb > ta => Some(b.to_string()),
            (None, Some(_)) => Some(b.to_string()),
            (None, None) if b > a.as_str() => Some(b.to_string()),
            _ => Some(a),
        },
    }
}

struct Importer {
    body: Body,
    report: ImportReport,
}

impl Importer {
    fn add(&mut self, bytes: &[u8], source: &str, status: &mut SourceStatus) {
        let record = match Record::from_file_bytes(bytes, source) {
            Ok(r) => r,
            Err(e) => {
                self.report.errors.push(e);
                return;
            }
        };
        status.records += 1;
        status.newest_modified = newer(status.newest_modified.take(), &record.modified);
        if record.withdrawn.is_some() {
            status.withdrawn += 1;
            return;
        }
        let (compiled, unsupported) = matching::compile(&record);
        for u in unsupported {
            let named = self
                .report
                .unsupported_records
                .entry(u.0.clone())
                .or_default();
            if named.len() < UNSUPPORTED_NAMED && named.last().map(String::as_str) != Some(source) {
                named.push(source.to_string());
            }
            *self.report.unsupported_ecosystems.entry(u.0).or_default() += 1;
        }
        let idx = self.body.vulns.len() as u32;
        self.body.vulns.push(Vuln {
            severity: Arc::new(record.severity()),
            id: record.id.into(),
            aliases: record.aliases.into_iter().map(Text::from).collect(),
            modified: record.modified.into(),
            published: record.published.map(Text::from),
            summary: record.summary.map(Text::from),
            references: record
                .references
                .into_iter()
                .map(|r| Text::from(r.url))
                .collect(),
            group: idx,
        });
        self.body
            .entries
            .extend(compiled.into_iter().map(|affected| Entry {
                vuln: idx,
                affected,
            }));
    }

    fn import_zip(&mut self, path: &Path, status: &mut SourceStatus) -> Result<(), StoreError> {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let zip_err = |e: zip::result::ZipError| StoreError::Zip {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_err)?;
        let mut buf = Vec::new();
        for i in 0..archive.len() {
            let mut member = match archive.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    // A damaged entry (bad header, unsupported method): named by its index.
                    self.report.errors.push(RecordError {
                        source: format!("{}:#{i}", path.display()),
                        line: 0,
                        column: 0,
                        message: format!("cannot read this zip entry: {e}"),
                    });
                    continue;
                }
            };
            let name = match member.name() {
                Ok(n) => n.to_string(),
                Err(_) => String::from_utf8_lossy(member.name_raw()).into_owned(),
            };
            if member.is_dir()
                || !(name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"))
            {
                continue;
            }
            buf.clear();
            let source = format!("{}:{name}", path.display());
            // A record is a few kilobytes; refuse to inflate a member past the limit (zip bombs).
            let read = (&mut member)
                .take(MAX_RECORD_BYTES + 1)
                .read_to_end(&mut buf);
            if read.is_ok() && buf.len() as u64 > MAX_RECORD_BYTES {
                self.report.errors.push(RecordError {
                    source,
                    line: 0,
                    column: 0,
                    message: format!(
                        "larger than {MAX_RECORD_BYTES} bytes once decompressed: skipped"
                    ),
                });
                continue;
            }
            if let Err(e) = read {
                // A damaged member: an error naming it; the other records still import.
                self.report.errors.push(RecordError {
                    source,
                    line: 0,
                    column: 0,
                    message: format!("cannot decompress: {e}"),
                });
                continue;
            }
            self.add(&buf, &source, status);
        }
        Ok(())
    }

    fn import_dir(&mut self, dir: &Path, status: &mut SourceStatus) -> Result<(), StoreError> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).map_err(io(&d))? {
                let e = e.map_err(io(&d))?;
                let p = e.path();
                let ft = e.file_type().map_err(io(&p))?;
                if ft.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
                {
                    files.push(p);
                } else if p.extension().is_some_and(|x| x == "zip") {
                    self.import_zip(&p, status)?;
                }
            }
        }
        files.sort();
        for f in files {
            let size = std::fs::metadata(&f).map_err(io(&f))?.len();
            if size > MAX_RECORD_BYTES {
                self.report.errors.push(RecordError {
                    source: f.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("larger than {MAX_RECORD_BYTES} bytes: skipped"),
                });
                continue;
            }
            let bytes = std::fs::read(&f).map_err(io(&f))?;
            self.add(&bytes, &f.display().to_string(), status);
        }
        Ok(())
    }
}

fn source_name(path: &Path) -> String {
    let named = if path.is_file() {
        path.parent()
    } else {
        Some(path)
    };
    named
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Import OSV data into the store at `store_dir` (created if needed), replacing what it held.
///
/// Each path is an OSV export zip (`<ECOSYSTEM>/all.zip`), a single record file (`.json`,
/// `.yaml`), or a directory of them (searched recursively; zips inside are read too). Records that
/// do not parse are reported in [`ImportReport::errors`] and the rest import; an unreadable path
/// or zip stops the import and leaves the store as it was.
pub fn import(store_dir: &Path, paths: &[PathBuf]) -> Result<ImportReport, StoreError> {
    let mut imp = Importer {
        body: Body::default(),
        report: ImportReport::default(),
    };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(io(path))?;
        let mut status = SourceStatus {
            name: source_name(path),
            path: path.display().to_string(),
            records: 0,
            withdrawn: 0,
            newest_modified: None,
            imported_at: now(),
        };
        if meta.is_dir() {
            imp.import_dir(path, &mut status)?;
        } else if path.extension().is_some_and(|x| x == "zip") {
            imp.import_zip(path, &mut status)?;
        } else {
            let bytes = std::fs::read(path).map_err(io(path))?;
            imp.add(&bytes, &path.display().to_string(), &mut status);
        }
        imp.report.sources.push(status);
    }
    let Importer { mut body, report } = imp;
    group_aliases(&mut body.vulns);
    body.entries.sort_by(|a, b| {
        (a.affected.ecosystem, &a.affected.name).cmp(&(b.affected.ecosystem, &b.affected.name))
    });
    write_store(
        store_dir,
        &Header {
            sources: report.sources.clone(),
        },
        &body,
    )?;
    Ok(report)
}

/// Union-find over records by ID and aliases; each record's `group` becomes its group's root.
fn group_aliases(vulns: &mut [Vuln]) {
    fn root(p: &mut [u32], mut i: u32) -> u32 {
        while p[i as usize] != i {
            p[i as usize] = p[p[i as usize] as usize];
            i = p[i as usize];
        }
        i
    }
    let mut parent: Vec<u32> = (0..vulns.len() as u32).collect();
    let mut owner: std::collections::HashMap<Text, u32> = std::collections::HashMap::new();
    for (i, v) in vulns.iter().enumerate() {
        for a in std::iter::once(&v.id).chain(v.aliases.iter()) {
            match owner.get(a) {
                Some(&o) => {
                    let (ra, rb) = (root(&mut parent, o), root(&mut parent, i as u32));
                    parent[rb as usize] = ra;
                }
                None => {
                    owner.insert(a.clone(), i as u32);
                }
            }
        }
    }
    for (i, v) in vulns.iter_mut().enumerate() {
        v.group = root(&mut parent, i as u32);
    }
}

fn write_store(dir: &Path, header: &Header, body: &Body) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let format_err = |e: postcard::Error| StoreError::Format {
        path: dir.join(FILE),
        message: e.to_string(),
    };
    let h = postcard::to_stdvec(header).map_err(format_err)?;
    let b = postcard::to_stdvec(body).map_err(format_err)?;
    let tmp = dir.join(format!("{FILE}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(MAGIC)?;
        f.write_all(&(h.len() as u64).to_le_bytes())?;
        f.write_all(&h)?;
        f.write_all(&b)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(FILE))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    Ok(())
}

fn read_header(bytes: &[u8], path: &Path) -> Result<(Header, usize), StoreError> {
    let bad = |m: &str| StoreError::Format {
        path: path.to_path_buf(),
        message: m.to_string(),
    };
    if bytes.len() < 14 || &bytes[..6] != MAGIC {
        return Err(bad("wrong magic or version"));
    }
    let len = u64::from_le_bytes(bytes[6..14].try_into().unwrap()) as usize;
    let end = 14usize
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("truncated header"))?;
    let header = postcard::from_bytes(&bytes[14..end]).map_err(|e| bad(&e.to_string()))?;
    Ok((header, end))
}

fn store_file(dir: &Path) -> Result<PathBuf, StoreError> {
    let path = dir.join(FILE);
    if !path.exists() {
        return Err(StoreError::Missing {
            path: dir.to_path_buf(),
        });
    }
    Ok(path)
}

/// The sources in the store at `store_dir` (reads only the header).
pub fn status(store_dir: &Path) -> Result<Vec<SourceStatus>, StoreError> {
    let path = store_file(store_dir)?;
    let mut f = std::fs::File::open(&path).map_err(io(&path))?;
    let mut head = [0u8; 14];
    f.read_exact(&mut head).map_err(|_| StoreError::Format {
        path: path.clone(),
        message: "truncated".to_string(),
    })?;
    let len = u64::from_le_bytes(head[6..14].try_into().unwrap()).min(1 << 30) as usize;
    let mut bytes = head.to_vec();
    bytes.resize(14 + len, 0);
    f.read_exact(&mut bytes[14..])
        .map_err(|_| StoreError::Format {
            path: path.clone(),
            message: "truncated header".to_string(),
        })?;
    Ok(read_header(&bytes, &path)?.0.sources)
}

/// One vulnerability affecting one package: records that name each other as aliases are merged.
/// It borrows the store's text (no copies, no reference counting while matching); the package
/// it is about is the query it was returned for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding<'db> {
    /// The primary ID: the first (in sort order) of the matching records' own IDs.
    pub id: &'db str,
    /// Every other ID: the other records' IDs and all aliases (CVE, GHSA, ...), sorted.
    pub aliases: Vec<&'db str>,
    /// The matching records' IDs, sorted.
    pub records: Vec<&'db str>,
    /// Versions that fix it, sorted in the ecosystem's order; empty when no fix is known.
    pub fixed: Vec<&'db str>,
    /// The highest CVSS score among the records (and its vector), and the first rating.
    pub severity: std::borrow::Cow<'db, Severity>,
    pub summary: Option<&'db str>,
    /// Reference URLs of all its records, without duplicates.
    pub references: Vec<&'db str>,
    /// The newest `modified` of the records.
    pub modified: &'db str,
}

impl<'db> Finding<'db> {
    /// The CVE ID among the ID and aliases, if any.
    pub fn cve(&self) -> Option<&'db str> {
        std::iter::once(self.id)
            .chain(self.aliases.iter().copied())
            .find(|a| a.starts_with("CVE-"))
    }
}

/// An opened store, ready for lookups.
pub struct Database {
    sources: Vec<SourceStatus>,
    body: Body,
}

impl Database {
    /// Open the store at `store_dir` (one read of one file).
    pub fn open(store_dir: &Path) -> Result<Database, StoreError> {
        let path = store_file(store_dir)?;
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let (header, end) = read_header(&bytes, &path)?;
        let body: Body = postcard::from_bytes(&bytes[end..]).map_err(|e| StoreError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(Database {
            sources: header.sources,
            body,
        })
    }

    /// The imported sources.
    pub fn sources(&self) -> &[SourceStatus] {
        &self.sources
    }

    /// Number of (non-withdrawn) records held.
    pub fn record_count(&self) -> usize {
        self.body.vulns.len()
    }

    fn entries_for(&self, eco: Ecosystem, name: &str) -> &[Entry] {
        let e = &self.body.entries;
        let lo =
            e.partition_point(|x| (x.affected.ecosystem, x.affected.name.as_str()) < (eco, name));
        let hi = lo
            + e[lo..].partition_point(|x| x.affected.ecosystem == eco && x.affected.name == name);
        &e[lo..hi]
    }

    /// The vulnerabilities affecting one package, one finding per vulnerability (aliases merged),
    /// sorted by ID. An ecosystem we cannot match is an error, never a panic.
    pub fn query(&self, q: &PackageQuery) -> Result<Vec<Finding<'_>>, UnsupportedEcosystem> {
        let (eco, release, name, version) = matching::normalize(q)?;
        let prepared = eco.scheme().prepare(&version);
        // (vuln index, fixed versions) per matching record.
        let mut hits: Vec<(u32, Vec<&str>)> = Vec::new();
        for entry in self.entries_for(eco, &name) {
            if let Some(fixed) = matching::entry_hit(&entry.affected, release, &prepared) {
                match hits.iter_mut().find(|(v, _)| *v == entry.vuln) {
                    Some((_, f)) => f.extend(fixed),
                    None => hits.push((entry.vuln, fixed)),
                }
            }
        }
        Ok(self.merge(eco, hits))
    }

    /// [`Database::query`] for many packages, in parallel (rayon), results in input order.
    pub fn query_all(
        &self,
        qs: &[PackageQuery],
    ) -> Vec<Result<Vec<Finding<'_>>, UnsupportedEcosystem>> {
        use rayon::prelude::*;
        qs.par_iter().map(|q| self.query(q)).collect()
    }

    /// Group hits of records in the same alias group, and build one finding per group.
    fn merge<'db>(&'db self, eco: Ecosystem, hits: Vec<(u32, Vec<&'db str>)>) -> Vec<Finding<'db>> {
        let vulns = &self.body.vulns;
        let vuln = |h: &(u32, Vec<&'db str>)| &vulns[h.0 as usize];
        let scheme = eco.scheme();
        let mut order: Vec<usize> = (0..hits.len()).collect();
        order.sort_by_key(|&h| (vuln(&hits[h]).group, h));
        let mut out: Vec<Finding<'db>> = order
            .chunk_by(|&a, &b| vuln(&hits[a]).group == vuln(&hits[b]).group)
            .map(|g| {
                let mut fixed: Vec<&'db str> =
                    g.iter().flat_map(|&h| hits[h].1.iter().copied()).collect();
                if fixed.len() > 1 {
                    fixed.sort_by(|a, b| scheme.compare(a, b).then_with(|| a.cmp(b)));
                    fixed.dedup();
                }
                if let [h] = g {
                    // One record (the common case).
                    let v = vuln(&hits[*h]);
                    return Finding {
                        id: &v.id,
                        aliases: v
                            .aliases
                            .iter()
                            .map(|a| &**a)
                            .filter(|a| *a != &*v.id)
                            .collect(),
                        records: vec![&v.id],
                        fixed,
                        severity: std::borrow::Cow::Borrowed(&*v.severity),
                        summary: v.summary.as_deref(),
                        references: v.references.iter().map(|r| &**r).collect(),
                        modified: &v.modified,
                    };
                }
                let mut records: Vec<&'db str> = g.iter().map(|&h| &*vuln(&hits[h]).id).collect();
                records.sort_unstable();
                records.dedup();
                let id = records[0];
                let mut aliases: Vec<&'db str> = g
                    .iter()
                    .flat_map(|&h| {
                        let v = vuln(&hits[h]);
                        std::iter::once(&*v.id).chain(v.aliases.iter().map(|a| &**a))
                    })
                    .filter(|a| *a != id)
                    .collect();
                aliases.sort_unstable();
                aliases.dedup();
                let mut severity = Severity::default();
                let mut summary: Option<&'db str> = None;
                let mut references: Vec<&'db str> = Vec::new();
                let mut modified: &'db str = "";
                for &h in g {
                    let v = vuln(&hits[h]);
                    if v.severity
                        .score
                        .is_some_and(|s| severity.score.is_none_or(|t| s > t))
                    {
                        severity.score = v.severity.score;
                        severity.vector = v.severity.vector.clone();
                    }
                    if severity.rating.is_none() {
                        severity.rating = v.severity.rating.clone();
                    }
                    if &*v.id == id || summary.is_none() {
                        summary = v.summary.as_deref().or(summary);
                    }
                    for r in v.references.iter() {
                        if !references.contains(&&**r) {
                            references.push(r);
                        }
                    }
                    if *v.modified > *modified {
                        modified = &v.modified;
                    }
                }
                Finding {
                    id,
                    aliases,
                    records,
                    fixed,
                    severity: std::borrow::Cow::Owned(severity),
                    summary,
                    references,
                    modified,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(b.id));
        out
    }
}
