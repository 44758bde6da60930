use super::image_check;
use crate::cluster::mitre;
use crate::control;
use crate::pss::frameworks;
use crate::workload::nsa;

control! {
    /// ## What it does
    /// Matches every package of an image (OS packages from dpkg, apk and rpm databases;
    /// language packages: Go modules and the Go standard library, Python, npm, Java, Rust)
    /// against the imported OSV vulnerability data (`kubeward db import` / `update`), by the
    /// OSV rules: ecosystem ranges and explicit version lists, withdrawn records ignored,
    /// aliases (CVE, GHSA) merged into one finding. Distribution packages are matched by their
    /// source package, against the advisories of the image's OS release (`Debian:12`,
    /// `Alpine:v3.20`). One finding per vulnerability and package; its severity is the
    /// record's: the highest CVSS base score (critical from 9.0, high from 7.0, medium from
    /// 4.0, low above 0), else the record's own rating, else medium (the record rates nothing,
    /// as the Go vulnerability database never does; the finding says so).
    ///
    /// ## Why it matters
    /// A package with a published vulnerability is the easiest way into a container: exploits
    /// for known CVEs are public and scanned for at scale. The NSA/CISA hardening guidance
    /// asks to scan images for vulnerabilities when they are built and regularly after, since
    /// new vulnerabilities are found in packages that have not changed.
    ///
    /// ## Example
    /// ```json
    /// {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
    ///   {"type": "library", "name": "jinja2", "version": "2.10", "purl": "pkg:pypi/jinja2@2.10"}]}
    /// ```
    /// `kubeward image sbom.cdx.json` reports PYSEC-2019-217 (CVE-2019-10906, sandbox escape),
    /// fixed in 2.10.1.
    ///
    /// ## How to fix
    /// Rebuild the image on a patched base image or with the package upgraded to the fixed
    /// version the finding names. A vulnerability without a fix yet (`--ignore-unfixed` hides
    /// those) or one that does not apply can be excluded in `.kubeward.yaml` by its ID, with a
    /// reason and an expiry date.
    pub struct VulnerablePackage;
    id: "KW1101",
    name: "image-vulnerable-package",
    title: "Image package with a known vulnerability",
    severity: High,
    remediation: "Upgrade the package to the fixed version (or rebuild on a patched base image); exclude the vulnerability by ID in .kubeward.yaml, with a reason and an expiry, if it does not apply.",
    frameworks: frameworks(None, &[nsa::IMAGES, nsa::UPGRADING], &[], &[mitre::EXPLOIT_PUBLIC_APP]),
}

image_check!(VulnerablePackage);
