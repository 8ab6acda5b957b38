//! `[browser]`: the headless browser for pages that need one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::http::TIMEOUT_SECS;
use super::source::Source;
use crate::browser::BrowserSettings;
use crate::error::ConfigError;

/// `[browser]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBrowser {
    executable: Option<Spanned<String>>,
    timeout_secs: Option<Spanned<u64>>,
}

impl FileBrowser {
    /// Checked, with the defaults for what is not written; a relative path is relative to
    /// `base`, the config file's folder.
    pub fn resolve(self, src: &Source<'_>, base: &Path) -> Result<BrowserSettings, ConfigError> {
        let executable = match self.executable {
            Some(e) if e.get_ref().trim().is_empty() => {
                return Err(src.at(
                    e.span(),
                    "browser.executable",
                    "is empty".into(),
                    "name a Chromium or Chrome executable (a path, or a name on PATH such as \"chromium\"), or leave the key out",
                ))
            }
            // A name without a slash is looked up on PATH; a relative path is relative to the
            // config file.
            Some(e) if e.get_ref().contains('/') => Some(base.join(e.get_ref())),
            Some(e) => Some(PathBuf::from(e.into_inner())),
            None => None,
        };
        Ok(BrowserSettings {
            executable,
            timeout: Duration::from_secs(src.bounded(
                self.timeout_secs.as_ref(),
                "browser.timeout_secs",
                TIMEOUT_SECS,
            )?),
        })
    }
}
