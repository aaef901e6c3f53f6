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
/// Its `override` feature (Cargo.toml) makes it the C `malloc` and `free`
/// of the whole process too, so SQLite's own allocations (every statement
/// and row) go through it as well rather than through glibc's.
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
