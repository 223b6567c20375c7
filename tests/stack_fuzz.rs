//! A property test of the stack-file parser and the diagnostics renderer over mutated stack
//! files: truncations, byte flips, non-ASCII text, values of the wrong type and deep nesting. No
//! input may panic, and every rejection must come with a location inside the file.

use std::path::Path;

/// A small deterministic generator (xorshift64*), so a failure is reproducible from its case number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

const NON_ASCII: &[&str] = &["é", "日本", "🦀", "\u{fffd}", "ß", "\u{200b}", "Ω≈ç"];
const WRONG_VALUES: &[&str] =
    &["42", "true", "\"text\"", "[1, \"a\"]", "{ a = 1 }", "3.5", "1979-05-27T07:32:00Z", "\"\""];

fn seeds() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for directory in ["stacks", "tests/stack_files/valid", "tests/stack_files/invalid"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(directory))
            .expect("a stack file directory")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("a readable stack file");
            seeds.push((path.file_name().and_then(|n| n.to_str()).unwrap_or("seed").to_string(), text));
        }
    }
    seeds
}

/// One mutation of `text`, always valid UTF-8 (stack files are read as text).
fn mutate(rng: &mut Rng, text: &str) -> String {
    let bytes = text.as_bytes();
    match rng.below(6) {
        // Truncated anywhere, even inside a multi-byte character.
        0 => String::from_utf8_lossy(&bytes[..rng.below(bytes.len() + 1)]).into_owned(),
        // A few bytes flipped.
        1 => {
            let mut flipped = bytes.to_vec();
            for _ in 0..=rng.below(4) {
                if !flipped.is_empty() {
                    let at = rng.below(flipped.len());
                    flipped[at] ^= 1 << rng.below(8);
                }
            }
            String::from_utf8_lossy(&flipped).into_owned()
        }
        // Non-ASCII text at a character boundary.
        2 => {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{}{}", &text[..at], NON_ASCII[rng.below(NON_ASCII.len())], &text[at..])
        }
        // A value of the wrong type on some `key = value` line.
        3 => {
            let lines: Vec<&str> = text.lines().collect();
            let candidates: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].contains(" = ")).collect();
            if candidates.is_empty() {
                return text.to_string();
            }
            let chosen = candidates[rng.below(candidates.len())];
            lines
                .iter()
                .enumerate()
                .map(|(index, line)| {
                    if index == chosen {
                        let key = line.split(" = ").next().unwrap_or("key");
                        format!("{key} = {}", WRONG_VALUES[rng.below(WRONG_VALUES.len())])
                    } else {
                        (*line).to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        // Deep nesting of arrays or inline tables.
        4 => {
            let depth = 1 + rng.below(2_000);
            let (open, close) = if rng.below(2) == 0 { ("[", "]") } else { ("{ a = ", " }") };
            format!("{text}\nnested = {}1{}\n", open.repeat(depth), close.repeat(depth))
        }
        // A line duplicated (duplicate keys and tables).
        _ => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return text.to_string();
            }
            let chosen = rng.below(lines.len());
            let mut out: Vec<&str> = lines.clone();
            out.insert(chosen, lines[chosen]);
            out.join("\n")
        }
    }
}

#[test]
fn mutated_stack_files_never_panic_and_every_rejection_has_a_location() {
    let seeds = seeds();
    assert!(seeds.len() >= 40, "the seed corpus is the shipped and test stack files ({} found)", seeds.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut rejected = 0;
    for case in 0..6_000 {
        let (name, seed) = &seeds[case % seeds.len()];
        let mut text = mutate(&mut rng, seed);
        if rng.below(4) == 0 {
            text = mutate(&mut rng, &text);
        }
        let outcome = std::panic::catch_unwind(|| match wl_infra::stack::parse("mutated.toml", &text) {
            Ok(_) => None,
            Err(diagnostics) => Some((diagnostics.render(), diagnostics)),
        });
        let Ok(result) = outcome else {
            panic!("case {case} (from {name}) panicked the parser or renderer on:\n{text}");
        };
        let Some((rendered, diagnostics)) = result else { continue };
        rejected += 1;
        assert!(!diagnostics.diagnostics.is_empty(), "case {case} (from {name}): a rejection names no error");
        let lines = text.lines().count().max(1);
        for diagnostic in &diagnostics.diagnostics {
            let (line, column) = wl_infra::stack::line_and_column(&text, diagnostic.span.start);
            assert!(line >= 1 && line <= lines + 1 && column >= 1, "case {case} (from {name}): {line}:{column}");
        }
        assert!(
            rendered.matches("--> mutated.toml:").count() == diagnostics.diagnostics.len(),
            "case {case} (from {name}): every error is rendered with its location:\n{rendered}"
        );
    }
    assert!(rejected > 3_000, "most mutations are invalid files ({rejected} rejected)");
}
