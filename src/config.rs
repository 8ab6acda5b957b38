//! Targets and settings: read from TOML (or the built-in default), checked, defaults applied at the end.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use serde_spanned::Spanned;
use url::Url;

use crate::browser::BrowserSettings;
use crate::error::ConfigError;
use crate::extract::{RuleList, Rules};

/// The shipped `policy-watch.toml`, which is also the built-in default.
pub const DEFAULT_CONFIG: &str = include_str!("../policy-watch.toml");

/// The file name looked up in the current directory when no `--config` is given.
pub const CONFIG_FILE_NAME: &str = "policy-watch.toml";

pub use crate::extract::{BUILTIN_IGNORE, BUILTIN_REMOVE, DEFAULT_SELECT};

/// The whole configuration, defaults applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config came from (a file path, or `<built-in>`).
    pub source: String,
    pub snapshot_dir: PathBuf,
    /// Where `policy-watch site` is published (ends in `/`): Slack alerts link to its pages.
    pub site_url: Option<Url>,
    pub http: HttpSettings,
    pub links: LinkSettings,
    /// `[browser]`: the headless browser for pages that need one.
    pub browser: BrowserSettings,
    pub targets: Vec<Target>,
}

/// HTTP settings for fetching pages.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub retries: u32,
    pub max_body_bytes: u64,
    /// Requests in flight at once over all hosts.
    pub max_concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// First pause between retries; it doubles on every retry.
    pub backoff: Duration,
}

/// Settings of the link check.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub exclude: Vec<Regex>,
    pub timeout: Duration,
    pub retries: u32,
    pub max_concurrency: usize,
    pub per_host: usize,
    /// Status codes that count as fine besides 2xx.
    pub accept: Vec<u16>,
}

/// One watched page.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub url: Url,
    /// How the page becomes blocks: `select`, `remove` and `ignore` with the built-in
    /// defaults, compiled once. `rules.hash()` says when stored baselines must be re-made.
    pub rules: Arc<Rules>,
    pub check_links: bool,
    pub languages: Vec<String>,
    /// Where this target's Slack messages go, when not to the run's default destination.
    pub slack: Option<SlackRoute>,
    /// When the page is rendered in a headless browser.
    pub render: Render,
}

/// A target's `render`: when its page is rendered in a headless browser.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Render {
    /// A plain fetch first; the browser only when the plain answer is not the document (it
    /// extracts to almost nothing, or the server turns non-browsers away).
    #[default]
    Auto,
    /// Every fetch is rendered.
    Always,
    /// Never a browser.
    Never,
}

impl Render {
    /// The value as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Render::Auto => "auto",
            Render::Always => "always",
            Render::Never => "never",
        }
    }
}

/// A target's own Slack destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SlackRoute {
    /// A channel (id or name) for the bot token (`slack_channel`).
    Channel(String),
    /// The name of an environment variable that holds another incoming webhook
    /// (`slack_webhook_env`).
    WebhookEnv(String),
}

