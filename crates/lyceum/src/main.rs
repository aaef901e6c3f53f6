//! The `lyceum` binary. `main` only calls [`try_main`] and prints the error
//! chain, so every failure reaches the operator as a sentence that says
//! what to fix, never as a panic.

mod admin;
mod cli;
mod config;
mod demo;
mod demo_catalog;
mod demo_network;
mod mail;

/// mimalloc instead of the C library's allocator: a request allocates and
/// frees many small values (rows, strings, JSON) on several threads, where
/// glibc's malloc spent about a tenth of the server's time under load.
/// SQLite's own allocations stay with the C library's `malloc`: routing
/// them through mimalloc too (its `override` feature) gained nothing
/// measurable once statements stopped being planned again on every
/// execution, and kept 50 to 80 MB more resident (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match cli::try_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::from(2)
        }
    }
}
