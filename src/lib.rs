//! policy-watch keeps watch over privacy policies.
//!
//! The pipeline, one module a stage:
//! [`config`] → [`fetch`] → [`extract`] → compare with [`snapshot`] ([`diff`]) → [`report`] →
//! [`notify`], with [`inspect`] looking at links and languages on the side. [`observe`] runs
//! the stages up to the comparison for one target, [`alert`] decides what to announce, and
//! [`commands`] turns each command into a sequence of per-target transactions.

pub mod alert;
pub mod commands;
pub mod config;
pub mod diff;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod inspect;
pub mod notify;
pub mod observe;
pub mod report;
pub mod retry;
pub mod snapshot;

pub use commands::{run, Command, ExitCode, Invocation};
pub use config::{Config, Target};
pub use error::Error;
