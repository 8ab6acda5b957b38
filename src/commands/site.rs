//! `site`: builds the snapshot folder's git history as a static web site with Atom feeds
//! under `--out`, and says what it wrote.

use std::path::Path;
use std::time::Instant;

use super::{print_failed, ExitCode, Printer};
use crate::config::Config;
use crate::error::Error;
use crate::site;
use crate::text::plural;

pub(super) fn run(
    config: &Config,
    out_dir: &Path,
    base_url: Option<&str>,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let base = base_url.map(site::parse_base).transpose()?;
    let started = Instant::now();
    let built = site::build(config, out_dir, base.as_ref())?;
    let mut text = format!(
        "site: {} with {} and {} written to {} ({} files, {:.1} s)\n",
        plural(built.targets, "policy", "policies"),
        plural(built.versions, "version", "versions"),
        plural(built.changes, "change", "changes"),
        out_dir.join("index.html").display(),
        built.files,
        started.elapsed().as_secs_f64(),
    );
    if built.shallow {
        text.push_str("note: the repository is a shallow clone; only the versions in its commits are shown (git fetch --unshallow shows them all)\n");
    }
    out.print(&text).map_err(print_failed)?;
    Ok(ExitCode::Ok)
}
