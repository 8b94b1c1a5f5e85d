//! The command line's editor: a multi-line buffer with a cursor, history browsing and completion.

use super::history::History;

/// The word (identifier, dotted attribute path) that ends at `cursor`: what completion replaces.
pub fn word_before(line: &str, cursor: usize) -> &str {
    let cursor = cursor.min(line.len());
    let head = &line[..cursor];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &head[start..]
}

#[derive(Debug, Clone, Default)]
pub struct Input {
    pub text: String,
    /// Byte offset, always on a char boundary.
    pub cursor: usize,
    /// Candidates of the last completion with more than one match (shown above the line).
    pub candidates: Vec<String>,
    pub history: History,
    /// The input came from the tour: submitting it advances the tour.
    pub from_tour: bool,
}

impl Input {
    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.text.len();
        self.candidates.clear();
    }
    pub fn clear(&mut self) {
        self.set("");
        self.from_tour = false;
    }
    pub fn insert(&mut self, s: &str) {
        // Pasted text may come with \r\n; keep \n only.
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        self.text.insert_str(self.cursor, &s);
        self.cursor += s.len();
        self.candidates.clear();
    }
    pub fn backspace(&mut self) {
        if let Some((i, _)) = self.text[..self.cursor].char_indices().next_back() {
            self.text.drain(i..self.cursor);
            self.cursor = i;
        }
    }
    pub fn delete(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.text.drain(self.cursor..self.cursor + c.len_utf8());
        }
    }
    pub fn left(&mut self) {
        if let Some((i, _)) = self.text[..self.cursor].char_indices().next_back() {
            self.cursor = i;
        }
    }
    pub fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }
    pub fn home(&mut self) {
        self.cursor = self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1);
    }
    pub fn end(&mut self) {
        self.cursor += self.text[self.cursor..]
            .find('\n')
            .unwrap_or(self.text.len() - self.cursor);
    }
    /// Apply completion candidates: one replaces the word; several extend it to their common prefix
    /// and are listed.
    pub fn complete(&mut self, cands: Vec<String>) {
        let word = word_before(&self.text, self.cursor).to_string();
        let replacement = match cands.len() {
            0 => return,
            1 => cands[0].clone(),
            _ => common_prefix(&cands),
        };
        if replacement.len() >= word.len() {
            let start = self.cursor - word.len();
            self.text.replace_range(start..self.cursor, &replacement);
            self.cursor = start + replacement.len();
        }
        self.candidates = if cands.len() > 1 { cands } else { Vec::new() };
    }
    /// Take the text for running: records it in history and clears the line.
    pub fn take(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.candidates.clear();
        self.history.push(&text);
        text
    }
    /// (line, column) of the cursor, 0-based, for placing the terminal cursor.
    pub fn cursor_pos(&self) -> (usize, usize) {
        let head = &self.text[..self.cursor];
        let line = head.matches('\n').count();
        let col = head.rsplit('\n').next().unwrap_or("").chars().count();
        (line, col)
    }
    pub fn history_prev(&mut self) {
        if let Some(s) = self.history.older(&self.text) {
            self.set(&s);
        }
    }
    pub fn history_next(&mut self) {
        if let Some(s) = self.history.newer() {
            self.set(&s);
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let first = &words[0];
    let mut n = first.len();
    for w in &words[1..] {
        n = n.min(
            first
                .char_indices()
                .zip(w.chars())
                .find(|((_, a), b)| a != b)
                .map_or(n.min(w.len()), |((i, _), _)| i),
        );
    }
    first[..n].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_and_completion() {
        let mut i = Input::default();
        i.insert("df = tss.read_c");
        assert_eq!(word_before(&i.text, i.cursor), "tss.read_c");
        i.complete(vec!["tss.read_csv".into()]);
        assert_eq!(i.text, "df = tss.read_csv");
        i.insert("(");
        i.left();
        i.backspace();
        assert_eq!(i.text, "df = tss.read_cs(");
        i.insert("x");
        i.complete(vec!["xa".into(), "xb".into()]);
        assert_eq!(i.candidates.len(), 2);
        i.insert("ab\r\ncd");
        assert_eq!(i.cursor_pos(), (1, 2));
        i.home();
        assert_eq!(i.cursor_pos(), (1, 0));
        i.end();
        i.delete();
        assert!(i.text.ends_with("\ncd("));
        assert_eq!(
            common_prefix(&["read_csv".into(), "read_parquet".into()]),
            "read_"
        );
    }
}
