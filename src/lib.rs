//! policy-watch keeps watch over privacy policies.
//!
//! The pipeline, one module a stage:
//! [`config`] → `fetch` (or a headless [`browser`], as `read` decides) → [`document`] → [`extract`] → compare with `snapshot` ([`diff`]) → [`report`] →
//! [`notify`], with [`inspect`] looking at links and languages on the side. `observe` runs
//! the stages up to the comparison for one target, `alert` decides what to announce, and
//! [`commands`] turns each command into a sequence of per-target transactions; [`site`] makes
//! the snapshot folder's git history a web site. The crate-private
//! modules are drawn in `docs/ARCHITECTURE.md`.

pub(crate) mod alert;
pub mod browser;
pub mod commands;
pub mod config;
pub mod diff;
pub mod document;
pub mod error;
pub mod extract;
pub mod facts;
pub(crate) mod fetch;
pub(crate) mod hash;
pub mod inspect;
pub mod notify;
pub(crate) mod observe;
pub(crate) mod outcome;
pub mod progress;
pub(crate) mod read;
pub mod report;
pub(crate) mod retry;
pub mod shard;
pub mod site;
pub(crate) mod snapshot;
pub(crate) mod text;
pub(crate) mod tls;

pub use commands::{run, run_blocking, Command, ExitCode, Invocation};
pub use config::{Config, Target};
pub use error::Error;

/// For serde's `skip_serializing_if`: a zero, a `false`, an empty value is not written.
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
