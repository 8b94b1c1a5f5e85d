//! The object model of the session language: Python-like literals plus native objects (frames, arrays,
//! jobs) that other modules implement through [`Native`]. This file is the contract between the
//! interpreter and the data modules.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::engine::{Engine, Graph, Value};
use crate::error::Error;

/// A value of the session language.
#[derive(Clone)]
pub enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    List(Arc<Vec<Obj>>),
    Tuple(Arc<Vec<Obj>>),
    /// Insertion-ordered, as Python's dict.
    Dict(Arc<Vec<(Obj, Obj)>>),
    /// `a:b:c` inside `[...]`, or `slice(a, b)`.
    Slice(Option<Box<Obj>>, Option<Box<Obj>>, Option<Box<Obj>>),
    /// Frames, series, datasets, arrays, jobs, clients...
    Native(Arc<dyn Native>),
    /// A built-in function by name (`read_csv`, `compute`...).
    Builtin(Arc<str>),
    /// A bound method: `obj.name`, not yet called.
    Method(Box<Obj>, Arc<str>),
}

impl Obj {
    pub fn str(s: impl Into<Arc<str>>) -> Obj {
        Obj::Str(s.into())
    }
    pub fn native(n: impl Native) -> Obj {
        Obj::Native(Arc::new(n))
    }
    pub fn type_name(&self) -> String {
        match self {
            Obj::None => "NoneType".into(),
            Obj::Bool(_) => "bool".into(),
            Obj::Int(_) => "int".into(),
            Obj::Float(_) => "float".into(),
            Obj::Str(_) => "str".into(),
            Obj::List(_) => "list".into(),
            Obj::Tuple(_) => "tuple".into(),
            Obj::Dict(_) => "dict".into(),
            Obj::Slice(..) => "slice".into(),
            Obj::Native(n) => n.type_name().to_string(),
            Obj::Builtin(_) => "builtin_function".into(),
            Obj::Method(..) => "method".into(),
        }
    }
    /// Downcast a native object.
    pub fn downcast<T: Native>(&self) -> Option<&T> {
        match self {
            Obj::Native(n) => n.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            Obj::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Float(f) => Some(*f),
            Obj::Bool(b) => Some(*b as i64 as f64),
            _ => None,
        }
    }
}

impl fmt::Debug for Obj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.type_name())
    }
}

/// Binary operators of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::And => "&",
            BinOp::Or => "|",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Invert,
    Not,
}

/// Call arguments: positional then keyword, as written.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub positional: Vec<Obj>,
    pub keywords: Vec<(String, Obj)>,
}

impl Args {
    /// Argument `name`, given by keyword or at position `pos`.
    pub fn get(&self, pos: usize, name: &str) -> Option<&Obj> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .or_else(|| self.positional.get(pos))
    }
    /// Like [`Args::get`] but `None` (the Python value) counts as absent.
    pub fn opt(&self, pos: usize, name: &str) -> Option<&Obj> {
        self.get(pos, name).filter(|o| !matches!(o, Obj::None))
    }
    /// Reject keywords not in `allowed` and more than `max_pos` positionals, naming the function.
    pub fn check(&self, func: &str, max_pos: usize, allowed: &[&str]) -> Result<(), Error> {
        if self.positional.len() > max_pos {
            return Err(Error::value(format!(
                "{func}() takes at most {max_pos} positional argument(s) but {} were given",
                self.positional.len()
            )));
        }
        for (k, _) in &self.keywords {
            if !allowed.contains(&k.as_str()) {
                let hint = crate::lang::object::closest(k, allowed.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                return Err(Error::value(format!(
                    "{func}() got an unexpected keyword argument '{k}'{hint}"
                )));
            }
        }
        Ok(())
    }
}

