//! The catalogers: each reads one kind of file and says which packages it holds.

mod exec;
pub mod go;
pub mod rust;
