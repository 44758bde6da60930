//! Helpers shared by the cataloger tests.

use kubeward_image::{Evidence, Package};

/// The packages of a cataloger's evidence; any other evidence fails the test.
pub fn only_packages(evidence: Vec<Evidence>) -> Vec<Package> {
    evidence
        .into_iter()
        .map(|e| match e {
            Evidence::Package(p) => p,
            other => panic!("unexpected evidence {other:?}"),
        })
        .collect()
}
