//! The `policy-watch` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

use std::io::{IsTerminal, Write};

use clap::Parser;

fn main() -> std::process::ExitCode {
    if stdout_probe::was_closed() {
        policy_watch::commands::note_stdout_closed_at_start();
    }
    let invocation = match cli::Cli::parse().into_invocation() {
        cli::Parsed::Run(invocation) => invocation,
        cli::Parsed::Print(text) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            return match out.write_all(&text).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("policy-watch: cannot write to stdout: {e}");
                    std::process::ExitCode::from(2)
                }
                _ => std::process::ExitCode::SUCCESS,
            };
        }
    };
    init_logging();
    match policy_watch::run_blocking(invocation) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(err) => {
            // The error and its causes, each once.
            eprintln!("policy-watch: {}", policy_watch::error::chain(&err));
            // Errors that stop a whole run are bad configuration, usage or an unusable store.
            std::process::ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, coloured only on a terminal and without NO_COLOR. No log level prints a
/// secret: the HTTP stack's own lines (which show a URL's `user:password@`, connection pool
/// keys and the like) stop at `info` whatever `RUST_LOG` asks, and every line is written
/// through [`Redacting`], which removes the secrets of the run's Slack destinations.
fn init_logging() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,policy_watch=info"));
    for crate_name in HTTP_STACK {
        if let Ok(cap) = format!("{crate_name}=info").parse() {
            filter = filter.add_directive(cap);
        }
    }
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting)
        .with_ansi(color)
        .with_target(false)
        .init();
}

/// The crates below the HTTP clients, whose debug and trace lines name URLs and connections.
const HTTP_STACK: [&str; 7] = [
    "hyper",
    "hyper_util",
    "hyper_rustls",
    "h2",
    "reqwest",
    "rustls",
    "tower",
];

/// Writes each log line to stderr once it is whole, with the run's secrets removed.
struct Redacting;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Redacting {
    type Writer = RedactedLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedLine(Vec::new())
    }
}

/// One log line being written; it goes out, redacted, when dropped.
struct RedactedLine(Vec<u8>);

impl Write for RedactedLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedLine {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.0);
        let clean = policy_watch::notify::redact_logged(&line);
        let _ = std::io::stderr().lock().write_all(clean.as_bytes());
    }
}

/// Whether stdout (fd 1) was closed when the process started (`check >&-`). The Rust runtime
/// opens `/dev/null` in place of a closed standard descriptor before `main`, which would make a
/// printed alert vanish as if delivered; this looks earlier, from the program's initialisers.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod stdout_probe {
    use std::sync::atomic::{AtomicBool, Ordering};

    static CLOSED: AtomicBool = AtomicBool::new(false);

    extern "C" fn probe() {
        // SAFETY: F_GETFD only reads the descriptor's flags; it touches no memory of ours.
        let flags = unsafe { libc::fcntl(1, libc::F_GETFD) };
        CLOSED.store(flags == -1, Ordering::Relaxed);
    }

    /// Run by the C runtime before `main` (and before the Rust runtime's own set-up).
    #[used]
    #[link_section = ".init_array"]
    static PROBE: extern "C" fn() = probe;

    pub fn was_closed() -> bool {
        CLOSED.load(Ordering::Relaxed)
    }
}

/// Elsewhere a closed stdout is not told apart from `/dev/null`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod stdout_probe {
    pub fn was_closed() -> bool {
        false
    }
}