// ---- the file format -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    snapshot_dir: Option<Spanned<String>>,
    site_url: Option<Spanned<String>>,
    http: Option<FileHttp>,
    links: Option<FileLinks>,
    browser: Option<FileBrowser>,
    #[serde(default, rename = "target")]
    targets: Vec<FileTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHttp {
    user_agent: Option<String>,
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    max_body_bytes: Option<Spanned<u64>>,
    max_concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
    backoff_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLinks {
    exclude: Option<Vec<Spanned<String>>>,
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    max_concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
    accept: Option<Vec<u16>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBrowser {
    executable: Option<Spanned<String>>,
    timeout_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTarget {
    id: Spanned<String>,
    name: String,
    url: Spanned<String>,
    select: Option<Vec<Spanned<String>>>,
    remove: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    check_links: Option<bool>,
    languages: Option<Vec<Spanned<String>>>,
    slack_channel: Option<Spanned<String>>,
    slack_webhook_env: Option<Spanned<String>>,
    render: Option<Spanned<String>>,
}

/// The help line of a selector that does not parse.
const SELECTOR_HELP: &str =
    "write a CSS selector such as \"main\", \"#content\" or \"[data-content-ref-root]\"";

/// Makes a config error at a byte range of the file: (span, key, message, help).
type ErrorAt<'a> = dyn Fn(std::ops::Range<usize>, &str, String, &str) -> ConfigError + 'a;

// Upper bounds of the numeric settings: beyond them a value is surely a typo, and some would
// overflow a timer or a semaphore.
const MAX_TIMEOUT_SECS: u64 = 3_600;
const MAX_RETRIES: u32 = 10;
const MAX_BODY_BYTES: u64 = 1 << 30;
const MAX_CONCURRENCY: usize = 1_024;
const MAX_PER_HOST: usize = 64;
const MAX_BACKOFF_MS: u64 = 60_000;

/// Languages the bilingual checks know.
pub const KNOWN_LANGUAGES: &[&str] = &["en", "de"];

impl Config {
    /// Config as the README orders it: `--config PATH`; else `policy-watch.toml` in the
    /// current directory if it exists; else the built-in default.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        let local = Path::new(CONFIG_FILE_NAME);
        if local.is_file() {
            return Config::load(local);
        }
        Config::builtin()
    }

    /// The built-in default (the shipped `policy-watch.toml`); snapshots go to `./snapshots`.
    pub fn builtin() -> Result<Config, ConfigError> {
        Config::parse(DEFAULT_CONFIG, "<built-in>", Path::new("."))
    }

    /// Reads and checks a config file; relative paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::parse(&text, &path.display().to_string(), base)
    }

    /// Parses config text. `source` names it in errors; `base` resolves relative paths.
    pub fn parse(text: &str, source: &str, base: &Path) -> Result<Config, ConfigError> {
        let at = |span: std::ops::Range<usize>, key: &str, message: String, help: &str| {
            ConfigError::Invalid {
                file: source.to_string(),
                line: line_of(text, span.start),
                key: key.to_string(),
                message,
                help: help.to_string(),
            }
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            // A value of the wrong type: name its key, as the other config errors do.
            let key = e.span().and_then(|s| key_at(text, s.start));
            let mut said = e.message().to_string();
            for int in ["u64", "u32", "usize"] {
                said = said.replace(&format!("expected {int}"), "expected a whole number");
            }
            let message = match &key {
                Some(key) => format!("{key}: {said}"),
                None => said,
            };
            ConfigError::Syntax {
                file: source.to_string(),
                line,
                help: match &key {
                    Some(key) if e.message().contains("expected a boolean") => format!(
                        "write `{} = true` or `{0} = false`, without quotes",
                        key.rsplit('.').next().unwrap_or(key)
                    ),
                    _ => syntax_help(text),
                },
                message,
            }
        })?;

        let snapshot_dir = match &file.snapshot_dir {
            Some(d) if d.get_ref().trim().is_empty() => {
                return Err(at(
                    d.span(),
                    "snapshot_dir",
                    "is empty".into(),
                    "name a folder, e.g. snapshot_dir = \"snapshots\"",
                ))
            }
            Some(d) => base.join(d.get_ref()),
            None => base.join("snapshots"),
        };

        let site_url = match &file.site_url {
            None => None,
            Some(u) => {
                let mut url = Url::parse(u.get_ref().trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| {
                        at(
                            u.span(),
                            "site_url",
                            format!("`{}` is not an http(s) URL", u.get_ref()),
                            "give the address `policy-watch site` is published at, e.g. \"https://example.github.io/policy-watch/\"",
                        )
                    })?;
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Some(url)
            }
        };

        // A number that must lie in min..=max, with its default when the key is absent. The
        // bounds keep a typo from panicking deep inside the run.
        fn bounded<T: Copy + PartialOrd + std::fmt::Display>(
            v: Option<&Spanned<T>>,
            key: &str,
            default: T,
            (min, max): (T, T),
            at: &ErrorAt<'_>,
        ) -> Result<T, ConfigError> {
            match v {
                Some(s) if *s.get_ref() < min || *s.get_ref() > max => Err(at(
                    s.span(),
                    key,
                    format!("{} is out of range", s.get_ref()),
                    &format!("give a number from {min} to {max}; the default is {default}"),
                )),
                Some(s) => Ok(*s.get_ref()),
                None => Ok(default),
            }
        }

        let http = {
            let h = file.http.as_ref();
            HttpSettings {
                user_agent: h
                    .and_then(|h| h.user_agent.clone())
                    .unwrap_or_else(default_user_agent),
                timeout: Duration::from_secs(bounded(
                    h.and_then(|h| h.timeout_secs.as_ref()),
                    "http.timeout_secs",
                    30,
                    (1, MAX_TIMEOUT_SECS),
                    &at,
                )?),
                retries: bounded(
                    h.and_then(|h| h.retries.as_ref()),
                    "http.retries",
                    2,
                    (0, MAX_RETRIES),
                    &at,
                )?,
                max_body_bytes: bounded(
                    h.and_then(|h| h.max_body_bytes.as_ref()),
                    "http.max_body_bytes",
                    10_000_000,
                    (1, MAX_BODY_BYTES),
                    &at,
                )?,
                max_concurrency: bounded(
                    h.and_then(|h| h.max_concurrency.as_ref()),
                    "http.max_concurrency",
                    64,
                    (1, MAX_CONCURRENCY),
                    &at,
                )?,
                per_host: bounded(
                    h.and_then(|h| h.per_host.as_ref()),
                    "http.per_host",
                    4,
                    (1, MAX_PER_HOST),
                    &at,
                )?,
                backoff: Duration::from_millis(bounded(
                    h.and_then(|h| h.backoff_ms.as_ref()),
                    "http.backoff_ms",
                    500,
                    (0, MAX_BACKOFF_MS),
                    &at,
                )?),
            }
        };

        let links = {
            let l = file.links.as_ref();
            let mut exclude = Vec::new();
            for pat in l.and_then(|l| l.exclude.as_ref()).into_iter().flatten() {
                exclude.push(Regex::new(pat.get_ref()).map_err(|e| {
                    at(
                        pat.span(),
                        "links.exclude",
                        format!("`{}` is not a valid regex: {e}", pat.get_ref()),
                        "write a Rust regex (https://docs.rs/regex), e.g. \"^https://example\\\\.com/\"",
                    )
                })?);
            }
            let timeout = Duration::from_secs(bounded(
                l.and_then(|l| l.timeout_secs.as_ref()),
                "links.timeout_secs",
                20,
                (1, MAX_TIMEOUT_SECS),
                &at,
            )?);
            LinkSettings {
                exclude,
                timeout,
                retries: bounded(
                    l.and_then(|l| l.retries.as_ref()),
                    "links.retries",
                    2,
                    (0, MAX_RETRIES),
                    &at,
                )?,
                max_concurrency: bounded(
                    l.and_then(|l| l.max_concurrency.as_ref()),
                    "links.max_concurrency",
                    64,
                    (1, MAX_CONCURRENCY),
                    &at,
                )?,
                per_host: bounded(
                    l.and_then(|l| l.per_host.as_ref()),
                    "links.per_host",
                    4,
                    (1, MAX_PER_HOST),
                    &at,
                )?,
                accept: l.and_then(|l| l.accept.clone()).unwrap_or_default(),
            }
        };

        let browser = {
            let b = file.browser.as_ref();
            let executable = match b.and_then(|b| b.executable.as_ref()) {
                Some(e) if e.get_ref().trim().is_empty() => {
                    return Err(at(
                        e.span(),
                        "browser.executable",
                        "is empty".into(),
                        "name a Chromium or Chrome executable (a path, or a name on PATH such as \"chromium\"), or leave the key out",
                    ))
                }
                // A name without a slash is looked up on PATH; a relative path is relative
                // to the config file.
                Some(e) if e.get_ref().contains('/') => Some(base.join(e.get_ref())),
                Some(e) => Some(PathBuf::from(e.get_ref())),
                None => None,
            };
            BrowserSettings {
                executable,
                timeout: Duration::from_secs(bounded(
                    b.and_then(|b| b.timeout_secs.as_ref()),
                    "browser.timeout_secs",
                    30,
                    (1, MAX_TIMEOUT_SECS),
                    &at,
                )?),
            }
        };

        if file.targets.is_empty() {
            return Err(ConfigError::Invalid {
                file: source.to_string(),
                line: 1,
                key: "target".into(),
                message: "no targets are configured".into(),
                help: "add at least one [[target]] with id, name and url".into(),
            });
        }

        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(file.targets.len());
        for t in file.targets {
            let id = t.id.get_ref().clone();
            if !is_safe_id(&id) {
                return Err(at(
                    t.id.span(),
                    "target.id",
                    format!("`{id}` is not a safe id"),
                    "use 1 to 64 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit",
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(at(
                    t.id.span(),
                    "target.id",
                    format!("`{id}` is used by more than one target"),
                    "give every [[target]] its own id: it names its snapshot files",
                ));
            }
            let url = Url::parse(t.url.get_ref())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    at(
                        t.url.span(),
                        "target.url",
                        format!("`{}` is not an http(s) URL", t.url.get_ref()),
                        "write a full URL, e.g. \"https://example.com/privacy\"",
                    )
                })?;
            if t.select.as_ref().is_some_and(Vec::is_empty) {
                return Err(at(
                    t.id.span(),
                    "target.select",
                    "is an empty list".into(),
                    "leave `select` out to use the default content roots, or name at least one selector",
                ));
            }
            let written = |list: &Option<Vec<Spanned<String>>>| -> Vec<String> {
                list.iter().flatten().map(|s| s.get_ref().clone()).collect()
            };
            let select = t.select.as_ref().map(|_| written(&t.select));
            let rules = Rules::new(select.as_deref(), &written(&t.remove), &written(&t.ignore))
                .map_err(|e| {
                    let (list, key, help) = match e.list {
                        RuleList::Select => (&t.select, "target.select", SELECTOR_HELP),
                        RuleList::Remove => (&t.remove, "target.remove", SELECTOR_HELP),
                        RuleList::Ignore => (
                            &t.ignore,
                            "target.ignore",
                            "write a Rust regex matched against each block's text, e.g. \"^Last updated\"",
                        ),
                    };
                    let span = list
                        .as_ref()
                        .and_then(|l| l.get(e.index))
                        .map_or_else(|| t.id.span(), |s| s.span());
                    at(span, key, e.message, help)
                })?;
            let mut languages = Vec::new();
            for lang in t.languages.iter().flatten() {
                let code = lang.get_ref().to_ascii_lowercase();
                if !KNOWN_LANGUAGES.contains(&code.as_str()) {
                    return Err(at(
                        lang.span(),
                        "target.languages",
                        format!("`{}` is not a supported language", lang.get_ref()),
                        "use ISO 639-1 codes among: en, de",
                    ));
                }
                languages.push(code);
            }
            if t.name.trim().is_empty() {
                return Err(at(
                    t.id.span(),
                    "target.name",
                    format!("target `{id}` has an empty name"),
                    "name the policy as people know it, e.g. \"Appcues privacy policy\"",
                ));
            }
            let slack = match (&t.slack_channel, &t.slack_webhook_env) {
                (Some(_), Some(env)) => {
                    return Err(at(
                        env.span(),
                        "target.slack_webhook_env",
                        "is set together with slack_channel".into(),
                        "name one destination: slack_channel (with SLACK_BOT_TOKEN) or slack_webhook_env",
                    ))
                }
                (Some(c), None) if c.get_ref().trim().is_empty() => {
                    return Err(at(
                        c.span(),
                        "target.slack_channel",
                        "is empty".into(),
                        "name the channel, e.g. \"#legal\" or its id \"C0123ABCD\"",
                    ))
                }
                (Some(c), None) => Some(SlackRoute::Channel(c.get_ref().trim().to_string())),
                (None, Some(env)) if !is_env_name(env.get_ref()) => {
                    return Err(at(
                        env.span(),
                        "target.slack_webhook_env",
                        format!("`{}` is not an environment variable name", env.get_ref()),
                        "give the name of the variable that holds the webhook URL (not the URL itself), e.g. \"LEGAL_SLACK_WEBHOOK_URL\"",
                    ))
                }
                (None, Some(env)) => Some(SlackRoute::WebhookEnv(env.get_ref().clone())),
                (None, None) => None,
            };
            let render = match &t.render {
                None => Render::Auto,
                Some(r) => match r.get_ref().as_str() {
                    "auto" => Render::Auto,
                    "always" => Render::Always,
                    "never" => Render::Never,
                    other => {
                        return Err(at(
                            r.span(),
                            "target.render",
                            format!("`{other}` is not one of auto, always, never"),
                            "auto (the default) renders in a browser only when the plain page is not the document; always renders every fetch; never starts no browser",
                        ))
                    }
                },
            };
            targets.push(Target {
                id,
                name: t.name,
                url,
                rules: Arc::new(rules),
                check_links: t.check_links.unwrap_or(false),
                languages,
                slack,
                render,
            });
        }

        Ok(Config {
            source: source.to_string(),
            snapshot_dir,
            site_url,
            http,
            links,
            browser,
            targets,
        })
    }

    /// The targets named by `ids` (all when empty); an unknown id is an error.
    pub fn select_targets(&self, ids: &[String]) -> Result<Vec<Target>, ConfigError> {
        if ids.is_empty() {
            return Ok(self.targets.clone());
        }
        let mut out = Vec::new();
        for id in ids {
            match self.targets.iter().find(|t| &t.id == id) {
                Some(t) if !out.iter().any(|o: &Target| o.id == t.id) => out.push(t.clone()),
                Some(_) => {}
                None => {
                    return Err(ConfigError::UnknownTarget {
                        id: id.clone(),
                        known: self
                            .targets
                            .iter()
                            .map(|t| t.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
        Ok(out)
    }
}

/// `policy-watch/<version> (+<repository url>)`.
pub fn default_user_agent() -> String {
    format!(
        "policy-watch/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// An id names files in the snapshot folder, so it must be a plain, portable file name.
fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id != "state"
}

/// The key whose value starts at byte `at` (`target.check_links` for `check_links = "yes"`
/// under `[[target]]`), when the line reads `key = value`.
fn key_at(text: &str, at: usize) -> Option<String> {
    let before = text.get(..at)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let key = before[line_start..].trim_end().strip_suffix('=')?.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    };
    if !bare(key) {
        return None;
    }
    let table = before[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        let name = l
            .strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
            .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
        Some(name.trim().to_string())
    });
    Some(match table {
        Some(t) if bare(&t) => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

/// What to do about a TOML syntax error; the common slip of `[target]` for `[[target]]` is
/// named as such.
fn syntax_help(text: &str) -> String {
    let single_table = text.lines().any(|l| l.trim() == "[target]");
    if single_table {
        return "write each target as an array table, `[[target]]` (two brackets), not `[target]`"
            .into();
    }
    "check the TOML syntax; the keys are listed in the README's \"Configuration\" section".into()
}

/// `NAME_1`: what a shell calls a variable name (a URL pasted here would leak a secret into
/// the config file).
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "test.toml", Path::new("/cfg"))
    }

    #[test]
    fn builtin_default_has_the_three_real_targets() {
        let c = Config::builtin().unwrap();
        let ids: Vec<_> = c.targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            ["crossengage-privacy", "appcues-privacy", "mixpanel-privacy"]
        );
        assert!(c.targets[0].check_links);
        assert_eq!(c.targets[0].languages, ["en", "de"]);
        assert!(c.targets[1].rules.select_is_default());
        assert!(!c.targets[0].rules.select_is_default());
        assert!(c.http.user_agent.starts_with("policy-watch/"));
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let c = parse("snapshot_dir = \"snaps\"\n[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\n").unwrap();
        assert_eq!(c.snapshot_dir, Path::new("/cfg/snaps"));
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = parse(
            "[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\nselekt=[\"main\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("test.toml:5"), "{err}");
        assert!(err.contains("selekt"), "{err}");
    }

    #[test]
    fn bad_selector_regex_and_duplicate_id_are_errors_with_lines() {
        let base = "[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\n";
        let e = parse(&format!("{base}select=[\"main\", \"div[\"]\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("test.toml:5") && e.contains("target.select") && e.contains("div["),
            "{e}"
        );
        let e = parse(&format!("{base}ignore=[\"(unclosed\"]\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("target.ignore") && e.contains("(unclosed"),
            "{e}"
        );
        let e = parse(&format!("{base}{base}")).unwrap_err().to_string();
        assert!(
            e.contains("test.toml:6") && e.contains("more than one"),
            "{e}"
        );
    }

    #[test]
    fn unsafe_ids_and_bad_urls_are_rejected() {
        for id in ["../etc", "A", "", "a/b", "state"] {
            let e = parse(&format!(
                "[[target]]\nid=\"{id}\"\nname=\"A\"\nurl=\"https://a.example/\"\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.contains("target.id"), "{id}: {e}");
        }
        let e = parse("[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"ftp://a.example/\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("target.url") && e.contains("test.toml:4"), "{e}");
    }

    #[test]
    fn builtin_ignore_matches_relative_dates_only() {
        let c = Config::builtin().unwrap();
        let ignored = |s: &str| c.targets[0].rules.ignore().iter().any(|r| r.is_match(s));
        assert!(ignored("Last updated 1 year ago"));
        assert!(!ignored("Last updated: March 3, 2025"));
    }

    #[test]
    fn a_bad_remove_entry_names_its_own_line() {
        let e = parse("[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\nremove=[\n  \".ok\",\n  \"##\",\n]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("test.toml:7") && e.contains("target.remove"),
            "{e}"
        );
    }

    #[test]
    fn targets_with_the_same_rules_share_the_rules_hash() {
        let c = parse("[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\n[[target]]\nid=\"b\"\nname=\"B\"\nurl=\"https://b.example/\"\nignore=[\"^Ad$\"]\n").unwrap();
        assert_eq!(c.targets[0].rules.hash(), Rules::default().hash());
        assert_ne!(c.targets[0].rules.hash(), c.targets[1].rules.hash());
    }

    const ONE: &str = "[[target]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/\"\n";

    #[test]
    fn a_target_names_one_slack_destination_by_channel_or_by_variable() {
        let c = parse(&format!("{ONE}slack_channel = \"#legal\"\n")).unwrap();
        assert_eq!(
            c.targets[0].slack,
            Some(SlackRoute::Channel("#legal".into()))
        );
        let c = parse(&format!("{ONE}slack_webhook_env = \"LEGAL_HOOK\"\n")).unwrap();
        assert_eq!(
            c.targets[0].slack,
            Some(SlackRoute::WebhookEnv("LEGAL_HOOK".into()))
        );

        let both = format!("{ONE}slack_channel = \"#legal\"\nslack_webhook_env = \"X\"\n");
        let err = parse(&both).unwrap_err().to_string();
        assert!(
            err.starts_with("test.toml:6: target.slack_webhook_env"),
            "{err}"
        );
        // A webhook URL pasted where its variable's name belongs must not be taken (nor shown
        // back beyond the file's own line).
        let url = format!("{ONE}slack_webhook_env = \"https://hooks.slack.com/services/T/B/x\"\n");
        let err = parse(&url).unwrap_err().to_string();
        assert!(err.contains("not an environment variable name"), "{err}");
    }

    #[test]
    fn site_url_ends_in_a_slash_and_must_be_http() {
        let c = parse(&format!("site_url = \"https://x.github.io/repo\"\n{ONE}")).unwrap();
        assert_eq!(c.site_url.unwrap().as_str(), "https://x.github.io/repo/");
        assert!(parse(ONE).unwrap().site_url.is_none());
        let e = parse(&format!("site_url = \"file:///tmp/site\"\n{ONE}"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("test.toml:1: site_url"), "{e}");
    }

    #[test]
    fn a_single_bracket_target_table_gets_a_help_that_names_the_slip() {
        let err = parse("[target]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/\"\n[target]\nid = \"b\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("[[target]]"), "{err}");
    }
}
