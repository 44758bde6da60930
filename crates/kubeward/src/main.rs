//! The kubeward command line: a thin layer that wires loaders, the engine and reporters.

/// mimalloc: parsing allocates many small strings and vectors; glibc malloc spent ~17% of a
/// scan in allocation (perf, BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod cluster;
mod commands;
mod rbac;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("kubeward: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
