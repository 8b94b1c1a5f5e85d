//! The registry of built-in functions (the language's own plus the data modules'), and the plain
//! Python builtins: `print`, `len`, `type`, `str`, `int`, `min`, `range`, `parse_bytes`...

use std::sync::Arc;

use super::errors::Raise;
use super::interp::Interp;
use super::object::{Args, BuiltinFn, Native, Obj, Output, SessionCtx};
use super::pyops;
use crate::error::Error;

/// A language verb: like a [`BuiltinFn`] but with the whole session (it starts and tracks jobs).
pub(crate) type VerbFn = fn(&mut Interp, Args) -> Result<Obj, Raise>;

#[derive(Clone, Copy)]
pub(crate) enum Callable {
    Fn(BuiltinFn),
    Verb(VerbFn),
}

/// Built-in functions by name. Later registrations replace earlier ones of the same name.
#[derive(Clone, Default)]
pub struct Builtins {
    entries: Vec<(String, Callable)>,
}

impl Builtins {
    /// No builtins at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The language's builtins and verbs plus every data module's (see [`super::data::data_builtins`]).
    pub fn standard() -> Self {
        let mut b = Self::empty();
        for (name, f) in plain() {
            b.insert(name, f);
        }
        for (name, v) in super::verbs::verbs()
            .into_iter()
            .chain(super::job::verbs())
            .chain(super::client::verbs())
            .chain(super::help::verbs())
        {
            b.set(name, Callable::Verb(v));
        }
        b.extend(super::data::data_builtins());
        b
    }

    /// Register a data module's list (`frame::builtins()`, `array::builtins()`).
    pub fn extend(&mut self, list: Vec<(&'static str, BuiltinFn)>) {
        for (name, f) in list {
            self.insert(name, f);
        }
    }

    pub fn insert(&mut self, name: &str, f: BuiltinFn) {
        self.set(name, Callable::Fn(f));
    }

    fn set(&mut self, name: &str, c: Callable) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = c,
            None => self.entries.push((name.to_string(), c)),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    pub(crate) fn get(&self, name: &str) -> Option<Callable> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
    }
}

fn plain() -> Vec<(&'static str, BuiltinFn)> {
    vec![
        ("print", print),
        ("len", len),
        ("type", type_of),
        ("str", str_of),
        ("repr", repr_of),
        ("int", int_of),
        ("float", float_of),
        ("bool", bool_of),
        ("abs", abs),
        ("round", round),
        ("min", min),
        ("max", max),
        ("sum", sum),
        ("sorted", sorted),
        ("list", list),
        ("range", range),
        ("slice", slice),
        ("dir", dir),
        ("parse_bytes", parse_bytes),
        ("format_bytes", format_bytes),
    ]
}

fn type_err(msg: impl Into<String>) -> Error {
    Error::value(msg)
}

fn one<'a>(args: &'a Args, func: &str) -> Result<&'a Obj, Error> {
    args.check(func, 1, &[])?;
    args.positional
        .first()
        .ok_or_else(|| type_err(format!("{func}() takes exactly one argument (0 given)")))
}

/// `str()` of a value with the session (natives by their repr text).
pub(crate) fn text_of(o: &Obj, cx: &mut dyn SessionCtx) -> Result<String, Error> {
    Ok(match o {
        Obj::Native(n) => match n.repr(cx)? {
            Output::Text(t) => t,
            Output::Table(t) => super::render::render_table(&t),
        },
        Obj::Str(s) => s.to_string(),
        // Containers show their items' reprs, natives by their own repr.
        other => pyops::repr_with(other, &mut |n| match n.repr(cx) {
            Ok(Output::Text(t)) => t,
            Ok(Output::Table(t)) => super::render::render_table(&t),
            Err(_) => format!("<{}>", n.type_name()),
        }),
    })
}

