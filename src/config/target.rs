//! `[[target]]`: one watched page — its id, name and URL, how it is read (`select`, `remove`,
//! `ignore`, `render`), what is checked (`check_links`, `languages`) and where its alerts go.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_spanned::Spanned;
use url::Url;

use super::source::Source;
use crate::error::ConfigError;
use crate::extract::{RuleList, Rules};

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

/// Languages the bilingual checks know.
pub const KNOWN_LANGUAGES: &[&str] = &["en", "de"];

/// The help line of a selector that does not parse.
const SELECTOR_HELP: &str =
    "write a CSS selector such as \"main\", \"#content\" or \"[data-content-ref-root]\"";

/// `[[target]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTarget {
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

impl FileTarget {
    /// Checked, its rules compiled, with the defaults for what is not written. `seen` holds
    /// the ids of the targets before it: an id is used once.
    pub fn resolve(
        self,
        src: &Source<'_>,
        seen: &mut HashSet<String>,
    ) -> Result<Target, ConfigError> {
        let id = self.id.get_ref().clone();
        if !is_safe_id(&id) {
            return Err(src.at(
                self.id.span(),
                "target.id",
                format!("`{id}` is not a safe id"),
                "use 1 to 64 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit",
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(src.at(
                self.id.span(),
                "target.id",
                format!("`{id}` is used by more than one target"),
                "give every [[target]] its own id: it names its snapshot files",
            ));
        }
        let url = Url::parse(self.url.get_ref())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                src.at(
                    self.url.span(),
                    "target.url",
                    format!("`{}` is not an http(s) URL", self.url.get_ref()),
                    "write a full URL, e.g. \"https://example.com/privacy\"",
                )
            })?;
        let rules = self.rules(src)?;
        let languages = self.languages(src)?;
        if self.name.trim().is_empty() {
            return Err(src.at(
                self.id.span(),
                "target.name",
                format!("target `{id}` has an empty name"),
                "name the policy as people know it, e.g. \"Appcues privacy policy\"",
            ));
        }
        let slack = self.slack(src)?;
        let render = self.render(src)?;
        Ok(Target {
            id,
            name: self.name,
            url,
            rules: Arc::new(rules),
            check_links: self.check_links.unwrap_or(false),
            languages,
            slack,
            render,
        })
    }

    /// `select`, `remove` and `ignore`, compiled; an error names the entry's own line.
    fn rules(&self, src: &Source<'_>) -> Result<Rules, ConfigError> {
        if self.select.as_ref().is_some_and(Vec::is_empty) {
            return Err(src.at(
                self.id.span(),
                "target.select",
                "is an empty list".into(),
                "leave `select` out to use the default content roots, or name at least one selector",
            ));
        }
        let written = |list: &Option<Vec<Spanned<String>>>| -> Vec<String> {
            list.iter().flatten().map(|s| s.get_ref().clone()).collect()
        };
        let select = self.select.as_ref().map(|_| written(&self.select));
        Rules::new(
            select.as_deref(),
            &written(&self.remove),
            &written(&self.ignore),
        )
        .map_err(|e| {
            let (list, key, help) = match e.list {
                RuleList::Select => (&self.select, "target.select", SELECTOR_HELP),
                RuleList::Remove => (&self.remove, "target.remove", SELECTOR_HELP),
                RuleList::Ignore => (
                    &self.ignore,
                    "target.ignore",
                    "write a Rust regex matched against each block's text, e.g. \"^Last updated\"",
                ),
            };
            let span = list
                .as_ref()
                .and_then(|l| l.get(e.index))
                .map_or_else(|| self.id.span(), |s| s.span());
            src.at(span, key, e.message, help)
        })
    }

    /// `languages`, lowercased; each must be one the bilingual checks know.
    fn languages(&self, src: &Source<'_>) -> Result<Vec<String>, ConfigError> {
        let mut languages = Vec::new();
        for lang in self.languages.iter().flatten() {
            let code = lang.get_ref().to_ascii_lowercase();
            if !KNOWN_LANGUAGES.contains(&code.as_str()) {
                return Err(src.at(
                    lang.span(),
                    "target.languages",
                    format!("`{}` is not a supported language", lang.get_ref()),
                    "use ISO 639-1 codes among: en, de",
                ));
            }
            languages.push(code);
        }
        Ok(languages)
    }

    /// `slack_channel` or `slack_webhook_env`: one destination at most.
    fn slack(&self, src: &Source<'_>) -> Result<Option<SlackRoute>, ConfigError> {
        match (&self.slack_channel, &self.slack_webhook_env) {
            (Some(_), Some(env)) => Err(src.at(
                env.span(),
                "target.slack_webhook_env",
                "is set together with slack_channel".into(),
                "name one destination: slack_channel (with SLACK_BOT_TOKEN) or slack_webhook_env",
            )),
            (Some(c), None) if c.get_ref().trim().is_empty() => Err(src.at(
                c.span(),
                "target.slack_channel",
                "is empty".into(),
                "name the channel, e.g. \"#legal\" or its id \"C0123ABCD\"",
            )),
            (Some(c), None) => Ok(Some(SlackRoute::Channel(c.get_ref().trim().to_string()))),
            (None, Some(env)) if !is_env_name(env.get_ref()) => Err(src.at(
                env.span(),
                "target.slack_webhook_env",
                format!("`{}` is not an environment variable name", env.get_ref()),
                "give the name of the variable that holds the webhook URL (not the URL itself), e.g. \"LEGAL_SLACK_WEBHOOK_URL\"",
            )),
            (None, Some(env)) => Ok(Some(SlackRoute::WebhookEnv(env.get_ref().clone()))),
            (None, None) => Ok(None),
        }
    }

    /// `render`: auto (the default), always or never.
    fn render(&self, src: &Source<'_>) -> Result<Render, ConfigError> {
        let Some(r) = &self.render else {
            return Ok(Render::default());
        };
        match r.get_ref().as_str() {
            "auto" => Ok(Render::Auto),
            "always" => Ok(Render::Always),
            "never" => Ok(Render::Never),
            other => Err(src.at(
                r.span(),
                "target.render",
                format!("`{other}` is not one of auto, always, never"),
                "auto (the default) renders in a browser only when the plain page is not the document; always renders every fetch; never starts no browser",
            )),
        }
    }
}

/// An id names files in the snapshot folder, so it must be a plain, portable file name.
fn is_safe_id(id: &str) -> bool {
    crate::text::is_id_shaped(id) && id != "state"
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
