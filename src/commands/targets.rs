//! `targets`: the configured targets, one per line, in aligned columns.

use super::{print_failed, ExitCode, Printer};
use crate::config::Config;
use crate::error::Error;
use crate::snapshot::Store;

pub(super) fn run(config: &Config, out: &Printer) -> Result<ExitCode, Error> {
    let store = Store::new(config.snapshot_dir.clone());
    let rows: Vec<[String; 5]> = config
        .targets
        .iter()
        .map(|t| {
            let mut checks = vec!["empty links"];
            if t.check_links {
                checks.push("link check");
            }
            let langs = t.languages.join("+");
            if !langs.is_empty() {
                checks.push(&langs);
            }
            // How it is read: the `render` setting, and how the stored snapshot was read.
            let mut read = format!("render {}", t.render.as_str());
            if let Some(meta) = store.load_meta(&t.id) {
                read.push_str(&format!(", last read by {}", meta.read));
            }
            [
                t.id.clone(),
                t.name.clone(),
                t.url.to_string(),
                read,
                checks.join(", "),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "URL", "READ", "CHECKS"].map(String::from);
    let width = |i: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3)];
    let mut text = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter().enumerate() {
            text.push_str(&r[i]);
            text.push_str(&" ".repeat(w - r[i].chars().count() + 2));
        }
        text.push_str(&r[4]);
        text.push('\n');
    }
    out.print(&text).map_err(print_failed)?;
    Ok(ExitCode::Ok)
}
