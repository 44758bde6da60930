//! kubeward's offline vulnerability database: see README.md.

pub mod version;
