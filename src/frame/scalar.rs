//! The lazy scalar (Dask's `dd.Scalar`): the one-task result of a reduction, a number once computed.

use std::any::Any;
use std::sync::Arc;

use super::collection::scalar_obj;
use super::native::{compute, persist};
use crate::engine::{Graph, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, Collection, Native, Obj, Output, SessionCtx};

/// A lazy reduction result. Invariant: `graph` has one output task yielding `Value::Scalar`.
#[derive(Clone)]
pub struct DaskScalar {
    pub graph: Graph,
    /// pandas dtype name of the result (`float64`, `int64`...).
    pub dtype: String,
}

impl DaskScalar {
    /// `dd.Scalar<max-aggregate, dtype=float64>` (the key name without Dask's token).
    pub fn structure(&self) -> String {
        let layer = &self.graph.layer.prefix;
        let short = layer.rsplit_once('-').map_or(layer.as_ref(), |(_, op)| op);
        let short = if short == "aggregate" {
            layer.split('-').nth(1).unwrap_or(layer)
        } else {
            short
        };
        format!("dd.Scalar<{short}-aggregate, dtype={}>", self.dtype)
    }
}

impl Collection for DaskScalar {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj> {
        match parts.first().map(|v| &**v) {
            Some(Value::Scalar(s)) => Ok(scalar_obj(s)),
            Some(other) => Err(Error::value(format!(
                "internal: a scalar computed to a {}",
                other.kind()
            ))),
            None => Err(Error::value("internal: a scalar computed to nothing")),
        }
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(DaskScalar {
            graph,
            dtype: self.dtype.clone(),
        })
    }
    fn estimated_nbytes(&self) -> Option<u64> {
        Some(16)
    }
}

impl Native for DaskScalar {
    fn type_name(&self) -> &str {
        "Scalar"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(self.structure()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        Ok((name == "dtype").then(|| Obj::str(self.dtype.as_str())))
    }
    fn attr_names(&self) -> Vec<String> {
        ["compute", "persist", "dtype"].map(String::from).to_vec()
    }
    fn call_method(&self, name: &str, args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        match name {
            "compute" => {
                args.check("compute", 0, &[])?;
                compute(self, cx, &self.structure())
            }
            "persist" => Ok(persist(self, cx, &self.structure())),
            _ => Err(Error::value(format!(
                "'Scalar' object has no attribute '{name}'"
            ))),
        }
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}

/// An unevaluated export (`to_parquet(..., compute=False)`): `.compute()` runs it and gives `None`.
#[derive(Clone)]
pub struct DelayedExport {
    pub graph: Graph,
}

impl Collection for DelayedExport {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, _parts: Vec<Arc<Value>>) -> Result<Obj> {
        Ok(Obj::None)
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(DelayedExport { graph })
    }
}

impl Native for DelayedExport {
    fn type_name(&self) -> &str {
        "Delayed"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(format!(
            "Delayed('{}')",
            self.graph.layer.name
        )))
    }
    fn attr_names(&self) -> Vec<String> {
        vec!["compute".into()]
    }
    fn call_method(&self, name: &str, _args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        match name {
            "compute" => super::export::run_export(&self.graph, cx).map(|_| Obj::None),
            _ => Err(Error::value(format!(
                "'Delayed' object has no attribute '{name}'"
            ))),
        }
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}
