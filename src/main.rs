//! The `policy-watch` binary: parse arguments, run, map the outcome to an exit code.

use clap::Parser;
use policy_watch::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("policy-watch: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(policy_watch::run(cli)) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(err) => {
            let err = anyhow::Error::from(err);
            eprintln!("policy-watch: {err:#}");
            // Errors that stop a whole run are bad configuration, usage or an unusable store.
            std::process::ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,policy_watch=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
