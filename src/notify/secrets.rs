//! The run's secrets (webhook URLs, tokens, passwords in URLs) and their removal from any text,
//! the log lines of every crate included: no log level may print one.

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

use regex::Regex;

/// Every secret a destination of this process holds, longest first.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Shapes of Slack secrets, for text that did not come from our own settings.
static SECRET_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"xox[a-z]-[A-Za-z0-9-]+|/services/[A-Za-z0-9/_-]+").expect("secret pattern")
});

/// Remembers `secrets` for [`redact_logged`]. Called as each destination is set up, before
/// it sends anything.
pub(crate) fn register(secrets: &[String]) {
    let mut known = KNOWN
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for s in secrets {
        if !s.is_empty() && !known.contains(s) {
            known.push(s.clone());
        }
    }
    // Longest first, so that a part never hides inside a whole that is then left half-shown.
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every secret (and anything shaped like a Slack token or webhook path) replaced.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    SECRET_SHAPES.replace_all(&out, "[redacted]").into_owned()
}

/// `text` (a log line, whoever wrote it) with every registered secret and every shape of one
/// replaced; borrowed when there is nothing to hide.
pub fn redact_logged(text: &str) -> Cow<'_, str> {
    let known = KNOWN
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !known.iter().any(|s| text.contains(s.as_str())) && !SECRET_SHAPES.is_match(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(redact(text, &known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_their_shapes_leave_log_lines() {
        register(&["pw-0123456789".to_string()]);
        let line = "reuse idle connection for (\"https\", u:pw-0123456789@hooks.example)";
        assert!(!redact_logged(line).contains("pw-0123456789"));
        assert!(!redact_logged("token xoxb-1-2-abc").contains("xoxb-1"));
        assert!(matches!(redact_logged("nothing here"), Cow::Borrowed(_)));
    }
}
