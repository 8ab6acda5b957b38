//! Keeps `.github/workflows/watch.yml` in step with the command line.
//!
//! The cron job calls the binary with its flags spelt out in shell. A renamed
//! flag would otherwise show up only as a failed scheduled run days later, so
//! this test finds every call of `policy-watch` in the workflow's `run:`
//! scripts, rebuilds its argument list and lets clap parse it against
//! `Cli` of the binary (`src/cli.rs`, compiled in here as it is).
//!
//! The shell reading is deliberately small: words, quotes, `$…` expansions,
//! GitHub's `${{ … }}` expressions, line continuations, comments and the
//! operators that end a command. Arguments end at the first operator or line
//! end. A word whose value is only known at run time (`"$id"`, `${{ inputs.x }}`)
//! is replaced by a placeholder when it is the value of a flag and left out
//! otherwise; `"${NAME[@]}"` is replaced by every word the script adds to the
//! array `NAME` (`NAME=(…)`, `NAME+=(…)`), so flags assembled in an array are
//! checked too. Here-documents are not understood.

use std::collections::HashMap;
use std::path::Path;

use clap::error::ErrorKind;
use clap::{Arg, Command, CommandFactory};

use crate::binary_cli::Cli;
use yaml_rust2::{Yaml, YamlLoader};

/// Stands for a value that is only known at run time (a target id, a path).
const PLACEHOLDER: &str = "ID";

// ---------------------------------------------------------------------------
// Shell words

/// A shell word as the script writes it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Word {
    /// The word after quote removal; expansions are kept as written.
    text: String,
    /// The word holds an expansion (`$VAR`, `${…}`, `$(…)`, backquotes,
    /// `${{ … }}`), so its value is not known here.
    opaque: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Word),
    /// A control or redirection operator, or `"\n"` for a line end.
    Op(String),
}

/// Splits a shell script into words and operators.
fn tokenize(script: &str) -> Vec<Token> {
    let chars: Vec<char> = script.chars().collect();
    let mut tokens = Vec::new();
    let mut word: Option<Word> = None;
    let mut i = 0;

    fn finish(word: &mut Option<Word>, tokens: &mut Vec<Token>) {
        if let Some(w) = word.take() {
            tokens.push(Token::Word(w));
        }
    }

    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2, // line continuation
            '\\' => {
                let w = word.get_or_insert_with(Word::default);
                if let Some(&next) = chars.get(i + 1) {
                    w.text.push(next);
                }
                i += 2;
            }
            ' ' | '\t' | '\r' => {
                finish(&mut word, &mut tokens);
                i += 1;
            }
            '\n' => {
                finish(&mut word, &mut tokens);
                tokens.push(Token::Op("\n".into()));
                i += 1;
            }
            '#' if word.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(Word::default);
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    w.text.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                let w = word.get_or_insert_with(Word::default);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    match chars[i] {
                        '\\' if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            w.text.push(chars[i + 1]);
                            i += 2;
                        }
                        '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
                        '$' => i = expansion(&chars, i, w),
                        '`' => i = backquotes(&chars, i, w),
                        other => {
                            w.text.push(other);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' => {
                let w = word.get_or_insert_with(Word::default);
                i = expansion(&chars, i, w);
            }
            '`' => {
                let w = word.get_or_insert_with(Word::default);
                i = backquotes(&chars, i, w);
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' => {
                // `2>` and the like: the digits name a file descriptor, not an argument.
                if matches!(c, '<' | '>') {
                    if let Some(w) = &word {
                        if !w.opaque
                            && !w.text.is_empty()
                            && w.text.chars().all(|d| d.is_ascii_digit())
                        {
                            word = None;
                        }
                    }
                }
                finish(&mut word, &mut tokens);
                let pair: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let op = match pair.as_str() {
                    "||" | "&&" | ";;" | ">>" | "<<" | ">&" | "<&" | "&>" | "|&" => pair,
                    _ => c.to_string(),
                };
                i += op.chars().count();
                tokens.push(Token::Op(op));
            }
            other => {
                word.get_or_insert_with(Word::default).text.push(other);
                i += 1;
            }
        }
    }
    finish(&mut word, &mut tokens);
    tokens
}

/// Reads the expansion that starts with the `$` at `start` into `word` and
/// returns the index after it. A lone `$` is a literal dollar sign.
fn expansion(chars: &[char], start: usize, word: &mut Word) -> usize {
    let rest = &chars[start..];
    let end = if rest.starts_with(&['$', '{', '{']) {
        // GitHub expression: `${{ … }}`
        (start + 3..chars.len().saturating_sub(1))
            .find(|&j| chars[j] == '}' && chars[j + 1] == '}')
            .map_or(chars.len(), |j| j + 2)
    } else if rest.starts_with(&['$', '{']) {
        matching(chars, start + 1, '{', '}')
    } else if rest.starts_with(&['$', '(']) {
        matching(chars, start + 1, '(', ')')
    } else if rest
        .get(1)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        start
            + 1
            + rest[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .count()
    } else if rest
        .get(1)
        .is_some_and(|c| c.is_ascii_digit() || "@*#?$!-".contains(*c))
    {
        start + 2
    } else {
        word.text.push('$');
        return start + 1;
    };
    word.text.extend(&chars[start..end]);
    word.opaque = true;
    end
}

