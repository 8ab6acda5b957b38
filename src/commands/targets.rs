//! `targets`: the configured targets, one per line, in aligned columns.

use super::{print_failed, ExitCode, Printer};
use crate::config::Config;
use crate::error::Error;

pub(super) fn run(config: &Config, out: &Printer) -> Result<ExitCode, Error> {
    let rows: Vec<[String; 4]> = config
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
            [
                t.id.clone(),
                t.name.clone(),
                t.url.to_string(),
                checks.join(", "),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "URL", "CHECKS"].map(String::from);
    let width = |i: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut text = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter().enumerate() {
            text.push_str(&r[i]);
            text.push_str(&" ".repeat(w - r[i].chars().count() + 2));
        }
        text.push_str(&r[3]);
        text.push('\n');
    }
    out.print(&text).map_err(print_failed)?;
    Ok(ExitCode::Ok)
}
