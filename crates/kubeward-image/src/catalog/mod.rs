//! The catalogers: one small module per package database or metadata format.
//!
//! Each cataloger reads one file at a time (see [`Cataloger`]); what needs more than one file
//! (the distribution of a dpkg package, the licence in its `copyright` file) is joined in
//! [`Cataloger::finish`] from the evidence the walk kept.
//!
//! OS packages (dpkg, apk, rpm) are first named with the ecosystem their database implies
//! (`Debian`, `Alpine`, and `rpm` for an rpm database, which no advisory names) and a purl
//! without distribution; `finish` then takes the distribution from the image's os-release
//! ([`os::os_of`]) for the ecosystem (`Ubuntu`, `Rocky Linux`, ...), the purl namespace and its
//! `distro` qualifier.

pub mod apk;
pub mod deb822;
pub mod debian_copyright;
pub mod dpkg;
mod exec;
pub mod go;
pub mod java;
mod license;
pub mod npm;
pub mod os;
mod purl;
pub mod python;
mod read;
pub mod rpm;
pub mod rpm_header;
pub mod rust;

use crate::Cataloger;

pub use apk::Apk;
pub use dpkg::Dpkg;
pub use go::GoCataloger;
pub use java::JavaCataloger;
pub use npm::Npm;
pub use os::Os;
pub use python::Python;
pub use rpm::Rpm;
pub use rust::RustCataloger;

/// Every cataloger, in the order their packages are listed.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(Os),
        Box::new(Dpkg),
        Box::new(Apk),
        Box::new(Rpm),
        Box::new(Python),
        Box::new(Npm),
        Box::new(GoCataloger),
        Box::new(RustCataloger),
        Box::new(JavaCataloger),
    ]
}
