//! Tab completion for the workbench's input line: names and builtins, attributes after a dot,
//! column names inside `x["...`, file paths inside other strings.

use super::builtins::Builtins;
use super::interp::{Interp, GENERIC_METHODS};
use super::modules::Module;
use super::object::{Obj, Output, SessionCtx};
use crate::engine::Engine;

const KEYWORDS: &[&str] = &[
    "True", "False", "None", "and", "or", "not", "in", "is", "del", "import", "from",
];

/// A context for attribute lookups during completion: output is dropped, and natives see an
/// interactive session so they avoid long work.
struct QuietCtx<'a> {
    engine: &'a Engine,
}

impl SessionCtx for QuietCtx<'_> {
    fn engine(&self) -> &Engine {
        self.engine
    }
    fn emit(&mut self, _out: Output) {}
    fn interactive(&self) -> bool {
        true
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The byte index where an unterminated string literal starts in `before`, if the cursor is in one.
fn open_string(before: &str) -> Option<usize> {
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    for (i, c) in before.char_indices() {
        match quote {
            Some((q, _)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some((c, i)),
            None if c == '#' => return None,
            None => {}
        }
    }
    quote.map(|(_, i)| i)
}

/// Resolve `a.b.c` through names and attributes; `None` when any step is unknown.
fn resolve(interp: &Interp, chain: &str) -> Option<Obj> {
    let mut parts = chain.split('.');
    let first = parts.next()?;
    let mut v = interp.lookup(first).cloned()?;
    for p in parts {
        v = attr(interp, &v, p)?;
    }
    Some(v)
}

fn attr(interp: &Interp, v: &Obj, name: &str) -> Option<Obj> {
    let n = match v {
        Obj::Native(n) => n.clone(),
        _ => return None,
    };
    if let Some(m) = v.downcast::<Module>() {
        return Some(m.attr(name, &interp.builtins));
    }
    let engine = interp.engine_opt()?;
    n.get_attr(name, &mut QuietCtx { engine }).ok().flatten()
}

fn attr_candidates(v: &Obj, builtins: &Builtins) -> Vec<String> {
    match v {
        Obj::Native(n) => {
            if v.downcast::<Module>().is_some() {
                return builtins.names().map(String::from).collect();
            }
            let mut names = n.attr_names();
            if n.collection().is_some() {
                names.extend(GENERIC_METHODS.iter().map(|s| s.to_string()));
            }
            names
        }
        other => super::plain_methods::names(other),
    }
}

fn columns(interp: &Interp, v: &Obj) -> Vec<String> {
    match attr(interp, v, "columns") {
        Some(Obj::List(cols)) | Some(Obj::Tuple(cols)) => cols
            .iter()
            .filter_map(|c| c.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Paths starting with `partial` (directories end with `/`).
fn paths(partial: &str) -> Vec<String> {
    let (dir, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let listing = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(listing) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(200);
    out
}

/// Where the editor's word before the cursor starts: letters, digits, `_` and `.` (as the workbench's
/// input line defines it), a byte index into `before`.
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !(is_ident(*c) || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Candidates for the text of `line` before byte `cursor`, each a replacement for the editor's word
/// there (see [`word_start`]): `ddf.am` → `ddf.amount`; inside `read_csv("data/pa` → `part-0.csv`.
pub(crate) fn complete(interp: &Interp, line: &str, cursor: usize) -> Vec<String> {
    let mut cursor = cursor.min(line.len());
    while !line.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &line[..cursor];
    let (start, mut cands) = candidates(interp, before);
    cands.sort();
    cands.dedup();
    // Re-base each candidate (a replacement for before[start..]) onto the editor's word.
    let word = word_start(before);
    cands
        .into_iter()
        .filter_map(|c| {
            if word <= start {
                Some(format!("{}{c}", &before[word..start]))
            } else {
                c.get(word - start..).map(String::from)
            }
        })
        .collect()
}

/// Candidates replacing `before[start..]`, and `start`.
fn candidates(interp: &Interp, before: &str) -> (usize, Vec<String>) {
    if let Some(q) = open_string(before) {
        let partial = &before[q + 1..];
        let head = before[..q].trim_end();
        if let Some(obj) = head.strip_suffix('[') {
            let chain = &obj[word_start(obj)..];
            if let Some(v) = resolve(interp, chain) {
                let cols = columns(interp, &v)
                    .into_iter()
                    .filter(|c| c.starts_with(partial))
                    .collect();
                return (q + 1, cols);
            }
        }
        return (q + 1, paths(partial));
    }
    let start = word_start(before);
    let word = &before[start..];
    match word.rfind('.') {
        Some(dot) => {
            let partial = &word[dot + 1..];
            let found = match resolve(interp, &word[..dot]) {
                Some(v) => attr_candidates(&v, &interp.builtins)
                    .into_iter()
                    .filter(|n| n.starts_with(partial) && !n.starts_with("__"))
                    .collect(),
                None => Vec::new(),
            };
            (start + dot + 1, found)
        }
        None => (
            start,
            interp
                .names
                .iter()
                .map(|(n, _)| n.as_str())
                .chain(interp.builtins.names())
                .chain(KEYWORDS.iter().copied())
                .filter(|n| n.starts_with(word))
                .map(String::from)
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::session::Session;

    #[test]
    fn names_attributes_and_paths() {
        let mut s = Session::detached();
        s.run_source(
            "import dask.dataframe as dd\nmy_frame = 1\nmy_file = {'a': 1}",
            "t",
        );
        assert_eq!(s.complete("x = my_f", 8), vec!["my_file", "my_frame"]);
        assert!(s.complete("pri", 3).contains(&"print".to_string()));
        assert_eq!(s.complete("my_file.ke", 10), vec!["my_file.keys"]);
        assert!(s.complete("dd.comp", 7).contains(&"dd.compute".to_string()));
        // The cursor is a byte index; the word ends there.
        assert_eq!(s.complete("é = my_fi + 1", 10), vec!["my_file"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data_1.csv"), "a\n").unwrap();
        std::fs::create_dir(dir.path().join("data_dir")).unwrap();
        let line = format!("x = read_csv('{}/data_", dir.path().display());
        // The editor's word stops at '/': candidates replace `data_` only.
        assert_eq!(
            s.complete(&line, line.len()),
            vec!["data_1.csv", "data_dir/"]
        );
        std::fs::write(dir.path().join("part-07.csv"), "a\n").unwrap();
        let line = format!("read_csv('{}/part-0", dir.path().display());
        assert_eq!(s.complete(&line, line.len()), vec!["07.csv"]);
    }
}
