//! The session-language `Dataset`, delayed writes, and the builtins `open_dataset`,
//! `open_mfdataset` and `format_bytes`.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use super::args::{chunks_arg, isel_args, sel_args};
use super::dataset::Dataset;
use super::native::{attrs_obj, finish_write, kw_dict, reduction_args, tuple_usize, DataArrayObj};
use super::open::{expand, open_mfdataset, Combine, OpenOptions};
use super::reduce::Reduction;
use super::repr::format_bytes;
use crate::engine::{Graph, JobKind, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, Collection, Native, Obj, Output, SessionCtx};

/// A lazy `Dataset` in the session.
#[derive(Clone)]
pub struct DatasetObj(pub Dataset, Graph);

impl DatasetObj {
    pub fn new(ds: Dataset) -> DatasetObj {
        let g = ds.combined_graph();
        DatasetObj(ds, g)
    }
}

impl Native for DatasetObj {
    fn type_name(&self) -> &str {
        "Dataset"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(super::repr_lazy::dataset_text(&self.0)))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        let d = &self.0;
        let names = |v: Vec<&str>| Obj::List(Arc::new(v.into_iter().map(Obj::str).collect()));
        Ok(Some(match name {
            "dims" | "sizes" => Obj::Dict(Arc::new(
                d.dims
                    .iter()
                    .map(|(k, n)| (Obj::str(k.as_str()), Obj::Int(*n as i64)))
                    .collect(),
            )),
            "nbytes" => Obj::Int(d.nbytes() as i64),
            "attrs" => attrs_obj(&d.attrs),
            "coords" => names(d.coords.iter().map(|c| c.name.as_str()).collect()),
            "data_vars" => names(
                d.data_vars
                    .iter()
                    .filter_map(|v| v.name.as_deref())
                    .collect(),
            ),
            "chunks" => Obj::Dict(Arc::new(
                d.dims
                    .iter()
                    .filter_map(|(k, _)| {
                        let v = d.data_vars.iter().find_map(|v| {
                            v.dims
                                .iter()
                                .position(|x| x == k)
                                .map(|i| v.grid.chunks[i].clone())
                        })?;
                        Some((Obj::str(k.as_str()), tuple_usize(&v)))
                    })
                    .collect(),
            )),
            other => match d
                .data_vars
                .iter()
                .find(|v| v.name.as_deref() == Some(other))
            {
                Some(v) => Obj::native(DataArrayObj(v.clone())),
                None => match d.coord(other) {
                    Some(c) => Obj::native(DataArrayObj(super::repr_lazy::coord_array(c))),
                    None => return Ok(None),
                },
            },
        }))
    }
    fn attr_names(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            "dims",
            "sizes",
            "nbytes",
            "attrs",
            "coords",
            "data_vars",
            "chunks",
            "isel",
            "sel",
            "chunk",
            "mean",
            "sum",
            "min",
            "max",
            "std",
            "count",
            "to_netcdf",
            // compute and persist come from the language's generic verbs: jobs in the workbench,
            // the memory guard, `force=True`.
            "load",
        ]
        .map(String::from)
        .to_vec();
        v.extend(self.0.data_vars.iter().filter_map(|x| x.name.clone()));
        v.extend(self.0.coords.iter().map(|c| c.name.clone()));
        v
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        let k = key
            .as_str()
            .ok_or_else(|| Error::value("Dataset keys are variable names"))?;
        if let Some(c) = self.0.coord(k) {
            return Ok(Obj::native(DataArrayObj(super::repr_lazy::coord_array(c))));
        }
        Ok(Obj::native(DataArrayObj(self.0.var(k)?.clone())))
    }
    fn call_method(&self, name: &str, args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        let d = &self.0;
        if let Some(op) = Reduction::parse(name) {
            let dims = reduction_args(op, &args)?;
            return Ok(Obj::native(DatasetObj::new(d.reduce(op, dims.as_deref())?)));
        }
        match name {
            "isel" => Ok(Obj::native(DatasetObj::new(d.isel(&isel_args(&args)?)?))),
            "sel" => {
                let (ls, nearest) = sel_args(&args)?;
                Ok(Obj::native(DatasetObj::new(d.sel(&ls, nearest)?)))
            }
            "chunk" => {
                let o = args
                    .get(0, "chunks")
                    .cloned()
                    .unwrap_or_else(|| kw_dict(&args));
                Ok(Obj::native(DatasetObj::new(
                    d.chunk(&chunks_arg(Some(&o), &d.dim_names())?)?,
                )))
            }
            "to_netcdf" => finish_write(d, &args, cx),
            _ => Err(Error::value(format!(
                "'Dataset' object has no attribute '{name}'"
            ))),
        }
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize> {
        Ok(self.0.data_vars.len())
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}

impl Collection for DatasetObj {
    fn graph(&self) -> &Graph {
        &self.1
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj> {
        Ok(Obj::native(DatasetObj::new(self.0.from_parts(parts)?)))
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(DatasetObj(self.0.with_combined(&graph), graph))
    }
    fn estimated_nbytes(&self) -> Option<u64> {
        Some(self.0.nbytes())
    }
}

/// A write not yet run (`to_netcdf(..., compute=False)`): `job.compute()` runs it.
#[derive(Clone)]
pub struct Delayed {
    pub graph: Graph,
    pub path: PathBuf,
}

impl Native for Delayed {
    fn type_name(&self) -> &str {
        "Delayed"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(format!(
            "Delayed('{}') -> {} ({} tasks)",
            self.graph.layer.name,
            self.path.display(),
            self.graph.layer.total_tasks()
        )))
    }
    fn call_method(&self, name: &str, _args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        match name {
            "compute" => {
                let h = cx.engine().submit(
                    std::slice::from_ref(&self.graph),
                    JobKind::Export,
                    &format!("to_netcdf {}", self.path.display()),
                );
                h.wait().map_err(super::native::job_error)?;
                Ok(Obj::None)
            }
            _ => Err(Error::value(format!(
                "'Delayed' object has no attribute '{name}'"
            ))),
        }
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}

impl Collection for Delayed {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, _parts: Vec<Arc<Value>>) -> Result<Obj> {
        Ok(Obj::None)
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(Delayed {
            graph,
            path: self.path.clone(),
        })
    }
}

fn open_opts(args: &Args, dims_hint: &[String]) -> Result<OpenOptions> {
    let combine = match args.get(usize::MAX, "combine").and_then(|c| c.as_str()) {
        None | Some("by_coords") => Combine::ByCoords,
        Some("nested") => Combine::Nested,
        Some(o) => {
            return Err(Error::value(format!(
                "combine must be \"by_coords\" or \"nested\", not '{o}'"
            )))
        }
    };
    let concat_dim = args
        .get(usize::MAX, "concat_dim")
        .and_then(|c| c.as_str())
        .unwrap_or("time")
        .to_string();
    Ok(OpenOptions {
        chunks: chunks_arg(args.get(1, "chunks"), dims_hint)?,
        concat_dim,
        combine,
    })
}

fn paths_arg(o: Option<&Obj>) -> Result<Vec<PathBuf>> {
    match o {
        Some(Obj::Str(s)) => expand(s),
        Some(Obj::List(v)) | Some(Obj::Tuple(v)) => {
            let mut out = Vec::new();
            for p in v.iter() {
                out.extend(expand(
                    p.as_str()
                        .ok_or_else(|| Error::value("paths must be strings"))?,
                )?);
            }
            Ok(out)
        }
        _ => Err(Error::value(
            "expected a path, a glob pattern or a list of paths",
        )),
    }
}

fn open_with(args: Args, func: &str) -> Result<Obj> {
    args.check(
        func,
        2,
        &[
            "paths",
            "filename_or_obj",
            "chunks",
            "concat_dim",
            "combine",
            "parallel",
            "engine",
            "decode_times",
            "data_vars",
            "coords",
            "compat",
        ],
    )?;
    let paths = paths_arg(
        args.get(0, "paths")
            .or_else(|| args.get(0, "filename_or_obj")),
    )?;
    if func == "open_dataset" && paths.len() != 1 {
        return Err(Error::value(format!(
            "open_dataset: {} files match; use open_mfdataset",
            paths.len()
        )));
    }
    // "auto"/int chunks for every dim need the dim names: read them from the first file.
    let dims: Vec<String> = match args.get(1, "chunks") {
        Some(Obj::Str(_)) | Some(Obj::Int(_)) => crate::io::netcdf::read_meta(&paths[0])?
            .dims
            .into_iter()
            .map(|d| d.name)
            .collect(),
        _ => Vec::new(),
    };
    let opts = open_opts(&args, &dims)?;
    Ok(Obj::native(DatasetObj::new(open_mfdataset(&paths, &opts)?)))
}

fn b_open_mfdataset(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
    open_with(args, "open_mfdataset")
}
fn b_open_dataset(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
    open_with(args, "open_dataset")
}
fn b_format_bytes(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
    args.check("format_bytes", 1, &["n"])?;
    let n = args
        .get(0, "n")
        .and_then(Obj::as_f64)
        .ok_or_else(|| Error::value("format_bytes() needs a number"))?;
    Ok(Obj::str(format_bytes(n.max(0.0) as u64)))
}

pub fn builtins() -> Vec<(&'static str, crate::lang::BuiltinFn)> {
    vec![
        ("open_dataset", b_open_dataset),
        ("open_mfdataset", b_open_mfdataset),
        ("format_bytes", b_format_bytes),
    ]
}
