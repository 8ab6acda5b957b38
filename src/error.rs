//! The library's typed errors, each worded so that a user can act on it. Each keeps its cause
//! (the io, HTTP, JSON or PDF error) as its `source()`. A message that a report prints alone
//! quotes its cause; [`chain`], which the binary prints an error with, never says a cause twice.

use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

/// A configuration that cannot be used (exit code 2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {}: {error}\n  help: give the path of a policy-watch.toml with --config, or leave --config out to use ./policy-watch.toml or the built-in targets", path.display())]
    Read {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("{file}:{line}: {message}\n  help: {help}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
        help: String,
    },
    #[error("{file}:{line}: {key}: {message}\n  help: {help}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
        help: String,
    },
    #[error("no target has the id `{id}` (configured: {known})")]
    UnknownTarget { id: String, known: String },
}

/// Why a page could not be fetched. None of these ever touches a stored snapshot.
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum FetchError {
    #[error("timed out after {secs} s")]
    Timeout { secs: u64 },
    #[error("host name `{host}` does not resolve")]
    Dns { host: String },
    #[error("connection failed: {}", causes(error))]
    Connect {
        #[source]
        error: Arc<reqwest::Error>,
    },
    #[error("server answered HTTP {status}")]
    Status { status: u16 },
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: usize },
    #[error("the page is larger than the size cap of {limit} bytes (http.max_body_bytes)")]
    TooLarge { limit: u64 },
    #[error("the server answered HTTP {status} with a challenge for browsers (a bot wall)")]
    Challenge { status: u16 },
    #[error("not an HTML page or a PDF (Content-Type: {content_type})")]
    NotHtml { content_type: String },
    #[error("the server answered 304 Not Modified to a request that was not conditional")]
    NotModifiedUnasked,
    #[error("{}", causes(error))]
    Other {
        #[source]
        error: Arc<reqwest::Error>,
    },
}

impl FetchError {
    /// Whether trying again may help.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } => true,
            FetchError::Status { status } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// Why the headless browser could not render a page.
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum BrowserError {
    #[error("no Chromium or Chrome was found (tried POLICY_WATCH_BROWSER, [browser] executable, then chromium, chromium-browser, google-chrome, chrome and chromium-headless-shell on PATH)\n  help: install one (Debian or Ubuntu: `apt-get install chromium`), or set POLICY_WATCH_BROWSER to the path of a Chromium or Chrome executable")]
    NotFound,
    #[error("{what} is not an executable file\n  help: set POLICY_WATCH_BROWSER (or [browser] executable) to the path of a Chromium or Chrome executable")]
    Missing { what: String },
    #[error("cannot start the browser {exe}: {error}")]
    Start {
        exe: String,
        #[source]
        error: Arc<std::io::Error>,
    },
    #[error("the browser {exe} exited{}", if stderr.trim().is_empty() { String::new() } else { format!("; it said: {}", stderr.trim()) })]
    Exited { exe: String, stderr: String },
    #[error("the browser {exe} did not answer within {secs} s; is it a Chromium or Chrome?\n  help: set POLICY_WATCH_BROWSER to a Chromium or Chrome executable")]
    NoAnswer { exe: String, secs: u64 },
    #[error("the page did not finish rendering within {secs} s ([browser] timeout_secs)")]
    Timeout { secs: u64 },
    /// Why, in words (the browser's own, `net::ERR_NAME_NOT_RESOLVED`, or what it did): the
    /// browser gives no error value to keep.
    #[error("the browser could not load the page: {why}")]
    Navigate { why: String },
    #[error("in the browser too, the server answered HTTP {status}")]
    Status { status: u16 },
    #[error(
        "the rendered page is larger than the size cap of {limit} bytes (http.max_body_bytes)"
    )]
    TooLarge { limit: u64 },
    /// What the browser said was wrong, in its own words (it has no error value to keep).
    #[error("the browser answered oddly: {0}")]
    Protocol(String),
    #[error("internal error: starting the browser crashed: {0}")]
    Crashed(#[source] Arc<tokio::task::JoinError>),
}

