//! The evaluator: runs lowered statements against the session's names, dispatching operators, calls,
//! attributes and indexing to plain-value semantics ([`super::pyops`]) or to native objects.

use std::sync::Arc;

use super::access::list_index;
use super::builtins::Builtins;
use super::errors::{Pos, Raise};
use super::job::JobObj;
use super::modules::Module;
use super::object::{closest, Args, BinOp, Obj, Output, SessionCtx, UnaryOp};
use super::pyops;
use super::syntax::{CmpOp, Expr, ExprKind, FPart, Stmt, StmtKind, Target};
use crate::engine::Engine;
use crate::error::Error;

/// A job this session started, reported by `Session::poll` when it ends.
pub(crate) struct Tracked {
    pub job: Arc<JobObj>,
    pub pos: Pos,
    pub source: String,
    pub file: String,
    /// The text of the statement's first line, to quote in errors.
    pub line_text: String,
    /// Show the job's value when it finishes (computes); otherwise only failures (persists, shells).
    pub show_value: bool,
    /// `a, b = compute(x, y)` in the workbench: the names that receive the value's items.
    pub unpack: Option<Vec<String>>,
}

/// Methods every lazy collection gets from the language when the native does not implement them.
pub(crate) const GENERIC_METHODS: &[&str] = &["compute", "persist", "visualize"];

pub(crate) struct Interp {
    engine: Option<Engine>,
    pub interactive: bool,
    /// Variables in first-assignment order (the datasets pane lists them so).
    pub names: Vec<(String, Obj)>,
    pub builtins: Builtins,
    /// Outputs emitted while the current statement runs (`print`, warnings).
    pub emitted: Vec<Output>,
    pub jobs: Vec<Tracked>,
    /// The statement running now: its position and text (job labels, tracking).
    pub current: Pos,
    pub current_source: String,
    pub current_file: String,
    pub current_line: String,
}

impl SessionCtx for Interp {
    fn engine(&self) -> &Engine {
        // Only sessions built without an engine (unit tests of pure evaluation) lack one.
        self.engine
            .as_ref()
            .expect("this session was built without an engine")
    }
    fn emit(&mut self, out: Output) {
        self.emitted.push(out);
    }
    fn interactive(&self) -> bool {
        self.interactive
    }
}

impl Interp {
    /// The user waits for this job in the foreground (`result(job)`): its outcome is the statement's, so
    /// the workbench must not report it again when it finishes.
    pub(crate) fn untrack(&mut self, job: crate::engine::JobId) {
        self.jobs.retain(|t| t.job.id() != job);
    }

    pub fn engine_opt(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    pub fn new(engine: Option<Engine>, interactive: bool, builtins: Builtins) -> Self {
        Interp {
            engine,
            interactive,
            names: Vec::new(),
            builtins,
            emitted: Vec::new(),
            jobs: Vec::new(),
            current: Pos::default(),
            current_source: String::new(),
            current_file: String::new(),
            current_line: String::new(),
        }
    }

    pub fn engine_ref(&self) -> &Engine {
        SessionCtx::engine(self)
    }

    /// Remember a job started by the current statement, for `poll` and the end of `tessera run`.
    pub fn track(&mut self, job: Arc<JobObj>, show_value: bool) {
        self.jobs.push(Tracked {
            job,
            pos: self.current,
            source: self.current_source.clone(),
            file: self.current_file.clone(),
            line_text: self.current_line.clone(),
            show_value,
            unpack: None,
        });
    }

    pub fn lookup(&self, name: &str) -> Option<&Obj> {
        self.names.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }

    pub fn set_name(&mut self, name: &str, value: Obj) {
        match self.names.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.names.push((name.to_string(), value)),
        }
    }

    /// A short label for jobs started by the current statement.
    pub fn label(&self) -> String {
        let s = self.current_source.lines().next().unwrap_or("").trim();
        if s.chars().count() > 60 {
            format!("{}...", s.chars().take(57).collect::<String>())
        } else {
            s.to_string()
        }
    }

