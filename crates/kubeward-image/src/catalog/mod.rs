//! The catalogers: each reads one kind of file and says which packages it holds.

mod exec;
pub mod go;
pub mod java;
// Byte-identical to the text catalogers' branch (img-catalog), so that the merge is clean;
// `with_distro` is theirs, used by the OS catalogers there.
#[allow(dead_code)]
mod purl;
pub mod rust;
