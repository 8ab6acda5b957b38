//! Keeps `.github/workflows/*.yml` in step with the command line and with
//! what an operator of the cron job relies on.
//!
//! The cron job calls the binary with its flags spelt out in shell. A renamed
//! flag would otherwise show up only as a failed scheduled run days later, so
//! the first test finds every call of `policy-watch` in every workflow's `run:`
//! scripts, rebuilds its argument list and lets clap parse it against
//! `Cli` of the binary (`src/cli.rs`, compiled in here as it is). The others hold the
//! operator's guarantees: actions pinned to commit SHAs, a pinned toolchain, failures posted
//! to Slack with the secrets in `env`, the report and failed pages uploaded, the config
//! validated on pull requests, release binaries with checksums, and a snapshot commit that
//! names what changed (run for real in a temporary repository).
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
use crate::walk::git;
use yaml_rust2::{Yaml, YamlLoader};

/// Stands for a value that is only known at run time (a target id, a path).
const PLACEHOLDER: &str = "ID";
/// Stand-ins for values of a typed argument that takes no id (a number, `I/N`).
const TYPED_PLACEHOLDERS: [&str; 2] = ["1", "1/1"];

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

/// A value the argument accepts: its first possible value, else the first of [`PLACEHOLDER`]
/// and [`TYPED_PLACEHOLDERS`] that its parser takes.
fn placeholder(arg: &Arg) -> String {
    if let Some(v) = arg.get_possible_values().first() {
        return v.get_name().to_string();
    }
    // Parsed by a command that has this argument alone.
    let takes = |value: &str| {
        let mut argv = vec!["probe".to_string()];
        argv.extend(arg.get_long().map(|long| format!("--{long}")));
        argv.push(value.to_string());
        Command::new("probe")
            .arg(arg.clone())
            .try_get_matches_from(argv)
            .is_ok()
    };
    std::iter::once(PLACEHOLDER)
        .chain(TYPED_PLACEHOLDERS)
        .find(|v| takes(v))
        .unwrap_or(PLACEHOLDER)
        .to_string()
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
// Reading the workflows

fn repo_file(relative: &str) -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (path, text)
}

/// Every workflow file: its name under `.github/workflows/` and its text.
fn workflow_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).expect("a readable workflow");
            (name, text)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected ci, watch, validate-config and release workflows: {files:?}"
    );
    files
}

fn parse(name: &str, text: &str) -> Yaml {
    YamlLoader::load_from_str(text)
        .unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{name} is empty"))
}

fn workflow_doc(file: &str) -> Yaml {
    let (_, text) = repo_file(&format!(".github/workflows/{file}"));
    parse(file, &text)
}

/// Every step of every job: (job id, step).
fn steps(doc: &Yaml) -> Vec<(String, Yaml)> {
    let mut out = Vec::new();
    if let Some(jobs) = doc["jobs"].as_hash() {
        for (id, job) in jobs {
            for step in job["steps"].as_vec().into_iter().flatten() {
                out.push((id.as_str().unwrap_or("?").to_string(), step.clone()));
            }
        }
    }
    out
}

fn str_of(node: &Yaml) -> &str {
    node.as_str().unwrap_or("")
}