    /// Run one statement; its output (value of an expression statement plus anything emitted).
    pub fn exec(&mut self, stmt: &Stmt) -> Result<Option<Output>, Raise> {
        self.current = stmt.pos;
        self.current_source = stmt.source.clone();
        self.emitted.clear();
        let shown = match &stmt.kind {
            StmtKind::Expr(e) => {
                let v = self.eval(e)?;
                self.display(&v)?
            }
            StmtKind::Assign(targets, value) => {
                let v = self.eval(value)?;
                for t in targets {
                    self.assign(t, v.clone())?;
                }
                None
            }
            StmtKind::Del(targets) => {
                for t in targets {
                    self.delete(t)?;
                }
                None
            }
            StmtKind::Import(bindings) => {
                for b in bindings {
                    let v = Module::import(&b.module, b.attr.as_deref(), &self.builtins);
                    self.set_name(&b.bind, v);
                }
                None
            }
            StmtKind::Pass => None,
        };
        let mut outs = std::mem::take(&mut self.emitted);
        outs.extend(shown);
        Ok(combine(outs))
    }

    /// What a notebook shows for a value (`None` shows nothing).
    pub fn display(&mut self, v: &Obj) -> Result<Option<Output>, Raise> {
        Ok(match v {
            Obj::None => None,
            Obj::Native(n) => Some(n.clone().repr(self)?),
            Obj::Method(recv, name) => {
                // `ddf.nonexistent` (not called): an AttributeError when the object lists its names.
                if let Obj::Native(n) = recv.as_ref() {
                    let names = n.attr_names();
                    let generic = n.collection().is_some() && GENERIC_METHODS.contains(&&**name);
                    if !names.is_empty() && !generic && !names.iter().any(|a| **a == **name) {
                        return Err(super::access::no_attribute(recv, name, &names));
                    }
                }
                Some(Output::Text(self.repr_text(v)))
            }
            other => Some(Output::Text(self.repr_text(other))),
        })
    }

    /// Python's `repr` with natives inside containers shown by their own repr.
    pub fn repr_text(&mut self, v: &Obj) -> String {
        pyops::repr_with(v, &mut |n| match n.repr(self) {
            Ok(o) => output_text(&o),
            Err(_) => format!("<{}>", n.type_name()),
        })
    }

    /// `str(v)` as `print` shows it: natives by their repr, tables rendered as text.
    pub fn text_for(&mut self, v: &Obj) -> Result<String, Raise> {
        Ok(match v {
            Obj::Native(n) => output_text(&n.clone().repr(self)?),
            other => pyops::to_str(other),
        })
    }

