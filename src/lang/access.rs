//! Attribute access, calls, method dispatch and indexing for the evaluator: plain values by Python's
//! rules, modules to builtins, jobs and clients to the language, everything else to the native object
//! (with the generic collection verbs as a fallback).

use std::sync::Arc;

use super::builtins::Callable;
use super::errors::Raise;
use super::interp::{Interp, GENERIC_METHODS};
use super::job::JobObj;
use super::modules::Module;
use super::object::{closest, Args, Obj};
use super::pyops;
use crate::error::Error;

impl Interp {
    pub fn get_attr(&mut self, v: Obj, name: &str) -> Result<Obj, Raise> {
        match &v {
            Obj::Native(n) => {
                if let Some(m) = v.downcast::<Module>() {
                    return Ok(m.attr(name, &self.builtins));
                }
                match n.clone().get_attr(name, self)? {
                    Some(x) => Ok(x),
                    None => Ok(Obj::Method(Box::new(v), name.into())),
                }
            }
            Obj::Dict(_) | Obj::Str(_) | Obj::List(_) => {
                if super::plain_methods::has(&v, name) {
                    Ok(Obj::Method(Box::new(v), name.into()))
                } else {
                    Err(no_attribute(&v, name, &super::plain_methods::names(&v)))
                }
            }
            other => Err(no_attribute(other, name, &[])),
        }
    }

    pub fn call(&mut self, f: Obj, args: Args) -> Result<Obj, Raise> {
        match f {
            Obj::Builtin(name) => match self.builtins.get(&name) {
                Some(Callable::Fn(func)) => func(args, self).map_err(Raise::from),
                Some(Callable::Verb(verb)) => verb(self, args),
                None => Err(self.name_error(&name)),
            },
            Obj::Method(recv, name) => self.call_method(*recv, &name, args),
            Obj::Native(n) => match n.as_any().downcast_ref::<Module>() {
                Some(m) => Err(m.not_callable(&self.builtins)),
                None => Err(Raise::type_error(format!(
                    "'{}' object is not callable",
                    n.type_name()
                ))),
            },
            other => Err(Raise::type_error(format!(
                "'{}' object is not callable",
                other.type_name()
            ))),
        }
    }

    pub fn call_method(&mut self, recv: Obj, name: &str, args: Args) -> Result<Obj, Raise> {
        let n = match &recv {
            Obj::Native(n) => n.clone(),
            _ => return super::plain_methods::call(&recv, name, args),
        };
        if let Some(job) = recv.downcast::<JobObj>() {
            return super::job::call_method(self, job, name, args);
        }
        if let Some(client) = recv.downcast::<super::client::ClientObj>() {
            return super::client::call_method(self, client, name, args);
        }
        let generic = GENERIC_METHODS.contains(&name) && n.collection().is_some();
        if generic && !n.attr_names().iter().any(|a| a == name) {
            return super::verbs::generic_method(self, recv, name, args);
        }
        match n.call_method(name, args.clone(), self) {
            Ok(v) => Ok(v),
            Err(Error::Value(m)) if m.contains("has no attribute") => {
                if generic {
                    return super::verbs::generic_method(self, recv, name, args);
                }
                let mut names = n.attr_names();
                if n.collection().is_some() {
                    names.extend(GENERIC_METHODS.iter().map(|s| s.to_string()));
                }
                Err(no_attribute(&recv, name, &names))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn get_item(&mut self, v: Obj, key: Obj) -> Result<Obj, Raise> {
        match (&v, &key) {
            (Obj::Native(n), _) => Ok(n.clone().get_item(&key, self)?),
            (Obj::List(items) | Obj::Tuple(items), Obj::Slice(a, b, c)) => {
                let picked = slice_indices(items.len(), a, b, c)?
                    .into_iter()
                    .map(|i| items[i].clone())
                    .collect();
                Ok(match v {
                    Obj::List(_) => Obj::List(Arc::new(picked)),
                    _ => Obj::Tuple(Arc::new(picked)),
                })
            }
            (Obj::List(items) | Obj::Tuple(items), _) => {
                Ok(items[list_index(&key, items.len())?].clone())
            }
            (Obj::Str(s), Obj::Slice(a, b, c)) => {
                let chars: Vec<char> = s.chars().collect();
                Ok(Obj::str(
                    slice_indices(chars.len(), a, b, c)?
                        .into_iter()
                        .map(|i| chars[i])
                        .collect::<String>(),
                ))
            }
            (Obj::Str(s), _) => {
                let chars: Vec<char> = s.chars().collect();
                Ok(Obj::str(chars[list_index(&key, chars.len())?].to_string()))
            }
            (Obj::Dict(items), _) => items
                .iter()
                .find(|(k, _)| pyops::equal(k, &key))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Raise::new("KeyError", pyops::repr(&key))),
            _ => Err(Raise::type_error(format!(
                "'{}' object is not subscriptable",
                v.type_name()
            ))),
        }
    }
}

/// `'T' object has no attribute 'x'; did you mean 'y'?`
pub(crate) fn no_attribute(v: &Obj, name: &str, known: &[String]) -> Raise {
    let hint = closest(name, known.iter().map(String::as_str))
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default();
    Raise::new(
        "AttributeError",
        format!("'{}' object has no attribute '{name}'{hint}", v.type_name()),
    )
}

pub(crate) fn list_index(key: &Obj, len: usize) -> Result<usize, Raise> {
    let i = key.as_i64().ok_or_else(|| {
        Raise::type_error(format!(
            "indices must be integers or slices, not {}",
            key.type_name()
        ))
    })?;
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return Err(Raise::new("IndexError", "index out of range"));
    }
    Ok(j as usize)
}

/// The indices a Python slice selects from a sequence of `len` items.
pub(crate) fn slice_indices(
    len: usize,
    a: &Option<Box<Obj>>,
    b: &Option<Box<Obj>>,
    c: &Option<Box<Obj>>,
) -> Result<Vec<usize>, Raise> {
    let get = |x: &Option<Box<Obj>>| -> Result<Option<i64>, Raise> {
        match x.as_deref() {
            None | Some(Obj::None) => Ok(None),
            Some(o) => o
                .as_i64()
                .map(Some)
                .ok_or_else(|| Raise::type_error("slice indices must be integers or None")),
        }
    };
    let n = len as i64;
    let step = get(c)?.unwrap_or(1);
    if step == 0 {
        return Err(Raise::value_error("slice step cannot be zero"));
    }
    let clamp = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let start = get(a)?.map_or(0, |v| clamp(v, 0, n));
        let stop = get(b)?.map_or(n, |v| clamp(v, 0, n));
        let mut i = start;
        while i < stop {
            out.push(i as usize);
            i += step;
        }
    } else {
        let start = get(a)?.map_or(n - 1, |v| clamp(v, -1, n - 1));
        let stop = get(b)?.map_or(-1, |v| clamp(v, -1, n - 1));
        let mut i = start;
        while i > stop {
            out.push(i as usize);
            i += step;
        }
    }
    Ok(out)
}
