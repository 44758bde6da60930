//! apk: reads Alpine's `lib/apk/db/installed` (blank-line separated records of `X:value`
//! lines), taking `P:` name, `V:` version, `A:` arch, `o:` origin (the source package, which
//! Alpine's advisories name) and `L:` licence (kept when it is an SPDX expression), located at
//! the line of the record's `P:`. Ecosystem `Alpine` and purl `pkg:apk/alpine/...` until
//! `finish` knows the distribution from os-release (Wolfi, Chainguard, ...).

use std::io::{BufReader, Read};

use super::deb822::{paragraphs, Paragraph};
use super::license::spdx_expression;
use super::os::set_distribution;
use super::purl::purl;
use super::read::at_line;
use crate::{Cataloger, Evidence, FileRef, Location, Package};

const INSTALLED: &str = "lib/apk/db/installed";

/// The apk cataloger.
pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        file.path == INSTALLED
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let mut out = Vec::new();
        for para in paragraphs(BufReader::new(content)) {
            out.push(record(&para?, file));
        }
        Ok(out)
    }

    fn finish(&self, packages: &mut [Package], evidence: &[(Location, Evidence)]) {
        set_distribution(self.name(), packages, evidence);
    }
}

/// One record as a package, or a note when it has no name or version.
fn record(para: &Paragraph, file: &FileRef<'_>) -> Evidence {
    // apk's fields are one case-sensitive letter (`P` name, `p` provides).
    let get = |k: &str| {
        para.field(k)
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty())
    };
    let (Some(name), Some(version)) = (get("P"), get("V")) else {
        return Evidence::Note(at_line(
            para.line(),
            "apk record without P: (name) or V: (version): skipped",
        ));
    };
    let arch = get("A").unwrap_or("");
    Evidence::Package(Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "Alpine".to_string(),
        purl: purl("apk", Some("alpine"), name, version, &[("arch", arch)]),
        source_name: get("o").filter(|o| *o != name).map(str::to_string),
        source_version: None,
        license: get("L").and_then(spdx_expression),
        found_by: "apk".to_string(),
        location: Location {
            layer: file.layer.map(str::to_string),
            path: file.path.to_string(),
            line: para.field("P").map(|f| f.line),
        },
    })
}
