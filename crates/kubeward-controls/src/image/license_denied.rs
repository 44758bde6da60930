use super::image_check;
use crate::control;
use crate::pss::frameworks;
use crate::workload::nsa;

control! {
    /// ## What it does
    /// Checks each image package's declared licence (an SPDX expression, where the package
    /// states one) against the licence policy of `.kubeward.yaml`:
    /// `licenses: {deny: [...], allow: [...]}`, lists of SPDX licence IDs. A package is
    /// reported when its expression cannot be satisfied without a denied licence
    /// (`GPL-2.0-only OR MIT` passes a deny list of `GPL-2.0-only`; `GPL-2.0-only AND MIT`
    /// does not), or, with an allow list, when it cannot be satisfied with allowed licences
    /// only. A declared licence that is not an SPDX expression is reported under an allow
    /// list (it cannot be shown to be allowed). Packages without a declared licence are not
    /// judged. Without a `licenses` section this check finds nothing.
    ///
    /// ## Why it matters
    /// What ships in an image is distributed with it: a copyleft or commercial licence the
    /// organisation does not accept becomes an obligation of every release. Tracking the
    /// licences of what ships is part of the build-stage guidance for images.
    ///
    /// ## Example
    /// ```yaml
    /// # .kubeward.yaml
    /// licenses:
    ///   deny: [AGPL-3.0-only, AGPL-3.0-or-later]
    /// ```
    /// A package declaring `AGPL-3.0-only` is reported.
    ///
    /// ## How to fix
    /// Replace the package, obtain it under another licence, or (after legal review) exclude
    /// the finding in `.kubeward.yaml` with a reason.
    pub struct LicenseDenied;
    id: "KW1102",
    name: "image-license-denied",
    title: "Image package under a licence the policy denies",
    severity: Medium,
    remediation: "Replace the package or obtain it under an accepted licence; if legal review accepts it, exclude the finding in .kubeward.yaml with a reason.",
    frameworks: frameworks(None, &[nsa::IMAGES], &[], &[]),
}

image_check!(LicenseDenied);
