//! The site's pages as HTML: the index, a page per target (its versions with their word
//! diffs and a comparison of any two), and the full text of each version. Pages hold their own
//! style and script: no file, font or image from elsewhere, so they read the same from
//! `file://` and on GitHub Pages.

use std::fmt::Write as _;

use crate::diff::{Change, LinkChange, Span, SpanOp};

/// The style every page carries: light, readable on a phone, contrast above WCAG AA.
pub const CSS: &str = r#"
:root{--fg:#1b1b1b;--muted:#4a4a4a;--line:#d0d0d0;--bg:#fff;--link:#0b4f9c;--del-bg:#ffe1e1;--del:#7d0000;--ins-bg:#d6f3dc;--ins:#00501a;--box:#f5f6f8}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main,header.top,footer{max-width:48rem;margin:0 auto;padding:0 1rem}
header.top{padding-top:.75rem;font-size:.95rem}
footer{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);margin-top:2.5rem;padding-bottom:2rem;padding-top:.75rem}
a{color:var(--link)}
a:focus-visible,button:focus-visible,select:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
h1{font-size:1.6rem;line-height:1.25;margin:1rem 0 .5rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem}
h3{font-size:1.1rem;margin:1.5rem 0 .25rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .9rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.targets{list-style:none;padding:0;margin:0}
ul.targets>li{border:1px solid var(--line);border-radius:6px;padding:.25rem 1rem .75rem;margin:1rem 0}
ul.targets h2{margin:.75rem 0 .25rem;font-size:1.2rem}
.version{border-top:1px solid var(--line);margin-top:1.5rem}
.commit,.url,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.sum,.note{color:var(--muted);margin:.25rem 0}
.diff p{margin:.4rem 0;padding:.35rem .6rem;background:var(--box);border-radius:4px;overflow-wrap:anywhere}
.diff p.h{font-weight:600}
.diff p.li::before{content:"• "}
del{background:var(--del-bg);color:var(--del);text-decoration:line-through}
ins{background:var(--ins-bg);color:var(--ins);text-decoration:underline}
del+ins{margin-left:.25em}
dd ul{margin:0;padding-left:1.1rem}
form#compare h2{margin-top:.75rem}
del::before,del::after,ins::before,ins::after{clip-path:inset(100%);clip:rect(1px,1px,1px,1px);height:1px;width:1px;overflow:hidden;position:absolute;white-space:nowrap}
del::before{content:" [removed: "}
ins::before{content:" [added: "}
del::after,ins::after{content:"] "}
.moved{font-style:italic}
ul.links{padding-left:1.25rem}
.href{color:var(--muted);font-size:.85em;overflow-wrap:anywhere}
.empty{background:var(--del-bg);color:var(--del);padding:0 .2rem;border-radius:3px}
.legend{font-size:.9rem;color:var(--muted)}
form#compare{background:var(--box);border:1px solid var(--line);border-radius:6px;padding:.25rem 1rem 1rem;margin:1rem 0}
form#compare label{display:inline-block;margin:.25rem .75rem .25rem 0}
select,button{font:inherit;max-width:100%}
button{padding:.3rem .9rem}
article.text p,article.text li{overflow-wrap:anywhere}
.pager{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
"#;

/// The comparison of two versions a reader picks. It rebuilds both versions from the blocks
/// in the page's data, marks the blocks only one of them holds, and where `src/diff.rs`
/// already worded a change between two of those blocks (in an adjacent diff) shows its words.
pub const SCRIPT: &str = r##"
(function(){
var el=document.getElementById("pw-data"),form=document.getElementById("compare");
if(!el||!form)return;
var d=JSON.parse(el.textContent),out=document.getElementById("cmp-out");
function seq(v){var r=d.versions[v].b,s=[],i,j;for(i=0;i<r.length;i+=2)for(j=0;j<r[i+1];j++)s.push(r[i]+j);return s;}
function lang(i){return d.lang[i]?' lang="'+d.lang[i]+'"':"";}
function blk(i,tag){return '<p class="'+d.kind[i]+'"'+lang(i)+'><'+tag+'>'+d.text[i]+'</'+tag+'></p>';}
function flush(dels,inss,html){
 var used={},k,a,b,p;
 for(a=0;a<dels.length;a++){p=null;
  for(b=0;b<inss.length;b++){if(used[b])continue;k=dels[a]+":"+inss[b];if(d.pairs[k]){p=b;break;}}
  if(p===null){html.push(blk(dels[a],"del"));}
  else{used[p]=1;html.push('<p class="'+d.kind[inss[p]]+'"'+lang(inss[p])+'>'+d.pairs[dels[a]+":"+inss[p]]+'</p>');}}
 for(b=0;b<inss.length;b++)if(!used[b])html.push(blk(inss[b],"ins"));
 dels.length=0;inss.length=0;}
function compare(x,y){
 var A=seq(x),B=seq(y),inA={},inB={},posA={},i,j=0,n=0,html=[],dels=[],inss=[];
 for(i=0;i<A.length;i++){inA[A[i]]=1;if(!(A[i] in posA))posA[A[i]]=i;}
 for(i=0;i<B.length;i++)inB[B[i]]=1;
 for(i=0;i<B.length;i++){var b=B[i];
  if(!inA[b]){inss.push(b);continue;}
  if(posA[b]>=j){while(j<A.length&&A[j]!==b){if(!inB[A[j]])dels.push(A[j]);j++;}j++;}
  if(dels.length||inss.length){n++;flush(dels,inss,html);}}
 while(j<A.length){if(!inB[A[j]])dels.push(A[j]);j++;}
 if(dels.length||inss.length){n++;flush(dels,inss,html);}
 var head='<h3>'+d.versions[x].label+' → '+d.versions[y].label+'</h3>';
 if(!html.length)return head+'<p class="note">These two versions hold the same text.</p>';
 return head+'<p class="note">'+n+' place'+(n==1?'':'s')+' differ.</p><div class="diff">'+html.join("")+'</div>';}
function full(v){var s=seq(v),h=[],list=false,i,b,t;
 for(i=0;i<s.length;i++){b=s[i];t=d.tag[b];
  if(t==="li"&&!list){h.push("<ul>");list=true;}
  if(t!=="li"&&list){h.push("</ul>");list=false;}
  h.push("<"+t+lang(b)+">"+d.full[b]+"</"+t+">");}
 if(list)h.push("</ul>");
 return '<article class="text">'+h.join("")+"</article>";}
var th=document.getElementById("text-h"),tb=document.getElementById("text-body"),cur=d.versions.length-1,
 t0=[th.innerHTML,tb.innerHTML];
function text(){var m=/^#text-(\d+)$/.exec(location.hash),v=m?+m[1]:cur;
 if(!d.versions[v])return;
 if(v===cur){th.innerHTML=t0[0];tb.innerHTML=t0[1];}
 else{th.innerHTML="Full text of the version of "+d.versions[v].label;tb.innerHTML=full(v);}
 if(m)document.getElementById("text").scrollIntoView();}
window.addEventListener("hashchange",text);text();
var js=document.querySelectorAll("a.js"),k;for(k=0;k<js.length;k++)js[k].hidden=false;
var a=form.elements.a,b=form.elements.b;
function show(){out.innerHTML=compare(+a.value,+b.value);}
form.addEventListener("submit",function(e){e.preventDefault();show();history.replaceState(null,"","#compare-"+a.value+"-"+b.value);});
var m=/^#compare-(\d+)-(\d+)$/.exec(location.hash);
if(m&&d.versions[+m[1]]&&d.versions[+m[2]]){a.value=m[1];b.value=m[2];show();}
form.hidden=false;
})();
"##;

/// `text` escaped for HTML text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// ` lang="de"` for a block in another language than the page's English, else nothing.
pub fn lang_attr(lang: Option<&str>) -> String {
    match lang {
        Some(l) if l != "en" => format!(" lang=\"{}\"", esc(l)),
        _ => String::new(),
    }
}

/// What kind of block a snapshot line is, and how long its Markdown prefix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Heading(u8),
    Item,
    Row,
    Paragraph,
}

impl Kind {
    pub fn of(line: &str) -> (Kind, usize) {
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            return (Kind::Heading(hashes as u8), hashes + 1);
        }
        if line.starts_with("- ") {
            return (Kind::Item, 2);
        }
        if line.starts_with("| ") && line.ends_with(" |") {
            return (Kind::Row, 0);
        }
        if line.starts_with('\\') {
            return (Kind::Paragraph, 1);
        }
        (Kind::Paragraph, 0)
    }

    /// The class a diff line gets.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Heading(_) => "h",
            Kind::Item => "li",
            Kind::Row | Kind::Paragraph => "p",
        }
    }
}

