//! The kubeward command line: a thin layer that wires loaders, the engine and reporters.

/// mimalloc: parsing allocates many small strings and vectors; glibc malloc spent ~17% of a
/// scan in allocation (perf, BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (index 15 of `mi_option_e` in both v2 and v3 of
/// libmimalloc-sys 0.1.49's headers; default 10 ms in v2, 1000 ms in v3, which is built).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// `mi_option_arena_eager_commit` (index 4 in both headers; default 2: commit arenas whole
/// up front on systems that overcommit, such as Linux).
const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// How long freed memory may stay with the process before it goes back to the system: at
/// once in the webhook (`release_freed_memory_at_once`), 10 ms for the other commands
/// (mimalloc v2's default; v3's second kept too much, and 0 cost the scan 15% of its time in
/// system calls for 10 MB less; BENCHMARKS.md, "Memory and the allocator").
const SCAN_PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Give freed memory back to the system at once instead of a second later (at the freeing
/// thread's next allocation), and commit arena memory as it is used rather than whole.
///
/// For the webhook: an evaluation thread that goes idle after a large request otherwise keeps
/// every block the request grew through (a doubling token queue leaves ~2x its size behind):
/// measured, eight evaluations at the value budget took the peak from 68 to 150 MiB with the
/// delay and to 96 MiB without.
pub(crate) fn release_freed_memory_at_once() -> bool {
    tune_allocator(0)
}

/// Set mimalloc's purge delay and commit arenas on demand. For a scan: the worker threads'
/// parse trees come and go beside the facts kept for the cross-object pass and the risk
/// graph, and with v3's one-second delay the freed pages stayed resident: the 100,000-object
/// benchmark peaked at 220 MB, about 160 MB with these options. Each option is set only when
/// it has one of its documented defaults (or a value set here), i.e. the index is the one
/// this was written for.
fn tune_allocator(purge_delay_ms: std::ffi::c_long) -> bool {
    // SAFETY: plain calls into the linked mimalloc; options may be read and set at any time.
    unsafe {
        if matches!(mi_option_get(MI_OPTION_ARENA_EAGER_COMMIT), 2) {
            mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        }
        if !matches!(mi_option_get(MI_OPTION_PURGE_DELAY), 0 | 10 | 1000) {
            return false;
        }
        mi_option_set(MI_OPTION_PURGE_DELAY, purge_delay_ms);
    }
    true
}

mod cli;
mod cluster;
mod commands;
mod db;
mod fix;
mod helm;
mod image;
mod netpol;
mod policy;
mod rbac;
mod risks;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Every command; the webhook then gives memory back at once (and says when it cannot).
    tune_allocator(SCAN_PURGE_DELAY_MS);
    let cli = parse_command_line();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`kubeward controls | head`): nothing is left to tell it, and
        // the report is cut short, so the status is that of a process ended by SIGPIPE
        // (128 + 13), as C tools end, never 0 or 1 (under `set -o pipefail` a truncated scan
        // must not pass as clean).
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::from(141)
        }
        Err(e) => {
            eprintln!("kubeward: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The name of the binary as a kubectl plugin: installed on PATH under this name, it runs as
/// `kubectl kubeward ...` (kubectl finds `kubectl-<name>` and passes it the words after
/// `kubectl kubeward` unchanged, with the same environment, KUBECONFIG included).
const KUBECTL_PLUGIN: &str = "kubectl-kubeward";

/// Parse the arguments; as a kubectl plugin, usage and help name the command the way users
/// type it (`kubectl kubeward scan ...`).
fn parse_command_line() -> cli::Cli {
    use clap::{CommandFactory, FromArgMatches};
    let plugin = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .is_some_and(|stem| stem == KUBECTL_PLUGIN);
    if !plugin {
        return cli::Cli::parse();
    }
    let matches = cli::Cli::command()
        .bin_name("kubectl kubeward")
        .get_matches();
    cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}
