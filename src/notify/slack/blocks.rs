//! The JSON that Slack takes: the three Block Kit blocks an alert is made of (header, context,
//! section), the message that holds them, and the two requests that carry a message (an
//! incoming webhook's body and `chat.postMessage`), each written as Slack documents it, with
//! the fields left out that policy-watch never sets.

use serde::{Deserialize, Serialize};

/// A message: the fallback text (notifications, screen readers) and its blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Message {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<Block>>,
}

impl Message {
    pub fn new(text: String, blocks: Vec<Block>) -> Self {
        Message {
            text: Some(text),
            blocks: Some(blocks),
        }
    }
}

/// One block of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Block {
    /// Large plain text at the top.
    Header { text: Text },
    /// Small grey lines (the address, the time, the run).
    Context { elements: Vec<Text> },
    /// A paragraph of text.
    Section { text: Text },
}

/// A text object: plain text (headers) or Slack's own markup ("mrkdwn").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Text {
    /// Plain text; `emoji` turns `:shortcodes:` into emoji.
    #[serde(rename = "plain_text")]
    Plain { text: String, emoji: bool },
    /// Slack markup; `verbatim` keeps Slack from turning bare addresses, channel names and
    /// mentions into links (every link in an alert is written out as `<address|label>`).
    #[serde(rename = "mrkdwn")]
    Markup { text: String, verbatim: bool },
}

impl Text {
    /// The text itself, whatever its kind.
    pub fn as_str(&self) -> &str {
        match self {
            Text::Plain { text, .. } | Text::Markup { text, .. } => text,
        }
    }
}

/// An incoming webhook's body: the message alone (a webhook has no threads).
#[derive(Debug, Serialize)]
pub struct WebhookPost<'a> {
    #[serde(flatten)]
    pub message: &'a Message,
}

/// A `chat.postMessage` request: the message, its channel and, for a reply, the `ts` of the
/// message it answers. An alert's own links get no previews: they would push the diff out of
/// sight.
#[derive(Debug, Serialize)]
pub struct ChatPost<'a> {
    pub channel: &'a str,
    #[serde(flatten)]
    pub message: &'a Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<&'a str>,
    pub unfurl_links: bool,
    pub unfurl_media: bool,
}

impl<'a> ChatPost<'a> {
    pub fn new(channel: &'a str, message: &'a Message, thread_ts: Option<&'a str>) -> Self {
        ChatPost {
            channel,
            message,
            thread_ts,
            unfurl_links: false,
            unfurl_media: false,
        }
    }
}

/// What the Web API answers: `ok`, an error code when not, and the posted message's `ts`. A
/// field missing from an answer that says `ok` must not turn a delivered message into an
/// error (it would be sent again), so every field has a default.
#[derive(Debug, Default, Deserialize)]
pub struct ApiAnswer {
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub ts: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_written_as_block_kit_documents_them() {
        let message = Message::new(
            "fallback".into(),
            vec![
                Block::Header {
                    text: Text::Plain {
                        text: "📝 Policy: changed".into(),
                        emoji: true,
                    },
                },
                Block::Context {
                    elements: vec![Text::Markup {
                        text: "<https://a.example/|a.example>".into(),
                        verbatim: true,
                    }],
                },
                Block::Section {
                    text: Text::Markup {
                        text: "*1 change*".into(),
                        verbatim: true,
                    },
                },
            ],
        );
        let post = ChatPost::new("C0123", &message, Some("1712345678.000100"));
        assert_eq!(
            serde_json::to_string(&post).unwrap(),
            concat!(
                r#"{"channel":"C0123","text":"fallback","blocks":["#,
                r#"{"type":"header","text":{"type":"plain_text","text":"📝 Policy: changed","emoji":true}},"#,
                r#"{"type":"context","elements":[{"type":"mrkdwn","text":"<https://a.example/|a.example>","verbatim":true}]},"#,
                r#"{"type":"section","text":{"type":"mrkdwn","text":"*1 change*","verbatim":true}}],"#,
                r#""thread_ts":"1712345678.000100","unfurl_links":false,"unfurl_media":false}"#
            )
        );
        let hook = serde_json::to_value(WebhookPost { message: &message }).unwrap();
        assert_eq!(hook["text"], "fallback");
        assert_eq!(hook["blocks"].as_array().unwrap().len(), 3);
        assert!(hook.get("channel").is_none() && hook.get("unfurl_links").is_none());
    }

    #[test]
    fn an_answer_with_fields_missing_or_added_is_read() {
        let a: ApiAnswer =
            serde_json::from_str(r#"{"ok":true,"channel":"C1","ts":"1.2","message":{}}"#).unwrap();
        assert!(a.ok);
        assert_eq!(a.ts.as_deref(), Some("1.2"));
        let a: ApiAnswer =
            serde_json::from_str(r#"{"ok":false,"error":"not_in_channel"}"#).unwrap();
        assert!(!a.ok);
        assert_eq!(a.error.as_deref(), Some("not_in_channel"));
        let a: ApiAnswer = serde_json::from_str("{}").unwrap();
        assert!(!a.ok && a.ts.is_none());
    }
}
