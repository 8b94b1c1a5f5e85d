//! A session: the names a user has defined, the statements run, the jobs started. The workbench
//! feeds it lines and polls finished jobs; `tessera run` runs a whole script through [`run_script`].

use std::io::Write;
use std::sync::Arc;

use super::builtins::Builtins;
use super::errors::{source_line, LangError, Pos, Raise};
use super::interp::{output_text, Interp, Tracked};
use super::modules::Module;
use super::object::{BuiltinFn, Obj, Output, SessionCtx};
use super::pyops::same_native;
use super::syntax;
use crate::engine::{Engine, JobKind, JobStatus};

/// Lines of a finished shell job's stdout shown by `poll`.
const SHELL_LINES: usize = 20;
use crate::error::Error;

/// What one statement did: its output (as a notebook cell shows it) or its error.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementResult {
    pub line: u32,
    pub col: u32,
    pub source: String,
    pub output: Option<Output>,
    pub error: Option<LangError>,
}

pub struct Session {
    interp: Interp,
    history: Vec<String>,
}

impl Session {
    /// A session with the standard builtins; `interactive` (the workbench) makes `compute` return jobs.
    pub fn new(engine: Engine, interactive: bool) -> Session {
        Self::with_builtins(engine, interactive, Builtins::standard())
    }

    pub fn with_builtins(engine: Engine, interactive: bool, builtins: Builtins) -> Session {
        Session {
            interp: Interp::new(Some(engine), interactive, builtins),
            history: Vec::new(),
        }
    }

    /// A session without an engine, for evaluating plain values in unit tests.
    #[cfg(test)]
    pub(crate) fn detached() -> Session {
        Session {
            interp: Interp::new(None, false, Builtins::standard()),
            history: Vec::new(),
        }
    }

    /// Add builtins (a data module's list, or test collections).
    pub fn register(&mut self, list: Vec<(&'static str, BuiltinFn)>) {
        self.interp.builtins.extend(list);
    }

    pub fn builtins(&self) -> &Builtins {
        &self.interp.builtins
    }

    pub fn interactive(&self) -> bool {
        self.interp.interactive
    }

    /// Run every statement of `source`, stopping at the first error (the last result then).
    /// A syntax or unsupported-construct error anywhere runs nothing.
    pub fn run_source(&mut self, source: &str, filename: &str) -> Vec<StatementResult> {
        let mut results = Vec::new();
        self.run_source_with(source, filename, &mut |r| results.push(r.clone()));
        results
    }

    /// Like [`Session::run_source`], handing each result to `each` as soon as its statement ends
    /// (so `tessera run` prints as it goes). Returns false if a statement failed.
    pub fn run_source_with(
        &mut self,
        source: &str,
        filename: &str,
        each: &mut dyn FnMut(&StatementResult),
    ) -> bool {
        let stmts = match syntax::parse(source, filename) {
            Ok(s) => s,
            Err(r) => {
                let e = LangError::new(r, Pos { line: 1, col: 1 }, filename, source);
                each(&StatementResult {
                    line: e.line,
                    col: e.col,
                    source: source_line(source, e.line).to_string(),
                    output: None,
                    error: Some(e),
                });
                return false;
            }
        };
        let several = stmts.len() > 1;
        for stmt in stmts {
            self.interp.current_file = filename.to_string();
            self.interp.current_line = source_line(source, stmt.pos.line).to_string();
            // In a script, a bare string statement is documentation (a docstring), not output.
            let doc = several
                && matches!(
                    &stmt.kind,
                    syntax::StmtKind::Expr(syntax::Expr {
                        kind: syntax::ExprKind::Const(Obj::Str(_)),
                        ..
                    })
                );
            let (output, error) = match self.interp.exec(&stmt) {
                Ok(_) if doc => {
                    self.history.push(stmt.source.clone());
                    (None, None)
                }
                Ok(out) => {
                    self.history.push(stmt.source.clone());
                    (out, None)
                }
                Err(r) => {
                    // What the statement printed before failing is still shown.
                    let emitted = std::mem::take(&mut self.interp.emitted);
                    let out = (!emitted.is_empty()).then(|| {
                        let texts: Vec<String> = emitted.iter().map(output_text).collect();
                        Output::Text(texts.join("\n"))
                    });
                    (out, Some(LangError::new(r, stmt.pos, filename, source)))
                }
            };
            let failed = error.is_some();
            each(&StatementResult {
                line: stmt.pos.line,
                col: stmt.pos.col,
                source: stmt.source,
                output,
                error,
            });
            if failed {
                return false;
            }
        }
        true
    }

    /// Results of jobs this session started that have finished since the last poll: a compute's value
    /// (names bound to its job now hold the value), a background job's completion, or a failure.
    pub fn poll(&mut self) -> Vec<StatementResult> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.interp.jobs.len() {
            match self.interp.jobs[i].job.try_result() {
                None => i += 1,
                Some(r) => {
                    let t = self.interp.jobs.remove(i);
                    out.push(self.report(t, r));
                }
            }
        }
        out
    }

