//! The few methods of plain values that notebook lines use: `str.upper()`, `str.split()`,
//! `dict.keys()`, `dict.get()`... (everything else is an AttributeError with a suggestion).

use std::sync::Arc;

use super::access::no_attribute;
use super::errors::Raise;
use super::object::{Args, Obj};
use super::pyops;

const STR: &[&str] = &[
    "upper",
    "lower",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "replace",
    "startswith",
    "endswith",
    "join",
];
const DICT: &[&str] = &["keys", "values", "items", "get"];
const LIST: &[&str] = &["index", "count"];

pub(crate) fn names(o: &Obj) -> Vec<String> {
    let list: &[&str] = match o {
        Obj::Str(_) => STR,
        Obj::Dict(_) => DICT,
        Obj::List(_) => LIST,
        _ => &[],
    };
    list.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn has(o: &Obj, name: &str) -> bool {
    names(o).iter().any(|n| n == name)
}

fn arg_str<'a>(args: &'a Args, i: usize, func: &str) -> Result<&'a str, Raise> {
    args.positional
        .get(i)
        .and_then(Obj::as_str)
        .ok_or_else(|| Raise::type_error(format!("{func}() argument {} must be str", i + 1)))
}

fn strs(v: impl IntoIterator<Item = String>) -> Obj {
    Obj::List(Arc::new(v.into_iter().map(Obj::str).collect()))
}

pub(crate) fn call(recv: &Obj, name: &str, args: Args) -> Result<Obj, Raise> {
    match recv {
        Obj::Str(s) => {
            let s: &str = s;
            let chars = args.positional.first().and_then(Obj::as_str);
            let trim = |t: &str| -> Vec<char> { t.chars().collect() };
            Ok(match name {
                "upper" => Obj::str(s.to_uppercase()),
                "lower" => Obj::str(s.to_lowercase()),
                "strip" => Obj::str(match chars {
                    Some(c) => s.trim_matches(&trim(c)[..]),
                    None => s.trim(),
                }),
                "lstrip" => Obj::str(match chars {
                    Some(c) => s.trim_start_matches(&trim(c)[..]),
                    None => s.trim_start(),
                }),
                "rstrip" => Obj::str(match chars {
                    Some(c) => s.trim_end_matches(&trim(c)[..]),
                    None => s.trim_end(),
                }),
                "split" => match args.opt(0, "sep").and_then(Obj::as_str) {
                    Some(sep) => strs(s.split(sep).map(String::from)),
                    None => strs(s.split_whitespace().map(String::from)),
                },
                "replace" => {
                    Obj::str(s.replace(arg_str(&args, 0, name)?, arg_str(&args, 1, name)?))
                }
                "startswith" => Obj::Bool(s.starts_with(arg_str(&args, 0, name)?)),
                "endswith" => Obj::Bool(s.ends_with(arg_str(&args, 0, name)?)),
                "join" => match args.positional.first() {
                    Some(Obj::List(v)) | Some(Obj::Tuple(v)) => {
                        let parts: Option<Vec<&str>> = v.iter().map(Obj::as_str).collect();
                        let parts = parts
                            .ok_or_else(|| Raise::type_error("join() expects a list of strings"))?;
                        Obj::str(parts.join(s))
                    }
                    _ => return Err(Raise::type_error("join() expects a list of strings")),
                },
                _ => return Err(no_attribute(recv, name, &names(recv))),
            })
        }
        Obj::Dict(items) => Ok(match name {
            "keys" => Obj::List(Arc::new(items.iter().map(|(k, _)| k.clone()).collect())),
            "values" => Obj::List(Arc::new(items.iter().map(|(_, v)| v.clone()).collect())),
            "items" => Obj::List(Arc::new(
                items
                    .iter()
                    .map(|(k, v)| Obj::Tuple(Arc::new(vec![k.clone(), v.clone()])))
                    .collect(),
            )),
            "get" => {
                let key = args
                    .positional
                    .first()
                    .ok_or_else(|| Raise::type_error("get expected at least 1 argument"))?;
                items
                    .iter()
                    .find(|(k, _)| pyops::equal(k, key))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| args.positional.get(1).cloned().unwrap_or(Obj::None))
            }
            _ => return Err(no_attribute(recv, name, &names(recv))),
        }),
        Obj::List(v) => {
            let x = args
                .positional
                .first()
                .ok_or_else(|| Raise::type_error(format!("{name}() takes exactly one argument")))?;
            Ok(match name {
                "count" => Obj::Int(v.iter().filter(|y| pyops::equal(y, x)).count() as i64),
                "index" => Obj::Int(v.iter().position(|y| pyops::equal(y, x)).ok_or_else(|| {
                    Raise::value_error(format!("{} is not in list", pyops::repr(x)))
                })? as i64),
                _ => return Err(no_attribute(recv, name, &names(recv))),
            })
        }
        other => Err(no_attribute(other, name, &[])),
    }
}
