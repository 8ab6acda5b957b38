//! The config text as errors see it: where a key sits (file, line) and how a TOML error is
//! worded, so that every config error names the file, the line and the key.

use std::ops::Range;

use serde_spanned::Spanned;

use crate::error::ConfigError;

/// A config file's name and text: makes errors that point into it.
pub(super) struct Source<'a> {
    /// How errors name the file (a path, or `<built-in>`).
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at a byte range of the file: the key there, what is wrong, what to do.
    pub fn at(&self, span: Range<usize>, key: &str, message: String, help: &str) -> ConfigError {
        ConfigError::Invalid {
            file: self.name.to_string(),
            line: line_of(self.text, span.start),
            key: key.to_string(),
            message,
            help: help.to_string(),
        }
    }

    /// A TOML error (bad syntax, an unknown key, a value of the wrong type), naming the key
    /// of a value of the wrong type as the other config errors do.
    pub fn syntax(&self, e: &toml::de::Error) -> ConfigError {
        let text = self.text;
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
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
            file: self.name.to_string(),
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
    }

    /// A number that must lie in `min..=max`, or `default` when the key is absent. The bounds
    /// keep a typo from panicking deep inside the run.
    pub fn bounded<T: Copy + PartialOrd + std::fmt::Display>(
        &self,
        v: Option<&Spanned<T>>,
        key: &str,
        Bounds { default, min, max }: Bounds<T>,
    ) -> Result<T, ConfigError> {
        match v {
            Some(s) if *s.get_ref() < min || *s.get_ref() > max => Err(self.at(
                s.span(),
                key,
                format!("{} is out of range", s.get_ref()),
                &format!("give a number from {min} to {max}; the default is {default}"),
            )),
            Some(s) => Ok(*s.get_ref()),
            None => Ok(default),
        }
    }
}

/// A numeric setting's default and the range it must lie in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds<T> {
    pub default: T,
    pub min: T,
    pub max: T,
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

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