fn print(args: Args, cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("print", usize::MAX, &["sep", "end", "flush"])?;
    let sep = match args.opt(usize::MAX, "sep") {
        Some(s) => s
            .as_str()
            .ok_or_else(|| type_err("print() argument 'sep' must be None or a string"))?
            .to_string(),
        None => " ".into(),
    };
    let mut parts = Vec::new();
    for a in &args.positional {
        parts.push(text_of(a, cx)?);
    }
    let mut text = parts.join(&sep);
    if let Some(end) = args.opt(usize::MAX, "end").and_then(Obj::as_str) {
        // Outputs are lines; a custom `end` other than a newline is kept.
        if end != "\n" {
            text.push_str(end);
        }
    }
    cx.emit(Output::Text(text));
    Ok(Obj::None)
}

fn len(args: Args, cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    let n = match one(&args, "len")? {
        Obj::Str(s) => s.chars().count(),
        Obj::List(v) | Obj::Tuple(v) => v.len(),
        Obj::Dict(v) => v.len(),
        Obj::Native(n) => n.len(cx)?,
        other => {
            return Err(type_err(format!(
                "object of type '{}' has no len()",
                other.type_name()
            )))
        }
    };
    Ok(Obj::Int(n as i64))
}

/// What `type(x)` returns: shows as `<class 'name'>`.
struct TypeObj(String);

impl Native for TypeObj {
    fn type_name(&self) -> &str {
        "type"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        Ok(Output::Text(format!("<class '{}'>", self.0)))
    }
}

fn type_of(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    Ok(Obj::native(TypeObj(one(&args, "type")?.type_name())))
}

fn str_of(args: Args, cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("str", 1, &[])?;
    match args.positional.first() {
        Some(o) => Ok(Obj::str(text_of(o, cx)?)),
        None => Ok(Obj::str("")),
    }
}

fn repr_of(args: Args, cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    match one(&args, "repr")? {
        n @ Obj::Native(_) => Ok(Obj::str(text_of(n, cx)?)),
        other => Ok(Obj::str(pyops::repr(other))),
    }
}

fn int_of(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    Ok(Obj::Int(match one(&args, "int")? {
        Obj::Int(i) => *i,
        Obj::Bool(b) => *b as i64,
        Obj::Float(f) if f.is_finite() => f.trunc() as i64,
        Obj::Float(f) => return Err(type_err(format!("cannot convert float {f} to integer"))),
        Obj::Str(s) => s.trim().replace('_', "").parse().map_err(|_| {
            type_err(format!(
                "invalid literal for int() with base 10: {}",
                pyops::repr_str(s)
            ))
        })?,
        other => {
            return Err(type_err(format!(
                "int() argument must be a string or a number, not '{}'",
                other.type_name()
            )))
        }
    }))
}

fn float_of(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    Ok(Obj::Float(match one(&args, "float")? {
        Obj::Str(s) => match s.trim().to_lowercase().as_str() {
            "nan" => f64::NAN,
            "inf" | "infinity" => f64::INFINITY,
            "-inf" | "-infinity" => f64::NEG_INFINITY,
            t => t.parse().map_err(|_| {
                type_err(format!(
                    "could not convert string to float: {}",
                    pyops::repr_str(s)
                ))
            })?,
        },
        o => o.as_f64().ok_or_else(|| {
            type_err(format!(
                "float() argument must be a string or a number, not '{}'",
                o.type_name()
            ))
        })?,
    }))
}

fn bool_of(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    pyops::truthy(one(&args, "bool")?)
        .map(Obj::Bool)
        .map_err(|r| Error::value(r.message))
}

fn abs(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    match one(&args, "abs")? {
        Obj::Int(i) => Ok(Obj::Int(
            i.checked_abs()
                .ok_or_else(|| type_err("integer overflow"))?,
        )),
        Obj::Float(f) => Ok(Obj::Float(f.abs())),
        Obj::Bool(b) => Ok(Obj::Int(*b as i64)),
        o => Err(type_err(format!(
            "bad operand type for abs(): '{}'",
            o.type_name()
        ))),
    }
}

