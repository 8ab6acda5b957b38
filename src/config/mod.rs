//! Targets and settings: read from TOML (or the built-in default), checked, defaults applied at
//! the end. Each section of the file has its own module — [`http`] (`[http]` and `[links]`),
//! `browser` (`[browser]`) and [`target`] (`[[target]]`) — that reads it as written (every key
//! optional) and resolves it to settings with its defaults; `source` words every error with
//! the file, the line and the key.

mod browser;
pub mod http;
mod source;
pub mod target;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;
use url::Url;

use self::browser::FileBrowser;
use self::http::{FileHttp, FileLinks};
use self::source::Source;
use self::target::FileTarget;
use crate::browser::BrowserSettings;
use crate::error::ConfigError;

pub use self::http::{default_user_agent, HttpSettings, LinkSettings};
pub use self::target::{Render, SlackRoute, Target, KNOWN_LANGUAGES};
pub use crate::extract::{BUILTIN_IGNORE, BUILTIN_REMOVE, DEFAULT_SELECT};

/// The shipped `policy-watch.toml`, which is also the built-in default.
pub const DEFAULT_CONFIG: &str = include_str!("../../policy-watch.toml");

/// The file name looked up in the current directory when no `--config` is given.
pub const CONFIG_FILE_NAME: &str = "policy-watch.toml";

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

/// The file as written: every section optional, no key unknown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    snapshot_dir: Option<Spanned<String>>,
    site_url: Option<Spanned<String>>,
    #[serde(default)]
    http: FileHttp,
    #[serde(default)]
    links: FileLinks,
    #[serde(default)]
    browser: FileBrowser,
    #[serde(default, rename = "target")]
    targets: Vec<FileTarget>,
}

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

    /// Parses config text. `source` names it in errors; `base` resolves relative paths. Each
    /// section is read as written, then checked and given its defaults.
    pub fn parse(text: &str, source: &str, base: &Path) -> Result<Config, ConfigError> {
        let src = Source { name: source, text };
        let file: FileConfig = toml::from_str(text).map_err(|e| src.syntax(&e))?;
        let snapshot_dir = snapshot_dir(file.snapshot_dir, &src, base)?;
        let site_url = file.site_url.map(|u| site_url(u, &src)).transpose()?;
        let http = file.http.resolve(&src)?;
        let links = file.links.resolve(&src)?;
        let browser = file.browser.resolve(&src, base)?;
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
        let targets = file
            .targets
            .into_iter()
            .map(|t| t.resolve(&src, &mut seen))
            .collect::<Result<_, _>>()?;
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

/// `snapshot_dir`, relative to the config file's folder; `snapshots` when not written.
fn snapshot_dir(
    dir: Option<Spanned<String>>,
    src: &Source<'_>,
    base: &Path,
) -> Result<PathBuf, ConfigError> {
    match dir {
        Some(d) if d.get_ref().trim().is_empty() => Err(src.at(
            d.span(),
            "snapshot_dir",
            "is empty".into(),
            "name a folder, e.g. snapshot_dir = \"snapshots\"",
        )),
        Some(d) => Ok(base.join(d.get_ref())),
        None => Ok(base.join("snapshots")),
    }
}

/// `site_url`: an http(s) URL, made to end in `/` so that pages join onto it.
fn site_url(u: Spanned<String>, src: &Source<'_>) -> Result<Url, ConfigError> {
    let mut url = Url::parse(u.get_ref().trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            src.at(
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
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Rules;

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

    /// The regexes know Unicode's general categories, case folding and the Perl classes; a
    /// script or another Unicode property is a config error at its line that says what is known.
    #[test]
    fn a_regex_naming_an_unknown_unicode_property_says_what_is_known() {
        let base = "[[target]]\nid=\"a\"\nname=\"A\"\nurl=\"https://a.example/\"\n";
        parse(&format!(
            "{base}ignore=[\"(?i)^\\\\p{{Lu}}\\\\w+\\\\s+\\\\d+\\\\b\", \"^[\\\\pL\\\\p{{gc=Nd}}\\\\P{{Punctuation}}]+$\"]\n"
        ))
        .unwrap();
        for (text, line, key, class) in [
            (
                format!("[links]\nexclude=[\"\\\\p{{Greek}}\"]\n{base}"),
                2,
                "links.exclude",
                "`Greek`",
            ),
            (
                format!("{base}ignore=[\"x\", \"^[a-z\\\\p{{Greek}}]+$\"]\n"),
                5,
                "target.ignore",
                "`Greek`",
            ),
            (
                format!("{base}ignore=[\"\\\\P{{Emoji}}\"]\n"),
                5,
                "target.ignore",
                "`Emoji`",
            ),
            (
                format!("{base}ignore=[\"\\\\p{{Script=Latin}}\"]\n"),
                5,
                "target.ignore",
                "`Script=Latin`",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("test.toml:{line}"))
                    && e.contains(key)
                    && e.contains(class)
                    && e.contains("general categories such as \\p{L}"),
                "{e}"
            );
        }
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
