//! Diagnostics for stack files: what is wrong, where (file:line:column) and what was expected.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A byte range in the stack file's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceSpan {
    pub start: usize,
    pub end: usize,
}

impl From<toml_span::Span> for SourceSpan {
    fn from(span: toml_span::Span) -> Self {
        SourceSpan { start: span.start, end: span.end }
    }
}

/// One problem found in a stack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: SourceSpan,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
    /// What was expected, shown under the offending text.
    pub expected: String,
    /// An optional hint on how to fix it.
    pub help: Option<String>,
    /// Other places the problem involves (the first of two duplicated paths), each with its label.
    pub related: Vec<(SourceSpan, String)>,
}

impl Diagnostic {
    pub fn new(span: impl Into<SourceSpan>, message: impl Into<String>, expected: impl Into<String>) -> Self {
        Diagnostic {
            span: span.into(),
            message: message.into(),
            expected: expected.into(),
            help: None,
            related: Vec::new(),
        }
    }

    /// Adds a second place the problem involves, rendered as a secondary label.
    pub fn with_related(mut self, span: impl Into<SourceSpan>, label: impl Into<String>) -> Self {
        self.related.push((span.into(), label.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one stack file, in source order, with the text needed to render them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    pub file_name: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// The largest character boundary of `source` at or before `offset`: spans from the TOML parser
/// can point inside a multi-byte character (an error at a stray byte), and slicing there panics.
pub fn char_boundary_at_or_before(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A 1-based line and column (in characters) of a byte offset.
pub fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = char_boundary_at_or_before(source, offset);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

impl Diagnostics {
    /// Renders every diagnostic without colour, in the style of rustc and cargo (annotate-snippets):
    /// message, file:line:column, the source lines with the offending text underlined and what was
    /// expected, the other places involved, and a hint.
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// Renders every diagnostic, in colour when `colour` is set (a terminal).
    pub fn render_with(&self, colour: bool) -> String {
        let renderer = if colour { Renderer::styled() } else { Renderer::plain() };
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            let mut snippet =
                Snippet::source(self.source.as_str()).path(self.file_name.as_str()).fold(true).annotation(
                    AnnotationKind::Primary.span(self.range(diagnostic.span)).label(diagnostic.expected.as_str()),
                );
            for (span, label) in &diagnostic.related {
                snippet = snippet.annotation(AnnotationKind::Context.span(self.range(*span)).label(label.as_str()));
            }
            let mut group = Level::ERROR.primary_title(diagnostic.message.as_str()).element(snippet);
            if let Some(help) = &diagnostic.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        let count = self.diagnostics.len();
        let summary = format!(
            "{} has {count} error{}; fix {} and run `wl-infra validate` again",
            self.file_name,
            if count == 1 { "" } else { "s" },
            if count == 1 { "it" } else { "them" }
        );
        out.push_str(&renderer.render(&[Group::with_title(Level::ERROR.primary_title(summary))]));
        out.push('\n');
        out
    }

    /// A span as a byte range on character boundaries (spans from the TOML parser can point inside
    /// a multi-byte character, an error at a stray byte), cut at the end of its first line: a
    /// missing key's span is its whole table, and its header line says which one.
    fn range(&self, span: SourceSpan) -> std::ops::Range<usize> {
        let start = char_boundary_at_or_before(&self.source, span.start);
        let end = char_boundary_at_or_before(&self.source, span.end).max(start);
        let line_end = self.source[start..].find('\n').map_or(self.source.len(), |offset| start + offset);
        start..end.min(line_end)
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `word` by edit distance (strsim's Levenshtein), if it is close enough
/// to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_counts_from_one() {
        assert_eq!(line_and_column("a = 1\nbb = 2\n", 6), (2, 1));
        assert_eq!(line_and_column("a = 1\nbb = 2\n", 11), (2, 6));
    }

    #[test]
    fn spans_inside_a_multi_byte_character_render_without_panicking() {
        let source = "[stack]\nname = \"é\"\n";
        let inside = source.find('é').expect("the character") + 1;
        assert_eq!(line_and_column(source, inside), (2, 9));
        let diagnostics = Diagnostics {
            file_name: "s.toml".into(),
            source: source.into(),
            diagnostics: vec![Diagnostic::new(SourceSpan { start: inside, end: inside + 1 }, "bad", "good")],
        };
        assert!(diagnostics.render().contains("s.toml:2:9"));
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("cidrr", &["cidr", "region"]), Some("cidr"));
        assert_eq!(closest("zzzzzz", &["cidr", "region"]), None);
    }
}
