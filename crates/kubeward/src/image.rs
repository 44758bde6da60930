//! `kubeward image`: each input catalogued (an SBOM file read by kubeward-image's reader; an
//! image through `kubeward_image::scan`, see [`catalog_image`]), matched against the offline
//! vulnerability database, judged by the licence policy and the config file's exclusions, and
//! reported. Every input is tried; an unreadable one is an input error (exit 2 at the end).

use std::path::Path;

use anyhow::Result;
use kubeward_controls::Severity;
use kubeward_engine::config::{self, Config, Exclusion};
use std::sync::Arc;

use kubeward_engine::{FileResult, ImageUse, InputError, Warning};
use kubeward_image::findings::{self, ImageFinding, Options};
use kubeward_image::licenses::LicensePolicy;
use kubeward_image::report::{DatabaseInfo, Format, ImageResult, Report, Settings};
use kubeward_image::{sbom, vulns, Catalog, Note};
use kubeward_vulndb::{Database, StoreError};
use kubeward_yaml::Pos;

use crate::cli::{ImageArgs, ImageSourceArgs, ScanArgs};
use crate::commands::{load_config, open_output, use_color};

/// The largest SBOM file read.
const MAX_SBOM_BYTES: u64 = 512 << 20;

pub fn run(args: ImageArgs) -> Result<u8> {
    let cfg = match load_config(args.no_config, args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let sbom_format = matches!(args.format, Format::CycloneDx | Format::Spdx);
    if sbom_format && args.inputs.len() != 1 {
        eprintln!("kubeward: error: --format cyclonedx and spdx write one SBOM: give one input");
        return Ok(2);
    }
    let licenses = match license_policy(cfg.as_ref()) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let today = config::today();
    let exclusions: &[Exclusion] = cfg.as_ref().map_or(&[], |c| &c.exclude);
    let opts = Options {
        ignore_unfixed: args.ignore_unfixed,
        severities: args.severity.clone(),
        exclusions,
        severity: cfg
            .as_ref()
            .map(|c| c.severity.iter().copied().collect())
            .unwrap_or_default(),
        disabled: cfg.as_ref().map(|c| c.disable.clone()).unwrap_or_default(),
        licenses,
        today,
    };
    let fail_on = args
        .fail_on
        .or(cfg.as_ref().and_then(|c| c.fail_on))
        .unwrap_or(Severity::Low);

    let baseline = match &args.baseline {
        None => None,
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline: {e}"))
            .and_then(|text| kubeward_engine::baseline::fingerprints(&text))
        {
            Ok(set) => Some((set, path.display().to_string())),
            Err(e) => {
                eprintln!("kubeward: error: {}: {e}", path.display());
                return Ok(2);
            }
        },
    };
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let db_dir = crate::db::dir(&args.location)?;
    let (db, database) = match Database::open(&db_dir) {
        Ok(db) => {
            let info = database_info(&db_dir, &db, args.db_max_age, &mut warnings);
            (Some(db), Some(info))
        }
        // Writing an SBOM needs no vulnerability data: then its absence is only a warning.
        Err(e @ StoreError::Missing { .. }) if sbom_format => {
            warnings.push(format!("{e}: no vulnerabilities matched"));
            (None, None)
        }
        Err(e) => {
            errors.push(format!("{e}"));
            (None, None)
        }
    };

    let mut used = vec![false; exclusions.len()];
    let mut images = Vec::new();
    for input in &args.inputs {
        let catalog = match catalog_of(input, &args) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        errors.extend(catalog.errors.iter().map(|e| e.to_string()));
        let mut result = judge(catalog, input, db.as_ref(), &opts, &mut used);
        if let Some((set, name)) = &baseline {
            for f in &mut result.findings {
                if f.finding.suppressed.is_none() && set.contains(&f.finding.fingerprint()) {
                    f.finding.suppressed = Some(kubeward_engine::Suppression::new(
                        kubeward_engine::SuppressedBy::Baseline,
                        format!("in baseline {name}"),
                    ));
                }
            }
        }
        images.push(result);
    }
    warnings.extend(exclusion_warnings(cfg.as_ref(), today, &used));

    let report = Report {
        images,
        database,
        settings: Settings {
            fail_on,
            ignore_unfixed: args.ignore_unfixed,
            severities: args.severity.clone(),
        },
        warnings,
        errors,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let color = use_color(args.color, args.output.as_deref());
    let out = open_output(args.output.as_deref())?;
    report.write(args.format, out, color)?;
    if args.format != Format::Text || args.output.is_some() {
        // The text report on standard output already shows them.
        for w in &report.warnings {
            eprintln!("kubeward: warning: {w}");
        }
    }
    // Errors always go to standard error (the text report counts them).
    for e in &report.errors {
        eprintln!("kubeward: error: {e}");
    }
    Ok(report.exit_code())
}

/// The config file's licence policy, its IDs checked (an unknown ID is a config error: exit 2).
fn license_policy(cfg: Option<&Config>) -> Result<LicensePolicy, u8> {
    let Some(cfg) = cfg else {
        return Ok(LicensePolicy::default());
    };
    LicensePolicy::new(&cfg.licenses).map_err(|errors| {
        let file = cfg
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let line = cfg.licenses.pos.map(|p| p.line).unwrap_or(0);
        for e in errors {
            eprintln!("kubeward: error: {file}:{line}: {e}");
        }
        2
    })
}

/// Match, add matching notes, build the findings.
fn judge(
    mut catalog: Catalog,
    input: &str,
    db: Option<&Database>,
    opts: &Options<'_>,
    used: &mut [bool],
) -> ImageResult {
    let (vulnerabilities, notes) = match db {
        Some(db) => vulns::match_catalog(db, &catalog),
        None => Default::default(),
    };
    for (eco, n) in &notes.unsupported {
        catalog.notes.push(Note {
            path: None,
            message: format!(
                "{n} packages of ecosystem {eco:?} not matched: the database cannot match it"
            ),
        });
    }
    if notes.without_ecosystem > 0 {
        catalog.notes.push(Note {
            path: None,
            message: format!(
                "{} packages without a purl (no ecosystem) not matched",
                notes.without_ecosystem
            ),
        });
    }
    if notes.without_release > 0 {
        catalog.notes.push(Note {
            path: None,
            message: format!(
                "{} distribution packages matched without an OS release (the OS is unknown): advisories of every release applied",
                notes.without_release
            ),
        });
    }
    let findings = findings::findings(&catalog, &vulnerabilities, opts, used);
    ImageResult {
        input: input.to_string(),
        catalog,
        vulnerabilities,
        findings,
        notes,
    }
}

/// The sources and age of the database; a warning per source older than `max_age`.
fn database_info(
    dir: &Path,
    db: &Database,
    max_age: std::time::Duration,
    warnings: &mut Vec<String>,
) -> DatabaseInfo {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut youngest = u64::MAX;
    let mut stale = false;
    for s in db.sources() {
        // The data's own date (newest `modified`) when it has a real one, else the import's:
        // the Go export writes 0001-01-01 in every record.
        let modified = s
            .newest_modified
            .as_deref()
            .and_then(kubeward_vulndb::parse_time)
            .map(|(t, _)| t)
            .filter(|&t| t > 0)
            .map(|t| t as u64);
        let (since, what) = match modified {
            Some(t) => (t, "newest record modified"),
            None => (s.imported_at, "imported"),
        };
        let age = now.saturating_sub(since);
        youngest = youngest.min(age);
        if age > max_age.as_secs() {
            stale = true;
            warnings.push(format!(
                "vulnerability data {} is {} days old ({what} {}), older than --db-max-age {}d: run `kubeward db update`",
                s.name,
                age / 86_400,
                crate::db::format_epoch(since),
                max_age.as_secs() / 86_400,
            ));
        }
    }
    DatabaseInfo {
        path: dir.display().to_string(),
        sources: db.sources().to_vec(),
        age_seconds: if youngest == u64::MAX { 0 } else { youngest },
        stale,
    }
}

/// Expired exclusions that concern images, and vulnerability exclusions that matched nothing.
fn exclusion_warnings(cfg: Option<&Config>, today: (i32, u32, u32), used: &[bool]) -> Vec<String> {
    let Some(cfg) = cfg else {
        return Vec::new();
    };
    let file = cfg
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (x, used) in cfg.exclude.iter().zip(used) {
        let about_images = !x.vulnerabilities.is_empty()
            || x.controls
                .iter()
                .any(|c| c.starts_with("KW11") && c.len() == 6);
        if !about_images {
            continue;
        }
        let ids = if x.vulnerabilities.is_empty() {
            String::new()
        } else {
            format!(" of {}", x.vulnerabilities.join(", "))
        };
        if x.expired(today) {
            let (y, m, d) = x.expires.unwrap_or_default();
            out.push(format!(
                "{file}:{}: exclusion{ids} ({}) expired on {y:04}-{m:02}-{d:02}: it no longer applies and its findings are reported again",
                x.pos.line, x.reason
            ));
        } else if !used {
            out.push(format!(
                "{file}:{}: exclusion{ids} ({}) matched no finding: remove it if the vulnerability is gone",
                x.pos.line, x.reason
            ));
        }
    }
    out
}

/// One input as a catalog: an SBOM file is read here; anything else is an image.
fn catalog_of(input: &str, args: &ImageArgs) -> Result<Catalog, String> {
    let path = Path::new(input);
    if path.is_file() {
        let meta = std::fs::metadata(path).map_err(|e| format!("{input}: {e}"))?;
        if meta.len() <= MAX_SBOM_BYTES {
            let mut head = vec![0u8; 64 << 10];
            let n = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .map_err(|e| format!("{input}: cannot read: {e}"))?;
            if sbom::looks_like_sbom(&head[..n]) {
                let bytes =
                    std::fs::read(path).map_err(|e| format!("{input}: cannot read: {e}"))?;
                return sbom::read(&bytes, input).map_err(|e| e.to_string());
            }
        }
    }
    catalog_image(input, &args.source)
}

/// An image input (registry reference, OCI layout, `docker save` tarball, root filesystem
/// directory) through the image sources and the layered walk with every cataloger. An image
/// that cannot be opened is an input error; one whose layers are partly unreadable is a
/// catalog whose `errors` say which (the rest of it is judged all the same).
fn catalog_image(input: &str, args: &ImageSourceArgs) -> Result<Catalog, String> {
    catalog_spec(input, kubeward_image::SourceSpec::parse(input), args)
}

fn catalog_spec(
    input: &str,
    spec: kubeward_image::SourceSpec,
    args: &ImageSourceArgs,
) -> Result<Catalog, String> {
    use kubeward_image::{RegistryOptions, SourceSpec};
    if args.offline && matches!(spec, SourceSpec::Registry(_)) {
        return Err(format!(
            "{input}: a registry reference needs the network, and --offline is given (copy the image to an OCI layout with `skopeo copy docker://REF oci:DIR` and scan DIR)"
        ));
    }
    let platform = match &args.platform {
        Some(p) => Some(p.parse().map_err(|e| format!("--platform {p}: {e}"))?),
        None => None,
    };
    let options = RegistryOptions {
        config_path: args.registry_config.clone(),
        ca_file: args.registry_ca.clone(),
        insecure_hosts: args.insecure_registry.clone(),
        cache_dir: args
            .cache_dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("kubeward").join("blobs"))),
        platform,
    };
    let image = kubeward_image::open(&spec, &options).map_err(|e| e.to_string())?;
    let catalogers = kubeward_image::catalog::all();
    let refs: Vec<&dyn kubeward_image::Cataloger> = catalogers.iter().map(|c| c.as_ref()).collect();
    Ok(kubeward_image::scan(&image, &refs))
}

