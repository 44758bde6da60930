use kubeward_model::FieldPath;

use crate::cluster::releases::{self, Support};
use crate::cluster::{CLUSTER_VERSION_API, CLUSTER_VERSION_KIND};
use crate::pss::frameworks;
use crate::workload::nsa;
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Compares the version the API server reports (`/version`) with an offline table of
    /// Kubernetes releases (`kubeward-controls/src/cluster/releases.rs`, written on the date it
    /// names) and flags a release past its end of life on the day of the scan. It reads the
    /// `kubeward.io/v1` `ClusterVersion` object that `kubeward cluster` writes for each
    /// cluster: `serverVersion` as the server returned it, `scannedOn` the scan's date (the
    /// table's date when absent). Vendor suffixes (`-eks-...`, `+k3s1`, `-gke...`) are
    /// ignored; a release newer than the table's newest is not judged.
    ///
    /// ## Why it matters
    /// A Kubernetes minor release gets security fixes for about 14 months. After that, every
    /// vulnerability found in the API server, kubelet or controllers stays open, and the
    /// cluster also misses the security features of later releases (Pod Security Admission
    /// from v1.23, bound service account tokens by default from v1.24). The NSA/CISA guidance
    /// asks to upgrade continuously.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubeward.io/v1
    /// kind: ClusterVersion
    /// metadata:
    ///   name: prod
    /// scannedOn: "2026-11-23"
    /// serverVersion:
    ///   gitVersion: v1.20.15   # flagged: end of life since 2022-02-28
    ///   major: "1"
    ///   minor: "20"
    /// ```
    ///
    /// ## How to fix
    /// Upgrade the control plane, then the nodes, one minor release at a time, to a release
    /// that is still supported (the finding lists them); keep upgrading at least once a year.
    pub struct VersionEndOfLife;
    id: "KW901",
    name: "kubernetes-version-end-of-life",
    title: "Cluster runs a Kubernetes release past its end of life",
    severity: High,
    remediation: "Upgrade the cluster, one minor release at a time, to a Kubernetes release that still gets security fixes.",
    frameworks: frameworks(
        None,
        &[nsa::UPGRADING],
        &[],
        &[super::mitre::EXPLOIT_PUBLIC_APP, crate::pss::mitre::PRIV_ESC_EXPLOIT],
    ),
}

impl Control for VersionEndOfLife {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let o = &t.object;
        if o.api_version != CLUSTER_VERSION_API || o.kind != CLUSTER_VERSION_KIND {
            return;
        }
        let Some(info) = o.root.get("serverVersion").filter(|n| n.is_map()) else {
            return;
        };
        let field = |k: &str| info.get(k).and_then(|n| n.as_str().map(|s| (n, s)));
        // gitVersion has the patch release; major/minor ("20+" on some vendors) otherwise.
        let (at, key, shown, parsed) = match field("gitVersion") {
            Some((n, s)) if releases::parse_version(s).is_some() => {
                (n, "gitVersion", s.to_string(), releases::parse_version(s))
            }
            _ => {
                let (Some((n, major)), Some((_, minor))) = (field("major"), field("minor")) else {
                    return;
                };
                let v = format!("{major}.{minor}");
                (n, "major", format!("v{v}"), releases::parse_version(&v))
            }
        };
        let Some((1, minor)) = parsed else { return };
        let date = o
            .root
            .get("scannedOn")
            .and_then(|n| n.as_str())
            .filter(|d| d.len() == 10)
            .unwrap_or(releases::WRITTEN);
        let ended = match releases::support(minor, date) {
            Support::EndOfLife(r) => format!("reached end of life on {}", r.end_of_life),
            Support::OlderThanTable => {
                let oldest = releases::RELEASES[0];
                format!(
                    "is older than v1.{} (end of life {})",
                    oldest.minor, oldest.end_of_life
                )
            }
            Support::Supported(_) | Support::NewerThanTable => return,
        };
        let supported: Vec<String> = releases::supported_on(date)
            .map(|r| format!("v1.{} (until {})", r.minor, r.end_of_life))
            .collect();
        let upgrade = if supported.is_empty() {
            format!(
                "the release table ({}) knows no release supported on {date}: check kubernetes.io/releases",
                releases::WRITTEN
            )
        } else {
            format!(
                "supported on {date} by the release table of {}: {}",
                releases::WRITTEN,
                supported.join(", ")
            )
        };
        cx.report(
            at,
            FieldPath::from("serverVersion").key(key),
            format!("Kubernetes {shown} {ended} and gets no security fixes; {upgrade}"),
        );
    }
}
