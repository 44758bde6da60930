//! Package URLs (purl spec) through the `packageurl` crate, which applies each type's encoding
//! and normalisation (`%40scope` for npm, lowercase for pypi).

use packageurl::PackageUrl;

use crate::OsRelease;

/// `pkg:<ty>/[<namespace>/]<name>@<version>?<qualifiers>`. Empty only when `name` is empty,
/// which no cataloger passes (records without a name are skipped before).
pub(crate) fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let build = || -> Result<String, packageurl::Error> {
        let mut p = PackageUrl::new(ty, name)?;
        if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
            p.with_namespace(ns)?;
        }
        if !version.is_empty() {
            p.with_version(version)?;
        }
        for (k, v) in qualifiers.iter().filter(|(_, v)| !v.is_empty()) {
            p.add_qualifier(*k, *v)?;
        }
        Ok(p.to_string())
    };
    build().unwrap_or_default()
}

/// The same purl with the distribution of `os`: namespace its `ID`, qualifier
/// `distro=<ID>-<VERSION_ID>`. A purl that does not parse is returned as it was.
pub(crate) fn with_distro(purl: &str, os: &OsRelease) -> String {
    let retarget = || -> Result<String, packageurl::Error> {
        let mut p: PackageUrl = purl.parse()?;
        p.with_namespace(os.id.to_ascii_lowercase())?;
        if !os.version_id.is_empty() {
            p.add_qualifier("distro", format!("{}-{}", os.id, os.version_id))?;
        }
        Ok(p.to_string())
    };
    retarget().unwrap_or_else(|_| purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_scope_and_qualifiers() {
        assert_eq!(
            purl("npm", Some("@babel"), "core", "7.0.0", &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "libc6",
                "2.36-9+deb12u4",
                &[("arch", "amd64")]
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"
        );
    }

    #[test]
    fn distro_is_set_from_os_release() {
        let os = OsRelease {
            id: "ubuntu".into(),
            version_id: "22.04".into(),
            ..Default::default()
        };
        assert_eq!(
            with_distro("pkg:deb/debian/bash@5.1-6?arch=amd64", &os),
            "pkg:deb/ubuntu/bash@5.1-6?arch=amd64&distro=ubuntu-22.04"
        );
    }
}