/// A block as a reader sees it in a diff: link syntax and block markup left out, escaped.
pub fn plain_html(line: &str) -> String {
    let (_, prefix) = Kind::of(line);
    esc(&crate::diff::plain(&line[prefix..]))
}

/// `[text](href)` in snapshot Markdown, as `diff` reads it.
static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)").expect("link pattern")
});

/// A block's inline content for the full text: each link as its text followed by where it
/// points, written out (never a live link to another site: the page requests nothing and
/// sends no reader elsewhere unasked); a link with no text is marked as such.
pub fn inline_html(md: &str) -> String {
    let mut out = String::with_capacity(md.len() + 32);
    let mut last = 0;
    for c in LINK.captures_iter(md) {
        let m = c.get(0).expect("whole match");
        out.push_str(&esc(&unescape(&md[last..m.start()])));
        let text = unescape(&c[1]);
        if text.trim().is_empty() {
            out.push_str("<span class=\"empty\">empty link</span>");
        } else {
            out.push_str(&esc(&text));
        }
        let _ = write!(out, " <span class=\"href\">⟨{}⟩</span>", esc(&c[2]));
        last = m.end();
    }
    out.push_str(&esc(&unescape(&md[last..])));
    out
}

fn unescape(text: &str) -> String {
    text.replace("\\[", "[").replace("\\]", "]")
}

