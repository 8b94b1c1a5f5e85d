//! The session-language `DataArray` (a lazy `Native` collection) and helpers shared with
//! [`super::native_ds`] (attributes as dicts, write arguments, running graphs on the engine).

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use super::args::{chunks_arg, dims_arg, encoding_arg, isel_args, sel_args};
use super::arith::Arith;
use super::dataarray::DataArray;
use super::dataset::Dataset;
use super::native_ds::Delayed;
use super::reduce::Reduction;
use super::write::to_netcdf_graph;
use crate::engine::{Graph, Value};
use crate::error::{Error, Result};
use crate::io::netcdf::{fmt_attr, AttributeValue, Attrs};
use crate::lang::{Args, BinOp, Collection, Native, Obj, Output, SessionCtx, UnaryOp};

pub(crate) fn attrs_obj(attrs: &Attrs) -> Obj {
    let v = attrs
        .iter()
        .map(|(k, a)| {
            let val = match a {
                AttributeValue::Str(s) => Obj::str(s.as_str()),
                other => match crate::io::netcdf::attr_f64(other) {
                    Some(x)
                        if matches!(
                            other,
                            AttributeValue::Float(_) | AttributeValue::Double(_)
                        ) =>
                    {
                        Obj::Float(x)
                    }
                    Some(_) if fmt_attr(other).starts_with('[') => Obj::str(fmt_attr(other)),
                    Some(x) => Obj::Int(x as i64),
                    None => Obj::str(fmt_attr(other)),
                },
            };
            (Obj::str(k.as_str()), val)
        })
        .collect();
    Obj::Dict(Arc::new(v))
}

/// Keyword arguments as a dict (`chunk(time=730)` means `chunk({"time": 730})`).
pub(crate) fn kw_dict(args: &Args) -> Obj {
    let kv = args
        .keywords
        .iter()
        .map(|(k, v)| (Obj::str(k.as_str()), v.clone()));
    Obj::Dict(Arc::new(kv.collect()))
}

pub(crate) fn tuple_usize(v: &[usize]) -> Obj {
    Obj::Tuple(Arc::new(v.iter().map(|&n| Obj::Int(n as i64)).collect()))
}

/// A failed job's error, owned (the engine shares it behind an `Arc`).
pub(crate) fn job_error(e: Arc<Error>) -> Error {
    Arc::try_unwrap(e).unwrap_or_else(|e| match &*e {
        Error::Cancelled(m) => Error::Cancelled(m.clone()),
        other => Error::value(other.chain().join(": ")),
    })
}

/// Run a graph on the session's engine and wait for its outputs.
pub fn run(cx: &mut dyn SessionCtx, graph: &Graph, label: &str) -> Result<Vec<Arc<Value>>> {
    cx.engine().compute(graph, label).wait().map_err(job_error)
}

pub(crate) fn reduction_args(op: Reduction, args: &Args) -> Result<Option<Vec<String>>> {
    args.check(op.name(), 1, &["dim", "skipna", "keep_attrs"])?;
    dims_arg(args.get(0, "dim"))
}

/// Destination, per-variable encodings, and whether to compute now.
type WriteArgs = (PathBuf, Vec<(String, super::write::VarEncoding)>, bool);

fn write_args(args: &Args, what: &str) -> Result<WriteArgs> {
    args.check(
        what,
        1,
        &["path", "encoding", "compute", "mode", "format", "engine"],
    )?;
    let path = args
        .get(0, "path")
        .and_then(|p| p.as_str())
        .ok_or_else(|| Error::value("to_netcdf() needs a path"))?;
    let compute = !matches!(args.get(usize::MAX, "compute"), Some(Obj::Bool(false)));
    Ok((
        PathBuf::from(path),
        encoding_arg(args.get(usize::MAX, "encoding"))?,
        compute,
    ))
}

pub(crate) fn finish_write(ds: &Dataset, args: &Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
    let (path, enc, compute) = write_args(args, "to_netcdf")?;
    let graph = to_netcdf_graph(ds, path.clone(), enc)?;
    let delayed = Delayed { graph, path };
    if compute {
        run(
            cx,
            &delayed.graph,
            &format!("to_netcdf {}", delayed.path.display()),
        )?;
        Ok(Obj::None)
    } else {
        Ok(Obj::native(delayed))
    }
}

/// A lazy `DataArray` in the session.
#[derive(Clone)]
pub struct DataArrayObj(pub DataArray);

impl DataArrayObj {
    fn as_dataset(&self) -> Dataset {
        let a = &self.0;
        let dims = a.dims.iter().cloned().zip(a.shape()).collect();
        Dataset {
            dims,
            coords: a.coords.clone(),
            data_vars: vec![a.clone()],
            attrs: Vec::new(),
        }
    }
}

