//! The `policy-watch` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

use std::io::IsTerminal;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let invocation = cli::Cli::parse().into_invocation();
    init_logging();
    match policy_watch::run_blocking(invocation) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(err) => {
            eprintln!("policy-watch: {:#}", anyhow::Error::from(err));
            // Errors that stop a whole run are bad configuration, usage or an unusable store.
            std::process::ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, coloured only on a terminal and without NO_COLOR.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,policy_watch=info"));
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .init();
}
