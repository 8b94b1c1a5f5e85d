//! The lazy scalar (Dask's `dd.Scalar`): the one-task result of a reduction, a number once computed.

use std::any::Any;
use std::sync::Arc;

use super::collection::scalar_obj;
use super::native::{compute, persist};
use crate::engine::{DepPattern, Graph, Layer, LayerInput, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, BinOp, Collection, Native, Obj, Output, SessionCtx};

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
        let layer: &str = &self.graph.layer.prefix;
        // `series-max-aggregate` shows as `max-aggregate`; `scalar-truediv` as `truediv`.
        let short = match layer.strip_suffix("-aggregate") {
            Some(head) => format!("{}-aggregate", head.rsplit('-').next().unwrap_or(head)),
            None => layer.strip_prefix("scalar-").unwrap_or(layer).to_string(),
        };
        format!("dd.Scalar<{short}, dtype={}>", self.dtype)
    }
}

/// `a <op> b` on two scalars as numpy would: ints stay ints for `+ - *`, `/` gives a float,
/// comparisons give bools, missing propagates as NaN.
pub fn scalar_op(a: &Scalar, op: BinOp, b: &Scalar) -> Result<Scalar> {
    if let (Scalar::Int(x), Scalar::Int(y)) = (a, b) {
        match op {
            BinOp::Add => {
                return Ok(x
                    .checked_add(*y)
                    .map_or(Scalar::Float(*x as f64 + *y as f64), Scalar::Int))
            }
            BinOp::Sub => {
                return Ok(x
                    .checked_sub(*y)
                    .map_or(Scalar::Float(*x as f64 - *y as f64), Scalar::Int))
            }
            BinOp::Mul => {
                return Ok(x
                    .checked_mul(*y)
                    .map_or(Scalar::Float(*x as f64 * *y as f64), Scalar::Int))
            }
            _ => {}
        }
    }
    let (x, y) = match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x, y),
        _ if matches!(a, Scalar::Null) || matches!(b, Scalar::Null) => (f64::NAN, f64::NAN),
        _ => {
            return Err(Error::value(format!(
                "unsupported operand values for {}: {a:?} and {b:?}",
                op.symbol()
            )))
        }
    };
    Ok(match op {
        BinOp::Add => Scalar::Float(x + y),
        BinOp::Sub => Scalar::Float(x - y),
        BinOp::Mul => Scalar::Float(x * y),
        BinOp::Div => Scalar::Float(x / y),
        BinOp::Pow => Scalar::Float(x.powf(y)),
        BinOp::Eq => Scalar::Bool(x == y),
        BinOp::Ne => Scalar::Bool(x != y),
        BinOp::Lt => Scalar::Bool(x < y),
        BinOp::Le => Scalar::Bool(x <= y),
        BinOp::Gt => Scalar::Bool(x > y),
        BinOp::Ge => Scalar::Bool(x >= y),
        other => {
            return Err(Error::value(format!(
                "operator {} is not supported on scalars",
                other.symbol()
            )))
        }
    })
}

impl DaskScalar {
    /// `self <op> other` (a number or another lazy scalar) as a one-task layer.
    pub fn binary(&self, op: BinOp, other: &Obj, reflected: bool) -> Result<DaskScalar> {
        let mut inputs = vec![LayerInput {
            layer: self.graph.layer.clone(),
            pattern: DepPattern::One(0),
        }];
        let mut graphs = vec![&self.graph];
        let lit = match other.downcast::<DaskScalar>() {
            Some(o) => {
                inputs.push(LayerInput {
                    layer: o.graph.layer.clone(),
                    pattern: DepPattern::One(0),
                });
                graphs.push(&o.graph);
                None
            }
            None => Some(super::series_native::obj_scalar(other).ok_or_else(|| {
                Error::value(format!(
                    "unsupported operand type(s) for {}: 'Scalar' and '{}'",
                    op.symbol(),
                    other.type_name()
                ))
            })?),
        };
        let kernel = super::kernel::PartKernel::arc(None, move |_, inp, _| {
            let a = inp.one(0).as_scalar().cloned().unwrap_or(Scalar::Null);
            let b = match &lit {
                Some(l) => l.clone(),
                None => inp.one(1).as_scalar().cloned().unwrap_or(Scalar::Null),
            };
            let (a, b) = if reflected { (b, a) } else { (a, b) };
            Ok(Value::Scalar(scalar_op(&a, op, &b)?))
        });
        let layer = Layer::new(&format!("scalar-{}", op_name(op)), 1, inputs, kernel);
        let dtype = match op {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                "bool".to_string()
            }
            BinOp::Div | BinOp::Pow => "float64".to_string(),
            _ if self.dtype == "int64" && matches!(other, Obj::Int(_)) => "int64".to_string(),
            _ => "float64".to_string(),
        };
        Ok(DaskScalar {
            graph: Graph::derive(layer, &graphs),
            dtype,
        })
    }
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "truediv",
        BinOp::Pow => "pow",
        _ => "cmp",
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
        // compute/persist come from the interpreter's generic verbs (tracked jobs).
        vec!["dtype".into()]
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
    fn binary_op(
        &self,
        op: BinOp,
        other: &Obj,
        reflected: bool,
        _cx: &mut dyn SessionCtx,
    ) -> Result<Obj> {
        Ok(Obj::native(self.binary(op, other, reflected)?))
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
        Vec::new()
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
