//! `preview ID`: fetch one target and print exactly what would be stored for it (the chosen
//! content root, the Markdown) and its findings; writes nothing. For writing a target.
//! Exit 0: shown, 2: the page could not be fetched or used.

use serde::Serialize;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::alert::TargetState;
use crate::document::ReadBy;
use crate::error::Error;
use crate::inspect::Finding;
use crate::observe::Mode;
use crate::outcome::{self, Input};
use crate::report::{escape_markdown, Format};
use crate::text::plural;

/// What `preview` shows (its JSON form).
#[derive(Debug, Serialize)]
struct Preview<'a> {
    id: &'a str,
    url: &'a str,
    final_url: String,
    /// How the document was read: `http`, `browser` or `pdf`.
    read: ReadBy,
    /// The selector that found the content root.
    root: &'a str,
    blocks: usize,
    text_chars: usize,
    markdown: &'a str,
    findings: &'a [Finding],
}

pub(super) async fn run(
    runner: Runner,
    id: &str,
    format: Format,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let target = runner
        .select(&[id.to_string()])?
        .pop()
        .expect("one id selects one target");
    let watched = runner.watched_urls();
    let mode = Mode {
        allow_shrink: true,
        fresh: true,
        ..Mode::default()
    };
    let obs = runner.observer.observe(target, &runner.store, mode).await;
    let findings = runner.inspect(&obs, &watched).await.unwrap_or_default();
    let cur = match &obs.result {
        Ok(cur) => cur,
        Err(e) => {
            let mut lines = e.to_string();
            lines.push('\n');
            out.print(&format!(
                "{} — cannot preview\n  {}",
                obs.target.name, lines
            ))
            .map_err(print_failed)?;
            return Ok(ExitCode::Trouble);
        }
    };
    // Exactly what `decide` would have stored for a first sight.
    let decided = outcome::decide(Input {
        obs: &obs,
        before: &TargetState::default(),
        findings: Some(&findings),
        mode: outcome::Mode::Preview,
        now: jiff::Timestamp::now(),
        site_url: None,
    });
    let markdown = decided
        .store
        .as_ref()
        .map_or(cur.markdown.as_str(), |p| p.snapshot.markdown.as_str());
    let p = Preview {
        id: &obs.target.id,
        url: obs.target.url.as_str(),
        final_url: cur.final_url.to_string(),
        read: cur.read,
        root: &cur.extracted.root,
        blocks: decided.report.blocks(),
        text_chars: cur.extracted.text_len(),
        markdown,
        findings: &findings,
    };
    let text = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&p).expect("preview serialises");
            s.push('\n');
            s
        }
        Format::Text => render_text(&p),
        Format::Markdown => render_markdown(&p),
    };
    out.print(&text).map_err(print_failed)?;
    Ok(ExitCode::Ok)
}

fn summary(p: &Preview<'_>) -> String {
    format!(
        "read by {}; content root `{}`: {}, {} of text",
        p.read,
        p.root,
        plural(p.blocks, "block", "blocks"),
        plural(p.text_chars, "character", "characters")
    )
}

fn render_text(p: &Preview<'_>) -> String {
    let mut s = format!("{} — preview\n  {}\n", p.id, p.url);
    if p.final_url != p.url {
        s.push_str(&format!("  lands on {}\n", p.final_url));
    }
    s.push_str(&format!("  {}\n", summary(p)));
    s.push_str(&format!("  would be stored as {}.md:\n\n", p.id));
    s.push_str(p.markdown);
    if !p.markdown.ends_with('\n') {
        s.push('\n');
    }
    s.push('\n');
    if p.findings.is_empty() {
        s.push_str("no findings\n");
    }
    for f in p.findings {
        s.push_str(&format!("! {}\n", f.message));
        if let Some(ctx) = &f.context {
            s.push_str(&format!("    {ctx}\n"));
        }
    }
    s
}

fn render_markdown(p: &Preview<'_>) -> String {
    let mut s = format!("## policy-watch preview: {}\n\n<{}>\n\n", p.id, p.url);
    s.push_str(&format!("{}.\n\n", escape_markdown(&summary(p))));
    s.push_str("````markdown\n");
    s.push_str(p.markdown);
    if !p.markdown.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("````\n\n");
    for f in p.findings {
        s.push_str(&format!("- ⚠️ {}\n", escape_markdown(&f.message)));
    }
    s
}
