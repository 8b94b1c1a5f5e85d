//! Command history: browsing with ↑/↓ and persistence per user (one entry per line, newlines escaped).

use std::path::{Path, PathBuf};

const MAX: usize = 2000;

#[derive(Debug, Clone, Default)]
pub struct History {
    pub entries: Vec<String>,
    /// Position while browsing (index into entries), `None` when editing a fresh line.
    pos: Option<usize>,
    /// The line being typed before browsing started, restored at the end.
    draft: String,
    path: Option<PathBuf>,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match (c, c == '\\') {
            (_, true) => match it.next() {
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

impl History {
    /// History stored at `path` (missing or unreadable files give an empty history).
    pub fn open(path: PathBuf) -> History {
        let entries = std::fs::read_to_string(&path)
            .map(|t| t.lines().filter(|l| !l.is_empty()).map(unescape).collect())
            .unwrap_or_default();
        History {
            entries,
            path: Some(path),
            ..Default::default()
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Record a statement (skipping blanks and repeats of the last one) and append it to the file.
    pub fn push(&mut self, s: &str) {
        self.pos = None;
        if s.trim().is_empty() || self.entries.last().is_some_and(|l| l == s) {
            return;
        }
        self.entries.push(s.to_string());
        if self.entries.len() > MAX {
            self.entries.drain(..self.entries.len() - MAX);
        }
        if let Some(p) = &self.path {
            // History is a convenience: failing to save it must not disturb the session.
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let body: String = self.entries.iter().map(|e| escape(e) + "\n").collect();
            let _ = std::fs::write(p, body);
        }
    }

    pub fn older(&mut self, current: &str) -> Option<String> {
        let i = match self.pos {
            None if self.entries.is_empty() => return None,
            None => {
                self.draft = current.to_string();
                self.entries.len() - 1
            }
            Some(0) => 0,
            Some(i) => i - 1,
        };
        self.pos = Some(i);
        Some(self.entries[i].clone())
    }

    pub fn newer(&mut self) -> Option<String> {
        let i = self.pos?;
        if i + 1 < self.entries.len() {
            self.pos = Some(i + 1);
            Some(self.entries[i + 1].clone())
        } else {
            self.pos = None;
            Some(std::mem::take(&mut self.draft))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browse_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history");
        let mut h = History::open(path.clone());
        h.push("a = 1");
        h.push("for x in y:\n    print(x\\n)");
        h.push("for x in y:\n    print(x\\n)");
        assert_eq!(
            h.older("dra").as_deref(),
            Some("for x in y:\n    print(x\\n)")
        );
        assert_eq!(h.older("").as_deref(), Some("a = 1"));
        assert_eq!(h.older("").as_deref(), Some("a = 1"));
        assert_eq!(h.newer().as_deref(), Some("for x in y:\n    print(x\\n)"));
        assert_eq!(h.newer().as_deref(), Some("dra"));
        let again = History::open(path);
        assert_eq!(again.entries, h.entries);
    }
}
