//! `validate [ID]…`: fetch each target twice, a few seconds apart, and say whether its rules
//! hold: which selector matched, how much text it holds, and which blocks differ between the
//! two fetches (volatile), each with a suggested `ignore` rule. For CI on config changes.
//! Exit 0: sound, 1: a problem found, 2: trouble (a page could not be fetched).

use std::fmt::Write;
use std::time::Duration;

use futures::StreamExt;
use url::Url;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::config::Target;
use crate::document::ReadBy;
use crate::error::{Error, TargetError};
use crate::inspect::Finding;
use crate::observe::{Current, Mode};
use crate::text::{plural, truncate};

/// Less text than this in the content root is suspicious for a policy.
const FEW_CHARS: usize = 500;

pub(super) async fn run(
    runner: Runner,
    ids: &[String],
    interval: Duration,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let targets = runner.select(ids)?;
    let mode = Mode {
        allow_shrink: true,
        fresh: true,
        ..Mode::default()
    };
    let watched = runner.watched_urls();
    let limit = runner.config.http.max_concurrency;
    // First fetch of every target, at most `http.max_concurrency` in flight; each keeps only
    // what the verdict needs (its Markdown, not its page), the time it was read and its
    // findings.
    let first: Vec<(Target, Result<First, TargetError>)> = futures::stream::iter(targets)
        .map(|t| async {
            let obs = runner.observer.observe(t, &runner.store, mode).await;
            // The interval runs while the links are checked.
            let at = tokio::time::Instant::now();
            let found = runner.inspect(&obs, &watched).await.unwrap_or_default();
            let seen = obs.result.map(|cur| First {
                seen: Seen::from(cur),
                findings: found,
                at,
            });
            (obs.target, seen)
        })
        .buffered(limit)
        .collect()
        .await;
    // A sign of life on stderr: the interval is a pause, not a hang.
    if !interval.is_zero() {
        eprintln!(
            "policy-watch: first fetch done; the second follows in {} s",
            interval.as_secs_f64()
        );
    }
    // The second fetch of each target, `interval` after its first, bounded the same way and
    // told in config order as it comes.
    let runner = &runner;
    let mut verdicts = futures::stream::iter(first)
        .map(|(target, first)| async move {
            let both = match first {
                Ok(a) => {
                    tokio::time::sleep_until(a.at + interval).await;
                    let obs = runner
                        .observer
                        .observe(target.clone(), &runner.store, mode)
                        .await;
                    obs.result.map(|b| (a, Seen::from(b)))
                }
                Err(e) => Err(e),
            };
            verdict(&target, both)
        })
        .buffered(limit);
    let (mut trouble, mut problem) = (false, false);
    while let Some((text, fetch_failed, problems)) = verdicts.next().await {
        trouble |= fetch_failed;
        problem |= problems;
        out.print(&text).map_err(print_failed)?;
    }
    Ok(ExitCode::worst(trouble, problem))
}

/// What the verdict needs of one fetch.
struct Seen {
    markdown: String,
    root: String,
    chars: usize,
    read: ReadBy,
    final_url: Url,
}

impl From<Current> for Seen {
    fn from(cur: Current) -> Self {
        Seen {
            chars: cur.extracted.text_len(),
            root: cur.extracted.root,
            markdown: cur.markdown,
            read: cur.read,
            final_url: cur.final_url,
        }
    }
}

/// The first fetch of a target, its findings and when it was read.
struct First {
    seen: Seen,
    findings: Vec<Finding>,
    at: tokio::time::Instant,
}

/// One target's text, whether a fetch failed, and whether a problem was found.
fn verdict(target: &Target, both: Result<(First, Seen), TargetError>) -> (String, bool, bool) {
    let mut text = format!("{} ({}) — ", target.name, target.id);
    match both {
        Ok((a, b)) => {
            let problems = judge(target, &a.seen, &b, &a.findings, &mut text);
            (text, false, problems)
        }
        Err(e) => {
            let fetch = matches!(e, TargetError::Fetch(_));
            let _ = writeln!(
                text,
                "{}\n  {e}",
                if fetch { "cannot fetch" } else { "problem" }
            );
            (text, fetch, !fetch)
        }
    }
}