    fn assign(&mut self, t: &Target, v: Obj) -> Result<(), Raise> {
        match t {
            Target::Name(name, _) => self.set_name(name, v),
            Target::Tuple(parts) => {
                let items = match &v {
                    Obj::Tuple(x) | Obj::List(x) => x.clone(),
                    Obj::Native(n) if v.downcast::<JobObj>().is_some() => {
                        return self.unpack_later(n.clone(), parts)
                    }
                    other => {
                        return Err(Raise::type_error(format!(
                            "cannot unpack non-sequence {}",
                            other.type_name()
                        )))
                    }
                };
                if items.len() != parts.len() {
                    return Err(Raise::value_error(format!(
                        "expected {} values to unpack, got {}",
                        parts.len(),
                        items.len()
                    )));
                }
                for (p, x) in parts.iter().zip(items.iter()) {
                    self.assign(p, x.clone())?;
                }
            }
            Target::Index(obj, key) => {
                let container = self.eval(obj)?;
                let key = self.eval(key)?;
                let updated = match container {
                    Obj::Native(n) => {
                        let args = Args {
                            positional: vec![key, v],
                            keywords: vec![],
                        };
                        n.call_method("__setitem__", args, self)
                            .map_err(|e| unsupported_item(e, n.type_name(), "assignment"))?
                    }
                    Obj::Dict(mut d) => {
                        let items = Arc::make_mut(&mut d);
                        match items.iter_mut().find(|(k, _)| pyops::equal(k, &key)) {
                            Some(slot) => slot.1 = v,
                            None => items.push((key, v)),
                        }
                        Obj::Dict(d)
                    }
                    Obj::List(mut l) => {
                        let i = list_index(&key, l.len())?;
                        Arc::make_mut(&mut l)[i] = v;
                        Obj::List(l)
                    }
                    other => {
                        return Err(Raise::type_error(format!(
                            "'{}' object does not support item assignment",
                            other.type_name()
                        ))
                        .at(obj.pos))
                    }
                };
                // Objects are immutable values: the updated object is bound back to the name.
                match &obj.kind {
                    ExprKind::Name(name) if !matches!(updated, Obj::None) => {
                        self.set_name(name, updated)
                    }
                    ExprKind::Name(_) => {}
                    _ => {
                        return Err(Raise::new(
                            "SyntaxError",
                            "item assignment is supported on a variable only (e.g. df['c'] = ...)",
                        )
                        .at(obj.pos))
                    }
                }
            }
        }
        Ok(())
    }

    /// `a, b = compute(x, y)` in the workbench: bind both names to the job now; `Session::poll`
    /// unpacks the value into them when it finishes.
    fn unpack_later(
        &mut self,
        job: Arc<dyn super::object::Native>,
        parts: &[Target],
    ) -> Result<(), Raise> {
        let mut names = Vec::new();
        for p in parts {
            match p {
                Target::Name(n, _) => names.push(n.clone()),
                _ => return Err(Raise::type_error(
                    "a running job can be unpacked into plain names only (a, b = compute(x, y))",
                )),
            }
        }
        let tracked = self
            .jobs
            .iter_mut()
            .find(|t| pyops::same_native(&(t.job.clone() as Arc<dyn super::object::Native>), &job));
        match tracked {
            Some(t) => t.unpack = Some(names.clone()),
            None => return Err(Raise::type_error("cannot unpack a job; use result(job)")),
        }
        for n in names {
            self.set_name(&n, Obj::Native(job.clone()));
        }
        Ok(())
    }

    fn delete(&mut self, t: &Target) -> Result<(), Raise> {
        match t {
            Target::Name(name, pos) => match self.names.iter().position(|(n, _)| n == name) {
                // Dropping the binding drops our Arc: futures nobody else holds are released.
                Some(i) => {
                    self.names.remove(i);
                }
                None => return Err(self.name_error(name).at(*pos)),
            },
            Target::Tuple(parts) => {
                for p in parts {
                    self.delete(p)?;
                }
            }
            Target::Index(obj, key) => {
                let container = self.eval(obj)?;
                let key = self.eval(key)?;
                let updated = match container {
                    Obj::Native(n) => {
                        let args = Args {
                            positional: vec![key],
                            keywords: vec![],
                        };
                        n.call_method("__delitem__", args, self)
                            .map_err(|e| unsupported_item(e, n.type_name(), "deletion"))?
                    }
                    Obj::Dict(mut d) => {
                        let before = d.len();
                        Arc::make_mut(&mut d).retain(|(k, _)| !pyops::equal(k, &key));
                        if d.len() == before {
                            return Err(Raise::new("KeyError", pyops::repr(&key)));
                        }
                        Obj::Dict(d)
                    }
                    other => {
                        return Err(Raise::type_error(format!(
                            "'{}' object does not support item deletion",
                            other.type_name()
                        )))
                    }
                };
                if let ExprKind::Name(name) = &obj.kind {
                    if !matches!(updated, Obj::None) {
                        self.set_name(name, updated);
                    }
                }
            }
        }
        Ok(())
    }