/// The spans of a changed block as HTML: removed words in `<del>`, added in `<ins>`. The
/// block's Markdown prefix (`# `, `- `) is left out when both sides share it.
pub fn spans_html(spans: &[Span]) -> String {
    let mut out = String::new();
    for (i, s) in spans.iter().enumerate() {
        let mut text = s.text.as_str();
        if i == 0 && s.op == SpanOp::Equal {
            let (_, prefix) = Kind::of(text);
            text = &text[prefix.min(text.len())..];
        }
        match s.op {
            SpanOp::Equal => out.push_str(&esc(text)),
            SpanOp::Removed => {
                let _ = write!(out, "<del>{}</del>", esc(text));
            }
            SpanOp::Added => {
                let _ = write!(out, "<ins>{}</ins>", esc(text));
            }
        }
    }
    out
}

/// One change as a reader sees it (link syntax left out; where links point is listed by
/// [`links_html`]). `lang` gives a block's language by its Markdown. `None` when only a link
/// target changed.
pub fn change_html(change: &Change, lang: &dyn Fn(&str) -> Option<&'static str>) -> Option<String> {
    let read = change.as_read()?;
    let (before, after) = change.sides();
    let side = after.as_deref().or(before.as_deref()).unwrap_or_default();
    let (kind, _) = Kind::of(side);
    let attrs = format!("class=\"{}\"{}", kind.class(), lang_attr(lang(side)));
    Some(match &read {
        Change::Changed { spans } => format!("<p {attrs}>{}</p>", spans_html(spans)),
        Change::Added { text } => format!("<p {attrs}><ins>{}</ins></p>", plain_html(text)),
        Change::Removed { text } => format!("<p {attrs}><del>{}</del></p>", plain_html(text)),
        Change::Moved { text } => format!(
            "<p {attrs}><span class=\"moved\">Moved here:</span> {}</p>",
            plain_html(text)
        ),
    })
}

/// The links whose target changed, or that came or went, each named.
pub fn links_html(links: &[LinkChange]) -> String {
    if links.is_empty() {
        return String::new();
    }
    let name = |t: &str| {
        if t.trim().is_empty() {
            "An empty link".to_string()
        } else {
            format!("The link “{}”", esc(t))
        }
    };
    let mut out = String::from("<ul class=\"links\">");
    for l in links {
        let line = match (&l.from, &l.to) {
            (Some(from), Some(to)) => format!(
                "{} now points to <span class=\"url\">{}</span> (was <span class=\"url\">{}</span>)",
                name(&l.text),
                esc(to),
                esc(from)
            ),
            (None, Some(to)) => format!(
                "New: {} to <span class=\"url\">{}</span>",
                name(&l.text).replacen("The link", "the link", 1).replacen("An empty", "an empty", 1),
                esc(to)
            ),
            (Some(from), None) => format!(
                "Gone: {} to <span class=\"url\">{}</span>",
                name(&l.text).replacen("The link", "the link", 1).replacen("An empty", "an empty", 1),
                esc(from)
            ),
            (None, None) => continue,
        };
        let _ = write!(out, "<li>{line}</li>");
    }
    out.push_str("</ul>");
    out
}