/// Writes the verdict on one target's two fetches and the first fetch's findings; whether a
/// problem was found. Broken and empty links are problems: the page is not sound while a
/// reader meets them.
fn judge(target: &Target, a: &Seen, b: &Seen, findings: &[Finding], text: &mut String) -> bool {
    let mut problems = Vec::new();
    let link_problems: Vec<&Finding> = findings.iter().filter(|f| f.kind.is_problem()).collect();
    if !link_problems.is_empty() {
        problems.push(format!(
            "{} on the page (`policy-watch links {}` lists them with their sentences):{}",
            plural(
                link_problems.len(),
                "broken or empty link",
                "broken or empty links"
            ),
            target.id,
            link_problems
                .iter()
                .map(|f| format!("\n      {}", f.message))
                .collect::<String>()
        ));
    }
    let chars = a.chars;
    let fallback = target.rules.select_is_default() && a.root == "body";
    if chars < FEW_CHARS {
        problems.push(format!(
            "the content root holds only {}: check `select`",
            plural(chars, "character", "characters")
        ));
    }
    if fallback {
        problems.push(
            "no document container matched, so the whole <body> is watched: set `select` to the element that holds the policy"
                .to_string(),
        );
    }
    let volatile = volatile_blocks(&a.markdown, &b.markdown);
    if !volatile.is_empty() {
        problems.push(format!(
            "{} differed between the two fetches",
            plural(volatile.len(), "block", "blocks")
        ));
    }
    let _ = writeln!(
        text,
        "{}",
        if problems.is_empty() {
            "sound"
        } else {
            "problem"
        }
    );
    let _ = writeln!(
        text,
        "  read by {}{}",
        a.read,
        if a.read == b.read {
            String::new()
        } else {
            format!(" the first time, by {} the second", b.read)
        }
    );
    let _ = writeln!(
        text,
        "  selector `{}` matched: {}, {} of text",
        a.root,
        plural(crate::diff::blocks(&a.markdown).len(), "block", "blocks"),
        plural(chars, "character", "characters")
    );
    if a.final_url != b.final_url {
        let _ = writeln!(
            text,
            "  the two fetches landed on different URLs: {} and {}",
            a.final_url, b.final_url
        );
        problems.push("redirects differ between fetches".into());
    }
    for p in &problems {
        let _ = writeln!(text, "  ! {p}");
    }
    for (old, new) in &volatile {
        let _ = writeln!(text, "  volatile: {}", short(old));
        let _ = writeln!(text, "       now: {}", short(new));
        let _ = writeln!(
            text,
            "    suggest: ignore = [{}]",
            toml_string(&suggest(old, new))
        );
    }
    !problems.is_empty()
}

/// Pairs of blocks (first fetch, second fetch) that differ; a block present in one fetch
/// only is paired with an empty string.
fn volatile_blocks(a: &str, b: &str) -> Vec<(String, String)> {
    crate::diff::diff(a, b)
        .into_iter()
        .filter(|c| !matches!(c, crate::diff::Change::Moved { .. }))
        .map(|c| {
            let (old, new) = c.sides();
            (old.unwrap_or_default(), new.unwrap_or_default())
        })
        .collect()
}

/// An `ignore` regex for a block that changes between fetches: its words up to the first
/// difference, anchored at the start; or the whole block when nothing is shared.
fn suggest(old: &str, new: &str) -> String {
    let old_words: Vec<&str> = old.split_whitespace().collect();
    let new_words: Vec<&str> = new.split_whitespace().collect();
    let shared: Vec<&str> = old_words
        .iter()
        .zip(&new_words)
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| *a)
        .collect();
    let basis = if shared.is_empty() {
        if old_words.is_empty() {
            new_words
        } else {
            old_words
        }
    } else {
        shared
    };
    let prefix: Vec<&str> = basis.into_iter().take(8).collect();
    format!("^{}", regex::escape(&prefix.join(" ")))
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn short(text: &str) -> String {
    truncate(text, 121)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_rule_matches_both_versions_and_is_valid_toml() {
        let old = "Last build: 2026-11-30 (nonce a1b2) *draft*";
        let new = "Last build: 2026-12-01 (nonce c3d4) *draft*";
        let rule = suggest(old, new);
        let re = regex::Regex::new(&rule).unwrap();
        assert!(re.is_match(old) && re.is_match(new), "{rule}");
        let parsed: toml::Value = toml::from_str(&format!("x = {}", toml_string(&rule))).unwrap();
        assert_eq!(parsed["x"].as_str(), Some(rule.as_str()));
    }
}
