//! `help()`: what the session offers, one line per builtin; `help(x)` for one builtin or object.

use super::builtins::VerbFn;
use super::errors::Raise;
use super::interp::{Interp, GENERIC_METHODS};
use super::object::{Args, Obj, Output};

/// One-line descriptions of the language's own builtins (data builtins describe themselves in docs).
const DOCS: &[(&str, &str)] = &[
    (
        "compute",
        "compute(a, b, ...) -> tuple of concrete values (x.compute() for one)",
    ),
    (
        "persist",
        "persist(x) -> x kept in memory, at once; persist(a, b, ...) -> a tuple",
    ),
    (
        "futures_of",
        "futures_of(x) -> table of the futures a persisted collection holds",
    ),
    (
        "wait",
        "wait(x) -> wait for a job or the persist behind a collection",
    ),
    (
        "progress",
        "progress(x) -> wait (headless); the workbench shows progress itself",
    ),
    (
        "cancel",
        "cancel(x, ...) -> cancel the jobs computing x and drop its futures",
    ),
    (
        "restart",
        "restart() -> cancel everything and drop all persisted data",
    ),
    (
        "visualize",
        "visualize(x, filename='graph.svg', tasks=False) -> draw the task graph",
    ),
    (
        "Client",
        "Client(n_workers=, threads_per_worker=, memory_limit='4GB') -> configure the engine",
    ),
    ("LocalCluster", "LocalCluster(...) -> same as Client(...)"),
    (
        "run",
        "run('shell command', cwd=None) -> background job; value: its stdout",
    ),
    (
        "download",
        "download(url, path=None) -> background download; value: the written path",
    ),
    ("result", "result(job) -> wait for a job's value"),
    (
        "read_csv",
        "read_csv('data/*.csv', ...) -> a lazy DataFrame, partitions from the files",
    ),
    (
        "read_parquet",
        "read_parquet('data.parquet', ...) -> a lazy DataFrame",
    ),
    (
        "open_dataset",
        "open_dataset('file.nc', chunks={...}) -> a lazy, chunked Dataset",
    ),
    (
        "open_mfdataset",
        "open_mfdataset('files_*.nc', chunks={...}) -> one Dataset from many files",
    ),
    ("print", "print(*values, sep=' ')"),
    ("len", "len(x) -> number of rows/items (may compute)"),
    ("type", "type(x) -> the type of x"),
    ("dir", "dir(x) -> attribute and method names"),
    ("help", "help(x) -> this help"),
    (
        "parse_bytes",
        "parse_bytes('4GB') -> 4000000000 (kB/MB/GB: 1000s; KiB/MiB/GiB: 1024s)",
    ),
    ("format_bytes", "format_bytes(227054000) -> '216.54 MiB'"),
];

pub(crate) fn verbs() -> Vec<(&'static str, VerbFn)> {
    vec![("help", help)]
}

fn doc(name: &str) -> Option<&'static str> {
    DOCS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

fn help(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("help", 1, &[])?;
    let text = match args.positional.first() {
        None => {
            let mut lines =
                vec!["Tessera sessions: Python lines with Dask's names. Builtins:".to_string()];
            let mut names: Vec<&str> = interp.builtins.names().collect();
            names.sort_unstable();
            let (own, data): (Vec<&str>, Vec<&str>) = names.iter().partition(|n| doc(n).is_some());
            lines.extend(own.iter().map(|n| format!("  {}", doc(n).unwrap_or(n))));
            let plain: Vec<&str> = data.into_iter().collect();
            lines.push(format!("  also: {}", plain.join(", ")));
            lines.push("help(x) describes one builtin or object; see docs/language.md.".into());
            lines.join("\n")
        }
        Some(Obj::Builtin(name)) => match doc(name) {
            Some(d) => d.to_string(),
            None => format!("{name}: a builtin; see the documentation of the data modules"),
        },
        Some(Obj::Native(n)) => {
            let mut names = n.attr_names();
            if n.collection().is_some() {
                names.extend(GENERIC_METHODS.iter().map(|s| s.to_string()));
            }
            names.sort();
            names.dedup();
            format!("{}: {}", n.type_name(), names.join(", "))
        }
        Some(other) => format!(
            "{}: {}",
            other.type_name(),
            super::plain_methods::names(other).join(", ")
        ),
    };
    interp.emitted.push(Output::Text(text));
    Ok(Obj::None)
}

#[cfg(test)]
mod tests {
    use super::super::session::Session;
    use super::*;

    #[test]
    fn help_lists_and_describes() {
        let mut s = Session::detached();
        let r = s.run_source("help()", "t");
        let text = match &r[0].output {
            Some(Output::Text(t)) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert!(text.contains("  compute(a, b, ...)"), "{text}");
        assert!(text.contains("also: abs, bool,"), "{text}");
        let r = s.run_source("help(parse_bytes)", "t");
        assert_eq!(
            r[0].output,
            Some(Output::Text(doc("parse_bytes").unwrap().to_string()))
        );
    }
}