fn round(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("round", 2, &["ndigits"])?;
    let x = args
        .get(0, "number")
        .ok_or_else(|| type_err("round() missing required argument 'number'"))?;
    match args.opt(1, "ndigits").and_then(Obj::as_i64) {
        None => match x {
            Obj::Int(i) => Ok(Obj::Int(*i)),
            // Python rounds half to even.
            o => Ok(Obj::Int(
                o.as_f64()
                    .ok_or_else(|| type_err("round() needs a number"))?
                    .round_ties_even() as i64,
            )),
        },
        Some(d) => match x {
            Obj::Int(i) => Ok(Obj::Int(*i)),
            o => {
                let f = o
                    .as_f64()
                    .ok_or_else(|| type_err("round() needs a number"))?;
                if d >= 0 && f.is_finite() {
                    // Python rounds the exact binary value (2.675 is 2.67499...): so does `format!`.
                    let s = format!("{:.*}", d.min(300) as usize, f);
                    Ok(Obj::Float(s.parse().unwrap_or(f)))
                } else {
                    let m = 10f64.powi(d as i32);
                    Ok(Obj::Float((f * m).round_ties_even() / m))
                }
            }
        },
    }
}

/// The items of a single iterable argument, or the positional arguments themselves.
fn items(args: &Args, func: &str) -> Result<Vec<Obj>, Error> {
    match args.positional.as_slice() {
        [Obj::List(v)] | [Obj::Tuple(v)] => Ok(v.to_vec()),
        [Obj::Dict(v)] => Ok(v.iter().map(|(k, _)| k.clone()).collect()),
        [one] if !matches!(one, Obj::Str(_)) || func == "list" => match one {
            Obj::Str(s) => Ok(s.chars().map(|c| Obj::str(c.to_string())).collect()),
            o => Err(type_err(format!(
                "'{}' object is not iterable",
                o.type_name()
            ))),
        },
        many => Ok(many.to_vec()),
    }
}

