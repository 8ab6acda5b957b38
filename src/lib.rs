//! policy-watch keeps watch over privacy policies.
//!
//! The pipeline, one module a stage:
//! [`config`] → [`fetch`] → [`extract`] → compare with [`snapshot`] ([`diff`]) → [`report`] →
//! [`notify`], with [`inspect`] looking at links and languages on the side. [`pipeline`] runs
//! it; [`app`] maps commands to it and to exit codes.

pub mod app;
pub mod cli;
pub mod config;
pub mod diff;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod inspect;
pub mod notify;
pub mod pipeline;
pub mod report;
pub mod snapshot;

pub use app::{run, ExitCode};
pub use config::{Config, Target};
pub use error::Error;