/// Why HTML could not be turned into content.
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum ExtractError {
    #[error(
        "none of the content selectors matched ({selectors}); the page layout may have changed"
    )]
    NoRoot { selectors: String },
    #[error("the page extracts to almost nothing ({chars} characters of text); treated as a failed fetch, not as a removed policy")]
    NearlyEmpty { chars: usize },
    #[error("the page extracts to {now} characters of text, down from {before}; treated as a failed fetch (run `policy-watch accept` if the cut is real)")]
    Shrunk { now: usize, before: usize },
    #[error("the page reads as an error, sign-in or \"not found\" page (\u{201c}{heading}\u{201d}), not the document; treated as a failed fetch")]
    ErrorPage { heading: String },
    #[error("the page is not the document that was stored: it shares almost none of its text, and its heading is now \u{201c}{heading}\u{201d}; treated as a failed fetch (run `policy-watch accept` if the document was really replaced)")]
    NotTheDocument { heading: String },
    #[error("the PDF has no text layer ({pages} pages and no text): it looks scanned, and policy-watch reads only the text of a PDF")]
    Scanned { pages: usize },
    #[error("the PDF cannot be read: {0}")]
    Pdf(#[source] Arc<lopdf::Error>),
    #[error("the PDF cannot be read: it is encrypted with a password")]
    PdfEncrypted(#[source] Arc<lopdf::Error>),
    #[error("the PDF cannot be read: cannot start the PDF reader: {0}")]
    PdfReader(#[source] Arc<std::io::Error>),
    /// The reader panicked; `said` is its panic message.
    #[error("the PDF cannot be read: the PDF reader crashed on this file ({said})")]
    PdfCrashed { said: String },
    #[error("the PDF cannot be read: reading it took longer than {secs} s")]
    PdfTimeout { secs: u64 },
    #[error("the PDF cannot be read: the PDF reader stopped")]
    PdfStopped,
    #[error("reading the page's content took longer than its time budget ({secs} s): the page is left as it is and the other targets go on\n  help: a page of this shape is not one a policy page has; check it with `policy-watch preview`")]
    TooSlow { secs: u64 },
}

/// A snapshot store that cannot be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("another policy-watch run holds the snapshot folder {} ({holder})\n  help: wait for it to finish; a lock left by a process that died is taken over automatically", dir.display())]
    Locked { dir: PathBuf, holder: String },
    #[error("the snapshot folder {} cannot be written: {error}\n  help: check its permissions and the free disk space", dir.display())]
    NotWritable {
        dir: PathBuf,
        #[source]
        error: std::io::Error,
    },
    /// A commit that a killed or failed run left could not be finished.
    #[error("the snapshot folder {} cannot be written: the commit an earlier run left in {} cannot be finished: {error}\n  help: check the permissions, the free disk space and what is in the way", dir.display(), journal.display())]
    Unfinished {
        dir: PathBuf,
        journal: PathBuf,
        #[source]
        error: Box<StoreError>,
    },
    /// A file or folder of the store that is not what the store makes there (a link, a journal
    /// naming files it never staged): not used, not deleted, and nothing is delivered.
    #[error("refused {}: {why}\n  help: {help}", path.display())]
    Refused {
        path: PathBuf,
        why: Refusal,
        help: &'static str,
    },
}

/// Why the store refused one of the files in its folder.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    #[error("it is a symbolic link, and policy-watch never follows a link in the snapshot folder")]
    Link,
    #[error("it is not a plain file")]
    NotAFile,
    #[error("it is not a folder")]
    NotAFolder,
    #[error("it has a second name (a hard link), so writing it could change a file elsewhere")]
    HardLinked,
    #[error("it is larger than {0} bytes")]
    TooLarge(u64),
    #[error("it is on another file system than the snapshot folder, so nothing staged in it could be renamed into place")]
    OtherFileSystem,
    #[error("it is not a journal policy-watch writes ({0})")]
    NotAJournal(String),
    #[error("it names `{0}`, which is not a file policy-watch stages for a target's snapshot")]
    ForeignName(String),
    #[error("it names the files of more than one target")]
    MixedTargets,
}

