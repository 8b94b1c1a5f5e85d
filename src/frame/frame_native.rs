//! `DaskFrame` in the session language: attributes, methods, `ddf[...]`, `len(ddf)` and the
//! [`Collection`] hooks the generic `compute`/`persist` verbs use.

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::format::dtype_name;
use super::native::{compute, persist, run_graph, str_list, str_or_list};
use super::reduce::Agg;
use super::series::DaskSeries;
use super::value::{Index, SeriesValue};
use crate::engine::{Graph, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, Collection, Native, Obj, Output, SessionCtx};

const METHODS: [&str; 20] = [
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
    "describe",
    "dropna",
    "nlargest",
    "nsmallest",
    "groupby",
    "to_parquet",
    "to_csv",
    "repartition",
    "columns",
    "dtypes",
];

/// `len(ddf)`-like totals: known lengths, or a computed tree sum.
pub fn total_len(
    lens: Option<&Arc<Vec<u64>>>,
    g: &Graph,
    cx: &mut dyn SessionCtx,
) -> Result<usize> {
    if let Some(l) = lens {
        return Ok(l.iter().sum::<u64>() as usize);
    }
    let out = run_graph(cx, &super::collection::len_graph(g), "len")?;
    match out.first().map(|v| &**v) {
        Some(Value::Scalar(Scalar::Int(n))) => Ok(*n as usize),
        _ => Err(Error::value("internal: len computed to a non-integer")),
    }
}

/// How many leading partitions hold at least `n` rows, when lengths are known.
pub fn parts_for_rows(lens: &[u64], n: usize) -> u32 {
    let mut acc = 0u64;
    for (i, l) in lens.iter().enumerate() {
        acc += l;
        if acc as usize >= n {
            return i as u32 + 1;
        }
    }
    lens.len().max(1) as u32
}

impl DaskFrame {
    /// `ddf.head(n, npartitions=1)`: computes only the partitions it needs (the engine culls the rest).
    /// When the first partitions are too short, warns as Dask does and reads every partition.
    pub fn head(
        &self,
        n: usize,
        npartitions: i64,
        cx: &mut dyn SessionCtx,
    ) -> Result<super::value::FrameValue> {
        let all = self.npartitions();
        let k = match (&self.lens, npartitions) {
            (_, p) if p < 0 => all,
            (Some(l), _) => parts_for_rows(l, n).max(npartitions as u32),
            (None, p) => p.max(1) as u32,
        };
        let mut k = k.clamp(1, all.max(1));
        let mut warned = false;
        loop {
            let out = run_graph(cx, &self.head_graph(n, k), "head")?;
            let v = self.head_value(&out[0])?;
            if v.df.height() >= n || k >= all {
                return Ok(v);
            }
            if !warned {
                warned = true;
                cx.emit(Output::Text(format!(
                    "UserWarning: Insufficient elements for `head`. {n} elements requested, only {} elements \
                     available in the first {k} partition(s); reading more partitions.",
                    v.df.height()
                )));
            }
            // Double the partitions read: at most twice the work of knowing the right count upfront.
            k = (k * 2).min(all);
        }
    }

    fn dtypes_value(&self) -> SeriesValue {
        let names: Vec<&str> = self.schema.iter_names().map(|s| s.as_str()).collect();
        let types: Vec<String> = self.schema.iter().map(|(_, d)| dtype_name(d)).collect();
        SeriesValue::new(
            Series::new("".into(), types),
            Index::Labels(Series::new("".into(), names)),
        )
    }

    fn to_parquet(&self, args: &Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        args.check(
            "to_parquet",
            1,
            &["path", "overwrite", "compute", "write_index", "engine"],
        )?;
        let path = args
            .get(0, "path")
            .and_then(Obj::as_str)
            .ok_or_else(|| Error::value("to_parquet() needs a path"))?;
        let overwrite = matches!(args.get(99, "overwrite"), Some(Obj::Bool(true)));
        let do_compute = !matches!(args.get(99, "compute"), Some(Obj::Bool(false)));
        let g = super::export::to_parquet_graph(self, Path::new(path), overwrite)?;
        if !do_compute {
            return Ok(Obj::native(super::scalar::DelayedExport { graph: g }));
        }
        super::export::run_export(&g, cx)?;
        Ok(Obj::None)
    }

    fn to_csv(&self, args: &Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        args.check("to_csv", 1, &["filename", "index", "compute"])?;
        let target = args
            .get(0, "filename")
            .and_then(Obj::as_str)
            .ok_or_else(|| Error::value("to_csv() needs a directory or a name with '*'"))?;
        let index = !matches!(args.get(99, "index"), Some(Obj::Bool(false)));
        let g = super::export::to_csv_graph(self, target, index)?;
        if matches!(args.get(99, "compute"), Some(Obj::Bool(false))) {
            return Ok(Obj::native(super::scalar::DelayedExport { graph: g }));
        }
        let out = super::export::run_export(&g, cx)?;
        let names = out.iter().filter_map(|v| match &**v {
            Value::Scalar(Scalar::Str(s)) => Some(Obj::str(s.as_str())),
            _ => None,
        });
        Ok(Obj::List(Arc::new(names.collect())))
    }
}

