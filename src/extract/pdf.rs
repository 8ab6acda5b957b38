//! PDF → content blocks: the text layer read with lopdf, its pieces laid out in lines by
//! their position on the page, lines joined into paragraphs by the gaps between them, and a
//! line set larger than the body text kept apart as a heading. The PDF reader runs guarded:
//! on a thread of its own, with a time limit, a cap on what its streams may inflate to, and a
//! panic caught as an error of this document.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object};

use super::normalize::normalize;
use super::{Block, BlockKind, Extracted, Inline, Rules, MIN_CONTENT_CHARS};
use crate::error::ExtractError;

/// Time limit of reading one PDF.
const TIME_LIMIT: Duration = Duration::from_secs(30);

/// What one stream (a page's content, a font's map) may inflate to.
const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// What stands for the content root of a PDF in reports.
pub const PDF_ROOT: &str = "(PDF text layer)";

/// Extracts the text of a PDF as blocks, with the target's `ignore` rules (`select` and
/// `remove` are for HTML). A PDF with pages but no text is an error that says it looks
/// scanned.
pub fn extract_pdf(bytes: &[u8], rules: &Rules) -> Result<Extracted, ExtractError> {
    let owned = bytes.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("pdf".into())
        .spawn(move || {
            let read = catch_unwind(AssertUnwindSafe(|| read_lines(&owned)));
            let _ = tx.send(read);
        })
        .map_err(|e| ExtractError::PdfReader(std::sync::Arc::new(e)))?;
    let (pages, lines) = match rx.recv_timeout(TIME_LIMIT) {
        Ok(Ok(read)) => read?,
        Ok(Err(panic)) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(ExtractError::PdfCrashed { said: why });
        }
        // The reader thread is left to finish on its own; its result is never used.
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            return Err(ExtractError::PdfTimeout {
                secs: TIME_LIMIT.as_secs(),
            })
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            return Err(ExtractError::PdfStopped)
        }
    };
    let mut blocks = paragraphs(&lines);
    blocks.retain(|b| {
        let text = b.text();
        !rules.ignore().iter().any(|re| re.is_match(&text))
    });
    let extracted = Extracted {
        blocks,
        ids: BTreeSet::new(),
        lang: None,
        root: PDF_ROOT.to_string(),
    };
    let chars = extracted.text_len();
    if chars < MIN_CONTENT_CHARS {
        return Err(
            if pages > 0 && lines.iter().all(|l| l.text.trim().is_empty()) {
                ExtractError::Scanned { pages }
            } else {
                ExtractError::NearlyEmpty { chars }
            },
        );
    }
    Ok(extracted)
}

/// One line of text on a page.
#[derive(Debug, Clone)]
struct Line {
    page: u32,
    /// Baseline, in page space (up is larger).
    y: f64,
    x: f64,
    end_x: f64,
    /// Type size in page space.
    size: f64,
    text: String,
}

/// A 2-D affine matrix `[a b c d e f]`, PDF's row-vector convention.
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

/// A font as the layout needs it: how to decode its codes, and how wide each one is.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Codes are two bytes (a composite font).
    two_byte: bool,
    widths: HashMap<u32, f64>,
    default_width: f64,
}

impl Font<'_> {
    fn width(&self, code: u32) -> f64 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            / 1000.0
    }
}

fn number(o: &Object) -> Option<f64> {
    o.as_float().ok().map(f64::from)
}

fn font<'a>(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
    let encoding = dict.get_font_encoding_with_limit(doc, MAX_INFLATED).ok();
    let composite = dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0");
    let mut widths = HashMap::new();
    let mut default_width = if composite { 1000.0 } else { 500.0 };
    let deref = |o: &'a Object| -> &'a Object {
        match o {
            Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
            _ => o,
        }
    };
    if composite {
        let descendant = dict
            .get(b"DescendantFonts")
            .map(deref)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| a.first())
            .map(deref)
            .and_then(|d| d.as_dict().ok());
        if let Some(d) = descendant {
            if let Some(dw) = d.get(b"DW").ok().and_then(number) {
                default_width = dw;
            }
            if let Ok(w) = d.get(b"W").map(deref).and_then(Object::as_array) {
                // [first [w1 w2 …]] or [first last w]
                let mut i = 0;
                while i + 1 < w.len() {
                    let Some(first) = number(&w[i]) else { break };
                    match deref(&w[i + 1]) {
                        Object::Array(ws) => {
                            for (k, v) in ws.iter().enumerate() {
                                if let Some(v) = number(v) {
                                    widths.insert(first as u32 + k as u32, v);
                                }
                            }
                            i += 2;
                        }
                        last => {
                            let (Some(last), Some(v)) =
                                (number(last), w.get(i + 2).and_then(number))
                            else {
                                break;
                            };
                            for c in (first as u32)..=(last as u32).min(first as u32 + 65_535) {
                                widths.insert(c, v);
                            }
                            i += 3;
                        }
                    }
                }
            }
        }
    } else {
        let first = dict.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as u32;
        if let Ok(ws) = dict.get(b"Widths").map(deref).and_then(Object::as_array) {
            for (k, v) in ws.iter().enumerate() {
                if let Some(v) = number(deref(v)) {
                    widths.insert(first + k as u32, v);
                }
            }
        }
        if let Some(mw) = dict
            .get(b"FontDescriptor")
            .map(deref)
            .and_then(Object::as_dict)
            .ok()
            .and_then(|fd| fd.get(b"MissingWidth").ok())
            .and_then(number)
            .filter(|w| *w > 0.0)
        {
            default_width = mw;
        }
    }
    Font {
        encoding,
        two_byte: composite,
        widths,
        default_width,
    }
}