/// The closest candidate to `name` (for "did you mean"), if any is close enough.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase());
        if score > 0.8 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// A table to show: pandas-like, with an index column. The TUI scrolls it; `tessera run` prints it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Name of the index (shown above the index column), if any.
    pub index_name: Option<String>,
    pub columns: Vec<String>,
    /// Index labels, one per row.
    pub index: Vec<String>,
    /// Cell text, row-major; numbers already formatted as pandas does.
    pub rows: Vec<Vec<String>>,
    /// A footer line, e.g. `[5 rows x 8 columns]` or `Name: x, dtype: float64`.
    pub footer: Option<String>,
}

/// What a statement shows, as a notebook cell would.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Text(String),
    Table(Table),
}

/// What native objects may use of the running session.
pub trait SessionCtx {
    fn engine(&self) -> &Engine;
    /// Show something (e.g. a warning) in the output as the statement runs.
    fn emit(&mut self, out: Output);
    /// True in the TUI: long work must become a job and return at once.
    fn interactive(&self) -> bool;
}

/// Native objects: everything that is not a Python literal.
///
/// Every method has a default that raises Python's error for an unsupported operation,
/// so a type implements only what it supports.
pub trait Native: Send + Sync + 'static {
    fn type_name(&self) -> &str;
    fn as_any(&self) -> &dyn Any;

    /// What the notebook shows for this object.
    fn repr(&self, cx: &mut dyn SessionCtx) -> Result<Output, Error>;

    /// `obj.name` for data attributes (columns, dims, npartitions...). `Ok(None)` when no such
    /// attribute: the interpreter then tries a method of that name.
    fn get_attr(&self, _name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>, Error> {
        Ok(None)
    }

    /// Names of attributes and methods, for completion and "did you mean".
    fn attr_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// `obj.name(args)`.
    fn call_method(&self, name: &str, _args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
        Err(Error::value(format!(
            "'{}' object has no attribute '{name}'",
            self.type_name()
        )))
    }

    /// `obj[key]`.
    fn get_item(&self, _key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
        Err(Error::value(format!(
            "'{}' object is not subscriptable",
            self.type_name()
        )))
    }

    /// `self <op> other` (or `other <op> self` when `reflected`).
    fn binary_op(
        &self,
        op: BinOp,
        _other: &Obj,
        _reflected: bool,
        _cx: &mut dyn SessionCtx,
    ) -> Result<Obj, Error> {
        Err(Error::value(format!(
            "unsupported operand type(s) for {}: '{}'",
            op.symbol(),
            self.type_name()
        )))
    }

    fn unary_op(&self, op: UnaryOp, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
        Err(Error::value(format!(
            "bad operand type for unary {:?}: '{}'",
            op,
            self.type_name()
        )))
    }

    /// `len(obj)`; may compute.
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize, Error> {
        Err(Error::value(format!(
            "object of type '{}' has no len()",
            self.type_name()
        )))
    }

    /// The lazy collection behind this object, if it is one (for compute, persist, cancel, visualize).
    fn collection(&self) -> Option<&dyn Collection> {
        None
    }
}

/// A lazy collection: a task graph plus how to turn its computed partitions into a concrete value.
pub trait Collection {
    /// The graph whose output layer's tasks are this collection's partitions/chunks.
    fn graph(&self) -> &Graph;
    /// The concrete value from the computed output tasks (in order): a frame, a series, a scalar, an array.
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj, Error>;
    /// The same collection backed by `graph` (a persisted graph holding futures).
    fn with_graph(&self, graph: Graph) -> Obj;
    /// Estimated bytes of the computed result (for the memory guard and the datasets pane).
    fn estimated_nbytes(&self) -> Option<u64> {
        None
    }
}

/// A built-in function of the language (`read_csv`, `open_mfdataset`...). Data modules export theirs as
/// `pub fn builtins() -> Vec<(&'static str, BuiltinFn)>`; the interpreter registers them all.
pub type BuiltinFn = fn(Args, &mut dyn SessionCtx) -> Result<Obj, Error>;