    fn report(&mut self, t: Tracked, r: Result<Obj, Arc<Error>>) -> StatementResult {
        let (output, error) = match r {
            Ok(v) => {
                let me: Arc<dyn super::object::Native> = t.job.clone();
                let items = match (&t.unpack, &v) {
                    (Some(names), Obj::Tuple(x) | Obj::List(x)) if x.len() == names.len() => Some(
                        names
                            .iter()
                            .cloned()
                            .zip(x.iter().cloned())
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                };
                // The workbench binds `y = x.compute()` to the job; now `y` is the value (or its
                // item, for `a, b = compute(x, y)`).
                for (name, slot) in self.interp.names.iter_mut() {
                    if matches!(slot, Obj::Native(n) if same_native(n, &me)) {
                        *slot = items
                            .as_ref()
                            .and_then(|it| it.iter().find(|(n, _)| n == name))
                            .map_or_else(|| v.clone(), |(_, x)| x.clone());
                    }
                }
                if t.show_value {
                    match self.interp.display(&v) {
                        Ok(o) => (o, None),
                        Err(r) => (None, Some(r)),
                    }
                } else {
                    let mut text = format!(
                        "{} job {} done: {}",
                        t.job.kind.name(),
                        t.job.id(),
                        t.job.label
                    );
                    // A shell job's stdout (its last lines) is what the user ran it for.
                    if let (JobKind::Shell, Obj::Str(out)) = (t.job.kind, &v) {
                        let lines: Vec<&str> = out.lines().collect();
                        let skip = lines.len().saturating_sub(SHELL_LINES);
                        if skip > 0 {
                            text.push_str(&format!("\n... ({skip} earlier lines)"));
                        }
                        for l in &lines[skip..] {
                            text.push('\n');
                            text.push_str(l);
                        }
                    }
                    (Some(Output::Text(text)), None)
                }
            }
            Err(e) => (None, Some(Raise::from(&*e))),
        };
        let error = error.map(|r| LangError::with_line(r, t.pos, &t.file, &t.line_text));
        StatementResult {
            line: t.pos.line,
            col: t.pos.col,
            source: t.source,
            output,
            error,
        }
    }

    /// Number of jobs started by this session that have not been reported by [`Session::poll`].
    pub fn pending_jobs(&self) -> usize {
        self.interp.jobs.len()
    }

    /// The session as a [`SessionCtx`], to ask natives for attributes (the datasets pane).
    pub fn ctx(&mut self) -> &mut dyn SessionCtx {
        &mut self.interp
    }

    /// The variables, in the order they were first assigned; what import lines bound (modules,
    /// builtins) is left out: the datasets pane lists data.
    pub fn names(&self) -> Vec<(String, Obj)> {
        self.interp
            .names
            .iter()
            .filter(|(_, v)| !matches!(v, Obj::Builtin(_)) && v.downcast::<Module>().is_none())
            .cloned()
            .collect()
    }

    /// Completions at byte `cursor` of `line`: each candidate replaces the editor's word before the
    /// cursor (letters, digits, `_`, `.`): names and builtins, `obj.attr` after a dot, column names
    /// inside `x["...`, file names inside other strings.
    pub fn complete(&self, line: &str, cursor: usize) -> Vec<String> {
        super::complete::complete(&self.interp, line, cursor)
    }

    /// The statements that ran successfully, as written (a session file replays them).
    pub fn history(&self) -> &[String] {
        &self.history
    }
}

fn print_output(o: &Output, out: &mut dyn Write) {
    let _ = writeln!(out, "{}", output_text(o));
}

/// Headless `tessera run`: print each statement's output to `out`, the first error to `err`
/// (`FILE:LINE:COL: Kind: message`, source line, caret, causes) and return 1; otherwise wait for
/// background jobs (unless `wait` is false), report their failures, and return 0 if none failed.
pub fn run_script(
    engine: Engine,
    source: &str,
    filename: &str,
    wait: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut session = Session::new(engine, false);
    run_session(&mut session, source, filename, wait, out, err)
}

/// [`run_script`] on an existing session (with extra builtins registered, for instance).
pub fn run_session(
    session: &mut Session,
    source: &str,
    filename: &str,
    wait: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let ok = session.run_source_with(source, filename, &mut |r| {
        if let Some(o) = &r.output {
            print_output(o, out);
            let _ = out.flush();
        }
        if let Some(e) = &r.error {
            let _ = writeln!(err, "{}", e.rendered);
        }
    });
    if !ok {
        return 1;
    }
    if !wait {
        return 0;
    }
    if let Some(engine) = session.interp.engine_opt() {
        engine.wait_all();
    }
    let mut code = 0;
    let jobs = std::mem::take(&mut session.interp.jobs);
    for t in jobs {
        let r = t.job.result();
        if r.is_err() && t.job.handle.status() != JobStatus::Cancelled {
            let res = session.report(t, r);
            if let Some(e) = res.error {
                let _ = writeln!(err, "{}", e.rendered);
                code = 1;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> Vec<StatementResult> {
        Session::detached().run_source(src, "t.tess")
    }

    fn texts(src: &str) -> Vec<String> {
        run(src)
            .into_iter()
            .map(|r| match (r.output, r.error) {
                (_, Some(e)) => format!("ERR {}", e.rendered),
                (Some(o), None) => output_text(&o),
                (None, None) => "-".into(),
            })
            .collect()
    }

    #[test]
    fn sessions_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<Session>();
    }

    #[test]
    fn literals_and_operators() {
        let out = texts(
            "x = 7\nx // 2, x % 3, x / 2, -x ** 2, ~x\n'a' + \"b\"\n[1, 2.5, None, True]\n\
             {'k': (1,)}\nnot x\nx > 3 and x < 10\n0 or 'fallback'\n1 < x < 5\nx if x else 0\n",
        );
        assert_eq!(
            out,
            vec![
                "-",
                "(3, 1, 3.5, -49, -8)",
                "'ab'",
                "[1, 2.5, None, True]",
                "{'k': (1,)}",
                "False",
                "True",
                "'fallback'",
                "False",
                "7"
            ]
        );
    }

    #[test]
    fn strings_fstrings_and_indexing() {
        let out = texts(
            "n = 1234.5678\nf'{n:.2f} {n:,.1f} {\"x\"!r} {n}'\ns = 'hello'\ns[1:3], s[-1]\n\
             l = [1, 2, 3, 4]\nl[::2], l[-2:]\nd = {'a': 1}\nd['b'] = 2\nd\n'a' in d, 5 in l\n\
             print('x', 1, [2], sep='-')\n",
        );
        assert_eq!(out[1], "\"1234.57 1,234.6 'x' 1234.5678\"");
        assert_eq!(out[3], "('el', 'o')");
        assert_eq!(out[5], "([1, 3], [3, 4])");
        assert_eq!(out[8], "{'a': 1, 'b': 2}");
        assert_eq!(out[9], "(True, False)");
        assert_eq!(out[10], "x-1-[2]");
    }

    #[test]
    fn name_errors_suggest_and_point() {
        let r = run("ddf = 1\ny = 2\nz = ddff + y\n");
        let e = r.last().unwrap().error.as_ref().unwrap();
        assert_eq!(
            e.rendered,
            "t.tess:3:5: NameError: name 'ddff' is not defined; did you mean 'ddf'?\n    z = ddff + y\n        ^"
        );
        assert_eq!(r.len(), 3);
        let r = run("prnt('x')");
        let e = r[0].error.as_ref().unwrap();
        assert!(
            e.message.ends_with("did you mean 'print'?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn stops_at_first_error_and_keeps_history() {
        let mut s = Session::detached();
        let r = s.run_source("a = 1\nb = a / 0\nc = 3\n", "t");
        assert_eq!(r.len(), 2);
        let e = r[1].error.as_ref().unwrap();
        assert_eq!(e.message, "ZeroDivisionError: division by zero");
        assert_eq!((e.line, e.col), (2, 5));
        assert_eq!(s.history(), &["a = 1".to_string()]);
        assert_eq!(s.names().len(), 1);
        s.run_source("del a", "t");
        assert!(s.names().is_empty());
        let r = s.run_source("del a", "t");
        assert!(r[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .starts_with("NameError"));
    }

    #[test]
    fn docstrings_in_scripts_are_not_shown() {
        let out = texts("\"\"\"Load the data.\"\"\"\nx = 1\nx\n");
        assert_eq!(out, vec!["-", "-", "1"]);
        assert_eq!(texts("'shown'"), vec!["'shown'"]);
    }

    #[test]
    fn unsupported_statements_run_nothing() {
        let mut s = Session::detached();
        let r = s.run_source("a = 1\nwhile a:\n    a = 0\n", "t");
        assert_eq!(r.len(), 1);
        let e = r[0].error.as_ref().unwrap();
        assert!(e.rendered.starts_with(
            "t:2:1: SyntaxError: 'while' loops are not supported in Tessera sessions"
        ));
        assert!(s.names().is_empty());
    }

    #[test]
    fn builtins_and_imports() {
        let out = texts(
            "import dask.dataframe as dd\nimport numpy as np\nfrom dask.distributed import Client, progress\n\
             len([1, 2]), len('héé'), type(1.5), str(2), int('42'), float('nan'), round(2.5), round(2.675, 2)\n\
             min(3, 1, 2), max([1, 9]), sum([1, 2.5]), sorted([3, 1, 2], reverse=True), range(2, 8, 3)\n\
             parse_bytes('4GB'), format_bytes(227054000)\nnp.nan\ndd.read_cvs('a.csv')\n",
        );
        assert_eq!(out[3], "(2, 3, <class 'float'>, '2', 42, nan, 2, 2.67)");
        assert_eq!(out[4], "(1, 9, 3.5, [3, 2, 1], [2, 5])");
        assert_eq!(out[5], "(4000000000, '216.54 MiB')");
        assert_eq!(out[6], "nan");
        assert!(
            out[7].contains("'dask.dataframe.read_cvs' is not available"),
            "{}",
            out[7]
        );
    }

    #[test]
    fn argument_checks_are_type_errors() {
        let r = run("sorted([1], revers=True)");
        let e = r[0].error.as_ref().unwrap();
        assert_eq!(
            e.message,
            "TypeError: sorted() got an unexpected keyword argument 'revers'; did you mean 'reverse'?"
        );
        let r = run("len(1, 2)");
        assert!(r[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("at most 1 positional"));
        let r = run("x = {'a': 1}\nx.kees()");
        assert_eq!(
            r[1].error.as_ref().unwrap().message,
            "AttributeError: 'dict' object has no attribute 'kees'; did you mean 'keys'?"
        );
    }

    #[test]
    fn native_errors_are_placed_at_the_statement_with_causes() {
        use crate::lang::object::{Native, SessionCtx};
        struct Cols;
        impl Native for Cols {
            fn type_name(&self) -> &str {
                "DataFrame"
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
                Ok(Output::Text("<DataFrame>".into()))
            }
            fn attr_names(&self) -> Vec<String> {
                vec!["amount".into(), "head".into()]
            }
            fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
                Err(Error::value(format!(
                    "column {} not found",
                    super::super::pyops::repr(key)
                )))
            }
        }
        fn boom(_: crate::lang::Args, _: &mut dyn SessionCtx) -> Result<Obj, Error> {
            Err(Error::Task {
                layer: "read-csv-1".into(),
                index: 2,
                source: Box::new(Error::file("a.csv", "bad row")),
            })
        }
        fn frame(_: crate::lang::Args, _: &mut dyn SessionCtx) -> Result<Obj, Error> {
            Ok(Obj::native(Cols))
        }
        let mut s = Session::detached();
        s.register(vec![("boom", boom), ("frame", frame)]);
        let r = s.run_source(
            "x = 1
y = 1 + boom()
",
            "f.tess",
        );
        let e = r[1].error.as_ref().unwrap();
        assert_eq!(
            e.rendered,
            "f.tess:2:1: TaskError: task ('read-csv-1', 2) failed: a.csv: bad row\n    y = 1 + boom()\n    ^\n  caused by: a.csv: bad row"
        );
        assert_eq!(e.chain, vec!["a.csv: bad row".to_string()]);
        let r = s.run_source("df = frame()\ndf['amout']\n[df]", "f.tess");
        let e = r[1].error.as_ref().unwrap();
        assert_eq!((e.line, e.col), (2, 4));
        assert_eq!(e.message, "ValueError: column 'amout' not found");
        let r = s.run_source("df.amout", "f.tess");
        assert_eq!(
            r[0].error.as_ref().unwrap().message,
            "AttributeError: 'DataFrame' object has no attribute 'amout'; did you mean 'amount'?"
        );
        let r = s.run_source("df.head", "f.tess");
        assert_eq!(
            r[0].output,
            Some(Output::Text("<bound method head of DataFrame>".into()))
        );
        let r = s.run_source("df['x'] = 1", "f.tess");
        assert_eq!(
            r[0].error.as_ref().unwrap().message,
            "TypeError: 'DataFrame' object does not support item assignment"
        );
        let r = s.run_source("[df, 1]", "f.tess");
        assert_eq!(r[0].output, Some(Output::Text("[<DataFrame>, 1]".into())));
    }

    #[test]
    fn tuple_unpacking_and_augmented_assignment() {
        let mut s = Session::detached();
        s.run_source("a, b = 1, [2]\na += 10\nb *= 2", "t");
        let names: Vec<String> = s
            .names()
            .iter()
            .map(|(n, v)| format!("{n}={}", super::super::pyops::repr(v)))
            .collect();
        assert_eq!(names, vec!["a=11", "b=[2, 2]"]);
    }
}
