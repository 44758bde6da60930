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

/// `n` pseudo-random bytes (xorshift64, reproducible from `seed`).
pub fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}
