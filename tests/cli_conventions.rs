//! The command line's conventions, without AWS: exit codes of usage errors, completions, the
//! manual page, colour, and which stack file a command works on when `--stack` is left out.

use std::path::Path;
use std::process::{Command, Output};

fn wl_infra(directory: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wl-infra"));
    command
        .current_dir(directory)
        .args(args)
        .env_remove("WL_STACK")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("wl-infra runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Directory(std::path::PathBuf);

impl Directory {
    fn new(name: &str) -> Directory {
        let path = std::env::temp_dir().join(format!("wl-infra-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("stacks")).expect("a directory");
        Directory(path)
    }

    fn stack(&self, file: &str, name: &str) {
        let source =
            include_str!("../stacks/dev.toml").replace("name = \"watchlist-dev\"", &format!("name = \"{name}\""));
        std::fs::write(self.0.join("stacks").join(file), source).expect("a stack file");
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_usage_error_exits_1_and_help_exits_0() {
    let directory = Directory::new("usage");
    let wrong = wl_infra(&directory.0, &["plan", "--no-such-flag"], &[]);
    assert_eq!(wrong.status.code(), Some(1), "not clap's 2, which --detailed-exitcode means as changes");
    assert!(text(&wrong.stderr).contains("--no-such-flag"), "{}", text(&wrong.stderr));
    let unknown = wl_infra(&directory.0, &["deploy"], &[]);
    assert_eq!(unknown.status.code(), Some(1));
    let help = wl_infra(&directory.0, &["--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("completions"), "{}", text(&help.stdout));
}

#[test]
fn completions_for_three_shells_and_a_manual_page() {
    let directory = Directory::new("completions");
    for (shell, marker) in
        [("bash", "complete -F _wl__infra"), ("zsh", "#compdef wl-infra"), ("fish", "complete -c wl-infra")]
    {
        let generated = wl_infra(&directory.0, &["completions", shell], &[]);
        assert_eq!(generated.status.code(), Some(0), "{shell}");
        let script = text(&generated.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        let completes_stack = script.contains("--stack") || script.contains("-l stack");
        assert!(script.contains("destroy") && completes_stack, "{shell} completes commands and flags: {script}");
    }
    let manual = wl_infra(&directory.0, &["man"], &[]);
    assert_eq!(manual.status.code(), Some(0));
    let page = text(&manual.stdout);
    assert!(page.contains(".TH wl-infra") && page.contains("validate"), "{page}");
}

#[test]
fn the_stack_file_is_the_one_named_the_one_in_wl_stack_or_the_only_one_in_stacks() {
    let directory = Directory::new("stack-file");
    directory.stack("dev.toml", "watchlist-one");
    let only = wl_infra(&directory.0, &["validate"], &[]);
    assert_eq!(only.status.code(), Some(0), "{}", text(&only.stderr));
    assert!(text(&only.stderr).contains("stacks/dev.toml is valid: stack watchlist-one"), "{}", text(&only.stderr));

    directory.stack("staging.toml", "watchlist-two");
    let ambiguous = wl_infra(&directory.0, &["validate"], &[]);
    assert_eq!(ambiguous.status.code(), Some(1));
    assert!(
        text(&ambiguous.stderr).contains("stacks/ holds 2 stack files (stacks/dev.toml, stacks/staging.toml)"),
        "{}",
        text(&ambiguous.stderr)
    );
    let chosen = wl_infra(&directory.0, &["validate"], &[("WL_STACK", "stacks/staging.toml")]);
    assert_eq!(chosen.status.code(), Some(0), "{}", text(&chosen.stderr));
    assert!(text(&chosen.stderr).contains("stack watchlist-two"), "{}", text(&chosen.stderr));
    let named =
        wl_infra(&directory.0, &["validate", "--stack", "stacks/dev.toml"], &[("WL_STACK", "stacks/staging.toml")]);
    assert!(text(&named.stderr).contains("stack watchlist-one"), "--stack wins over WL_STACK: {}", text(&named.stderr));
    // A saved plan file with WL_STACK set is not a usage error (the plan file names its stack).
    let saved = wl_infra(&directory.0, &["apply", "missing-plan.json"], &[("WL_STACK", "stacks/dev.toml")]);
    assert_eq!(saved.status.code(), Some(1));
    assert!(text(&saved.stderr).contains("missing-plan.json"), "{}", text(&saved.stderr));
    let both = wl_infra(&directory.0, &["apply", "missing-plan.json", "--stack", "stacks/dev.toml"], &[]);
    assert_eq!(both.status.code(), Some(1));
    assert!(text(&both.stderr).contains("--stack cannot be used with a saved plan file"), "{}", text(&both.stderr));
}

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force_and_is_off_when_piped() {
    let directory = Directory::new("colour");
    let escape = "\x1b[";
    let coloured = |output: &Output| text(&output.stdout).contains(escape) || text(&output.stderr).contains(escape);
    let missing = ["validate", "--stack", "missing.toml"];
    assert!(!coloured(&wl_infra(&directory.0, &missing, &[])), "piped: no colour");
    assert!(!coloured(&wl_infra(&directory.0, &["--help"], &[])), "piped help: no colour");
    let always = wl_infra(&directory.0, &["validate", "--stack", "missing.toml", "--color", "always"], &[]);
    assert!(text(&always.stderr).contains("\x1b[31merror:"), "{:?}", text(&always.stderr));
    assert!(coloured(&wl_infra(&directory.0, &missing, &[("CLICOLOR_FORCE", "1")])), "CLICOLOR_FORCE");
    assert!(coloured(&wl_infra(&directory.0, &["--help"], &[("CLICOLOR_FORCE", "1")])), "coloured help");
    assert!(
        !coloured(&wl_infra(&directory.0, &missing, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])),
        "NO_COLOR wins"
    );
    let never = wl_infra(&directory.0, &["--color=never", "--help"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!coloured(&never), "the flag wins over the environment");
    let usage = wl_infra(&directory.0, &["plan", "--bogus", "--color", "always"], &[]);
    assert_eq!(usage.status.code(), Some(1));
    assert!(coloured(&usage), "usage errors follow --color too");
}

#[test]
fn stack_diagnostics_are_coloured_on_request_and_plain_when_piped() {
    let directory = Directory::new("diagnostics");
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stack_files/invalid/23-duplicate-path.toml");
    std::fs::copy(&case, directory.0.join("stacks/dup.toml")).expect("the stack file is copied");
    let piped = wl_infra(&directory.0, &["validate", "--stack", "stacks/dup.toml"], &[]);
    assert_eq!(piped.status.code(), Some(1));
    let plain = text(&piped.stderr);
    assert!(!plain.contains("\x1b["), "piped: no colour: {plain:?}");
    assert!(plain.contains("also a path of `movie`"), "both places of the duplicated path: {plain}");
    assert!(plain.contains("--> stacks/dup.toml:30:25"), "{plain}");
    let coloured =
        text(&wl_infra(&directory.0, &["validate", "--stack", "stacks/dup.toml", "--color", "always"], &[]).stderr);
    assert!(coloured.contains("\x1b["), "--color always colours the diagnostics: {coloured:?}");
    let stripped: String = strip_ansi(&coloured);
    assert!(stripped.contains("also a path of `movie`"), "{stripped}");
}

/// The text of `coloured` without its ANSI escape sequences.
fn strip_ansi(coloured: &str) -> String {
    let mut out = String::new();
    let mut characters = coloured.chars();
    while let Some(character) = characters.next() {
        if character == '\x1b' {
            for following in characters.by_ref() {
                if following.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(character);
        }
    }
    out
}