fn order(a: &Obj, b: &Obj) -> Result<std::cmp::Ordering, Error> {
    use std::cmp::Ordering;
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal));
    }
    match (a, b) {
        (Obj::Str(x), Obj::Str(y)) => Ok(x.cmp(y)),
        _ => Err(type_err(format!(
            "'<' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
    }
}

fn extreme(args: Args, func: &str, want: std::cmp::Ordering) -> Result<Obj, Error> {
    args.check(func, usize::MAX, &[])?;
    let v = items(&args, func)?;
    let mut best: Option<Obj> = None;
    for x in v {
        best = Some(match best {
            Some(b) if order(&x, &b)? != want => b,
            _ => x,
        });
    }
    best.ok_or_else(|| type_err(format!("{func}() arg is an empty sequence")))
}

fn min(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    extreme(args, "min", std::cmp::Ordering::Less)
}

fn max(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    extreme(args, "max", std::cmp::Ordering::Greater)
}

fn sum(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("sum", 2, &["start"])?;
    let v = match args.positional.first() {
        Some(Obj::List(v)) | Some(Obj::Tuple(v)) => v.clone(),
        _ => return Err(type_err("sum() takes a list or tuple of numbers")),
    };
    let mut acc = args.opt(1, "start").cloned().unwrap_or(Obj::Int(0));
    for x in v.iter() {
        acc = pyops::binary(super::object::BinOp::Add, &acc, x)
            .map_err(|r| Error::value(r.message))?;
    }
    Ok(acc)
}

fn sorted(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("sorted", 1, &["reverse"])?;
    let mut v = items(&args, "sorted")?;
    let mut err = None;
    v.sort_by(|a, b| {
        order(a, b).unwrap_or_else(|e| {
            err.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    if args
        .opt(1, "reverse")
        .is_some_and(|r| pyops::truthy(r).unwrap_or(false))
    {
        v.reverse();
    }
    Ok(Obj::List(Arc::new(v)))
}

fn list(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("list", 1, &[])?;
    if args.positional.is_empty() {
        return Ok(Obj::List(Arc::new(Vec::new())));
    }
    Ok(Obj::List(Arc::new(items(&args, "list")?)))
}

fn range(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("range", 3, &[])?;
    let ints: Vec<i64> = args
        .positional
        .iter()
        .map(|o| {
            o.as_i64().ok_or_else(|| {
                type_err(format!(
                    "'{}' object cannot be interpreted as an integer",
                    o.type_name()
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let (start, stop, step) = match ints.as_slice() {
        [stop] => (0, *stop, 1),
        [a, b] => (*a, *b, 1),
        [a, b, c] => (*a, *b, *c),
        _ => return Err(type_err("range expected at least 1 argument, got 0")),
    };
    if step == 0 {
        return Err(type_err("range() arg 3 must not be zero"));
    }
    let n = ((stop - start) + step - step.signum()) / step;
    if n > 10_000_000 {
        return Err(type_err(
            "range() of more than 10 million items is not supported (it is a list here)",
        ));
    }
    Ok(Obj::List(Arc::new(
        (0..n.max(0)).map(|i| Obj::Int(start + i * step)).collect(),
    )))
}

fn slice(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("slice", 3, &[])?;
    let p: Vec<Option<Box<Obj>>> = args
        .positional
        .iter()
        .map(|o| Some(Box::new(o.clone())))
        .collect();
    Ok(match p.as_slice() {
        [b] => Obj::Slice(None, b.clone(), None),
        [a, b] => Obj::Slice(a.clone(), b.clone(), None),
        [a, b, c] => Obj::Slice(a.clone(), b.clone(), c.clone()),
        _ => return Err(type_err("slice expected at least 1 argument, got 0")),
    })
}

fn dir(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    let mut names = match one(&args, "dir")? {
        Obj::Native(n) => n.attr_names(),
        o => super::plain_methods::names(o),
    };
    names.sort();
    Ok(Obj::List(Arc::new(
        names.into_iter().map(Obj::str).collect(),
    )))
}

pub use crate::units::{format_bytes as format_bytes_u64, parse_bytes as parse_bytes_str};

fn parse_bytes(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    match one(&args, "parse_bytes")? {
        Obj::Str(s) => Ok(Obj::Int(parse_bytes_str(s)? as i64)),
        o => o
            .as_f64()
            .map(|f| Obj::Int(f as i64))
            .ok_or_else(|| type_err("parse_bytes() takes a string or a number")),
    }
}

fn format_bytes(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    let n = one(&args, "format_bytes")?
        .as_f64()
        .ok_or_else(|| type_err("format_bytes() takes a number of bytes"))?;
    Ok(Obj::str(format_bytes_u64(n.max(0.0) as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_as_dask() {
        assert_eq!(parse_bytes_str("2GB").unwrap(), 2_000_000_000);
        assert_eq!(parse_bytes_str("5 MiB").unwrap(), 5 * 1024 * 1024);
        assert_eq!(parse_bytes_str("kB").unwrap(), 1000);
        assert_eq!(parse_bytes_str("1.5k").unwrap(), 1500);
        assert_eq!(parse_bytes_str("100").unwrap(), 100);
        assert!(parse_bytes_str("3 parsecs").is_err());
        assert_eq!(format_bytes_u64(227_054_000), "216.54 MiB");
        assert_eq!(format_bytes_u64(1024), "1.00 kiB");
        assert_eq!(format_bytes_u64(900), "900 B");
        assert_eq!(format_bytes_u64(4_000_000_000), "3.73 GiB");
    }

    #[test]
    fn registry_merges_and_replaces() {
        fn a(_: Args, _: &mut dyn SessionCtx) -> Result<Obj, Error> {
            Ok(Obj::Int(1))
        }
        fn b(_: Args, _: &mut dyn SessionCtx) -> Result<Obj, Error> {
            Ok(Obj::Int(2))
        }
        let mut r = Builtins::empty();
        r.extend(vec![("read_csv", a), ("x", a)]);
        r.extend(vec![("read_csv", b)]);
        assert_eq!(r.names().collect::<Vec<_>>(), vec!["read_csv", "x"]);
        assert!(matches!(r.get("read_csv"), Some(Callable::Fn(_))));
        let std = Builtins::standard();
        for name in [
            "print",
            "compute",
            "persist",
            "Client",
            "run",
            "visualize",
            "futures_of",
        ] {
            assert!(std.contains(name), "{name} missing");
        }
    }
}