    pub fn name_error(&self, name: &str) -> Raise {
        let known = self
            .names
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.builtins.names());
        let hint = closest(name, known)
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        Raise::new("NameError", format!("name '{name}' is not defined{hint}"))
    }

    pub fn eval(&mut self, e: &Expr) -> Result<Obj, Raise> {
        self.eval_inner(e).map_err(|r| r.at(e.pos))
    }

    fn eval_inner(&mut self, e: &Expr) -> Result<Obj, Raise> {
        Ok(match &e.kind {
            ExprKind::Const(c) => c.clone(),
            ExprKind::Name(name) => match self.lookup(name) {
                Some(v) => v.clone(),
                None if self.builtins.get(name).is_some() => Obj::Builtin(name.as_str().into()),
                None => return Err(self.name_error(name)),
            },
            ExprKind::Attr(obj, name) => {
                let v = self.eval(obj)?;
                self.get_attr(v, name)?
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                let f = self.eval(func)?;
                let mut a = Args::default();
                for x in args {
                    a.positional.push(self.eval(x)?);
                }
                for (k, x) in keywords {
                    let v = self.eval(x)?;
                    a.keywords.push((k.clone(), v));
                }
                self.call(f, a)?
            }
            ExprKind::Index(obj, key) => {
                let v = self.eval(obj)?;
                let k = self.eval(key)?;
                self.get_item(v, k).map_err(|r| r.at_key(key.pos))?
            }
            ExprKind::Slice(a, b, c) => {
                let mut part = |x: &Option<Box<Expr>>| -> Result<Option<Box<Obj>>, Raise> {
                    match x {
                        Some(x) => Ok(Some(Box::new(self.eval(x)?))),
                        None => Ok(None),
                    }
                };
                Obj::Slice(part(a)?, part(b)?, part(c)?)
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.binary(*op, &a, &b)?
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x)?;
                self.unary(*op, &v)?
            }
            ExprKind::Logic(and, values) => {
                let mut last = Obj::None;
                for x in values {
                    last = self.eval(x)?;
                    let t = pyops::truthy(&last).map_err(|r| r.at(x.pos))?;
                    if t != *and {
                        break;
                    }
                }
                last
            }
            ExprKind::Compare(left, ops) => {
                let mut a = self.eval(left)?;
                let mut result = Obj::Bool(true);
                for (i, (op, right)) in ops.iter().enumerate() {
                    let b = self.eval(right)?;
                    result = self.compare(*op, &a, &b)?;
                    // Chains (`a < b < c`) stop at the first false link, as Python's do.
                    if i + 1 < ops.len() && !pyops::truthy(&result)? {
                        return Ok(result);
                    }
                    a = b;
                }
                result
            }
            ExprKind::IfElse(test, body, orelse) => {
                let t = self.eval(test)?;
                if pyops::truthy(&t)? {
                    self.eval(body)?
                } else {
                    self.eval(orelse)?
                }
            }
            ExprKind::List(xs) => Obj::List(Arc::new(self.eval_all(xs)?)),
            ExprKind::Tuple(xs) => Obj::Tuple(Arc::new(self.eval_all(xs)?)),
            ExprKind::Dict(items) => {
                let mut out: Vec<(Obj, Obj)> = Vec::new();
                for (k, v) in items {
                    let k = self.eval(k)?;
                    let v = self.eval(v)?;
                    match out.iter_mut().find(|(x, _)| pyops::equal(x, &k)) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Obj::Dict(Arc::new(out))
            }
            ExprKind::FString(parts) => Obj::str(self.fstring(parts)?),
        })
    }

    fn eval_all(&mut self, xs: &[Expr]) -> Result<Vec<Obj>, Raise> {
        xs.iter().map(|x| self.eval(x)).collect()
    }

    fn fstring(&mut self, parts: &[FPart]) -> Result<String, Raise> {
        let mut out = String::new();
        for p in parts {
            match p {
                FPart::Lit(s) => out.push_str(s),
                FPart::Value {
                    expr,
                    conversion,
                    spec,
                } => {
                    let v = self.eval(expr)?;
                    let spec = self.fstring(spec)?;
                    let text = match (conversion, &v) {
                        (Some('r' | 'a'), Obj::Native(_)) | (None | Some('s'), Obj::Native(_)) => {
                            self.text_for(&v)?
                        }
                        (Some('r' | 'a'), _) => self.repr_text(&v),
                        _ => pyops::format_spec(&v, &spec).map_err(|r| r.at(expr.pos))?,
                    };
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }

    pub fn binary(&mut self, op: BinOp, a: &Obj, b: &Obj) -> Result<Obj, Raise> {
        match (a, b) {
            (Obj::Native(n), _) => Ok(n.clone().binary_op(op, b, false, self)?),
            (_, Obj::Native(n)) => Ok(n.clone().binary_op(op, a, true, self)?),
            _ => pyops::binary(op, a, b),
        }
    }

    fn compare(&mut self, op: CmpOp, a: &Obj, b: &Obj) -> Result<Obj, Raise> {
        match op {
            CmpOp::Op(op) => self.binary(op, a, b),
            CmpOp::In => Ok(Obj::Bool(pyops::contains(b, a)?)),
            CmpOp::NotIn => Ok(Obj::Bool(!pyops::contains(b, a)?)),
            CmpOp::Is | CmpOp::IsNot => {
                let same = match (a, b) {
                    (Obj::Native(x), Obj::Native(y)) => pyops::same_native(x, y),
                    (Obj::None | Obj::Bool(_), _) => pyops::equal(a, b),
                    _ => false,
                };
                Ok(Obj::Bool(same == (op == CmpOp::Is)))
            }
        }
    }

    fn unary(&mut self, op: UnaryOp, v: &Obj) -> Result<Obj, Raise> {
        Ok(match (op, v) {
            (_, Obj::Native(n)) => n.clone().unary_op(op, self)?,
            (UnaryOp::Not, v) => Obj::Bool(!pyops::truthy(v)?),
            (UnaryOp::Neg, Obj::Int(i)) => Obj::Int(
                i.checked_neg()
                    .ok_or_else(|| Raise::new("OverflowError", "integer negation overflows"))?,
            ),
            (UnaryOp::Neg, Obj::Bool(b)) => Obj::Int(-(*b as i64)),
            (UnaryOp::Neg, Obj::Float(f)) => Obj::Float(-f),
            (UnaryOp::Invert, Obj::Int(i)) => Obj::Int(!i),
            (UnaryOp::Invert, Obj::Bool(b)) => Obj::Int(!(*b as i64)),
            (op, v) => {
                let sym = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Invert => "~",
                    UnaryOp::Not => "not",
                };
                return Err(Raise::type_error(format!(
                    "bad operand type for unary {sym}: '{}'",
                    v.type_name()
                )));
            }
        })
    }
}

/// A native without `__setitem__`/`__delitem__` gets Python's message for it.
fn unsupported_item(e: Error, type_name: &str, what: &str) -> Raise {
    match &e {
        Error::Value(m) if m.contains("has no attribute '__") => {
            Raise::type_error(format!("'{type_name}' object does not support item {what}"))
        }
        _ => Raise::from(e),
    }
}

/// Text of an output: tables rendered as `tessera run` prints them.
pub(crate) fn output_text(o: &Output) -> String {
    match o {
        Output::Text(t) => t.clone(),
        Output::Table(t) => super::render::render_table(t),
    }
}

/// One output for a statement: a single one as is, several joined as text.
fn combine(mut outs: Vec<Output>) -> Option<Output> {
    match outs.len() {
        0 => None,
        1 => outs.pop(),
        _ => Some(Output::Text(
            outs.iter().map(output_text).collect::<Vec<_>>().join("\n"),
        )),
    }
}