/// Why a target's remembered alert state cannot be trusted: the entry is reset (that target
/// alone) and the reason reported.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidState {
    #[error("{0} failures in a row (at most {1} are ever counted)")]
    Failures(u32, u32),
    #[error("{0} findings (at most {1} are kept)")]
    TooManyFindings(usize, usize),
    #[error("finding {0}: {1}")]
    Finding(usize, &'static str),
    #[error("{0} versions (at most {1} are kept)")]
    TooManyVersions(usize, usize),
    #[error("version {0}: not a content hash")]
    VersionHash(usize),
    #[error("version {0}: its date {1} lies outside the years policy-watch could have seen it")]
    VersionDate(usize, String),
    #[error("Slack thread: {0}")]
    Thread(&'static str),
    #[error("unconfirmed change: {0}")]
    Unconfirmed(&'static str),
    #[error("language drift {0}: {1}")]
    Drift(usize, &'static str),
}

/// Why a stored alert state was not used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StateProblem {
    #[error(transparent)]
    Refused(Refusal),
    #[error("cannot be read: {0}")]
    Unreadable(#[source] std::io::Error),
    /// The file is not the JSON policy-watch writes; its text is cut and made printable, since
    /// anyone who can commit can write it.
    #[error("not valid alert state ({})", crate::text::printable(&.0.to_string(), 200))]
    Syntax(#[source] serde_json::Error),
    #[error("not valid alert state (not UTF-8 text: {0})")]
    NotText(#[source] std::str::Utf8Error),
    #[error(transparent)]
    Invalid(#[from] InvalidState),
    /// A target's entry in the `state.json` of an earlier release, read in place.
    #[error("its entry in {}: {problem}", path.display())]
    InLegacy {
        path: PathBuf,
        #[source]
        problem: Arc<StateProblem>,
    },
}

/// Why one target could not be processed in this run. The target fails alone: the others go
/// on, and its snapshot is not touched.
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum TargetError {
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The page was fetched but gave no usable content.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The page needs a browser (`why`), and rendering it failed.
    #[error("this page needs a browser ({why}), and rendering it failed: {error}")]
    Browser {
        why: String,
        #[source]
        error: BrowserError,
    },
    /// The stored snapshot does not hold together (hand-edited, half-written, not a file).
    #[error("snapshot damaged: {file}: {why}\n  help: restore it with `git checkout -- {file}`, or run `policy-watch accept {id}` to store the page as it is now")]
    Damaged {
        id: String,
        file: String,
        why: String,
    },
    /// The stored snapshot could not be read or written.
    #[error(transparent)]
    Store(Arc<StoreError>),
    /// The page changed, but the second fetch that was to confirm the change failed. What
    /// the first fetch saw is remembered: a next run whose first fetch sees it again
    /// announces it.
    #[error("the page changed, but the fetch that was to confirm it failed ({error}); the change is announced when the next run sees it again")]
    Unconfirmed {
        #[source]
        error: Box<TargetError>,
        seen: crate::alert::Unconfirmed,
    },
    /// A bug: what should not happen, happened.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A bug: extraction crashed on this page.
    #[error("internal error: extraction crashed: {error}")]
    Crashed {
        #[source]
        error: Arc<tokio::task::JoinError>,
    },
}

/// A notification that was not delivered, naming the channel it was for (`Slack`, …). Its
/// text never holds a secret.
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum NotifyError {
    /// The channel will not take the message as it is (its own words, and what to do).
    #[error("{channel} refused the message: {reason}")]
    Rejected {
        channel: &'static str,
        reason: String,
    },
    /// No answer, or only server errors, after the retries.
    #[error("{channel} did not take the message: {reason}")]
    Unreachable {
        channel: &'static str,
        reason: String,
    },
    /// The channel's settings in the environment cannot be used (exit code 2).
    #[error("{channel} settings: {reason}")]
    Settings {
        channel: &'static str,
        reason: String,
    },
    /// The channel's TLS client cannot be set up.
    #[error("cannot set up TLS for {channel}")]
    Tls {
        channel: &'static str,
        #[source]
        error: Arc<reqwest::Error>,
    },
}

impl NotifyError {
    /// Whether the channel did not answer (as opposed to refusing): later messages in the
    /// run are not tried.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, NotifyError::Unreachable { .. })
    }

    /// The same error with `before` said first (where in a delivery it happened).
    pub fn after(self, before: &str) -> Self {
        match self {
            NotifyError::Rejected { channel, reason } => NotifyError::Rejected {
                channel,
                reason: format!("{before}{reason}"),
            },
            NotifyError::Unreachable { channel, reason } => NotifyError::Unreachable {
                channel,
                reason: format!("{before}{reason}"),
            },
            NotifyError::Settings { channel, reason } => NotifyError::Settings {
                channel,
                reason: format!("{before}{reason}"),
            },
            tls @ NotifyError::Tls { .. } => tls,
        }
    }
}

/// Why the history site could not be built (exit code 2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SiteError {
    #[error("the snapshot folder {} does not exist\n  help: run `policy-watch site` where the watch job commits its snapshots (or name that config with --config)", dir.display())]
    NoSnapshots { dir: PathBuf },
    #[error("the snapshot folder {} is not in a git repository: the site is made from its git history\n  help: run `policy-watch site` in a clone of the repository the watch job commits to", dir.display())]
    NotInGit { dir: PathBuf },
    #[error("cannot run git: {error}\n  help: install git (the site is read from the snapshot folder's git history)")]
    GitMissing {
        #[source]
        error: std::io::Error,
    },
    /// Git's own words on stderr.
    #[error("`git {args}` failed: {stderr}")]
    Git { args: String, stderr: String },
    #[error("`git {args}` printed something that is not UTF-8: {error}")]
    GitText {
        args: String,
        #[source]
        error: std::str::Utf8Error,
    },
    #[error("cannot read what `git {args}` printed: {error}")]
    GitRead {
        args: &'static str,
        #[source]
        error: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("{} is a symbolic link: the site is written only into real folders under --out, never through a link\n  help: give --out a real folder, or remove the link", path.display())]
    Symlink { path: PathBuf },
    #[error("`{path}` would lie outside the output folder")]
    Outside { path: String },
    #[error("--out {} is inside the snapshot folder {}\n  help: write the site elsewhere, e.g. --out site", out.display(), snapshots.display())]
    OutInSnapshots { out: PathBuf, snapshots: PathBuf },
    #[error("--base-url `{url}` is not an http(s) URL\n  help: give the address the site is published at, e.g. https://example.github.io/policy-watch/")]
    BaseUrl { url: String },
}

/// Any failure of a whole command.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("internal error: {what} crashed")]
    Crashed {
        what: &'static str,
        #[source]
        error: tokio::task::JoinError,
    },
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("cannot write to stdout")]
    Output(#[source] std::io::Error),
}

/// An error and its causes, one after the other, each once: a cause whose words its error
/// already says is not said again. How an error is told at the edge, and wherever a cause
/// must be seen whole.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// What went wrong below a reqwest error, without the URL reqwest puts into its own message
/// (a page's query may hold a token).
pub(crate) fn causes(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    if parts.is_empty() {
        parts.push(
            if e.is_body() {
                "the connection broke while reading the body"
            } else {
                "request failed"
            }
            .to_string(),
        );
    }
    parts.dedup();
    parts.join(": ")
}

/// Why a `mailto:` or `tel:` link cannot be followed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContactError {
    #[error("no e-mail address")]
    NoAddress,
    #[error("\u{201c}{0}\u{201d} is not an e-mail address")]
    NotAnAddress(String),
    #[error("\u{201c}{0}\u{201d} is not a phone number")]
    NotANumber(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_says_each_cause_once() {
        let write = StoreError::Write {
            path: PathBuf::from("/snapshots/a.md"),
            error: std::io::Error::other("No space left on device"),
        };
        // The message already quotes its cause: it is not said again.
        assert_eq!(
            chain(&write),
            "cannot write /snapshots/a.md: No space left on device"
        );
        assert!(
            std::error::Error::source(&write).is_some(),
            "the cause is kept"
        );
        // A message of its own layer only: the cause follows it.
        let output = Error::Output(std::io::Error::other("Broken pipe"));
        assert_eq!(chain(&output), "cannot write to stdout: Broken pipe");
        // Wrapped twice, through a transparent layer: still once.
        let unfinished = Error::Store(StoreError::Unfinished {
            dir: PathBuf::from("/s"),
            journal: PathBuf::from("/s/j"),
            error: Box::new(write),
        });
        assert_eq!(chain(&unfinished).matches("No space left").count(), 1);
    }
}
