//! `DaskSeries` in the session language: operators, reductions, `head`, `len`, `value_counts`.

use std::any::Any;
use std::sync::Arc;

use super::format::dtype_name;
use super::frame_native::total_len;
use super::native::{compute, persist, run_graph};
use super::reduce::Agg;
use super::series::{DaskSeries, Operand};
use crate::engine::{Graph, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, BinOp, Collection, Native, Obj, Output, SessionCtx, UnaryOp};

const METHODS: [&str; 19] = [
    "head",
    "compute",
    "persist",
    "sum",
    "min",
    "max",
    "mean",
    "count",
    "std",
    "var",
    "value_counts",
    "unique",
    "nlargest",
    "nsmallest",
    "isnull",
    "isna",
    "notnull",
    "notna",
    "npartitions",
];

/// A language literal as an operand scalar.
pub fn obj_scalar(o: &Obj) -> Option<Scalar> {
    Some(match o {
        Obj::None => Scalar::Null,
        Obj::Bool(b) => Scalar::Bool(*b),
        Obj::Int(i) => Scalar::Int(*i),
        Obj::Float(f) => Scalar::Float(*f),
        Obj::Str(s) => Scalar::Str(s.to_string()),
        _ => return None,
    })
}

impl Collection for DaskSeries {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj> {
        Ok(Obj::native(self.finalize_parts(&parts)?))
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(DaskSeries {
            graph,
            ..self.clone()
        })
    }
}

impl Native for DaskSeries {
    fn type_name(&self) -> &str {
        "Series"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(self.structure()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        Ok(match name {
            "name" => Some(Obj::str(self.name.as_str())),
            "dtype" => Some(Obj::str(dtype_name(&self.dtype))),
            "npartitions" => Some(Obj::Int(self.npartitions() as i64)),
            _ => None,
        })
    }
    fn attr_names(&self) -> Vec<String> {
        // compute/persist are left out: the interpreter's generic verbs run them as tracked jobs.
        let mut v: Vec<String> = METHODS
            .iter()
            .filter(|m| !matches!(**m, "compute" | "persist"))
            .map(|s| s.to_string())
            .collect();
        v.extend(["name", "dtype"].map(String::from));
        v
    }
    fn call_method(&self, name: &str, args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        if let Some(agg) = Agg::parse(name) {
            args.check(name, 0, &["split_every", "skipna"])?;
            return Ok(Obj::native(self.reduce(agg)?));
        }
        match name {
            "head" => {
                args.check("head", 2, &["n", "npartitions"])?;
                let n = args.opt(0, "n").and_then(Obj::as_i64).unwrap_or(5).max(0) as usize;
                let np = args
                    .opt(1, "npartitions")
                    .and_then(Obj::as_i64)
                    .unwrap_or(1);
                let k = if np < 0 {
                    self.npartitions()
                } else {
                    np.max(1) as u32
                };
                let out = run_graph(cx, &self.head_graph(n, k), "head")?;
                Ok(Obj::native(self.finalize_parts(&out)?))
            }
            "compute" => compute(self, cx, "compute"),
            "persist" => Ok(persist(self, cx, "persist")),
            "value_counts" => Ok(Obj::native(self.value_counts()?)),
            "unique" => Ok(Obj::native(self.unique()?)),
            "nlargest" | "nsmallest" => {
                args.check(name, 1, &["n"])?;
                let n = args.opt(0, "n").and_then(Obj::as_i64).unwrap_or(5).max(0) as usize;
                Ok(Obj::native(self.top(n, name == "nlargest")?))
            }
            "isnull" | "isna" => Ok(Obj::native(self.isnull(false)?)),
            "notnull" | "notna" => Ok(Obj::native(self.isnull(true)?)),
            _ => Err(Error::value(format!(
                "'Series' object has no attribute '{name}'{}",
                crate::lang::object::closest(name, METHODS.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default()
            ))),
        }
    }
    fn binary_op(
        &self,
        op: BinOp,
        other: &Obj,
        reflected: bool,
        _cx: &mut dyn SessionCtx,
    ) -> Result<Obj> {
        let operand = match other.downcast::<DaskSeries>() {
            Some(s) => Operand::Series(s),
            None => Operand::Scalar(obj_scalar(other).ok_or_else(|| {
                Error::value(format!(
                    "unsupported operand type(s) for {}: 'Series' and '{}'",
                    op.symbol(),
                    other.type_name()
                ))
            })?),
        };
        let op = super::series::series_first(op, reflected);
        Ok(Obj::native(self.binary(op, operand, reflected)?))
    }
    fn unary_op(&self, op: UnaryOp, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        match op {
            UnaryOp::Invert => Ok(Obj::native(self.invert()?)),
            UnaryOp::Neg => Ok(Obj::native(self.neg()?)),
            UnaryOp::Not => Err(Error::value(
                "The truth value of a Series is ambiguous; use ~ for an element-wise not",
            )),
        }
    }
    fn len(&self, cx: &mut dyn SessionCtx) -> Result<usize> {
        if self.keyed.is_some() {
            let out = run_graph(cx, &self.graph, "len")?;
            return Ok(self.finalize_parts(&out)?.series.len());
        }
        total_len(self.lens.as_ref(), &self.graph, cx)
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}
