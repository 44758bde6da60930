//! rpm: reads the sqlite rpm database (`var/lib/rpm/rpmdb.sqlite`,
//! `usr/lib/sysimage/rpm/rpmdb.sqlite`): the `Packages` table, one rpm header per row (see
//! [`rpm_header`](super::rpm_header)), taking NAME, EPOCH, VERSION, RELEASE, ARCH, SOURCERPM
//! (its name into `source_name`) and LICENSE (kept when SPDX). The version is rpm's EVR,
//! `[epoch:]version-release`; the purl `pkg:rpm/<distro>/<name>@<version>-<release>?arch=&epoch=`.
//!
//! sqlite needs a path: the file is copied to a temporary file (bounded size) and opened
//! read-only, with `trusted_schema` off, and only if `Packages` is a table. The ecosystem is
//! `rpm` (named by no advisory) until `finish` knows the distribution from os-release (`Red Hat`,
//! `Rocky Linux`, `AlmaLinux`, `openSUSE`, ...). The Berkeley DB (`Packages`) and NDB
//! (`Packages.db`) formats have no well-kept Rust reader: they give a note saying so.

use std::io::{Read, Write};

use rusqlite::{Connection, OpenFlags};

use super::license::spdx_expression;
use super::os::set_distribution;
use super::purl::purl;
use super::rpm_header::{self, RpmHeader};
use crate::{Cataloger, Evidence, FileRef, Location, Package};

const DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
/// The largest database copied (distribution images hold a few to a few hundred MiB).
const MAX_SIZE: u64 = 1 << 30;

/// The rpm cataloger.
pub struct Rpm;

enum Format {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

fn format_of(path: &str) -> Option<Format> {
    let file = DIRS.iter().find_map(|d| path.strip_prefix(d))?;
    match file {
        "rpmdb.sqlite" => Some(Format::Sqlite),
        "Packages" => Some(Format::BerkeleyDb),
        "Packages.db" => Some(Format::Ndb),
        _ => None,
    }
}

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        format_of(file.path).is_some()
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        match format_of(file.path) {
            Some(Format::Sqlite) => read_sqlite(file, content),
            Some(Format::BerkeleyDb) => Ok(vec![unsupported("Berkeley DB")]),
            Some(Format::Ndb) => Ok(vec![unsupported("NDB")]),
            None => Ok(Vec::new()),
        }
    }

    fn finish(&self, packages: &mut [Package], evidence: &[(Location, Evidence)]) {
        set_distribution(self.name(), packages, evidence);
    }
}

fn unsupported(format: &str) -> Evidence {
    Evidence::Note(format!(
        "rpm database in {format} format is not supported: no well-kept Rust crate reads it, \
         so the rpm packages of this image are not listed (images from RHEL 9, Fedora 33 and \
         openSUSE since 2021 use the supported sqlite format)"
    ))
}

fn read_sqlite(file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
    let io =
        |e: std::io::Error| format!("cannot copy the database to a temporary file: {}", e.kind());
    let mut tmp = tempfile::NamedTempFile::new().map_err(io)?;
    let copied = std::io::copy(&mut content.take(MAX_SIZE + 1), &mut tmp).map_err(io)?;
    if copied > MAX_SIZE {
        return Err(format!("larger than {} MiB: not read", MAX_SIZE >> 20));
    }
    tmp.flush().map_err(io)?;
    let db = |e: rusqlite::Error| format!("not a readable rpm sqlite database ({e})");
    let conn = Connection::open_with_flags(
        tmp.path(),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON;")
        .map_err(db)?;
    // A view or virtual table named Packages could make the scan arbitrarily costly.
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .ok();
    if kind.as_deref() != Some("table") {
        return Err("no Packages table: not an rpm sqlite database".to_string());
    }
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(db)?;
    let mut rows = stmt.query([]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        let hnum: i64 = row.get(0).unwrap_or(-1);
        let parsed = match row.get_ref(1) {
            Ok(rusqlite::types::ValueRef::Blob(b)) => rpm_header::parse(b),
            _ => Err("no header blob".to_string()),
        };
        out.push(match parsed {
            Ok(h) => Evidence::Package(package(&h, file)),
            Err(e) => Evidence::Note(format!("rpm database record {hnum}: {e}: skipped")),
        });
    }
    Ok(out)
}

fn package(h: &RpmHeader, file: &FileRef<'_>) -> Package {
    let version_release = format!("{}-{}", h.version, h.release);
    let epoch = h.epoch.map(|e| e.to_string()).unwrap_or_default();
    let version = match h.epoch {
        Some(e) => format!("{e}:{version_release}"),
        None => version_release.clone(),
    };
    let (source_name, source_version) = source(&h.source_rpm);
    let differs = source_name.as_deref() != Some(h.name.as_str())
        || source_version.as_deref() != Some(version_release.as_str());
    Package {
        name: h.name.clone(),
        purl: purl(
            "rpm",
            None,
            &h.name,
            &version_release,
            &[("arch", &h.arch), ("epoch", &epoch)],
        ),
        version,
        ecosystem: "rpm".to_string(),
        source_name: source_name.filter(|_| differs),
        source_version: source_version.filter(|v| *v != version_release),
        license: spdx_expression(&h.license),
        found_by: "rpm".to_string(),
        location: Location {
            layer: file.layer.map(str::to_string),
            path: file.path.to_string(),
            line: None,
        },
    }
}

/// `name-version-release.src.rpm` → (`name`, `version-release`).
fn source(srpm: &str) -> (Option<String>, Option<String>) {
    let Some(stem) = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))
    else {
        return (None, None);
    };
    let mut parts = stem.rsplitn(3, '-');
    let (Some(release), Some(version), Some(name)) = (parts.next(), parts.next(), parts.next())
    else {
        return (None, None);
    };
    if name.is_empty() {
        return (None, None);
    }
    (Some(name.to_string()), Some(format!("{version}-{release}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            source("python3.11-3.11.2-1.el9.src.rpm"),
            (Some("python3.11".into()), Some("3.11.2-1.el9".into()))
        );
        assert_eq!(source("garbage"), (None, None));
        assert_eq!(source("-1-2.src.rpm"), (None, None));
    }
}
