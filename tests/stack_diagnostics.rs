//! Snapshot tests of stack-file diagnostics: every `tests/stack_files/invalid/*.toml` must fail
//! with exactly the text in its `.stderr` file. Run with `UPDATE_SNAPSHOTS=1` to rewrite them.

use std::path::Path;

#[test]
fn every_invalid_stack_file_gets_its_exact_diagnostics() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stack_files/invalid");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&directory)
        .expect("the invalid stack files directory exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "expected at least 25 invalid stack files, found {}", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let file_name = case.file_name().and_then(|name| name.to_str()).expect("a UTF-8 file name");
        let source = std::fs::read_to_string(case).expect("a readable stack file");
        let rendered = match wl_infra::stack::parse(file_name, &source) {
            Ok(_) => format!("unexpectedly valid: {file_name}\n"),
            Err(diagnostics) => diagnostics.render(),
        };
        let snapshot = case.with_extension("stderr");
        if update {
            std::fs::write(&snapshot, &rendered).expect("the snapshot can be written");
            continue;
        }
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if expected != rendered {
            mismatches.push(format!("--- {}\n+++ actual\n{rendered}", snapshot.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "diagnostics differ from their snapshots (UPDATE_SNAPSHOTS=1 rewrites them):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn the_shipped_stacks_and_the_minimal_example_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in ["stacks/dev.toml", "stacks/prod.toml", "tests/stack_files/valid/minimal.toml"] {
        let source = std::fs::read_to_string(root.join(path)).expect("the stack file exists");
        if let Err(diagnostics) = wl_infra::stack::parse(path, &source) {
            panic!("{path} should be valid:\n{}", diagnostics.render());
        }
    }
}
