//! Session files as a step-by-step tour: the file is split into top-level statements (with the comment
//! lines above each as its narration); Enter on the command line runs the next one.

/// One statement of a session file.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Comment lines just above the statement, without `#`.
    pub notes: Vec<String>,
    pub source: String,
    /// 1-based line where the statement starts.
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Tour {
    pub name: String,
    pub steps: Vec<Step>,
    /// Index of the next step to run.
    pub next: usize,
}

impl Tour {
    pub fn new(name: &str, source: &str) -> Tour {
        Tour {
            name: name.to_string(),
            steps: split_statements(source),
            next: 0,
        }
    }
    pub fn current(&self) -> Option<&Step> {
        self.steps.get(self.next)
    }
    pub fn advance(&mut self) {
        self.next = (self.next + 1).min(self.steps.len());
    }
    pub fn done(&self) -> bool {
        self.next >= self.steps.len()
    }
}

/// Bracket depth change and whether the line ends inside a string, ignoring `#` comments.
/// Triple-quoted strings spanning lines are tracked through `in_triple`.
fn scan(line: &str, depth: &mut i32, in_triple: &mut Option<&'static str>) {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if let Some(q) = *in_triple {
            match line[i..].find(q) {
                Some(j) => {
                    i += j + 3;
                    *in_triple = None;
                    continue;
                }
                None => return,
            }
        }
        match b[i] {
            b'#' => return,
            q @ (b'"' | b'\'') => {
                let triple = if q == b'"' { "\"\"\"" } else { "'''" };
                if line[i..].starts_with(triple) {
                    *in_triple = Some(triple);
                    i += 3;
                    continue;
                }
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => *depth += 1,
            b')' | b']' | b'}' => *depth -= 1,
            _ => {}
        }
        i += 1;
    }
}

/// Split Python-like source into top-level statements. A statement continues while brackets are
/// open, a string is open, the line ends with `\`, or the next lines are indented (blocks).
pub fn split_statements(src: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut cur: Option<Step> = None;
    let mut depth = 0i32;
    let mut triple: Option<&'static str> = None;
    let mut cont = false;
    for (n, line) in src.lines().enumerate() {
        let trimmed = line.trim_start();
        let open = depth > 0 || triple.is_some() || cont;
        let indented = trimmed.len() < line.len() && !trimmed.is_empty();
        if let Some(step) = cur.as_mut().filter(|_| open || indented) {
            step.source.push('\n');
            step.source.push_str(line);
        } else if trimmed.is_empty() {
            // A blank line ends a note block that belongs to no statement, except the file's
            // header (the comments before any statement): it introduces the first step.
            if cur.is_none() && !steps.is_empty() {
                notes.clear();
            } else if cur.is_none() && notes.last().is_some_and(|l| !l.is_empty()) {
                notes.push(String::new());
            }
            continue;
        } else if let Some(c) = trimmed.strip_prefix('#') {
            steps.extend(cur.take());
            notes.push(c.trim().to_string());
            continue;
        } else {
            steps.extend(cur.take());
            cur = Some(Step {
                notes: std::mem::take(&mut notes),
                source: line.to_string(),
                line: n + 1,
            });
        }
        scan(line, &mut depth, &mut triple);
        cont = line.trim_end().ends_with('\\');
    }
    steps.extend(cur);
    for s in &mut steps {
        let kept = s.source.trim_end().to_string();
        s.source = kept;
    }
    steps
}

/// What Enter should do with typed text, as Python's REPL decides: `None` when the statement is
/// complete, else the indentation of the next line (open brackets or strings, a trailing `\`, a
/// block opened with `:` — a block ends with an empty line).
pub fn continuation(text: &str) -> Option<String> {
    let (mut depth, mut triple) = (0i32, None);
    for line in text.lines() {
        scan(line, &mut depth, &mut triple);
    }
    let last = text.rsplit('\n').next().unwrap_or("");
    let indent: String = last
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let code = last.split('#').next().unwrap_or("").trim_end();
    if depth > 0 || triple.is_some() || code.ends_with('\\') {
        return Some(indent);
    }
    if code.ends_with(':') {
        return Some(format!("{indent}    "));
    }
    let in_block = text
        .lines()
        .next()
        .is_some_and(|l| l.split('#').next().unwrap_or("").trim_end().ends_with(':'));
    if in_block && !last.trim().is_empty() {
        return Some(indent);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_like_the_repl() {
        assert_eq!(continuation("x = 1"), None);
        assert_eq!(continuation("f(1,"), Some(String::new()));
        assert_eq!(continuation("s = \"\"\"a"), Some(String::new()));
        assert_eq!(continuation("x = 1 + \\"), Some(String::new()));
        assert_eq!(continuation("for i in x:  # loop"), Some("    ".into()));
        assert_eq!(
            continuation("for i in x:\n    print(i)"),
            Some("    ".into())
        );
        assert_eq!(continuation("for i in x:\n    print(i)\n"), None);
        assert_eq!(continuation("d = {'a': 1}"), None);
    }

    #[test]
    fn splits_statements_with_notes() {
        let src = "# Load the data\n# (two files)\ndf = read_csv(\n  'a.csv',\n)\n\nx = 1 + \\\n  2\nfor i in range(3):\n    print(i)\n\n    print(i)\ns = \"\"\"a\n(b\n\"\"\"\n# trailing note\n";
        let steps = split_statements(src);
        assert_eq!(steps.len(), 4, "{steps:#?}");
        assert_eq!(steps[0].notes, vec!["Load the data", "(two files)"]);
        assert_eq!(steps[0].source, "df = read_csv(\n  'a.csv',\n)");
        assert_eq!(steps[0].line, 3);
        assert_eq!(steps[1].source, "x = 1 + \\\n  2");
        // Blank lines inside a block are dropped: the statement stays runnable.
        assert_eq!(
            steps[2].source,
            "for i in range(3):\n    print(i)\n    print(i)"
        );
        assert_eq!(steps[3].source, "s = \"\"\"a\n(b\n\"\"\"");
        let mut t = Tour::new("t", src);
        t.advance();
        assert_eq!(t.current().unwrap().line, 6 + 1);
        // The file's header block introduces the first step; a detached block later is dropped.
        let steps = split_statements("# Welcome\n\n# 1. Load\nx = 1\n# old\n\ny = 2\n");
        assert_eq!(steps[0].notes, vec!["Welcome", "", "1. Load"]);
        assert!(steps[1].notes.is_empty());
    }
}
