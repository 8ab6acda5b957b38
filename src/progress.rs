//! A sign of life on stderr while a command works: one status line, redrawn in place
//! ("policy-watch: 9/10 done · waiting for CrossEngage privacy policy (12 s)"), drawn only when
//! stderr is a terminal and cleared before anything else is written to the terminal.
//!
//! Hand-written rather than indicatif: one line of text needs no extra crates in the cron
//! job's cold build.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a command runs before the line appears (a quick run shows none).
const QUIET_FOR: Duration = Duration::from_millis(800);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// The line on the terminal now, if any. Everything that writes to the terminal while a line
/// may be drawn goes through [`around`], which clears it first and draws it again after.
static LINE: Mutex<Option<String>> = Mutex::new(None);

fn line() -> MutexGuard<'static, Option<String>> {
    LINE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `write` (which writes to stdout or stderr) with the status line out of the way.
pub fn around<T>(write: impl FnOnce() -> T) -> T {
    let drawn = line();
    if drawn.is_some() {
        let _ = std::io::stderr().write_all(b"\r\x1b[2K");
    }
    let out = write();
    if let Some(text) = drawn.as_deref() {
        let _ = std::io::stderr().write_all(text.as_bytes());
        let _ = std::io::stderr().flush();
    }
    out
}

/// Stderr for the log: each write clears the status line first and draws it again after a
/// finished line (`tracing_subscriber`'s writer: `.with_writer(progress::stderr)`).
pub fn stderr() -> Stderr {
    Stderr
}

/// See [`stderr`].
#[derive(Debug)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        around(|| std::io::stderr().write_all(buf)).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Targets in flight and done, for the status line.
#[derive(Debug)]
struct Work {
    total: usize,
    done: usize,
    /// In the order they started: name and when.
    pending: Vec<(u64, String, Instant)>,
    next: u64,
}

/// The progress of one command over its targets. Off a terminal it does nothing; dropped, it
/// clears its line (on every way out of the command, an error too).
#[derive(Debug)]
pub struct Progress {
    work: Option<Arc<Mutex<Work>>>,
    stop: Arc<AtomicBool>,
}

/// One target in flight; dropping it counts the target as done.
#[derive(Debug)]
pub struct InFlight {
    work: Option<Arc<Mutex<Work>>>,
    key: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(work) = &self.work {
            let mut w = work.lock().unwrap_or_else(PoisonError::into_inner);
            w.pending.retain(|(k, _, _)| *k != self.key);
            w.done += 1;
        }
    }
}

impl Progress {
    /// Starts the line for `total` targets when stderr is a terminal; needs a Tokio runtime.
    pub fn start(total: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() || total == 0 {
            return Progress { work: None, stop };
        }
        let work = Arc::new(Mutex::new(Work {
            total,
            done: 0,
            pending: Vec::new(),
            next: 0,
        }));
        let started = Instant::now();
        let (w, s) = (work.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::time::sleep(QUIET_FOR).await;
            loop {
                let text = {
                    let w = w.lock().unwrap_or_else(PoisonError::into_inner);
                    status(&w, started.elapsed())
                };
                if !draw(&s, Some(text)) {
                    break;
                }
                tokio::time::sleep(TICK).await;
            }
        });
        Progress {
            work: Some(work),
            stop,
        }
    }

    /// A target starts; it is done when the returned guard is dropped.
    pub fn begin(&self, name: &str) -> InFlight {
        let key = self.work.as_ref().map_or(0, |work| {
            let mut w = work.lock().unwrap_or_else(PoisonError::into_inner);
            let key = w.next;
            w.next += 1;
            w.pending.push((key, name.to_string(), Instant::now()));
            key
        });
        InFlight {
            work: self.work.clone(),
            key,
        }
    }

    /// Stops drawing and clears the line.
    pub fn finish(&self) {
        if self.work.is_some() {
            draw(&self.stop, None);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// "policy-watch: 9/10 done · waiting for NAME (12 s) and 2 more".
fn status(w: &Work, elapsed: Duration) -> String {
    let mut text = format!("policy-watch: {}/{} done", w.done.min(w.total), w.total);
    match w.pending.first() {
        Some((_, name, since)) => {
            text.push_str(&format!(
                " · waiting for {name} ({} s)",
                since.elapsed().as_secs()
            ));
            if w.pending.len() > 1 {
                text.push_str(&format!(" and {} more", w.pending.len() - 1));
            }
        }
        None => text.push_str(&format!(" · {} s", elapsed.as_secs())),
    }
    text
}

/// Replaces the line on the terminal; `None` clears it for good (`stop` is set, and a tick
/// that comes late draws nothing: both happen under the line's lock).
/// Whether the line is still live.
fn draw(stop: &AtomicBool, text: Option<String>) -> bool {
    let mut drawn = line();
    if text.is_some() && stop.load(Ordering::Relaxed) {
        return false;
    }
    if text.is_none() {
        stop.store(true, Ordering::Relaxed);
        if drawn.is_none() {
            return false;
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"\r\x1b[2K");
    if let Some(t) = &text {
        // Never wider than a narrow terminal: a wrapped line cannot be cleared in place.
        let t: String = t.chars().take(79).collect();
        let _ = err.write_all(t.as_bytes());
        *drawn = Some(t);
    } else {
        *drawn = None;
    }
    let _ = err.flush();
    text.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_oldest_target_in_flight_and_counts_the_rest() {
        let now = Instant::now();
        let w = Work {
            total: 10,
            done: 7,
            pending: vec![
                (1, "CrossEngage privacy policy".into(), now),
                (2, "Appcues".into(), now),
                (3, "Mixpanel".into(), now),
            ],
            next: 4,
        };
        assert_eq!(
            status(&w, Duration::from_secs(3)),
            "policy-watch: 7/10 done · waiting for CrossEngage privacy policy (0 s) and 2 more"
        );
    }
}
