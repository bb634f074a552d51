//! `civmap`: serve Hangzhou's civil-affairs map, import data, generate the synthetic city.
//!
//! The work is done by the `civmap_server` library (`src/lib.rs`); this is its `main`.
//!
//! Exit status: 0 on success, 2 on bad usage (clap), 1 on failure with a one-line reason
//! on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use civmap_server::cli;
use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "civmap=info,tower_http=warn".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("civmap: {e:#}");
            ExitCode::FAILURE
        }
    }
}
