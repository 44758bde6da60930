//! kubeward's offline vulnerability database (issue 14, the database half).
//!
//! * [`version`]: version ordering per ecosystem, exactly as the native tools (dpkg, rpm, apk,
//!   Python `packaging`, SemVer/Go/npm, Maven).
//! * [`osv`]: OSV records from JSON or YAML, severity from CVSS vectors or the record's rating.
//! * [`matching`]: OSV's evaluation rules ([`matching::is_affected`], [`matching::affected_by`]).
//! * [`store`]: [`import`] OSV exports into a local store, [`status`], and [`Database::open`] +
//!   [`Database::query`] to match installed packages, one [`Finding`] per vulnerability.
//!
//! ```no_run
//! use kubeward_vulndb::{import, Database, PackageQuery};
//! use std::path::{Path, PathBuf};
//! let store = Path::new("/var/lib/kubeward/db");
//! let report = import(store, &[PathBuf::from("osv/PyPI/all.zip")])?;
//! for e in &report.errors { eprintln!("{e}"); }
//! let db = Database::open(store)?;
//! for f in db.query(&PackageQuery::new("PyPI", "Jinja2", "2.10"))? {
//!     println!("{} fixed in {:?}", f.id, f.fixed);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ecosystem;
pub mod matching;
pub mod osv;
pub mod store;
pub mod version;

pub use ecosystem::{os_ecosystem, Ecosystem, UnsupportedEcosystem};
pub use matching::{affected_by, is_affected, PackageQuery};
pub use osv::{Record, RecordError, Severity};
pub use store::{
    import, parse_time, status, Database, Finding, ImportReport, SourceStatus, StoreError,
};
pub use version::Scheme;