/// `scan --images` (and `cluster --images`): every distinct image the containers name,
/// catalogued and matched once each, `--image-jobs` at a time (memory is bounded by that, not
/// by the number of images: a worker keeps only the findings of its image), and its findings
/// attached to every container that runs it, at the container's `image:` field and judged by
/// the workload's policy (ignore annotations, exclusions, baseline) as well as the image's
/// (exclusions by vulnerability ID). An image that cannot be scanned is an input error at each
/// `image:` field that names it. One result per manifest file, in the order of first use.
pub(crate) fn scan_images(
    uses: Vec<ImageUse>,
    args: &ScanArgs,
    cfg: Option<&Config>,
    engine: &kubeward_engine::Engine,
    vulns: &mut Vec<crate::risks::ImageVuln>,
) -> Vec<FileResult> {
    let mut extra: Vec<FileResult> = Vec::new();
    let location = crate::cli::DbLocation {
        db: args.image_db.clone(),
    };
    let db = crate::db::dir(&location)
        .map_err(|e| (String::from("--db"), e.to_string()))
        .and_then(|dir| {
            Database::open(&dir)
                .map(|db| (dir.clone(), db))
                .map_err(|e| (dir.display().to_string(), e.to_string()))
        });
    let (dir, db) = match db {
        Ok(x) => x,
        Err((file, message)) => {
            let file: Arc<str> = Arc::from(file.as_str());
            let mut r = FileResult::new(file.clone());
            r.errors.push(InputError::file(
                &file,
                format!("{message}: --images needs the vulnerability database (`kubeward db import` or `kubeward db update`)"),
            ));
            return vec![r];
        }
    };
    let mut warnings = Vec::new();
    database_info(&dir, &db, args.db_max_age, &mut warnings);
    if !warnings.is_empty() {
        let file: Arc<str> = Arc::from(dir.display().to_string().as_str());
        let mut r = FileResult::new(file.clone());
        for message in warnings {
            r.warnings.push(Warning {
                file: file.clone(),
                pos: Pos { line: 1, column: 1 },
                message,
            });
        }
        extra.push(r);
    }
    let licenses = license_policy(cfg).unwrap_or_default();
    let exclusions: &[Exclusion] = cfg.map_or(&[], |c| &c.exclude);
    let opts = Options {
        ignore_unfixed: args.ignore_unfixed,
        severities: Vec::new(),
        exclusions,
        severity: cfg
            .map(|c| c.severity.iter().copied().collect())
            .unwrap_or_default(),
        disabled: cfg.map(|c| c.disable.clone()).unwrap_or_default(),
        licenses,
        today: config::today(),
    };

    // Each distinct reference once, in the order of first use.
    let mut distinct: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for u in &uses {
        if seen.insert(u.image.as_str()) {
            distinct.push(u.image.as_str());
        }
    }
    type Outcome = Result<Vec<ImageFinding>, Vec<String>>;
    let outcomes: Vec<std::sync::Mutex<Option<Outcome>>> =
        distinct.iter().map(|_| Default::default()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = usize::from(args.image_jobs).clamp(1, distinct.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(image) = distinct.get(i) else {
                    break;
                };
                let spec = kubeward_image::SourceSpec::Registry(image.to_string());
                let outcome = match catalog_spec(image, spec, &args.image_source) {
                    Err(e) => Err(vec![e]),
                    Ok(catalog) => {
                        let errors: Vec<String> =
                            catalog.errors.iter().map(|e| e.to_string()).collect();
                        let mut used = vec![false; exclusions.len()];
                        let result = judge(catalog, image, Some(&db), &opts, &mut used);
                        if errors.is_empty() {
                            Ok(result.findings)
                        } else {
                            Err(errors)
                        }
                    }
                };
                if let Ok(mut slot) = outcomes[i].lock() {
                    *slot = Some(outcome);
                }
            });
        }
    });
    let outcomes: std::collections::HashMap<&str, Outcome> = distinct
        .iter()
        .zip(outcomes)
        .filter_map(|(image, m)| Some((*image, m.into_inner().ok()??)))
        .collect();
    // For the risk graph: which images carry which vulnerabilities (the first reference's
    // spelling, as the workloads name it).
    for (image, outcome) in &outcomes {
        for f in outcome.iter().flatten() {
            if let Some(v) = &f.vulnerability {
                vulns.push(crate::risks::ImageVuln {
                    image: image.to_string(),
                    severity: f.finding.severity,
                    id: v.id.clone(),
                    fixed: !v.fixed.is_empty(),
                });
            }
        }
    }

    let mut by_file: Vec<FileResult> = Vec::new();
    let mut index: std::collections::HashMap<Arc<str>, usize> = Default::default();
    for u in &uses {
        let i = *index.entry(u.file.clone()).or_insert_with(|| {
            by_file.push(FileResult::new(u.file.clone()));
            by_file.len() - 1
        });
        let r = &mut by_file[i];
        match outcomes.get(u.image.as_str()) {
            Some(Ok(found)) => {
                for f in found {
                    let mut f = findings::attach(f, u);
                    if f.suppressed.is_none() {
                        engine.judge_on(&mut f, &u.ignores, u.platform);
                    }
                    r.findings.push(f);
                }
            }
            Some(Err(errors)) => {
                for e in errors {
                    let mut err =
                        InputError::at(&u.file, u.pos, &format!("image {}: {e}", u.image));
                    err.object = Some(u.object.clone());
                    r.errors.push(err);
                }
            }
            None => {
                let mut err = InputError::at(
                    &u.file,
                    u.pos,
                    &format!("image {}: its scan did not finish", u.image),
                );
                err.object = Some(u.object.clone());
                r.errors.push(err);
            }
        }
    }
    for r in &mut by_file {
        r.findings.sort_by_key(|a| (a.pos.line, a.pos.column));
    }
    extra.extend(by_file);
    extra
}
