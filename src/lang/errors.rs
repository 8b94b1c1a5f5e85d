//! Errors of the session language: where they happened (line, column), what kind (Python's names), the
//! cause chain of engine errors, and the rendering `FILE:LINE:COL: Kind: message` + source line + caret.

use crate::error::Error;

/// A 1-based position in a source text (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Maps byte offsets of a source text to [`Pos`].
pub(crate) struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { source, starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = self.source[start..offset].chars().count();
        Pos {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }
}

/// The text of line `line` (1-based) of `source`, without its newline.
pub fn source_line(source: &str, line: u32) -> &str {
    source
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("")
}

/// An error raised while parsing or evaluating, before it is placed in a file.
#[derive(Debug, Clone)]
pub struct Raise {
    /// Python's error class name: `NameError`, `TypeError`, `ValueError`...
    pub kind: &'static str,
    pub message: String,
    /// Causes after the message (from [`Error::chain`]), outermost first.
    pub causes: Vec<String>,
    /// Where, when more precise than the statement (a name, an attribute).
    pub pos: Option<Pos>,
    /// Raised by a native object or the engine: reported at the statement, not at a sub-expression.
    pub from_engine: bool,
}

impl Raise {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Raise {
            kind,
            message: message.into(),
            causes: Vec::new(),
            pos: None,
            from_engine: false,
        }
    }
    /// Place the error at `pos` unless it already has a position or comes from the engine.
    pub fn at(mut self, pos: Pos) -> Self {
        if !self.from_engine {
            self.pos.get_or_insert(pos);
        }
        self
    }
    /// Place the error at `pos` even if it comes from a native (an unknown column points at the key).
    pub fn at_key(mut self, pos: Pos) -> Self {
        self.pos.get_or_insert(pos);
        self
    }
    pub fn type_error(message: impl Into<String>) -> Self {
        Raise::new("TypeError", message)
    }
    pub fn value_error(message: impl Into<String>) -> Self {
        Raise::new("ValueError", message)
    }
}

/// Python's class name for a library error; `Value` messages are sorted by what they say.
fn kind_of(e: &Error) -> &'static str {
    match e {
        Error::File { .. } | Error::Io { .. } => "OSError",
        Error::Task { .. } => "TaskError",
        Error::Cancelled(_) => "CancelledError",
        Error::Polars { .. } => "ComputeError",
        Error::NetCdf { .. } => "NetCDFError",
        Error::Memory(_) => "MemoryError",
        Error::Value(m) => {
            if m.contains("has no attribute") {
                "AttributeError"
            } else if m.contains("argument")
                || m.contains("unsupported operand")
                || m.contains("not subscriptable")
                || m.contains("has no len()")
                || m.contains("bad operand type")
            {
                "TypeError"
            } else {
                "ValueError"
            }
        }
    }
}

impl From<Error> for Raise {
    fn from(e: Error) -> Self {
        Raise::from(&e)
    }
}

impl From<&Error> for Raise {
    fn from(e: &Error) -> Self {
        let mut chain = e.chain();
        let message = chain.remove(0);
        Raise {
            kind: kind_of(e),
            message,
            causes: chain,
            pos: None,
            from_engine: true,
        }
    }
}

/// An error placed in a source file, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct LangError {
    /// `Kind: message`, e.g. `NameError: name 'ddff' is not defined; did you mean 'ddf'?`.
    pub message: String,
    /// Causes of engine errors after the message, outermost first (empty for language errors).
    pub chain: Vec<String>,
    pub line: u32,
    pub col: u32,
    /// `FILE:LINE:COL: message`, the source line, a caret under the column, then `  caused by: ...` lines.
    pub rendered: String,
}

impl LangError {
    /// Place `raise` at its own position or else `fallback`, quoting `source`.
    pub fn new(raise: Raise, fallback: Pos, filename: &str, source: &str) -> Self {
        let pos = raise.pos.unwrap_or(fallback);
        Self::with_line(raise, fallback, filename, source_line(source, pos.line))
    }

    /// Like [`LangError::new`] with the text of the error's line given directly.
    pub fn with_line(raise: Raise, fallback: Pos, filename: &str, text: &str) -> Self {
        let pos = raise.pos.unwrap_or(fallback);
        let message = format!("{}: {}", raise.kind, raise.message);
        let mut rendered = format!("{filename}:{}:{}: {message}", pos.line, pos.col);
        if !text.trim().is_empty() {
            // The caret counts characters; tabs stay tabs so it lines up in a terminal.
            let pad: String = text
                .chars()
                .take(pos.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            rendered.push_str(&format!("\n    {text}\n    {pad}^"));
        }
        for cause in &raise.causes {
            rendered.push_str(&format!("\n  caused by: {cause}"));
        }
        LangError {
            message,
            chain: raise.causes,
            line: pos.line,
            col: pos.col,
            rendered,
        }
    }
}

impl std::fmt::Display for LangError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let src = "a = 1\nbé = ddff\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.pos(0), Pos { line: 1, col: 1 });
        let off = src.find("ddff").unwrap();
        assert_eq!(idx.pos(off), Pos { line: 2, col: 6 });
        assert_eq!(idx.pos(src.len()), Pos { line: 3, col: 1 });
    }

    #[test]
    fn rendering_has_caret_under_column() {
        let src = "x = 1\ny = ddff + 1\n";
        let r = Raise::new("NameError", "name 'ddff' is not defined").at(Pos { line: 2, col: 5 });
        let e = LangError::new(r, Pos::default(), "s.tess", src);
        assert_eq!(
            e.rendered,
            "s.tess:2:5: NameError: name 'ddff' is not defined\n    y = ddff + 1\n        ^"
        );
        assert_eq!((e.line, e.col), (2, 5));
    }

    #[test]
    fn engine_errors_keep_their_chain() {
        let inner = Error::file("a.csv", "bad row");
        let e = Error::Task {
            layer: "read-csv".into(),
            index: 3,
            source: Box::new(inner),
        };
        let r = Raise::from(&e);
        assert_eq!(r.kind, "TaskError");
        assert_eq!(r.causes, vec!["a.csv: bad row".to_string()]);
        let le = LangError::new(r, Pos { line: 1, col: 1 }, "f", "compute(x)");
        assert!(le.rendered.ends_with("  caused by: a.csv: bad row"));
    }
}
