//! Glue between frame collections and the session: running graphs on the engine, argument helpers,
//! and errors wrapped with context.

use std::sync::Arc;

use crate::engine::{Graph, Value};
use crate::error::{Error, Result};
use crate::lang::{Collection, Obj, SessionCtx};

/// A polars error with what we were doing.
pub fn pl(ctx: &str, e: polars::error::PolarsError) -> Error {
    Error::polars(ctx, e)
}

/// A Python list of strings.
pub fn str_list<'a>(items: impl Iterator<Item = &'a str>) -> Obj {
    Obj::List(Arc::new(items.map(Obj::str).collect()))
}

/// Strings from a `str` or a list of `str` argument.
pub fn str_or_list(o: &Obj, what: &str) -> Result<Vec<String>> {
    match o {
        Obj::Str(s) => Ok(vec![s.to_string()]),
        Obj::List(v) | Obj::Tuple(v) => v
            .iter()
            .map(|x| {
                x.as_str().map(String::from).ok_or_else(|| {
                    Error::value(format!("{what}: expected strings, got {}", x.type_name()))
                })
            })
            .collect(),
        other => Err(Error::value(format!(
            "{what}: expected a str or a list of str, got {}",
            other.type_name()
        ))),
    }
}

/// Run every output task of `graph` on the session's engine and wait: the values in output order.
pub fn run_graph(cx: &mut dyn SessionCtx, graph: &Graph, label: &str) -> Result<Vec<Arc<Value>>> {
    cx.engine()
        .compute(graph, label)
        .wait()
        .map_err(|e| Error::value(e.to_string()))
}

/// `x.compute()`: run the collection's graph and finalize its parts.
pub fn compute(c: &dyn Collection, cx: &mut dyn SessionCtx, label: &str) -> Result<Obj> {
    let parts = run_graph(cx, c.graph(), label)?;
    c.finalize(parts)
}

/// `x.persist()`: start computing in the background; the same collection backed by the futures.
pub fn persist(c: &dyn Collection, cx: &mut dyn SessionCtx, label: &str) -> Obj {
    let (g, _job) = cx.engine().persist(c.graph(), label);
    c.with_graph(g)
}
