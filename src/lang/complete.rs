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

/// Candidates replacing the word that ends at `cursor` (characters) in `line`.
pub(crate) fn complete(interp: &Interp, line: &str, cursor: usize) -> Vec<String> {
    let before: String = line.chars().take(cursor).collect();
    if let Some(q) = open_string(&before) {
        let partial = &before[q + 1..];
        let head = before[..q].trim_end();
        if let Some(obj) = head.strip_suffix('[') {
            let chain: String = obj
                .chars()
                .rev()
                .take_while(|c| is_ident(*c) || *c == '.')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if let Some(v) = resolve(interp, &chain) {
                let mut cols: Vec<String> = columns(interp, &v)
                    .into_iter()
                    .filter(|c| c.starts_with(partial))
                    .collect();
                cols.sort();
                return cols;
            }
        }
        return paths(partial);
    }
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| is_ident(*c) || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut out: Vec<String> = match word.rfind('.') {
        Some(dot) => {
            let partial = &word[dot + 1..];
            match resolve(interp, &word[..dot]) {
                Some(v) => attr_candidates(&v, &interp.builtins)
                    .into_iter()
                    .filter(|n| n.starts_with(partial) && !n.starts_with("__"))
                    .collect(),
                None => Vec::new(),
            }
        }
        None => interp
            .names
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(interp.builtins.names())
            .chain(KEYWORDS.iter().copied())
            .filter(|n| n.starts_with(word.as_str()))
            .map(String::from)
            .collect(),
    };
    out.sort();
    out.dedup();
    out
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
        assert_eq!(s.complete("my_file.ke", 10), vec!["keys"]);
        assert!(s.complete("dd.comp", 7).contains(&"compute".to_string()));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data_1.csv"), "a\n").unwrap();
        std::fs::create_dir(dir.path().join("data_dir")).unwrap();
        let line = format!("x = read_csv('{}/data_", dir.path().display());
        let got = s.complete(&line, line.chars().count());
        let base = dir.path().display().to_string();
        assert_eq!(
            got,
            vec![format!("{base}/data_1.csv"), format!("{base}/data_dir/")]
        );
    }
}
