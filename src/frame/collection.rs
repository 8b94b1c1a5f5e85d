//! The partitioned data frame (Dask's `dd.DataFrame`): a graph whose output tasks are polars frames, plus
//! the metadata (columns, dtypes, known partition lengths) that lets every operation build its layer
//! without reading data.

use std::sync::Arc;

use polars::prelude::*;

use super::format::{dtype_name, render};
use super::kernel::{blockwise, explicit, frame, map_parts, series, tree_reduce};
use super::native::pl;
use super::read::Source;
use super::reduce::{scalars_to_series, Agg, FrameAcc};
use super::series::DaskSeries;
use super::value::{FrameValue, Index};
use crate::engine::{Graph, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::{Obj, Table};

/// A lazy partitioned frame. Invariant: every output task of `graph` yields a `Value::Frame` whose
/// columns are `schema` (preceded by the index column when `keyed` is set).
#[derive(Clone)]
pub struct DaskFrame {
    pub graph: Graph,
    pub schema: Arc<Schema>,
    /// Name of the index column leading every partition (aggregated results: group keys, statistics).
    pub keyed: Option<String>,
    /// Rows per partition when known without computing (Parquet metadata).
    pub lens: Option<Arc<Vec<u64>>>,
    /// The planned source when `graph` is exactly its read layer (or that read filtered by a mask):
    /// column selections and group-bys re-plan the read with fewer columns (projection pushdown)
    /// instead of reading everything.
    pub source: Option<super::read::Source>,
}

/// Concatenate partition frames (an empty list gives an empty frame of `schema`).
pub fn concat_frames(parts: &[&DataFrame], schema: &Schema) -> Result<DataFrame> {
    let Some(first) = parts.first() else {
        return Ok(DataFrame::empty_with_schema(schema));
    };
    let mut acc = (*first).clone();
    for p in &parts[1..] {
        acc.vstack_mut(p)
            .map_err(|e| pl("concatenating partitions", e))?;
    }
    Ok(acc)
}

impl DaskFrame {
    pub fn new(graph: Graph, schema: Schema) -> Self {
        DaskFrame {
            graph,
            schema: Arc::new(schema),
            keyed: None,
            lens: None,
            source: None,
        }
    }
    pub fn npartitions(&self) -> u32 {
        self.graph.ntasks()
    }
    pub fn columns(&self) -> Vec<String> {
        self.schema.iter_names().map(|s| s.to_string()).collect()
    }
    fn plain(&self, what: &str) -> Result<()> {
        match &self.keyed {
            Some(_) => Err(Error::value(format!(
                "{what} is not supported on an aggregated result; call .compute() first"
            ))),
            None => Ok(()),
        }
    }
    fn check_column(&self, name: &str) -> Result<DataType> {
        self.schema.get(name).cloned().ok_or_else(|| {
            let hint =
                crate::lang::object::closest(name, self.schema.iter_names().map(|s| s.as_str()))
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
            Error::value(format!(
                "KeyError: '{name}': not a column of this DataFrame{hint}"
            ))
        })
    }

    /// This frame reading only `cols` when it is a plain read (projection pushdown), else itself.
    pub fn projected(&self, cols: &[String]) -> DaskFrame {
        match &self.source {
            // A plan that cannot be rebuilt (it always can: the mask was checked when it was made)
            // falls back to reading everything.
            Some(src) => super::read::project(src, cols).unwrap_or_else(|_| self.clone()),
            None => self.clone(),
        }
    }

    /// `ddf[["a", "b"]]`.
    pub fn select(&self, cols: &[String]) -> Result<DaskFrame> {
        self.plain("column selection")?;
        let mut schema = Schema::default();
        for c in cols {
            schema.with_column(c.as_str().into(), self.check_column(c)?);
        }
        let names = cols.to_vec();
        let base = self.projected(cols);
        let g = map_parts("getitem", &base.graph, move |v, _| {
            Ok(Value::Frame(
                frame(v)?
                    .select(names.iter().map(String::as_str))
                    .map_err(|e| pl("selecting columns", e))?,
            ))
        });
        Ok(DaskFrame {
            graph: g,
            schema: Arc::new(schema),
            keyed: None,
            lens: self.lens.clone(),
            source: None,
        })
    }

    /// `ddf["a"]`.
    pub fn column(&self, name: &str) -> Result<DaskSeries> {
        self.plain("column selection")?;
        let dtype = self.check_column(name)?;
        let n = name.to_string();
        let base = self.projected(std::slice::from_ref(&n));
        let g = map_parts("getitem", &base.graph, move |v, _| {
            let c = frame(v)?
                .column(&n)
                .map_err(|e| pl("selecting a column", e))?;
            Ok(Value::Series(c.as_materialized_series().clone()))
        });
        Ok(DaskSeries {
            graph: g,
            name: name.into(),
            dtype,
            keyed: None,
            lens: self.lens.clone(),
        })
    }

    /// `ddf[mask]`: rows where the partition-aligned boolean series is True.
    pub fn filter(&self, mask: &DaskSeries) -> Result<DaskFrame> {
        self.plain("boolean filtering")?;
        if mask.dtype != DataType::Boolean {
            return Err(Error::value(format!(
                "ddf[mask]: the mask must be boolean, got {}",
                dtype_name(&mask.dtype)
            )));
        }
        if mask.npartitions() != self.npartitions() || mask.keyed.is_some() {
            return Err(Error::value(format!(
                "ddf[mask]: the mask has {} partitions but the frame {}: both must come from the same frame",
                mask.npartitions(),
                self.npartitions()
            )));
        }
        let g = blockwise("getitem", &[&self.graph, &mask.graph], |i, inp, _| {
            let df = frame(inp.one(0))?;
            let m = series(inp.one(1))?;
            if m.len() != df.height() {
                return Err(Error::value(format!(
                    "partition {i}: mask of {} rows for a partition of {} rows (not aligned)",
                    m.len(),
                    df.height()
                )));
            }
            let m = m.bool().map_err(|e| pl("mask", e))?;
            Ok(Value::Frame(
                df.filter(m).map_err(|e| pl("filtering rows", e))?,
            ))
        });
        Ok(DaskFrame {
            graph: g,
            schema: self.schema.clone(),
            keyed: None,
            lens: None,
            source: self
                .source
                .clone()
                .map(|src| Source::Filtered(Box::new(src), Box::new(mask.clone()))),
        })
    }

    /// A one-task graph yielding a `Value::List` of the first `n` rows taken from partitions `0..k`.
    pub fn head_graph(&self, n: usize, k: u32) -> Graph {
        let k = k.clamp(1, self.npartitions().max(1));
        explicit(
            "head",
            &self.graph,
            vec![(0..k).collect()],
            move |_, inp, _| {
                let mut left = n;
                let mut out = Vec::new();
                for v in inp.group(0) {
                    let df = frame(v)?;
                    let take = df.height().min(left);
                    out.push(Value::Frame(df.head(Some(take))));
                    left -= take;
                    if left == 0 {
                        break;
                    }
                }
                Ok(Value::List(out))
            },
        )
    }

    /// The concrete head from the computed head graph.
    pub fn head_value(&self, head_out: &Value) -> Result<FrameValue> {
        let parts: Vec<&DataFrame> = match head_out {
            Value::List(v) => v.iter().map(frame).collect::<Result<_>>()?,
            other => vec![frame(other)?],
        };
        let lens: Vec<u64> = parts.iter().map(|d| d.height() as u64).collect();
        self.concrete(concat_frames(&parts, &self.full_schema())?, lens)
    }

    /// Schema of the partitions including the index column of keyed frames.
    fn full_schema(&self) -> Schema {
        let mut s = Schema::default();
        if let Some(k) = &self.keyed {
            s.with_column(k.as_str().into(), DataType::String);
        }
        for (n, d) in self.schema.iter() {
            s.with_column(n.clone(), d.clone());
        }
        s
    }

    /// A concrete frame from concatenated partitions (splitting off the index of keyed frames).
    pub fn concrete(&self, mut df: DataFrame, lens: Vec<u64>) -> Result<FrameValue> {
        if self.keyed.is_some() && df.width() > 0 {
            let first = df.get_column_names()[0].to_string();
            let idx = df.drop_in_place(&first).map_err(|e| pl("index", e))?;
            return Ok(FrameValue::new(
                df,
                Index::Labels(idx.as_materialized_series().clone()),
            ));
        }
        Ok(FrameValue::new(df, Index::Parts(lens)))
    }

    /// A graph yielding `Scalar::Int(total rows)`, or the known total.
    pub fn len_graph(&self) -> Graph {
        len_graph(&self.graph)
    }

    /// `ddf.sum()` etc.: per-column results as a one-partition series indexed by column name.
    pub fn reduce(&self, agg: Agg) -> Result<DaskSeries> {
        self.plain(agg.name())?;
        let cols: Vec<(String, DataType)> = self
            .schema
            .iter()
            .filter(|(_, d)| agg.accepts(d) && !(d.is_string() && agg != Agg::Count))
            .map(|(n, d)| (n.to_string(), d.clone()))
            .collect();
        // pandas: ints and floats together give float64; all ints stay int64.
        let out_types: Vec<DataType> = cols.iter().map(|(_, d)| agg.out_dtype(d)).collect();
        let out_dtype = if out_types.iter().all(|d| d == &DataType::Int64) && !out_types.is_empty()
        {
            DataType::Int64
        } else if out_types.iter().all(|d| d == &DataType::Boolean) && !out_types.is_empty() {
            DataType::Boolean
        } else {
            DataType::Float64
        };
        let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
        let dt = out_dtype.clone();
        let g = tree_reduce(
            &format!("dataframe-{}", agg.name()),
            &self.graph,
            move |v, ctx| {
                ctx.cancel.check()?;
                Ok(super::kernel::opaque(FrameAcc::of(frame(v)?, &names)?))
            },
            merge_accs,
            move |v| {
                let acc = super::kernel::partial::<FrameAcc>(&v)?;
                let labels: Vec<&str> = acc.cols.iter().map(|(n, _, _)| n.as_str()).collect();
                let vals: Vec<Scalar> = acc.cols.iter().map(|(_, d, a)| a.finish(agg, d)).collect();
                let values = scalars_to_series("__values__", &vals, &dt);
                let idx = Series::new("".into(), labels);
                let df = DataFrame::new(idx.len(), vec![idx.into(), values.into()])
                    .map_err(|e| pl("result", e))?;
                Ok(Value::Frame(df))
            },
        );
        Ok(DaskSeries {
            graph: g,
            name: String::new(),
            dtype: out_dtype,
            keyed: Some(String::new()),
            lens: None,
        })
    }

    /// `ddf.dropna(subset=None)`: rows without missing values (nulls, NaN) in `subset` (all columns).
    pub fn dropna(&self, subset: Option<Vec<String>>) -> Result<DaskFrame> {
        self.plain("dropna")?;
        let cols = match subset {
            Some(c) => {
                for x in &c {
                    self.check_column(x)?;
                }
                c
            }
            None => self.columns(),
        };
        let g = map_parts("dropna", &self.graph, move |v, _| {
            let df = frame(v)?;
            let mut keep = BooleanChunked::full("".into(), true, df.height());
            for c in &cols {
                let s = df
                    .column(c)
                    .map_err(|e| pl("dropna", e))?
                    .as_materialized_series();
                keep = &keep & &!&super::series::missing(s)?;
            }
            Ok(Value::Frame(df.filter(&keep).map_err(|e| pl("dropna", e))?))
        });
        Ok(DaskFrame {
            graph: g,
            lens: None,
            source: None,
            ..self.clone()
        })
    }

    /// `ddf.repartition(npartitions=k)`.
    pub fn repartition(&self, k: u32) -> Result<DaskFrame> {
        self.plain("repartition")?;
        let (g, lens) = super::repartition::repartition(&self.graph, k, self.lens.as_deref())?;
        Ok(DaskFrame {
            graph: g,
            schema: self.schema.clone(),
            keyed: None,
            lens: lens.map(Arc::new),
            source: None,
        })
    }

    /// Dask's structure repr: columns, dtypes and `npartitions`, reading nothing.
    pub fn structure(&self) -> String {
        let n = self.npartitions() as usize;
        let mut cols: Vec<String> = Vec::new();
        let mut dtypes: Vec<String> = Vec::new();
        // The index (group keys of aggregated results) is not a column: Dask shows data columns only.
        for (c, d) in self.schema.iter() {
            cols.push(c.to_string());
            dtypes.push(dtype_name(d));
        }
        let shown = (n + 1).min(11);
        let mut rows = vec![dtypes];
        rows.extend((1..shown).map(|_| vec!["...".to_string(); cols.len()]));
        let t = Table {
            index_name: Some(format!("npartitions={n}")),
            columns: cols,
            index: vec![String::new(); rows.len()],
            rows,
            footer: None,
        };
        let layers = self.graph.layer.topo().len();
        format!(
            "Dask DataFrame Structure:\n{}\nDask Name: {}, {layers} graph layer{}",
            render(&t),
            self.graph.layer.prefix,
            if layers == 1 { "" } else { "s" }
        )
    }

    /// The collection's concrete value from its computed partitions.
    pub fn finalize_parts(&self, parts: &[Arc<Value>]) -> Result<FrameValue> {
        let frames: Vec<&DataFrame> = parts.iter().map(|v| frame(v)).collect::<Result<_>>()?;
        let lens = frames.iter().map(|d| d.height() as u64).collect();
        self.concrete(concat_frames(&frames, &self.full_schema())?, lens)
    }
}

/// Merge the partial aggregates of several tasks.
pub fn merge_accs(vals: &[Arc<Value>]) -> Result<Value> {
    let parts: Vec<&FrameAcc> = vals
        .iter()
        .map(|v| super::kernel::partial::<FrameAcc>(v))
        .collect::<Result<_>>()?;
    Ok(super::kernel::opaque(FrameAcc::merge_all(&parts)?))
}

/// Total rows of the partitions of `g` (frames or series) as `Scalar::Int`.
pub fn len_graph(g: &Graph) -> Graph {
    tree_reduce(
        "len",
        g,
        |v, _| {
            let n = match v {
                Value::Frame(d) => d.height(),
                Value::Series(s) => s.len(),
                other => {
                    return Err(Error::value(format!(
                        "len: unexpected {} partition",
                        other.kind()
                    )))
                }
            };
            Ok(Value::Scalar(Scalar::Int(n as i64)))
        },
        |vals| {
            let total: i64 = vals
                .iter()
                .filter_map(|v| match v.as_scalar() {
                    Some(Scalar::Int(i)) => Some(*i),
                    _ => None,
                })
                .sum();
            Ok(Value::Scalar(Scalar::Int(total)))
        },
        Ok,
    )
}

/// An `Obj` for a finished scalar (missing is NaN, as numpy would give).
pub fn scalar_obj(s: &Scalar) -> Obj {
    match s {
        Scalar::Null => Obj::Float(f64::NAN),
        Scalar::Bool(b) => Obj::Bool(*b),
        Scalar::Int(i) => Obj::Int(*i),
        Scalar::Float(f) => Obj::Float(*f),
        Scalar::Str(s) => Obj::str(s.as_str()),
    }
}
