//! The integration tests, one binary (as ripgrep does) so that the shared helpers compile once.
//! Every page is served by a local HTTP server the test starts itself; every Slack message
//! goes to a local mock. Nothing here reaches beyond 127.0.0.1.

/// The binary's command line, compiled in as it is, for the tests that parse with it.
#[allow(dead_code)]
#[path = "../../src/cli.rs"]
mod binary_cli;
mod cli;
mod common;
mod crash;
mod delivery;
mod facts;
mod inspect;
mod pipeline;
mod reach;
mod reading;
mod realworld;
mod shard;
mod site;
mod slack;
mod store;
mod transactions;
mod walk;
mod workflow;