/// Index after the bracket that closes the one at `open_at`.
fn matching(chars: &[char], open_at: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    for (j, &c) in chars.iter().enumerate().skip(open_at) {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
    }
    chars.len()
}

/// Reads a `` `…` `` command substitution into `word`.
fn backquotes(chars: &[char], start: usize, word: &mut Word) -> usize {
    let end = (start + 1..chars.len())
        .find(|&j| chars[j] == '`')
        .map_or(chars.len(), |j| j + 1);
    word.text.extend(&chars[start..end]);
    word.opaque = true;
    end
}

/// `NAME=` or `NAME+=` as the whole word: the start of an array assignment
/// when `(` follows. Returns `NAME`.
fn array_assignment(word: &Word) -> Option<&str> {
    let name = word
        .text
        .strip_suffix("+=")
        .or_else(|| word.text.strip_suffix('='))?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some(name)
}

/// `NAME=value` at the start of a simple command.
fn is_assignment(word: &Word) -> bool {
    match word.text.split_once('=') {
        Some((name, _)) => {
            let name = name.strip_suffix('+').unwrap_or(name);
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// Every word the script puts into each array, in order, over all its
/// `NAME=(…)` and `NAME+=(…)` assignments: the arguments the array can carry.
fn arrays(tokens: &[Token]) -> HashMap<String, Vec<Word>> {
    let mut arrays: HashMap<String, Vec<Word>> = HashMap::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        let Some(name) = array_assignment(word) else {
            continue;
        };
        if tokens.get(i + 1) != Some(&Token::Op("(".into())) {
            continue;
        }
        let entry = arrays.entry(name.to_string()).or_default();
        for token in &tokens[i + 2..] {
            match token {
                Token::Word(w) => entry.push(w.clone()),
                Token::Op(op) if op == "\n" => {}
                Token::Op(_) => break,
            }
        }
    }
    arrays
}

/// `${NAME[@]}` or `${NAME[*]}` as the whole word. Returns `NAME`.
fn array_expansion(word: &Word) -> Option<&str> {
    let inner = word.text.strip_prefix("${")?;
    inner
        .strip_suffix("[@]}")
        .or_else(|| inner.strip_suffix("[*]}"))
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in", "case",
    "esac", "!", "{", "}", "time", "exec", "command", "nohup", "env",
];

/// The argument words of every call of the binary in a script: after
/// `…/policy-watch` or `policy-watch` in command position, or after the `--`
/// of `cargo run`, up to the next operator or line end.
fn calls(tokens: &[Token]) -> Vec<Vec<Word>> {
    let mut found = Vec::new();
    let mut command_start = true;
    let mut i = 0;
    while i < tokens.len() {
        let word = match &tokens[i] {
            Token::Op(op) => {
                // After a redirection comes a file name, not a command.
                command_start =
                    !matches!(op.as_str(), "<" | ">" | ">>" | "<<" | ">&" | "<&" | "&>");
                i += 1;
                continue;
            }
            Token::Word(word) => word,
        };
        i += 1;
        if !command_start {
            continue;
        }
        if KEYWORDS.contains(&word.text.as_str())
            || (is_assignment(word) && tokens.get(i) != Some(&Token::Op("(".into())))
        {
            continue;
        }
        command_start = false;
        let rest: Vec<&Word> = tokens[i..]
            .iter()
            .map_while(|t| match t {
                Token::Word(w) => Some(w),
                Token::Op(_) => None,
            })
            .collect();
        if word.text == "policy-watch" || word.text.ends_with("/policy-watch") {
            found.push(rest.into_iter().cloned().collect());
        } else if word.text == "cargo" && rest.first().is_some_and(|w| w.text == "run") {
            let other_bin = rest
                .windows(2)
                .any(|pair| pair[0].text == "--bin" && pair[1].text != "policy-watch")
                || rest.iter().any(|w| {
                    w.text
                        .strip_prefix("--bin=")
                        .is_some_and(|bin| bin != "policy-watch")
                });
            if !other_bin {
                let args = match rest.iter().position(|w| w.text == "--") {
                    Some(dash) => rest[dash + 1..].iter().map(|w| (*w).clone()).collect(),
                    None => Vec::new(),
                };
                found.push(args);
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------
// Checking against clap

/// One call of the binary found in a workflow.
#[derive(Debug)]
struct Call {
    /// Where in the workflow: `jobs.watch.steps[4].run`.
    location: String,
    /// The argument list as clap saw it, program name first.
    argv: Vec<String>,
    /// The subcommand, when the first free word names one.
    subcommand: Option<String>,
}

/// The argument `name` (`--name` without dashes, or a short letter) of `ctx`,
/// else of the top-level command (global flags such as `--config`).
fn find_arg<'a>(ctx: &'a Command, root: &'a Command, flag: &str) -> Option<&'a Arg> {
    let matches = |arg: &&Arg| match flag.strip_prefix("--") {
        Some(long) => {
            arg.get_long() == Some(long)
                || arg
                    .get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&long))
        }
        None => {
            let short = flag.strip_prefix('-').and_then(|s| {
                let mut chars = s.chars();
                chars.next().filter(|_| chars.next().is_none())
            });
            short.is_some() && arg.get_short() == short
        }
    };
    ctx.get_arguments()
        .find(matches)
        .or_else(|| root.get_arguments().find(matches))
}

/// A value the argument accepts: its first possible value, else [`PLACEHOLDER`].
fn placeholder(arg: &Arg) -> String {
    arg.get_possible_values()
        .first()
        .map_or_else(|| PLACEHOLDER.to_string(), |v| v.get_name().to_string())
}

/// Rebuilds the argument list of one call: splices arrays, stands in for
/// values known only at run time.
fn rebuild(
    words: &[Word],
    arrays: &HashMap<String, Vec<Word>>,
    root: &Command,
) -> (Vec<String>, Option<String>) {
    fn splice(words: &[Word], arrays: &HashMap<String, Vec<Word>>, depth: usize) -> Vec<Word> {
        let mut out = Vec::new();
        for word in words {
            match array_expansion(word).and_then(|name| arrays.get(name)) {
                Some(items) if depth < 4 => out.extend(splice(items, arrays, depth + 1)),
                _ => out.push(word.clone()),
            }
        }
        out
    }

    let mut argv = vec!["policy-watch".to_string()];
    let mut subcommand: Option<&Command> = None;
    let mut wants_value = false;
    for word in splice(words, arrays, 0) {
        let ctx = subcommand.unwrap_or(root);
        if wants_value {
            // The value of the flag before: whatever it is, clap checks it below
            // when known; stand in for it when not.
            wants_value = false;
            let flag = argv.last().cloned().unwrap_or_default();
            argv.push(if word.opaque {
                find_arg(ctx, root, &flag).map_or_else(|| PLACEHOLDER.to_string(), placeholder)
            } else {
                word.text
            });
            continue;
        }
        if word.text.starts_with('-') && word.text != "-" {
            let (flag, value) = match word.text.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value)),
                None => (word.text.clone(), None),
            };
            if flag.contains('$') {
                continue; // the flag itself is only known at run time
            }
            let arg = find_arg(ctx, root, &flag);
            match value {
                Some(_) if word.opaque => {
                    let value = arg.map_or_else(|| PLACEHOLDER.to_string(), placeholder);
                    argv.push(format!("{flag}={value}"));
                }
                Some(_) => argv.push(word.text.clone()),
                None => {
                    wants_value = arg.is_some_and(|a| a.get_action().takes_values());
                    argv.push(flag);
                }
            }
            continue;
        }
        if word.opaque {
            continue; // a free word known only at run time: nothing to check
        }
        if subcommand.is_none() {
            subcommand = root.find_subcommand(&word.text);
        }
        argv.push(word.text);
    }
    (argv, subcommand.map(|c| c.get_name().to_string()))
}

/// Every `run:` script in a YAML document, with where it is.
fn run_scripts(node: &Yaml, path: &str, out: &mut Vec<(String, String)>) {
    match node {
        Yaml::Hash(map) => {
            for (key, value) in map {
                let key = match key {
                    Yaml::String(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match value {
                    Yaml::String(script) if key == "run" => out.push((here, script.clone())),
                    _ => run_scripts(value, &here, out),
                }
            }
        }
        Yaml::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                run_scripts(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Finds every call of the binary in a workflow's `run:` scripts and parses
/// each with the real command line. Returns the calls, or every problem found.
fn check_workflow(yaml: &str) -> Result<Vec<Call>, String> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| format!("not YAML: {e}"))?;
    let mut scripts = Vec::new();
    for doc in &docs {
        run_scripts(doc, "", &mut scripts);
    }

    let mut root = Cli::command();
    root.build();

    let mut calls_found = Vec::new();
    let mut problems = Vec::new();
    for (location, script) in scripts {
        let tokens = tokenize(&script);
        let arrays = arrays(&tokens);
        for words in calls(&tokens) {
            let (argv, subcommand) = rebuild(&words, &arrays, &root);
            match root.clone().try_get_matches_from(&argv) {
                Ok(_) => {}
                Err(e)
                    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {}
                Err(e) => problems.push(format!(
                    "{location}: `{}` does not parse:\n{}",
                    argv.join(" "),
                    e.render()
                )),
            }
            calls_found.push(Call {
                location: location.clone(),
                argv,
                subcommand,
            });
        }
    }
    if problems.is_empty() {
        Ok(calls_found)
    } else {
        Err(problems.join("\n"))
    }
}

fn has_pair(argv: &[String], flag: &str, value: &str) -> bool {
    argv.windows(2).any(|w| w[0] == flag && w[1] == value)
        || argv
            .iter()
            .any(|a| a.strip_prefix(flag).and_then(|rest| rest.strip_prefix('=')) == Some(value))
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn watch_workflow_calls_the_binary_with_flags_it_has() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/watch.yml");
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let calls = check_workflow(&yaml).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));

    let checks: Vec<&Call> = calls
        .iter()
        .filter(|c| c.subcommand.as_deref() == Some("check"))
        .collect();
    assert!(
        !checks.is_empty(),
        "no `policy-watch check` call found in {}; calls found: {calls:#?}",
        path.display()
    );
    // The report is written to the job summary, which renders Markdown.
    assert!(
        checks
            .iter()
            .any(|c| has_pair(&c.argv, "--format", "markdown")),
        "no `check` call in {} uses `--format markdown`: {checks:#?}",
        path.display()
    );
    // The manual-run inputs become `--target` and `--dry-run`; if they stop
    // showing up here, they have moved somewhere this test cannot see.
    for flag in ["--target", "--dry-run"] {
        assert!(
            checks.iter().any(|c| c.argv.iter().any(|a| a == flag)),
            "no `check` call in {} was seen to pass `{flag}`: {checks:#?}",
            path.display()
        );
    }
}

/// A workflow with one step that runs `script`.
fn workflow(script: &str) -> String {
    let mut yaml = String::from(
        "on: workflow_dispatch\njobs:\n  watch:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n",
    );
    for line in script.lines() {
        yaml.push_str("          ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml
}

#[test]
fn a_renamed_flag_is_caught() {
    let good = workflow(
        "./target/release/policy-watch check --dry-run --format markdown | tee -a \"$GITHUB_STEP_SUMMARY\"",
    );
    check_workflow(&good).expect("the correct spelling parses");

    let bad = workflow(
        "./target/release/policy-watch check --dryrun --format markdown | tee -a \"$GITHUB_STEP_SUMMARY\"",
    );
    let err = check_workflow(&bad).expect_err("`--dryrun` is not a flag of `check`");
    assert!(err.contains("--dryrun"), "{err}");
    assert!(err.contains("jobs.watch.steps[1].run"), "{err}");
}

#[test]
fn flags_collected_in_an_array_are_checked() {
    let script = "args=()\n\
                  for id in $TARGETS; do\n  args+=(--targets \"$id\")\ndone\n\
                  ./target/release/policy-watch check --format markdown \"${args[@]}\" > report.md";
    let err = check_workflow(&workflow(script)).expect_err("`--targets` is not a flag");
    assert!(err.contains("--targets"), "{err}");

    let fixed = script.replace("--targets", "--target");
    let calls = check_workflow(&workflow(&fixed)).expect("the array's flags parse");
    assert_eq!(
        calls[0].argv,
        [
            "policy-watch",
            "check",
            "--format",
            "markdown",
            "--target",
            PLACEHOLDER
        ]
    );
}

#[test]
fn other_spellings_of_a_call_are_found_and_checked() {
    let script = "# policy-watch check --not-checked (a comment)\n\
                  echo \"policy-watch check --not-a-call\"\n\
                  RUST_LOG=debug cargo run --release --bin policy-watch -- \\\n  \
                    --config \"${{ inputs.config }}\" check --target ${{ inputs.target }} 2>&1 | tee log\n\
                  if ! policy-watch diff \"$id\"; then echo changed; fi\n\
                  cargo run -q -- targets && cargo build --release";
    let calls = check_workflow(&workflow(script)).expect("every call parses");
    assert!(calls
        .iter()
        .all(|c| c.location == "jobs.watch.steps[1].run"));
    let argvs: Vec<&[String]> = calls.iter().map(|c| c.argv.as_slice()).collect();
    assert_eq!(
        argvs,
        [
            &[
                "policy-watch",
                "--config",
                PLACEHOLDER,
                "check",
                "--target",
                PLACEHOLDER
            ][..],
            &["policy-watch", "diff"][..],
            &["policy-watch", "targets"][..],
        ]
    );

    let err =
        check_workflow(&workflow("policy-watch chek --dry-run")).expect_err("no such subcommand");
    assert!(err.contains("chek"), "{err}");
}
