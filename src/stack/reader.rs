//! A small typed reader over the spanned TOML tree that collects every error instead of stopping at one.

use std::collections::BTreeMap;

use toml_span::value::{Key, ValueInner};
use toml_span::{Span, Value};

use super::diagnostic::{closest, Diagnostic};

/// A value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Collects diagnostics while values are read.
#[derive(Default)]
pub struct Reader {
    pub diagnostics: Vec<Diagnostic>,
}

/// The keys of one TOML table, taken one by one; what is left at `finish` is unknown.
pub struct Fields<'de> {
    /// The table's dotted path for messages, e.g. `services.movie`.
    pub path: String,
    pub span: Span,
    entries: BTreeMap<Key<'de>, Value<'de>>,
}

impl Reader {
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reads `value` as a table, or reports what it was instead.
    pub fn table<'de>(&mut self, mut value: Value<'de>, path: &str) -> Option<Fields<'de>> {
        let span = value.span;
        match value.take() {
            ValueInner::Table(entries) => Some(Fields { path: path.to_string(), span, entries }),
            other => {
                self.error(Diagnostic::new(
                    span,
                    format!("`{path}` must be a table, found {}", other.type_str()),
                    format!("expected a table such as [{path}]"),
                ));
                None
            }
        }
    }

    pub fn string(&mut self, mut value: Value<'_>, path: &str) -> Option<Spanned<String>> {
        let span = value.span;
        match value.take() {
            ValueInner::String(text) => Some(Spanned { value: text.into_owned(), span }),
            other => self.wrong_type(span, path, "a string", other.type_str()),
        }
    }

    pub fn integer(&mut self, mut value: Value<'_>, path: &str) -> Option<Spanned<i64>> {
        let span = value.span;
        match value.take() {
            ValueInner::Integer(number) => Some(Spanned { value: number, span }),
            other => self.wrong_type(span, path, "an integer", other.type_str()),
        }
    }

    pub fn float(&mut self, mut value: Value<'_>, path: &str) -> Option<Spanned<f64>> {
        let span = value.span;
        match value.take() {
            ValueInner::Float(number) => Some(Spanned { value: number, span }),
            ValueInner::Integer(number) => Some(Spanned { value: number as f64, span }),
            other => self.wrong_type(span, path, "a number", other.type_str()),
        }
    }

    pub fn boolean(&mut self, mut value: Value<'_>, path: &str) -> Option<Spanned<bool>> {
        let span = value.span;
        match value.take() {
            ValueInner::Boolean(flag) => Some(Spanned { value: flag, span }),
            other => self.wrong_type(span, path, "true or false", other.type_str()),
        }
    }

    /// Reads an integer and checks it lies in `range`, saying the range when it does not.
    pub fn integer_in(
        &mut self,
        value: Value<'_>,
        path: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<Spanned<i64>> {
        let number = self.integer(value, path)?;
        if range.contains(&number.value) {
            Some(number)
        } else {
            self.error(Diagnostic::new(
                number.span,
                format!("`{path}` is {}, out of range", number.value),
                format!("expected an integer from {} to {}", range.start(), range.end()),
            ));
            None
        }
    }

    pub fn string_list(&mut self, mut value: Value<'_>, path: &str) -> Option<Vec<Spanned<String>>> {
        let span = value.span;
        match value.take() {
            ValueInner::Array(items) => {
                let mut strings = Vec::new();
                for (index, item) in items.into_iter().enumerate() {
                    if let Some(text) = self.string(item, &format!("{path}[{index}]")) {
                        strings.push(text);
                    }
                }
                Some(strings)
            }
            other => self.wrong_type(span, path, "an array of strings", other.type_str()),
        }
    }

    pub fn string_map(&mut self, value: Value<'_>, path: &str) -> Option<Vec<(Spanned<String>, Spanned<String>)>> {
        let fields = self.table(value, path)?;
        let mut pairs = Vec::new();
        for (key, value) in fields.entries {
            let key_path = format!("{path}.{}", key.name);
            if let Some(text) = self.string(value, &key_path) {
                pairs.push((Spanned { value: key.name.into_owned(), span: key.span }, text));
            }
        }
        Some(pairs)
    }

    fn wrong_type<T>(&mut self, span: Span, path: &str, expected: &str, found: &str) -> Option<T> {
        self.error(Diagnostic::new(
            span,
            format!("`{path}` has the wrong type: found {found}"),
            format!("expected {expected}"),
        ));
        None
    }
}

impl<'de> Fields<'de> {
    pub fn take(&mut self, key: &str) -> Option<Value<'de>> {
        self.entries.remove(key)
    }

    /// Takes a key that must be present, reporting it at the table when it is missing.
    pub fn require(&mut self, reader: &mut Reader, key: &str, expected: &str) -> Option<Value<'de>> {
        let value = self.take(key);
        if value.is_none() {
            reader.error(Diagnostic::new(
                self.span,
                format!("missing key `{key}` in {}", self.label()),
                format!("expected `{key} = {expected}` in this table"),
            ));
        }
        value
    }

    /// How messages name this table: `[network]`, or the top level of the file.
    pub fn label(&self) -> String {
        if self.path.is_empty() {
            "the top level of the file".to_string()
        } else {
            format!("[{}]", self.path)
        }
    }

    /// Takes a section (a sub-table) that must be present, reporting it at this table when missing.
    pub fn require_section(&mut self, reader: &mut Reader, key: &str, holding: &str) -> Option<Value<'de>> {
        let value = self.take(key);
        if value.is_none() {
            reader.error(Diagnostic::new(
                self.span,
                format!("missing section [{key}]"),
                format!("expected a [{key}] section with {holding}"),
            ));
        }
        value
    }

    /// Takes every remaining entry (for tables keyed by user-chosen names).
    pub fn into_entries(self) -> impl Iterator<Item = (Key<'de>, Value<'de>)> {
        self.entries.into_iter()
    }

    /// Reports every key that was not taken as unknown, suggesting the closest known key.
    pub fn finish(self, reader: &mut Reader, known: &[&str]) {
        for key in self.entries.keys() {
            let mut diagnostic = Diagnostic::new(
                key.span,
                format!("unknown key `{}` in {}", key.name, self.label()),
                format!("expected one of: {}", known.join(", ")),
            );
            if let Some(suggestion) = closest(&key.name, known) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            }
            reader.error(diagnostic);
        }
    }
}
