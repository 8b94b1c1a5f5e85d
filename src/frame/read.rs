//! `read_csv` and `read_parquet`: plan partitions from metadata only (the IO layer reads the first
//! file's head for the schema) and build one read task per partition, each naming its file.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::io::{
    plan_csv, plan_parquet, read_csv_part, read_parquet_part, CsvOptions, CsvSource, ParquetSource,
};
use super::native::str_or_list;
use crate::engine::{Graph, Inputs, Kernel, Layer, TaskContext, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, Obj, SessionCtx};

/// Dask's default `blocksize` for `read_csv` (64 MiB).
pub const DEFAULT_BLOCKSIZE: u64 = 64 << 20;

struct ReadCsv(Arc<CsvSource>);

impl Kernel for ReadCsv {
    fn run(&self, index: u32, _inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        Ok(Value::Frame(read_csv_part(
            &self.0,
            index as usize,
            ctx.cancel,
        )?))
    }
    fn describe(&self, index: u32) -> Option<String> {
        self.0
            .parts
            .get(index as usize)
            .map(|p| p.path.display().to_string())
    }
}

struct ReadParquet {
    src: Arc<ParquetSource>,
    columns: Option<Vec<String>>,
}

impl Kernel for ReadParquet {
    fn run(&self, index: u32, _inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        Ok(Value::Frame(read_parquet_part(
            &self.src,
            index as usize,
            self.columns.as_deref(),
        )?))
    }
    fn describe(&self, index: u32) -> Option<String> {
        self.src
            .files
            .get(index as usize)
            .map(|p| p.display().to_string())
    }
}

/// A planned source behind a plain read frame (for projection pushdown).
#[derive(Clone)]
pub enum Source {
    Csv(Arc<CsvSource>),
    Parquet(Arc<ParquetSource>),
    /// Rows of a planned source where a partition-aligned boolean mask holds (`ddf[ddf.x > 1]`):
    /// a projection re-plans the read with fewer columns and filters it with the same mask, so a
    /// filter followed by a selection or a group-by parses only the columns the query uses.
    Filtered(Box<Source>, Box<super::series::DaskSeries>),
}

/// A frame over a planned CSV source.
pub fn csv_frame(src: CsvSource) -> DaskFrame {
    let schema = src.schema.clone();
    let n = src.parts.len() as u32;
    let src = Arc::new(src);
    let layer = Layer::new("read-csv", n, Vec::new(), Arc::new(ReadCsv(src.clone())));
    let mut f = DaskFrame::new(Graph::new(layer), schema);
    f.source = Some(Source::Csv(src));
    f
}

/// A frame over a planned Parquet source (partition lengths known from the footers). `columns` are
/// the columns read, as in `src.schema`.
pub fn parquet_frame(src: ParquetSource, columns: Option<Vec<String>>) -> DaskFrame {
    let schema = src.schema.clone();
    let lens = Arc::new(src.rows.clone());
    let n = src.files.len() as u32;
    let src = Arc::new(src);
    let layer = Layer::new(
        "read-parquet",
        n,
        Vec::new(),
        Arc::new(ReadParquet {
            src: src.clone(),
            columns,
        }),
    );
    let mut f = DaskFrame::new(Graph::new(layer), schema);
    f.lens = Some(lens);
    f.source = Some(Source::Parquet(src));
    f
}

/// The same read with only `cols` (which the caller has checked exist). CSV keeps the file's column
/// order (as pandas' `usecols`); the caller's selection layer reorders.
pub fn project(src: &Source, cols: &[String]) -> Result<DaskFrame> {
    let keep = |schema: &Schema| -> Schema {
        schema
            .iter()
            .filter(|(n, _)| cols.iter().any(|c| c == n.as_str()))
            .map(|(n, d)| Field::new(n.clone(), d.clone()))
            .collect()
    };
    match src {
        Source::Csv(s) => {
            let schema = keep(&s.schema);
            let usecols = schema.iter_names().map(|n| n.to_string()).collect();
            Ok(csv_frame(CsvSource {
                parts: s.parts.clone(),
                schema,
                header: s.header.clone(),
                options: CsvOptions {
                    usecols: Some(usecols),
                    ..s.options.clone()
                },
            }))
        }
        Source::Parquet(s) => {
            let schema = keep(&s.schema);
            let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
            let src = ParquetSource {
                files: s.files.clone(),
                schema,
                rows: s.rows.clone(),
            };
            Ok(parquet_frame(src, Some(columns)))
        }
        Source::Filtered(inner, mask) => project(inner, cols)?.filter(mask),
    }
}