impl Collection for DaskFrame {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj> {
        Ok(Obj::native(self.finalize_parts(&parts)?))
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(DaskFrame {
            graph,
            source: None,
            ..self.clone()
        })
    }
    /// Rows known from metadata times 8 bytes per column (strings count the same: a rough guide).
    fn estimated_nbytes(&self) -> Option<u64> {
        let rows: u64 = self.lens.as_ref()?.iter().sum();
        Some(rows * (self.schema.len() as u64 + self.keyed.is_some() as u64) * 8)
    }
}

impl Native for DaskFrame {
    fn type_name(&self) -> &str {
        "DataFrame"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(self.structure()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        Ok(match name {
            "columns" => Some(str_list(self.schema.iter_names().map(|s| s.as_str()))),
            "dtypes" => Some(Obj::native(self.dtypes_value())),
            "npartitions" => Some(Obj::Int(self.npartitions() as i64)),
            _ if self.keyed.is_none()
                && self.schema.get(name).is_some()
                && !METHODS.contains(&name) =>
            {
                Some(Obj::native(self.column(name)?))
            }
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
        v.push("npartitions".into());
        v.extend(self.columns());
        v
    }
    fn call_method(&self, name: &str, args: Args, cx: &mut dyn SessionCtx) -> Result<Obj> {
        if let Some(agg) = Agg::parse(name) {
            args.check(name, 0, &["split_every", "numeric_only", "skipna"])?;
            return Ok(Obj::native(self.reduce(agg)?));
        }
        match name {
            "head" => {
                args.check("head", 2, &["n", "npartitions", "compute"])?;
                let n = args.opt(0, "n").and_then(Obj::as_i64).unwrap_or(5).max(0) as usize;
                let np = args
                    .opt(1, "npartitions")
                    .and_then(Obj::as_i64)
                    .unwrap_or(1);
                Ok(Obj::native(self.head(n, np, cx)?))
            }
            "compute" => compute(self, cx, "compute"),
            "persist" => Ok(persist(self, cx, "persist")),
            "describe" => Ok(Obj::native(super::describe::describe(self)?)),
            "nlargest" | "nsmallest" => {
                args.check(name, 2, &["n", "columns"])?;
                let n = args.opt(0, "n").and_then(Obj::as_i64).unwrap_or(5).max(0) as usize;
                let by = args
                    .opt(1, "columns")
                    .and_then(Obj::as_str)
                    .ok_or_else(|| Error::value(format!("{name}() needs columns='name'")))?;
                Ok(Obj::native(self.top(n, by, name == "nlargest")?))
            }
            "dropna" => {
                args.check("dropna", 0, &["subset", "how"])?;
                if matches!(args.get(99, "how"), Some(Obj::Str(h)) if &**h != "any") {
                    return Err(Error::value("dropna(): only how='any' is supported"));
                }
                let subset = args
                    .opt(99, "subset")
                    .map(|s| str_or_list(s, "subset"))
                    .transpose()?;
                Ok(Obj::native(self.dropna(subset)?))
            }
            "groupby" => {
                args.check("groupby", 1, &["by", "sort", "dropna"])?;
                let by = args
                    .get(0, "by")
                    .ok_or_else(|| Error::value("groupby() needs a column name"))?;
                let by = by.as_str().ok_or_else(|| {
                    Error::value("groupby(by): only one column name is supported")
                })?;
                Ok(Obj::native(super::groupby::GroupBy::new(self, by)?))
            }
            "to_parquet" => self.to_parquet(&args, cx),
            "to_csv" => self.to_csv(&args, cx),
            "repartition" => {
                args.check("repartition", 0, &["npartitions"])?;
                let k = args
                    .opt(0, "npartitions")
                    .and_then(Obj::as_i64)
                    .ok_or_else(|| Error::value("repartition() needs npartitions=k"))?;
                Ok(Obj::native(self.repartition(k.max(0) as u32)?))
            }
            _ => Err(Error::value(format!(
                "'DataFrame' object has no attribute '{name}'{}",
                crate::lang::object::closest(name, METHODS.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default()
            ))),
        }
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        match key {
            Obj::Str(s) => Ok(Obj::native(self.column(s)?)),
            Obj::List(_) | Obj::Tuple(_) => {
                Ok(Obj::native(self.select(&str_or_list(key, "ddf[[...]]")?)?))
            }
            other => match other.downcast::<DaskSeries>() {
                Some(mask) => Ok(Obj::native(self.filter(mask)?)),
                None => Err(Error::value(format!(
                    "ddf[...] takes a column name, a list of names or a boolean series, not {}",
                    other.type_name()
                ))),
            },
        }
    }
    fn len(&self, cx: &mut dyn SessionCtx) -> Result<usize> {
        total_len(self.lens.as_ref(), &self.graph, cx)
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}
