//! `kubeward db`: the offline vulnerability database (kubeward-vulndb): import OSV exports,
//! print their status, and download them again (`update`), over HTTPS only when asked.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::cli::{DbCommand, DbLocation};

pub fn run(command: DbCommand) -> Result<u8> {
    match command {
        DbCommand::Import { paths, location } => import(&dir(&location)?, &paths),
        DbCommand::Status { format, location } => status(&dir(&location)?, &format),
        DbCommand::Update {
            mirror,
            ecosystem,
            ca_file,
            timeout,
            location,
        } => update(
            &dir(&location)?,
            &mirror,
            ecosystem,
            ca_file.as_deref(),
            timeout,
        ),
    }
}

/// `--db`, else `<data dir>/kubeward/db` (`$XDG_DATA_HOME/kubeward/db` on Linux).
pub fn dir(location: &DbLocation) -> Result<PathBuf> {
    match &location.db {
        Some(d) => Ok(d.clone()),
        None => dirs::data_dir()
            .map(|d| d.join("kubeward").join("db"))
            .context("no user data directory (set HOME or XDG_DATA_HOME, or pass --db DIR)"),
    }
}

/// Import, print what was read, and name every record that could not be: exit 2 if any.
fn import(db: &Path, paths: &[PathBuf]) -> Result<u8> {
    let report = match kubeward_vulndb::import(db, paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kubeward: error: {e}");
            return Ok(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for s in &report.sources {
        writeln!(
            out,
            "imported {}: {} records ({} withdrawn), newest modified {} [{}]",
            s.name,
            s.records,
            s.withdrawn,
            s.newest_modified.as_deref().unwrap_or("-"),
            s.path
        )?;
    }
    for e in &report.errors {
        eprintln!("kubeward: error: {e}");
    }
    for (eco, n) in &report.unsupported_ecosystems {
        let records = report
            .unsupported_records
            .get(eco)
            .map(|r| r.join(", "))
            .unwrap_or_default();
        eprintln!(
            "kubeward: error: ecosystem {eco:?} is not supported: {n} affected entries skipped (records: {records})"
        );
    }
    writeln!(out, "database: {}", db.display())?;
    Ok(
        if report.errors.is_empty() && report.unsupported_ecosystems.is_empty() {
            0
        } else {
            2
        },
    )
}

fn status(db: &Path, format: &str) -> Result<u8> {
    let sources = match kubeward_vulndb::status(db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kubeward: error: {e}");
            return Ok(2);
        }
    };
    let mut out = std::io::stdout().lock();
    if format == "json" {
        let total: usize = sources.iter().map(|s| s.records).sum();
        let v = json!({"database": db.display().to_string(), "records": total, "sources": sources});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(0);
    }
    writeln!(out, "database: {}", db.display())?;
    writeln!(
        out,
        "{:<12} {:>8} {:>9} {:<32} {:<20} PATH",
        "SOURCE", "RECORDS", "WITHDRAWN", "NEWEST MODIFIED", "IMPORTED"
    )?;
    for s in &sources {
        writeln!(
            out,
            "{:<12} {:>8} {:>9} {:<32} {:<20} {}",
            s.name,
            s.records,
            s.withdrawn,
            s.newest_modified.as_deref().unwrap_or("-"),
            format_epoch(s.imported_at),
            s.path
        )?;
    }
    Ok(0)
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SSZ`.
pub fn format_epoch(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (y, m, d) = kubeward_engine::config::civil_from_days(days);
    let r = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        r / 3600,
        r / 60 % 60,
        r % 60
    )
}

/// `kubeward db update`: download each ecosystem's export into `DB/downloads/<ECO>/all.zip`
/// (written to a temporary file, checked, then renamed over the old one, so an interrupted or
/// failed download leaves the previous export whole), then import every downloaded export
/// together with the other sources the database held (the import itself replaces the store
/// atomically). Exit 2 if any download failed (the others are still imported).
fn update(
    db: &Path,
    mirror: &str,
    mut ecosystems: Vec<String>,
    ca_file: Option<&Path>,
    timeout: std::time::Duration,
) -> Result<u8> {
    let previous = kubeward_vulndb::status(db).unwrap_or_default();
    if ecosystems.is_empty() {
        ecosystems = previous.iter().map(|s| s.name.clone()).collect();
        ecosystems.dedup();
    }
    if ecosystems.is_empty() {
        eprintln!("kubeward: error: nothing imported yet: name the ecosystems with --ecosystem (e.g. --ecosystem PyPI,Go,Debian)");
        return Ok(2);
    }
    if !mirror.starts_with("https://") {
        eprintln!("kubeward: error: --mirror {mirror}: only https:// mirrors are used");
        return Ok(2);
    }
    let mut builder = reqwest::blocking::Client::builder()
        .https_only(true)
        .connect_timeout(std::time::Duration::from_secs(30))
        .timeout(timeout)
        .user_agent(concat!("kubeward/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = ca_file {
        let pem = std::fs::read(ca).with_context(|| format!("--ca-file {}", ca.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("--ca-file {}: not PEM certificates", ca.display()))?;
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    let client = builder.build().context("cannot set up HTTPS")?;
    let downloads = db.join("downloads");
    let mut failed = 0;
    for eco in &ecosystems {
        let url = format!(
            "{}/{}/all.zip",
            mirror.trim_end_matches('/'),
            eco.replace(' ', "%20")
        );
        let dest = downloads.join(eco).join("all.zip");
        match download(&client, &url, &dest) {
            Ok(bytes) => eprintln!("kubeward: downloaded {url} ({bytes} bytes)"),
            Err(e) => {
                failed += 1;
                eprintln!("kubeward: error: {url}: {e:#}");
            }
        }
    }
    // Every downloaded export, and the sources imported from elsewhere that still exist.
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&downloads) {
        for e in entries.flatten() {
            let zip = e.path().join("all.zip");
            if zip.is_file() {
                paths.push(zip);
            }
        }
    }
    for s in &previous {
        let p = PathBuf::from(&s.path);
        if !p.starts_with(&downloads) && !ecosystems.contains(&s.name) && p.exists() {
            paths.push(p);
        }
    }
    paths.sort();
    if paths.is_empty() {
        eprintln!("kubeward: error: nothing downloaded; the database is unchanged");
        return Ok(2);
    }
    let code = import(db, &paths)?;
    Ok(if failed > 0 { 2 } else { code })
}

/// GET `url` into `dest` through `dest.tmp-PID`; returns the byte count.
fn download(client: &reqwest::blocking::Client, url: &str, dest: &Path) -> Result<u64> {
    let mut resp = client.get(url).send().context("request failed")?;
    let status = resp.status();
    if !status.is_success() {
        anyhow::bail!("the server answered {status}");
    }
    let dir = dest.parent().context("no parent directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!("all.zip.tmp-{}", std::process::id()));
    // Before the body is read: afterwards the response reports what is left (nothing).
    let expected = resp.content_length();
    let result = (|| -> Result<u64> {
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let n = std::io::copy(&mut resp, &mut f).context("download interrupted")?;
        if let Some(len) = expected {
            if len != n {
                anyhow::bail!("got {n} bytes of {len}");
            }
        }
        f.sync_all()?;
        let mut magic = [0u8; 4];
        std::fs::File::open(&tmp)?
            .read_exact(&mut magic)
            .context("empty download")?;
        if &magic != b"PK\x03\x04" && &magic != b"PK\x05\x06" {
            anyhow::bail!("not a zip file");
        }
        std::fs::rename(&tmp, dest)
            .with_context(|| format!("cannot replace {}", dest.display()))?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