impl Native for DataArrayObj {
    fn type_name(&self) -> &str {
        "DataArray"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(super::repr_lazy::dataarray_text(&self.0)))
    }
    fn get_attr(&self, name: &str, cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        let a = &self.0;
        Ok(Some(match name {
            "name" => a.name.as_ref().map_or(Obj::None, |n| Obj::str(n.as_str())),
            "dims" => Obj::Tuple(Arc::new(
                a.dims.iter().map(|d| Obj::str(d.as_str())).collect(),
            )),
            "shape" => tuple_usize(&a.shape()),
            "size" => Obj::Int(a.size() as i64),
            "ndim" => Obj::Int(a.dims.len() as i64),
            "dtype" => Obj::str(a.dtype.name()),
            "nbytes" => Obj::Int(a.nbytes() as i64),
            "chunks" => Obj::Tuple(Arc::new(
                a.grid.chunks.iter().map(|c| tuple_usize(c)).collect(),
            )),
            "sizes" => Obj::Dict(Arc::new(
                a.dims
                    .iter()
                    .zip(a.shape())
                    .map(|(d, n)| (Obj::str(d.as_str()), Obj::Int(n as i64)))
                    .collect(),
            )),
            "attrs" => attrs_obj(&a.attrs),
            "coords" => Obj::List(Arc::new(
                a.coords.iter().map(|c| Obj::str(c.name.as_str())).collect(),
            )),
            "npartitions" => Obj::Int(a.grid.ntasks() as i64),
            "encoding" => {
                let e = &a.encoding;
                let mut kv = vec![
                    (Obj::str("zlib"), Obj::Bool(e.zlib.is_some())),
                    (Obj::str("complevel"), Obj::Int(e.zlib.unwrap_or(0) as i64)),
                    (Obj::str("shuffle"), Obj::Bool(e.shuffle)),
                ];
                if let Some(c) = &e.chunksizes {
                    kv.push((Obj::str("chunksizes"), tuple_usize(c)));
                }
                if let Some(f) = e.fill {
                    kv.push((Obj::str("_FillValue"), Obj::Float(f)));
                }
                Obj::Dict(Arc::new(kv))
            }
            "values" | "data" => return self.call_method("compute", Args::default(), cx).map(Some),
            _ => return Ok(None),
        }))
    }
    fn attr_names(&self) -> Vec<String> {
        [
            "name",
            "dims",
            "shape",
            "size",
            "ndim",
            "dtype",
            "nbytes",
            "chunks",
            "sizes",
            "attrs",
            "coords",
            "values",
            "encoding",
            "isel",
            "sel",
            "mean",
            "sum",
            "min",
            "max",
            "std",
            "count",
            "chunk",
            // compute and persist come from the language's generic verbs: jobs in the workbench,
            // the memory guard, `force=True`.
            "load",
            "to_netcdf",
        ]
        .map(String::from)
        .to_vec()
    }
    fn call_method(&self, name: &str, args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        let a = &self.0;
        if let Some(op) = Reduction::parse(name) {
            let dims = reduction_args(op, &args)?;
            return Ok(Obj::native(DataArrayObj(a.reduce(op, dims.as_deref())?)));
        }
        match name {
            "isel" => Ok(Obj::native(DataArrayObj(a.isel(&isel_args(&args)?)?))),
            "sel" => {
                let (ls, nearest) = sel_args(&args)?;
                Ok(Obj::native(DataArrayObj(a.sel(&ls, nearest)?)))
            }
            "chunk" => {
                let o = args
                    .get(0, "chunks")
                    .cloned()
                    .unwrap_or_else(|| kw_dict(&args));
                let spec = chunks_arg(Some(&o), &a.dims)?;
                Ok(Obj::native(DataArrayObj(a.rechunk(a.chunk_grid(&spec)?))))
            }
            "compute" | "load" => {
                let parts = run(cx, &a.graph, &format!("compute {}", a.label()))?;
                a.finalize_obj(&parts)
            }
            "persist" => {
                let (g, _job) = cx
                    .engine()
                    .persist(&a.graph, &format!("persist {}", a.label()));
                Ok(self.with_graph(g))
            }
            "to_netcdf" => finish_write(&self.as_dataset(), &args, cx),
            _ => Err(Error::value(format!(
                "'DataArray' object has no attribute '{name}'"
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
        let ar = Arith::from_binop(op).ok_or_else(|| {
            Error::value(format!(
                "unsupported operand for DataArray: {}",
                op.symbol()
            ))
        })?;
        let r = match other {
            Obj::Int(_) | Obj::Bool(_) => {
                self.0
                    .arith_scalar(ar, other.as_f64().unwrap_or(0.0), false, reflected)
            }
            Obj::Float(x) => self.0.arith_scalar(ar, *x, true, reflected),
            o => match o.downcast::<DataArrayObj>() {
                Some(b) => self.0.arith_array(ar, &b.0, reflected)?,
                None => {
                    return Err(Error::value(format!(
                        "unsupported operand type(s) for {}: 'DataArray' and '{}'",
                        op.symbol(),
                        o.type_name()
                    )))
                }
            },
        };
        Ok(Obj::native(DataArrayObj(r)))
    }
    fn unary_op(&self, op: UnaryOp, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        match op {
            UnaryOp::Neg => Ok(Obj::native(DataArrayObj(self.0.arith_scalar(
                Arith::Mul,
                -1.0,
                false,
                false,
            )))),
            _ => Err(Error::value(
                "bad operand type for unary operator: 'DataArray'",
            )),
        }
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize> {
        self.0
            .shape()
            .first()
            .copied()
            .ok_or_else(|| Error::value("len() of unsized object"))
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}

impl Collection for DataArrayObj {
    fn graph(&self) -> &Graph {
        &self.0.graph
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj> {
        self.0.finalize_obj(&parts)
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        let mut a = self.0.clone();
        a.graph = graph;
        Obj::native(DataArrayObj(a))
    }
    fn estimated_nbytes(&self) -> Option<u64> {
        Some(self.0.nbytes())
    }
}