/// `"64MB"`, `"1 MiB"`, `1000000` as bytes.
pub fn parse_bytes(o: &Obj) -> Result<u64> {
    if let Some(i) = o.as_i64() {
        return u64::try_from(i).map_err(|_| Error::value("blocksize must be positive"));
    }
    let s = o.as_str().ok_or_else(|| {
        Error::value("blocksize: expected a number of bytes or a string like '64MB'")
    })?;
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num
        .parse()
        .map_err(|_| Error::value(format!("blocksize: cannot read {s:?}")))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        u => {
            return Err(Error::value(format!(
                "blocksize: unknown unit {u:?} in {s:?}"
            )))
        }
    };
    Ok((x * mult) as u64)
}

/// A pandas dtype name as a polars dtype.
pub fn parse_dtype(name: &str) -> Result<DataType> {
    Ok(match name {
        "float64" | "float" | "f8" => DataType::Float64,
        "float32" | "f4" => DataType::Float32,
        "int64" | "int" | "i8" | "Int64" => DataType::Int64,
        "int32" | "i4" => DataType::Int32,
        "object" | "str" | "string" => DataType::String,
        "bool" | "boolean" => DataType::Boolean,
        other => {
            return Err(Error::value(format!(
            "dtype {other:?} is not supported (use float64, int64, int32, float32, object, bool)"
        )))
        }
    })
}

fn read_csv_builtin(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
    args.check(
        "read_csv",
        1,
        &[
            "urlpath",
            "blocksize",
            "dtype",
            "usecols",
            "sep",
            "delimiter",
            "sample",
        ],
    )?;
    let pattern = args
        .get(0, "urlpath")
        .and_then(Obj::as_str)
        .ok_or_else(|| Error::value("read_csv() needs a path or glob pattern"))?;
    let blocksize = match args.get(1, "blocksize") {
        None => Some(DEFAULT_BLOCKSIZE),
        Some(Obj::None) => None,
        Some(o) => Some(parse_bytes(o)?),
    };
    let mut opts = CsvOptions {
        blocksize,
        ..CsvOptions::default()
    };
    if let Some(d) = args.opt(99, "dtype") {
        let Obj::Dict(items) = d else {
            return Err(Error::value(
                "dtype: expected a dict of column name to dtype",
            ));
        };
        let mut map = HashMap::new();
        for (k, v) in items.iter() {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                return Err(Error::value("dtype: expected {'column': 'float64', ...}"));
            };
            map.insert(k.to_string(), parse_dtype(v)?);
        }
        opts.dtype = map;
    }
    if let Some(u) = args.opt(99, "usecols") {
        opts.usecols = Some(str_or_list(u, "usecols")?);
    }
    if let Some(s) = args.opt(99, "sep").or_else(|| args.opt(99, "delimiter")) {
        let s = s.as_str().unwrap_or_default();
        if s.len() != 1 {
            return Err(Error::value(format!(
                "sep must be one character, got {s:?}"
            )));
        }
        opts.sep = s.as_bytes()[0];
    }
    if let Some(s) = args.opt(99, "sample") {
        opts.sample_bytes = parse_bytes(s)? as usize;
    }
    Ok(Obj::native(csv_frame(plan_csv(pattern, opts)?)))
}

fn read_parquet_builtin(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
    args.check("read_parquet", 2, &["path", "columns"])?;
    let path = args
        .get(0, "path")
        .and_then(Obj::as_str)
        .ok_or_else(|| Error::value("read_parquet() needs a path"))?;
    let columns = args
        .opt(1, "columns")
        .map(|c| str_or_list(c, "columns"))
        .transpose()?;
    let src = plan_parquet(path, columns.as_deref())?;
    Ok(Obj::native(parquet_frame(src, columns)))
}

/// The builtins of this module, for the interpreter.
pub fn builtins() -> Vec<(&'static str, crate::lang::BuiltinFn)> {
    vec![
        ("read_csv", read_csv_builtin as crate::lang::BuiltinFn),
        ("read_parquet", read_parquet_builtin),
    ]
}
