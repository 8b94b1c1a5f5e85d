//! Arguments of the computed `Series`/`DataFrame` methods, checked with Python's messages (a wrong type
//! names the function, the argument and what was given, so the session reports a `TypeError`).

use crate::error::{Error, Result};
use crate::lang::{Args, Obj};

/// An integer argument given at `pos` or as `name=` (`n`, `decimals`, `ddof`).
pub fn int_arg(args: &Args, pos: usize, name: &str, func: &str, default: i64) -> Result<i64> {
    match args.opt(pos, name) {
        None => Ok(default),
        Some(Obj::Int(i)) => Ok(*i),
        Some(o) => Err(Error::value(format!(
            "{func}() argument '{name}' must be an int, not {}",
            o.type_name()
        ))),
    }
}

/// A bool argument (`ascending`, `dropna`...).
pub fn bool_arg(args: &Args, pos: usize, name: &str, func: &str, default: bool) -> Result<bool> {
    match args.opt(pos, name) {
        None => Ok(default),
        Some(Obj::Bool(b)) => Ok(*b),
        Some(o) => Err(Error::value(format!(
            "{func}() argument '{name}' must be a bool, not {}",
            o.type_name()
        ))),
    }
}

/// `ascending=` as one bool or a list with one bool per sort key (pandas' rule for frames).
pub fn ascending_arg(args: &Args, pos: usize, func: &str, nkeys: usize) -> Result<Vec<bool>> {
    match args.opt(pos, "ascending") {
        Some(Obj::List(v) | Obj::Tuple(v)) => {
            if v.len() != nkeys {
                return Err(Error::value(format!(
                    "Length of ascending ({}) != length of by ({nkeys})",
                    v.len()
                )));
            }
            v.iter()
                .map(|o| match o {
                    Obj::Bool(b) => Ok(*b),
                    o => Err(Error::value(format!(
                        "{func}() argument 'ascending' must hold bools, not {}",
                        o.type_name()
                    ))),
                })
                .collect()
        }
        _ => Ok(vec![bool_arg(args, pos, "ascending", func, true)?; nkeys]),
    }
}

/// `na_position=`: true for `"last"` (the default), false for `"first"`.
pub fn na_last_arg(args: &Args, func: &str) -> Result<bool> {
    match args.opt(usize::MAX, "na_position") {
        None => Ok(true),
        Some(Obj::Str(s)) if &**s == "last" => Ok(true),
        Some(Obj::Str(s)) if &**s == "first" => Ok(false),
        Some(Obj::Str(s)) => Err(Error::value(format!("invalid na_position: {s}"))),
        Some(o) => Err(Error::value(format!(
            "{func}() argument 'na_position' must be 'first' or 'last', not {}",
            o.type_name()
        ))),
    }
}

/// Only pandas' default `keep="first"` (ties keep their earlier rows) is offered.
pub fn keep_first_arg(args: &Args, func: &str) -> Result<()> {
    match args.opt(usize::MAX, "keep") {
        None => Ok(()),
        Some(Obj::Str(s)) if &**s == "first" => Ok(()),
        Some(_) => Err(Error::value(format!(
            "{func}(): only keep='first' is supported"
        ))),
    }
}

/// Parse a reduction's arguments: `ddof` for std/var (default 1); `skipna=False` is refused.
pub fn stat_args(args: &Args, name: &str) -> Result<i64> {
    args.check(name, 0, &["ddof", "skipna", "numeric_only", "axis"])?;
    if !bool_arg(args, usize::MAX, "skipna", name, true)? {
        return Err(Error::value(format!(
            "{name}(): skipna=False is not supported (missing values are always skipped)"
        )));
    }
    if !matches!(args.opt(usize::MAX, "axis"), None | Some(Obj::Int(0))) {
        return Err(Error::value(format!("{name}(): only axis=0 is supported")));
    }
    int_arg(args, usize::MAX, "ddof", name, 1)
}