/// The link changes of one block, inline (for the comparison, where a block is one line).
pub fn links_inline(links: &[LinkChange]) -> String {
    let mut out = String::new();
    for l in links {
        let text = if l.text.trim().is_empty() {
            "an empty link".to_string()
        } else {
            format!("the link “{}”", esc(&l.text))
        };
        let said = match (&l.from, &l.to) {
            (Some(from), Some(to)) => {
                format!("{text} now points to {} (was {})", esc(to), esc(from))
            }
            (None, Some(to)) => format!("new: {text} to {}", esc(to)),
            (Some(from), None) => format!("gone: {text} to {}", esc(from)),
            (None, None) => continue,
        };
        let _ = write!(out, " <span class=\"note\">— {said}</span>");
    }
    out
}

/// A whole page: head with its own style, `body`, and the script when `script` is set.
pub fn page(title: &str, head_extra: &str, body: &str, script: Option<&str>) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"policy-watch\">\n<title>{}</title>\n{head_extra}<style>{CSS}</style>\n</head>\n<body>\n{body}\n<footer><p>Made by policy-watch from the git history of the snapshot folder. Removed words are struck through on red, added words underlined on green.</p></footer>\n",
        esc(title)
    );
    if let Some(data) = script {
        out.push_str(data);
        let _ = writeln!(out, "<script>{SCRIPT}</script>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The smallest heading level among `lines` (1 when there is none): it becomes `<h2>`.
pub fn top_level(lines: &[&str]) -> u8 {
    lines
        .iter()
        .filter_map(|l| match Kind::of(l).0 {
            Kind::Heading(n) => Some(n),
            _ => None,
        })
        .min()
        .unwrap_or(1)
}

/// The element a block is in the full text: `h2`…`h6` (the page's top level is `h2`), `li`
/// or `p`.
pub fn block_tag(line: &str, top: u8) -> String {
    match Kind::of(line).0 {
        Kind::Heading(level) => format!("h{}", (level + 2).saturating_sub(top).clamp(2, 6)),
        Kind::Item => "li".into(),
        Kind::Row | Kind::Paragraph => "p".into(),
    }
}

/// A block's content in the full text (markup prefix left out, links written out).
pub fn block_inner(line: &str) -> String {
    let (_, prefix) = Kind::of(line);
    inline_html(&line[prefix..])
}

/// The full text of a version: blocks grouped into their sections, each section that is not
/// in English marked with its language; the policy's top headings are `<h2>` (the page's `<h1>`
/// is its title).
pub fn full_text(
    lines: &[&str],
    sections: &[(std::ops::Range<usize>, Option<&'static str>)],
) -> String {
    let mut out = String::from("<article class=\"text\">\n");
    let top = top_level(lines);
    for (range, lang) in sections {
        let _ = writeln!(out, "<section{}>", lang_attr(*lang));
        let mut in_list = false;
        for line in &lines[range.clone()] {
            let (kind, prefix) = Kind::of(line);
            if in_list && kind != Kind::Item {
                out.push_str("</ul>\n");
                in_list = false;
            }
            let inner = inline_html(&line[prefix..]);
            match kind {
                Kind::Heading(_) => {
                    let h = block_tag(line, top);
                    let _ = writeln!(out, "<{h}>{inner}</{h}>");
                }
                Kind::Item => {
                    if !in_list {
                        out.push_str("<ul>\n");
                        in_list = true;
                    }
                    let _ = writeln!(out, "<li>{inner}</li>");
                }
                Kind::Row | Kind::Paragraph => {
                    let _ = writeln!(out, "<p>{inner}</p>");
                }
            }
        }
        if in_list {
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</article>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_written_out_never_followed_and_empty_ones_are_marked() {
        let html =
            inline_html("See [the policy](https://a.example/p?x=1&y=2) or [](https://b.example/).");
        assert_eq!(
            html,
            "See the policy <span class=\"href\">⟨https://a.example/p?x=1&amp;y=2⟩</span> or <span class=\"empty\">empty link</span> <span class=\"href\">⟨https://b.example/⟩</span>."
        );
        assert!(!html.contains("href=\""));
    }

    #[test]
    fn a_changed_block_marks_removed_and_added_words_without_markup() {
        let changes = crate::diff::diff(
            "# T\n\nWe keep <name>.\n",
            "# T\n\nWe store <name> & age.\n",
        );
        let html = change_html(&changes[0], &|_| Some("de")).unwrap();
        assert_eq!(
            html,
            "<p class=\"p\" lang=\"de\">We <del>keep</del><ins>store</ins> &lt;name&gt;<ins> &amp; age</ins>.</p>"
        );
        let heading = crate::diff::diff("## Your rights\n", "## Your data rights\n");
        let html = change_html(&heading[0], &|_| None).unwrap();
        assert!(html.starts_with("<p class=\"h\">Your "), "{html}");
    }
}