/// The text state of a content stream, as far as the layout needs it.
#[derive(Clone)]
struct TextState {
    font: Option<Vec<u8>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

/// Reads every page's text as positioned lines: (pages, lines).
fn read_lines(bytes: &[u8]) -> Result<(usize, Vec<Line>), ExtractError> {
    let pdf_err = |e: lopdf::Error| ExtractError::Pdf(std::sync::Arc::new(e));
    let mut doc = Document::load_mem(bytes).map_err(pdf_err)?;
    if doc.is_encrypted() {
        // Most encrypted policies only restrict printing or copying: their user password is
        // empty.
        doc.decrypt("")
            .map_err(|e| ExtractError::PdfEncrypted(std::sync::Arc::new(e)))?;
    }
    let pages = doc.get_pages();
    let mut lines = Vec::new();
    for (&page_no, &page_id) in &pages {
        let fonts: BTreeMap<Vec<u8>, Font<'_>> = doc
            .get_page_fonts(page_id)
            .map_err(pdf_err)?
            .into_iter()
            .map(|(name, dict)| (name, font(&doc, dict)))
            .collect();
        let data = doc
            .get_page_content_with_limit(page_id, MAX_INFLATED)
            .map_err(pdf_err)?;
        let content = Content::decode(&data).map_err(pdf_err)?;
        let mut page = PageLayout {
            page: page_no,
            lines: Vec::new(),
            space_pending: false,
        };
        let mut ctm = IDENTITY;
        let mut stack: Vec<(Matrix, TextState)> = Vec::new();
        let mut ts = TextState {
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        for op in &content.operations {
            let n = |i: usize| op.operands.get(i).and_then(number).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" => stack.push((ctm, ts.clone())),
                "Q" => {
                    if let Some((m, t)) = stack.pop() {
                        ctm = m;
                        ts = t;
                    }
                }
                "cm" => ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &ctm),
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    ts.font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map(<[u8]>::to_vec);
                    ts.size = n(1);
                }
                "Tc" => ts.char_spacing = n(0),
                "Tw" => ts.word_spacing = n(0),
                "Tz" => ts.scale = n(0) / 100.0,
                "TL" => ts.leading = n(0),
                "Ts" => ts.rise = n(0),
                "Td" => {
                    tlm = mul(&translate(n(0), n(1)), &tlm);
                    tm = tlm;
                }
                "TD" => {
                    ts.leading = -n(1);
                    tlm = mul(&translate(n(0), n(1)), &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&translate(0.0, -ts.leading), &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        if op.operator == "\"" {
                            ts.word_spacing = n(0);
                            ts.char_spacing = n(1);
                        }
                        tlm = mul(&translate(0.0, -ts.leading), &tlm);
                        tm = tlm;
                    }
                    let Some(f) = ts.font.as_ref().and_then(|name| fonts.get(name)) else {
                        continue;
                    };
                    let parts: Vec<&Object> = match op.operator.as_str() {
                        "TJ" => op
                            .operands
                            .first()
                            .and_then(|o| o.as_array().ok())
                            .map(|a| a.iter().collect())
                            .unwrap_or_default(),
                        "\"" => op.operands.get(2).into_iter().collect(),
                        _ => op.operands.first().into_iter().collect(),
                    };
                    for part in parts {
                        match part {
                            Object::String(s, _) => {
                                page.show(f, &ts, &mut tm, &ctm, s);
                            }
                            other => {
                                let adj = number(other).unwrap_or(0.0);
                                let tx = -adj / 1000.0 * ts.size * ts.scale;
                                tm = mul(&translate(tx, 0.0), &tm);
                                // A wide gap inside TJ is a space between words.
                                if adj < -200.0 {
                                    page.space_pending = true;
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        lines.extend(page.lines);
    }
    Ok((pages.len(), lines))
}

/// The lines of one page, built piece by piece.
struct PageLayout {
    page: u32,
    lines: Vec<Line>,
    space_pending: bool,
}

impl PageLayout {
    /// Shows one string: decodes it, places it, and moves the text matrix past it.
    fn show(&mut self, f: &Font<'_>, ts: &TextState, tm: &mut Matrix, ctm: &Matrix, s: &[u8]) {
        let text = f
            .encoding
            .as_ref()
            .and_then(|e| e.bytes_to_string(s).ok())
            .unwrap_or_else(|| s.iter().map(|&b| b as char).collect());
        let trm = mul(
            &[ts.size * ts.scale, 0.0, 0.0, ts.size, 0.0, ts.rise],
            &mul(tm, ctm),
        );
        let (x, y) = (trm[4], trm[5]);
        let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt().max(0.1);
        let mut advance = 0.0;
        let codes: Vec<u32> = if f.two_byte {
            s.chunks(2)
                .map(|c| (u32::from(c[0]) << 8) | u32::from(*c.get(1).unwrap_or(&0)))
                .collect()
        } else {
            s.iter().map(|&b| u32::from(b)).collect()
        };
        for &code in &codes {
            let mut w = f.width(code) * ts.size + ts.char_spacing;
            if !f.two_byte && code == 32 {
                w += ts.word_spacing;
            }
            advance += w * ts.scale;
        }
        *tm = mul(&translate(advance, 0.0), tm);
        let end = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0], &mul(tm, ctm))[4];
        self.place(x, y, end, size, &text);
    }

    fn place(&mut self, x: f64, y: f64, end_x: f64, size: f64, text: &str) {
        if text.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.space_pending);
        if let Some(line) = self.lines.last_mut() {
            let same_line =
                (line.y - y).abs() < 0.35 * size.min(line.size) && x > line.x - 0.5 * size;
            if same_line {
                let gap = x - line.end_x;
                if (pending || gap > 0.15 * size)
                    && !line.text.ends_with(char::is_whitespace)
                    && !text.starts_with(char::is_whitespace)
                {
                    line.text.push(' ');
                }
                line.text.push_str(text);
                line.end_x = end_x.max(line.end_x);
                line.size = line.size.max(size);
                return;
            }
        }
        self.lines.push(Line {
            page: self.page,
            y,
            x,
            end_x,
            size,
            text: text.to_string(),
        });
    }
}

/// Bullets that start a list item and are not part of its text.
const BULLETS: &[char] = &['•', '●', '▪', '◦', '‣', '∙', '·', '–', '-', '*', '\u{f0b7}'];

/// Whether a line starts a list item: a bullet, or "1." / "a)" / "(iv)" and a space.
fn list_start(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let mut chars = t.chars();
    let first = chars.next()?;
    if BULLETS.contains(&first) && chars.as_str().starts_with(char::is_whitespace) {
        return Some(chars.as_str().trim_start());
    }
    let (marker, rest) = t.split_once(' ')?;
    let inner = marker.trim_start_matches('(').trim_end_matches(['.', ')']);
    let numbered = marker.len() <= 6
        && marker != inner
        && !inner.is_empty()
        && (inner.chars().all(|c| c.is_ascii_digit())
            || (inner.len() == 1 && inner.chars().all(|c| c.is_ascii_lowercase()))
            || inner.chars().all(|c| "ivxlc".contains(c)));
    numbered.then_some(t).filter(|_| !rest.is_empty())
}

/// Lines → blocks: a paragraph ends at a wider gap than the usual line spacing, at a change
/// of type size, at a list marker and at the end of a page; larger type is a heading.
fn paragraphs(lines: &[Line]) -> Vec<Block> {
    let lines: Vec<&Line> = lines.iter().filter(|l| !l.text.trim().is_empty()).collect();
    if lines.is_empty() {
        return Vec::new();
    }
    // The body's type size: the size that sets the most characters.
    let mut by_size: HashMap<i64, usize> = HashMap::new();
    for l in &lines {
        *by_size.entry((l.size * 2.0).round() as i64).or_default() += l.text.len();
    }
    let body = by_size
        .iter()
        .max_by_key(|(s, n)| (**n, -**s))
        .map_or(10.0, |(s, _)| *s as f64 / 2.0);
    // The usual gap between two lines of body text.
    let mut gaps: HashMap<i64, usize> = HashMap::new();
    for w in lines.windows(2) {
        let gap = w[0].y - w[1].y;
        if w[0].page == w[1].page
            && similar(w[0].size, body)
            && similar(w[1].size, body)
            && gap > 0.0
        {
            *gaps.entry((gap * 2.0).round() as i64).or_default() += 1;
        }
    }
    let usual = gaps
        .iter()
        .max_by_key(|(g, n)| (**n, -**g))
        .map(|(g, _)| *g as f64 / 2.0)
        .filter(|g| *g >= 0.9 * body && *g <= 2.5 * body)
        .unwrap_or(1.2 * body);
    let is_heading = |l: &Line| l.size >= body * 1.15 && l.text.chars().count() <= 200;
    let mut heading_sizes: Vec<i64> = lines
        .iter()
        .filter(|l| is_heading(l))
        .map(|l| (l.size * 2.0).round() as i64)
        .collect();
    heading_sizes.sort_unstable_by(|a, b| b.cmp(a));
    heading_sizes.dedup();
    let level = |l: &Line| {
        let s = (l.size * 2.0).round() as i64;
        let rank = heading_sizes.iter().position(|h| *h == s).unwrap_or(0);
        (rank + 1).min(6) as u8
    };

    let mut blocks: Vec<(BlockKind, String)> = Vec::new();
    let mut prev: Option<&Line> = None;
    for l in lines {
        let kind = if is_heading(l) {
            BlockKind::Heading(level(l))
        } else if list_start(&l.text).is_some() {
            BlockKind::ListItem
        } else {
            BlockKind::Paragraph
        };
        let text = match (kind, list_start(&l.text)) {
            (BlockKind::ListItem, Some(rest)) => rest,
            _ => l.text.as_str(),
        };
        let continues = prev.is_some_and(|p| {
            let gap = p.y - l.y;
            let (prev_kind, _) = blocks.last().expect("a previous line made a block");
            p.page == l.page
                && similar(p.size, l.size)
                && gap > 0.0
                && gap <= usual * 1.3
                && match kind {
                    BlockKind::Heading(_) => matches!(prev_kind, BlockKind::Heading(_)),
                    BlockKind::ListItem => false,
                    // A list item's next lines, indented, belong to it.
                    _ => !matches!(prev_kind, BlockKind::Heading(_)),
                }
        });
        if continues {
            let (_, buf) = blocks.last_mut().expect("a block to continue");
            let hyphen = buf.ends_with('-')
                && buf[..buf.len() - 1].ends_with(char::is_alphabetic)
                && text.starts_with(char::is_lowercase);
            if !hyphen {
                buf.push(' ');
            }
            buf.push_str(text);
        } else {
            blocks.push((kind, text.to_string()));
        }
        prev = Some(l);
    }
    blocks
        .into_iter()
        .filter_map(|(kind, text)| {
            let text = normalize(&text);
            (!text.is_empty()).then(|| Block {
                kind,
                inlines: vec![Inline::Text { text }],
            })
        })
        .collect()
}

fn similar(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.1 * a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(page: u32, y: f64, size: f64, text: &str) -> Line {
        Line {
            page,
            y,
            x: 72.0,
            end_x: 300.0,
            size,
            text: text.into(),
        }
    }

    #[test]
    fn lines_become_paragraphs_and_headings() {
        let lines = [
            line(1, 800.0, 18.0, "Privacy Policy"),
            line(1, 770.0, 10.0, "We process your data"),
            line(1, 758.0, 10.0, "only as this policy says."),
            line(1, 740.0, 10.0, "Second para-"),
            line(1, 728.0, 10.0, "graph ends here."),
            line(1, 710.0, 10.0, "• Mixpanel, for analytics"),
            line(1, 698.0, 10.0, "• Appcues, for onboarding"),
            line(2, 800.0, 10.0, "On the next page."),
        ];
        let blocks = paragraphs(&lines);
        let got: Vec<(BlockKind, String)> = blocks.iter().map(|b| (b.kind, b.text())).collect();
        assert_eq!(
            got,
            vec![
                (BlockKind::Heading(1), "Privacy Policy".into()),
                (
                    BlockKind::Paragraph,
                    "We process your data only as this policy says.".into()
                ),
                (BlockKind::Paragraph, "Second para-graph ends here.".into()),
                (BlockKind::ListItem, "Mixpanel, for analytics".into()),
                (BlockKind::ListItem, "Appcues, for onboarding".into()),
                (BlockKind::Paragraph, "On the next page.".into()),
            ]
        );
    }

    #[test]
    fn numbered_items_keep_their_number() {
        assert_eq!(list_start("1. Scope"), Some("1. Scope"));
        assert_eq!(list_start("(a) Consent"), Some("(a) Consent"));
        assert_eq!(list_start("• Item"), Some("Item"));
        assert_eq!(list_start("2026 was a year"), None);
        assert_eq!(list_start("Art. 6 GDPR"), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let rules = Rules::new(None, &[], &[]).unwrap();
        let err = extract_pdf(b"%PDF-1.4\nnot really a pdf", &rules).unwrap_err();
        assert!(matches!(err, ExtractError::Pdf(_)), "{err}");
    }
}