/// The strings of a YAML list, or the one string.
fn strings(node: &Yaml) -> Vec<String> {
    match node {
        Yaml::Array(items) => items.iter().map(|i| str_of(i).to_string()).collect(),
        Yaml::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Tests

/// Every call in every workflow must parse. Commands the workflows use that the
/// contract (DESIGN.md) has and the CLI must provide: `check --target ID
/// --format json [--dry-run]`, `targets`, `validate -- ID...`.
#[test]
fn every_workflow_calls_the_binary_with_flags_it_has() {
    let mut problems = Vec::new();
    for (name, text) in workflow_files() {
        if let Err(e) = check_workflow(&text) {
            problems.push(format!("{name}:\n{e}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn watch_workflow_checks_with_the_manual_inputs_and_keeps_the_json_report() {
    let (path, yaml) = repo_file(".github/workflows/watch.yml");
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
    // The JSON report is kept as the run's artifact; the summary is made from it.
    assert!(
        checks.iter().any(|c| has_pair(&c.argv, "--format", "json")),
        "no `check` call in {} uses `--format json`: {checks:#?}",
        path.display()
    );
    assert!(
        yaml.contains("--format json \"${args[@]}\" > \"$out/report.json\""),
        "check's JSON report is not written to $out/report.json in {}",
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

#[test]
fn watch_workflow_keeps_its_schedule_inputs_and_never_overlaps() {
    let doc = workflow_doc("watch.yml");
    assert!(doc["on"]["schedule"]
        .as_vec()
        .is_some_and(|s| !s.is_empty()));
    let inputs = &doc["on"]["workflow_dispatch"]["inputs"];
    for input in ["targets", "dry_run", "release"] {
        assert!(
            !inputs[input].is_badvalue(),
            "manual input `{input}` is gone"
        );
    }
    assert_eq!(str_of(&doc["concurrency"]["group"]), "policy-watch");
    assert_eq!(
        doc["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false)
    );

    // check's exit code is kept, the snapshots are committed, then the job fails.
    let watch: Vec<Yaml> = steps(&doc)
        .into_iter()
        .filter(|(job, _)| job == "watch")
        .map(|(_, s)| s)
        .collect();
    let position = |name: &str| {
        watch
            .iter()
            .position(|s| str_of(&s["name"]) == name)
            .unwrap_or_else(|| panic!("no step `{name}` in the watch job"))
    };
    let (check, commit, fail) = (
        position("Check policies"),
        position("Commit snapshots"),
        position("Fail when check failed"),
    );
    assert!(check < commit && commit < fail);
    assert!(str_of(&watch[check]["run"]).contains("exit 0"));
    assert!(str_of(&watch[fail]["if"]).contains("steps.check.outputs.exit_code != '0'"));
}

/// `uses: owner/repo@<40 hex> # vX.Y.Z` — a tag can be moved to other code, a commit cannot.
#[test]
fn every_action_is_pinned_to_a_commit_with_its_version() {
    let mut seen = 0;
    let mut problems = Vec::new();
    for (name, text) in workflow_files() {
        let mut in_file = 0;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
            let Some(rest) = trimmed.strip_prefix("uses:") else {
                continue;
            };
            in_file += 1;
            let (action, comment) = match rest.split_once('#') {
                Some((action, comment)) => (action.trim(), comment.trim()),
                None => (rest.trim(), ""),
            };
            if action.starts_with("./") {
                continue; // an action of this repository
            }
            let pinned = action.split_once('@').is_some_and(|(repo, sha)| {
                repo.contains('/')
                    && sha.len() == 40
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            });
            let versioned = comment.strip_prefix('v').is_some_and(|v| {
                v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok())
            });
            if !pinned || !versioned {
                problems.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
        // Every `uses` the YAML holds was seen on a line of its own above.
        let doc = parse(&name, &text);
        let in_yaml = steps(&doc)
            .iter()
            .filter(|(_, s)| !s["uses"].is_badvalue())
            .count();
        assert_eq!(in_file, in_yaml, "{name}: a `uses:` this test did not read");
        seen += in_file;
    }
    assert!(seen > 0, "no `uses:` found at all");
    assert!(
        problems.is_empty(),
        "not pinned as `uses: owner/repo@<40-hex commit> # vX.Y.Z`:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_toolchain_is_pinned_and_no_workflow_floats_on_stable() {
    let (_, text) = repo_file("rust-toolchain.toml");
    let file: toml::Table = text.parse().expect("rust-toolchain.toml is TOML");
    let channel = file["toolchain"]["channel"]
        .as_str()
        .expect("toolchain.channel");
    assert!(
        channel.split('.').count() == 3 && channel.split('.').all(|p| p.parse::<u32>().is_ok()),
        "toolchain.channel must be an exact version such as 1.95.0, not {channel:?}"
    );
    let components: Vec<&str> = file["toolchain"]["components"]
        .as_array()
        .expect("toolchain.components")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    for needed in ["rustfmt", "clippy"] {
        assert!(
            components.contains(&needed),
            "{needed} missing: {components:?}"
        );
    }
    for (name, text) in workflow_files() {
        for floating in [
            "@stable",
            "toolchain: stable",
            "default stable",
            "rust-toolchain@",
        ] {
            assert!(
                !text.contains(floating),
                "{name} installs a floating toolchain ({floating})"
            );
        }
    }
}

/// No secret is spliced into a script's text: the shell would see it on its
/// command line and in any error it prints.
#[test]
fn secrets_reach_scripts_only_through_env() {
    for (name, text) in workflow_files() {
        let mut scripts = Vec::new();
        run_scripts(&parse(&name, &text), "", &mut scripts);
        for (location, script) in scripts {
            assert!(
                !script.contains("secrets."),
                "{name}: {location} splices a secret into its text; pass it in `env:`"
            );
        }
    }
}

#[test]
fn a_failed_watch_or_heartbeat_is_posted_to_slack() {
    let doc = workflow_doc("watch.yml");
    let job = &doc["jobs"]["notify-failure"];
    assert!(!job.is_badvalue(), "no notify-failure job in watch.yml");
    assert!(str_of(&job["if"]).contains("failure()"), "{:?}", job["if"]);
    let needs = strings(&job["needs"]);
    assert!(needs.contains(&"watch".to_string()) && needs.contains(&"heartbeat".to_string()));

    let step = job["steps"]
        .as_vec()
        .and_then(|s| s.iter().find(|s| str_of(&s["run"]).contains("curl")))
        .expect("a step that posts with curl");
    let env = &step["env"];
    for (var, source) in [
        ("SLACK_WEBHOOK_URL", "secrets.SLACK_WEBHOOK_URL"),
        ("SLACK_BOT_TOKEN", "secrets.SLACK_BOT_TOKEN"),
        ("SLACK_CHANNEL", "SLACK_CHANNEL"),
        ("RUN_URL", "github.run_id"),
    ] {
        assert!(
            str_of(&env[var]).contains(source),
            "env {var} should come from {source}: {:?}",
            env[var]
        );
    }
    let script = str_of(&step["run"]);
    // The payload is built by jq, never by pasting text into JSON; the secrets
    // go to curl in a config on a pipe, not as arguments.
    assert!(script.contains("jq -n"), "{script}");
    assert!(
        script.contains("$RUN_URL") || script.contains("--arg url"),
        "{script}"
    );
    for secret in ["$SLACK_WEBHOOK_URL", "$SLACK_BOT_TOKEN"] {
        for line in script.lines().filter(|l| l.contains(secret)) {
            let safe = line.contains("printf")
                || line.contains("[ -n ")
                || line.contains("${SLACK_BOT_TOKEN:+");
            assert!(safe, "{secret} on a command line: {line}");
        }
    }
}

#[test]
fn the_report_and_failed_pages_are_uploaded() {
    let doc = workflow_doc("watch.yml");
    let watch = steps(&doc);
    let upload = watch
        .iter()
        .find(|(job, s)| {
            job == "watch" && str_of(&s["uses"]).starts_with("actions/upload-artifact@")
        })
        .map(|(_, s)| s)
        .expect("an upload-artifact step in the watch job");
    // Also when check failed: that is when a person needs the files.
    assert!(
        str_of(&upload["if"]).contains("always()"),
        "{:?}",
        upload["if"]
    );
    assert!(str_of(&upload["with"]["path"]).contains("policy-watch"));

    let collect = watch
        .iter()
        .find(|(_, s)| str_of(&s["run"]).contains("watch_report.py failed"))
        .map(|(_, s)| str_of(&s["run"]).to_string())
        .expect("a step that collects the failed targets' files");
    for file in ["snapshots/$id.html", "$out/snapshots/"] {
        assert!(collect.contains(file), "{file} not in:\n{collect}");
    }
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/watch_report.py")
        .is_file());
}

#[test]
fn a_pull_request_that_edits_the_config_validates_the_changed_targets() {
    let doc = workflow_doc("validate-config.yml");
    let paths = strings(&doc["on"]["pull_request"]["paths"]);
    assert!(
        paths.contains(&"policy-watch.toml".to_string()),
        "{paths:?}"
    );
    assert_eq!(str_of(&doc["permissions"]["contents"]), "read");

    let (_, text) = repo_file(".github/workflows/validate-config.yml");
    let calls = check_workflow(&text).unwrap_or_else(|e| panic!("validate-config.yml:\n{e}"));
    assert!(
        calls
            .iter()
            .any(|c| c.subcommand.as_deref() == Some("validate")),
        "no `policy-watch validate` call: {calls:#?}"
    );
    assert!(text.contains("scripts/changed_targets.py"));
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/changed_targets.py")
        .is_file());
}

#[test]
fn a_tag_releases_linux_and_macos_binaries_with_checksums() {
    let doc = workflow_doc("release.yml");
    assert!(strings(&doc["on"]["push"]["tags"]).contains(&"v*".to_string()));
    let targets: Vec<String> = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("a matrix of targets")
        .iter()
        .map(|row| str_of(&row["target"]).to_string())
        .collect();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "aarch64-apple-darwin",
    ] {
        assert!(
            targets.contains(&target.to_string()),
            "{target} not built: {targets:?}"
        );
    }
    // Only the job that publishes may write.
    assert_eq!(str_of(&doc["permissions"]["contents"]), "read");
    assert_eq!(
        str_of(&doc["jobs"]["publish"]["permissions"]["contents"]),
        "write"
    );

    let (_, text) = repo_file(".github/workflows/release.yml");
    assert!(
        text.contains("shasum -a 256"),
        "each archive gets its .sha256"
    );
    let mut scripts = Vec::new();
    run_scripts(&doc["jobs"]["publish"], "", &mut scripts);
    let publish: String = scripts.into_iter().map(|(_, s)| s).collect();
    assert!(publish.contains("sha256sum --check"), "{publish}");
    // Every archive carries the man page and the completions the docs job made.
    assert!(text.contains("policy-watch man > docs-out/policy-watch.1"));
    assert!(
        publish.contains("cp -R ../docs-out/. \"$name/\""),
        "{publish}"
    );
    assert!(publish.contains("> SHA256SUMS"), "{publish}");
    assert!(
        publish.contains("dist/SHA256SUMS"),
        "SHA256SUMS is not a release asset: {publish}"
    );
}

/// The commit step, run for real: a temporary clone of a bare "origin", a
/// changed snapshot and a new one, and the message that names them.
#[test]
fn the_snapshot_commit_names_the_changed_targets() {
    let doc = workflow_doc("watch.yml");
    let script = steps(&doc)
        .into_iter()
        .find(|(_, s)| str_of(&s["name"]) == "Commit snapshots")
        .map(|(_, s)| str_of(&s["run"]).to_string())
        .expect("a Commit snapshots step");

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (origin, work) = repository(tmp.path(), "work");
    std::fs::create_dir(work.join("snapshots")).unwrap();
    for file in [
        "a-privacy.md",
        "a-privacy.json",
        "b-privacy.md",
        "state.json",
    ] {
        std::fs::write(work.join("snapshots").join(file), "old\n").unwrap();
    }
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "baseline"]);
    git(&work, &["push", "--quiet", "origin", "main"]);

    // A run: a-privacy changed, c-privacy is new, the alert state moved, b is as it was.
    for (file, text) in [
        ("a-privacy.md", "new\n"),
        ("a-privacy.json", "new\n"),
        ("c-privacy.md", "new\n"),
        ("c-privacy.json", "new\n"),
        ("state.json", "new\n"),
    ] {
        std::fs::write(work.join("snapshots").join(file), text).unwrap();
    }
    // The step commits and pushes through the repository's scripts, as the real checkout has them.
    std::fs::create_dir(work.join("scripts")).unwrap();
    for script in ["commit-snapshots.sh", "push.sh"] {
        std::fs::copy(
            repo_file(&format!("scripts/{script}")).0,
            work.join("scripts").join(script),
        )
        .unwrap();
    }
    let output = tmp.path().join("github_output");
    let run = std::process::Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(&work)
        .env("GITHUB_REF_NAME", "main")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_RUN_ID", "42")
        .output()
        .expect("bash runs");
    assert!(
        run.status.success(),
        "the commit step failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let message = git(&origin, &["log", "-1", "--format=%B", "main"]);
    assert_eq!(
        message.trim(),
        "snapshots: changed a-privacy, c-privacy\n\nRun: https://github.com/o/r/actions/runs/42"
    );
    let pushed = git(&origin, &["rev-parse", "main"]);
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written.trim(), format!("sha={}", pushed.trim()));
}

/// A bare repository `origin.git` in `dir`, and a clone of it named `clone` on branch `main`.
fn repository(dir: &Path, clone: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let origin = dir.join("origin.git");
    git(
        dir,
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            "origin.git",
        ],
    );
    git(dir, &["clone", "--quiet", origin.to_str().unwrap(), clone]);
    let work = dir.join(clone);
    git(&work, &["checkout", "--quiet", "-b", "main"]);
    (origin, work)
}

/// The `run:` script of the step named `name` in `job`.
fn step_script(doc: &Yaml, job: &str, name: &str) -> String {
    steps(doc)
        .into_iter()
        .find(|(j, s)| j == job && str_of(&s["name"]) == name)
        .map(|(_, s)| str_of(&s["run"]).to_string())
        .unwrap_or_else(|| panic!("no step `{name}` in the {job} job"))
}

/// Runs a step's script with bash -e in `dir`, with the environment GitHub would give it.
fn run_step(script: &str, dir: &Path, env: &[(&str, &Path)]) -> String {
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-e", "-c", script])
        .current_dir(dir)
        .env("GITHUB_REF_NAME", "main")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_RUN_ID", "42")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    assert!(
        out.status.success(),
        "the step failed:\n{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The opt-in shard matrix: one job by default, N runners for POLICY_WATCH_SHARDS = N, and
/// the shards' changes gathered into one commit — run here for real: two checkouts each check
/// their shard with the binary and hand their patch on, a third applies both and commits.
#[tokio::test]
async fn sharded_watch_runs_check_every_target_once_and_commit_them_in_one_commit() {
    let doc = workflow_doc("watch.yml");
    // The matrix: a lookup table from the variable to the shard numbers (0: unsharded).
    let matrix = str_of(&doc["jobs"]["watch"]["strategy"]["matrix"]["shard"]);
    let table = matrix
        .split_once("fromJSON('")
        .and_then(|(_, rest)| rest.split_once("')"))
        .map(|(json, _)| json)
        .unwrap_or_else(|| panic!("no shard table in the matrix: {matrix}"));
    let table: serde_json::Value = serde_json::from_str(table).expect("the table is JSON");
    assert!(
        matrix.contains("vars.POLICY_WATCH_SHARDS || '1'"),
        "{matrix}"
    );
    assert_eq!(table["1"], serde_json::json!([0]), "one job by default");
    for n in 2..=8u32 {
        let want: Vec<u32> = (1..=n).collect();
        assert_eq!(table[n.to_string()], serde_json::json!(want), "{n} shards");
    }
    let commit_job = &doc["jobs"]["commit-shards"];
    assert_eq!(strings(&commit_job["needs"]), ["watch"]);
    assert!(strings(&doc["jobs"]["notify-failure"]["needs"]).contains(&"commit-shards".into()));

    let hand_on = step_script(&doc, "watch", "Hand the shard's snapshots on");
    let apply = step_script(&doc, "commit-shards", "Apply the shards' snapshots");
    let commit = step_script(&doc, "commit-shards", "Commit the shards' snapshots");

    // Four pages, and a repository with the config and the scripts.
    let server = wiremock::MockServer::start().await;
    let ids = [
        "appcues-privacy",
        "mixpanel-privacy",
        "segment-privacy",
        "stripe-dpa",
    ];
    let mut config = String::from("snapshot_dir = \"snapshots\"\n\n");
    for id in ids {
        crate::common::serve(&server, &format!("/{id}"), crate::store::page("e-mail")).await;
        config.push_str(&crate::common::target(
            id,
            &format!("{}/{id}", server.uri()),
            "",
        ));
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (origin, seed) = repository(tmp.path(), "seed");
    std::fs::write(seed.join("policy-watch.toml"), &config).unwrap();
    std::fs::create_dir_all(seed.join("snapshots")).unwrap();
    std::fs::write(seed.join("snapshots/README.md"), "the snapshots\n").unwrap();
    std::fs::create_dir(seed.join("scripts")).unwrap();
    for script in ["commit-snapshots.sh", "push.sh"] {
        std::fs::copy(
            repo_file(&format!("scripts/{script}")).0,
            seed.join("scripts").join(script),
        )
        .unwrap();
    }
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "--quiet", "-m", "baseline"]);
    git(&seed, &["push", "--quiet", "origin", "main"]);
    let base = git(&origin, &["rev-parse", "main"]);

    // Two runners, each with its own checkout: check its shard, hand its files on.
    let artifacts = tmp.path().join("artifacts");
    for shard in 1..=2 {
        let name = format!("runner{shard}");
        git(
            tmp.path(),
            &["clone", "--quiet", origin.to_str().unwrap(), &name],
        );
        let work = tmp.path().join(&name);
        let out = crate::common::in_dir(&work, std::process::Command::new(crate::common::bin()))
            .args([
                "check",
                "--format",
                "json",
                "--shard",
                &format!("{shard}/2"),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let temp = tmp.path().join(format!("temp{shard}"));
        std::fs::create_dir_all(&temp).unwrap();
        run_step(&hand_on, &work, &[("RUNNER_TEMP", &temp)]);
        // What upload-artifact and download-artifact (by pattern, one folder each) do.
        let into = artifacts.join(format!("shards/policy-watch-shard-{shard}"));
        std::fs::create_dir_all(&into).unwrap();
        std::fs::copy(
            temp.join("shard/snapshots.patch"),
            into.join("snapshots.patch"),
        )
        .unwrap();
    }

    // The final job: a fresh checkout of the same commit, every patch, one commit.
    git(
        tmp.path(),
        &["clone", "--quiet", origin.to_str().unwrap(), "final"],
    );
    let fin = tmp.path().join("final");
    run_step(&apply, &fin, &[("RUNNER_TEMP", &artifacts)]);
    let output = tmp.path().join("github_output");
    std::fs::write(&output, "").unwrap();
    run_step(&commit, &fin, &[("GITHUB_OUTPUT", &output)]);

    let log = git(
        &origin,
        &["log", "--format=%s", &format!("{}..main", base.trim())],
    );
    assert_eq!(
        log.trim(),
        format!("snapshots: changed {}", ids.join(", ")),
        "one commit naming every target"
    );
    let tree = git(&origin, &["ls-tree", "--name-only", "main", "snapshots/"]);
    for id in ids {
        for ext in ["md", "json", "html", "state.json"] {
            assert!(
                tree.lines().any(|f| f == format!("snapshots/{id}.{ext}")),
                "{id}.{ext} not committed:\n{tree}"
            );
        }
    }
    // Each page was fetched once, by the runner of its shard (a first sight is not confirmed
    // by a second fetch).
    let requests = server.received_requests().await.unwrap_or_default();
    for id in ids {
        let n = requests
            .iter()
            .filter(|r| r.url.path() == format!("/{id}"))
            .count();
        assert_eq!(n, 1, "{id} fetched {n} times");
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
