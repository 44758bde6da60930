//! OS detection: reads `etc/os-release` and `usr/lib/os-release` (os-release(5)) into
//! [`Evidence::Os`], taking `ID`, `VERSION_ID`, `PRETTY_NAME` and `ID_LIKE`.
//!
//! Values are shell-quoted as os-release(5) defines (single or double quotes, backslash
//! escapes); they are unquoted with `shell-words`, the way a shell sourcing the file would. An
//! image with no os-release (`FROM scratch`, some distroless images) gives no evidence here; the
//! walk reports that. Also the helpers the OS package catalogers use in `finish`: which
//! os-release is the image's, and the vulnerability-data ecosystem of a distribution.

use std::io::Read;

use super::read::read_bounded;
use crate::{Cataloger, Evidence, FileRef, Location, OsRelease, Package};

/// os-release files are a few hundred bytes; 64 KiB is generous.
const MAX_SIZE: u64 = 64 * 1024;

const ETC: &str = "etc/os-release";
const USR_LIB: &str = "usr/lib/os-release";

/// The os-release cataloger.
pub struct Os;

impl Cataloger for Os {
    fn name(&self) -> &'static str {
        "os"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        file.path == ETC || file.path == USR_LIB
    }

    fn read(&self, _file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let bytes = read_bounded(content, MAX_SIZE)?;
        Ok(parse_os_release(&String::from_utf8_lossy(&bytes))
            .map(Evidence::Os)
            .into_iter()
            .collect())
    }
}

/// Parses os-release text. `None` when no line is a valid assignment (not an os-release file);
/// a file with assignments but no `ID` gets os-release(5)'s default `linux`.
pub fn parse_os_release(text: &str) -> Option<OsRelease> {
    let mut os = OsRelease::default();
    let mut any = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            continue;
        }
        let Some(value) = unquote(raw) else {
            continue;
        };
        any = true;
        match key {
            "ID" => os.id = value,
            "VERSION_ID" => os.version_id = value,
            "PRETTY_NAME" => os.pretty_name = value,
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    if !any {
        return None;
    }
    if os.id.is_empty() {
        os.id = "linux".to_string();
    }
    Some(os)
}

/// One shell word, unquoted; `None` for what a shell would not read as one word (an unquoted
/// space, an unbalanced quote).
fn unquote(raw: &str) -> Option<String> {
    let mut words = shell_words::split(raw).ok()?;
    match words.len() {
        0 => Some(String::new()),
        1 => words.pop(),
        _ => None,
    }
}

/// The image's os-release among the evidence: `etc/os-release` wins over `usr/lib/os-release`
/// (os-release(5)).
pub fn os_of(evidence: &[(Location, Evidence)]) -> Option<&OsRelease> {
    let mut fallback = None;
    for (loc, ev) in evidence {
        if let Evidence::Os(os) = ev {
            if loc.path == ETC {
                return Some(os);
            }
            fallback.get_or_insert(os);
        }
    }
    fallback
}

/// The ecosystem of a distribution's packages, as the vulnerability data names it (`Debian`,
/// `Ubuntu`, `Alpine`, `Red Hat`, `Rocky Linux`, ...; see `kubeward_vulndb::os_ecosystem`),
/// without its release. A distribution the data does not know keeps its os-release `ID`, which
/// no advisory names: its packages are then matched against nothing rather than against
/// another distribution's advisories.
pub fn distro_ecosystem(os: &OsRelease) -> String {
    match kubeward_vulndb::os_ecosystem(&os.id, &os.version_id) {
        Some(eco) => eco.split(':').next().unwrap_or(&eco).to_string(),
        None => os.id.clone(),
    }
}

/// `finish` of the OS package catalogers: the packages `found_by` take the image's distribution
/// (ecosystem, purl namespace and `distro` qualifier) when its os-release is known; else they
/// keep what their database implied.
pub(crate) fn set_distribution(
    found_by: &str,
    packages: &mut [Package],
    evidence: &[(Location, Evidence)],
) {
    let Some(os) = os_of(evidence) else {
        return;
    };
    let ecosystem = distro_ecosystem(os);
    for p in packages.iter_mut().filter(|p| p.found_by == found_by) {
        p.ecosystem.clone_from(&ecosystem);
        p.purl = super::purl::with_distro(&p.purl, os);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_bookworm() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";
        let os = parse_os_release(text).unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id, "12");
        assert_eq!(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(distro_ecosystem(&os), "Debian");
    }

    #[test]
    fn quoting_as_a_shell_reads_it() {
        let text = "ID='rocky'\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\nBAD=two words\n";
        let os = parse_os_release(text).unwrap();
        assert_eq!(os.id, "rocky");
        assert_eq!(os.id_like, ["rhel", "centos", "fedora"]);
        assert_eq!(os.pretty_name, "A \"quoted\" $name");
        assert_eq!(distro_ecosystem(&os), "Rocky Linux");
    }

    #[test]
    fn no_assignment_is_no_os_and_no_id_is_linux() {
        assert_eq!(parse_os_release("garbage\n\u{0}\n"), None);
        assert_eq!(parse_os_release("NAME=x\n").unwrap().id, "linux");
    }
}
