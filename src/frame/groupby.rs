//! Group-by aggregations as tree reductions: each partition aggregates its groups (sum, count, min,
//! max), combine tasks re-aggregate the partials, the final task derives the asked statistic and sorts
//! by key (pandas' `sort=True`, missing keys dropped as `dropna=True`).

use std::any::Any;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::kernel::{frame, series, tree_reduce};
use super::native::{pl, str_or_list};
use super::reduce::Agg;
use super::series::DaskSeries;
use crate::engine::{Graph, Value};
use crate::error::{Error, Result};
use crate::lang::{Args, Native, Obj, Output, SessionCtx};

fn part_name(v: &str, what: &str) -> String {
    format!("{v}__{what}")
}

fn collect(lf: LazyFrame, what: &str) -> Result<Value> {
    Ok(Value::Frame(lf.collect().map_err(|e| pl(what, e))?))
}

/// The graph of `frame.groupby(key)[values].<agg>()`: one output task, a frame of the key (sorted) and
/// one column per value column.
pub fn groupby_graph(g: &Graph, key: &str, values: &[String], agg: Agg) -> Graph {
    let (k1, k2, k3) = (key.to_string(), key.to_string(), key.to_string());
    let (v1, v3) = (values.to_vec(), values.to_vec());
    let needs = move |what: &str| match agg {
        Agg::Mean => what == "sum" || what == "count",
        _ => what == agg.name(),
    };
    tree_reduce(
        &format!("groupby-{}", agg.name()),
        g,
        move |v, ctx| {
            ctx.cancel.check()?;
            let mut exprs = Vec::new();
            for c in &v1 {
                for what in ["sum", "count", "min", "max"] {
                    if needs(what) {
                        let e = match what {
                            "sum" => col(c.as_str()).sum(),
                            "count" => col(c.as_str()).count().cast(DataType::Int64),
                            "min" => col(c.as_str()).min(),
                            _ => col(c.as_str()).max(),
                        };
                        exprs.push(e.alias(part_name(c, what)));
                    }
                }
            }
            collect(
                frame(v)?
                    .clone()
                    .lazy()
                    .group_by([col(k1.as_str())])
                    .agg(exprs),
                "groupby partial",
            )
        },
        move |vals| {
            let frames: Vec<&DataFrame> = vals.iter().map(|v| frame(v)).collect::<Result<_>>()?;
            let df = super::collection::concat_frames(&frames, &Schema::default())?;
            let mut exprs = Vec::new();
            for name in df.get_column_names().iter().filter(|n| n.as_str() != k2) {
                let e = col(name.as_str());
                exprs.push(match name.rsplit_once("__").map(|x| x.1) {
                    Some("min") => e.min(),
                    Some("max") => e.max(),
                    _ => e.sum(),
                });
            }
            collect(
                df.lazy().group_by([col(k2.as_str())]).agg(exprs),
                "groupby combine",
            )
        },
        move |v| {
            let df = frame(&v)?.clone();
            let mut exprs = vec![col(k3.as_str())];
            for c in &v3 {
                exprs.push(match agg {
                    Agg::Mean => (col(part_name(c, "sum")).cast(DataType::Float64)
                        / col(part_name(c, "count")).cast(DataType::Float64))
                    .alias(c.as_str()),
                    _ => col(part_name(c, agg.name())).alias(c.as_str()),
                });
            }
            let lf = df
                .lazy()
                .filter(col(k3.as_str()).is_not_null())
                .select(exprs)
                .sort([k3.as_str()], SortMultipleOptions::default());
            collect(lf, "groupby aggregate")
        },
    )
}

/// The graph of `series.value_counts()`: (value, count) sorted by count, most frequent first.
pub fn value_counts_graph(g: &Graph, name: &str) -> Graph {
    let (n1, n2, n3) = (name.to_string(), name.to_string(), name.to_string());
    tree_reduce(
        "value-counts",
        g,
        move |v, _| {
            let s = series(v)?.clone().with_name(n1.as_str().into());
            let df = DataFrame::new(s.len(), vec![s.into()]).map_err(|e| pl("value_counts", e))?;
            let lf = df
                .lazy()
                .filter(col(n1.as_str()).is_not_null())
                .group_by([col(n1.as_str())])
                .agg([len().cast(DataType::Int64).alias("count")]);
            collect(lf, "value_counts partial")
        },
        move |vals| {
            let frames: Vec<&DataFrame> = vals.iter().map(|v| frame(v)).collect::<Result<_>>()?;
            let df = super::collection::concat_frames(&frames, &Schema::default())?;
            collect(
                df.lazy()
                    .group_by([col(n2.as_str())])
                    .agg([col("count").sum()]),
                "value_counts combine",
            )
        },
        move |v| {
            let lf = frame(&v)?
                .clone()
                .lazy()
                .sort([n3.as_str(), "count"], SortMultipleOptions::default());
            // Most frequent first; ties in value order.
            let df = lf.collect().map_err(|e| pl("value_counts", e))?;
            let lf = df.lazy().sort(
                ["count"],
                SortMultipleOptions::default()
                    .with_order_descending(true)
                    .with_maintain_order(true),
            );
            collect(
                lf.select([col(n3.as_str()), col("count")]),
                "value_counts aggregate",
            )
        },
    )
}

/// The graph of `frame.groupby(key).size()`: rows per key (missing values counted), sorted by key.
pub fn size_graph(g: &Graph, key: &str) -> Graph {
    let (k1, k2, k3) = (key.to_string(), key.to_string(), key.to_string());
    tree_reduce(
        "groupby-size",
        g,
        move |v, _| {
            let lf = frame(v)?
                .clone()
                .lazy()
                .group_by([col(k1.as_str())])
                .agg([len().cast(DataType::Int64).alias("size")]);
            collect(lf, "groupby size partial")
        },
        move |vals| {
            let frames: Vec<&DataFrame> = vals.iter().map(|v| frame(v)).collect::<Result<_>>()?;
            let df = super::collection::concat_frames(&frames, &Schema::default())?;
            let lf = df
                .lazy()
                .group_by([col(k2.as_str())])
                .agg([col("size").sum()]);
            collect(lf, "groupby size combine")
        },
        move |v| {
            let lf = frame(&v)?
                .clone()
                .lazy()
                .filter(col(k3.as_str()).is_not_null())
                .sort([k3.as_str()], SortMultipleOptions::default());
            collect(lf, "groupby size")
        },
    )
}

/// `ddf.groupby(key)` and `ddf.groupby(key)[cols]`, waiting for an aggregation.
#[derive(Clone)]
pub struct GroupBy {
    pub frame: DaskFrame,
    pub key: String,
    /// Selected value columns; `series` when selected with a single name (`gb["v"]`).
    pub values: Option<Vec<String>>,
    pub series: bool,
}

impl GroupBy {
    pub fn new(frame: &DaskFrame, key: &str) -> Result<GroupBy> {
        if frame.keyed.is_some() {
            return Err(Error::value(
                "groupby is not supported on an aggregated result; call .compute() first",
            ));
        }
        if frame.schema.get(key).is_none() {
            return Err(Error::value(format!(
                "KeyError: '{key}': not a column of this DataFrame"
            )));
        }
        Ok(GroupBy {
            frame: frame.clone(),
            key: key.into(),
            values: None,
            series: false,
        })
    }

    /// `gb["v"]` or `gb[["a","b"]]`.
    pub fn select(&self, cols: Vec<String>, series: bool) -> Result<GroupBy> {
        for c in &cols {
            if self.frame.schema.get(c).is_none() {
                return Err(Error::value(format!(
                    "KeyError: '{c}': not a column of this DataFrame"
                )));
            }
        }
        Ok(GroupBy {
            values: Some(cols),
            series,
            ..self.clone()
        })
    }

    fn value_columns(&self, agg: Agg) -> Vec<String> {
        match &self.values {
            Some(v) => v.clone(),
            None => self
                .frame
                .schema
                .iter()
                .filter(|(n, d)| {
                    n.as_str() != self.key && (agg == Agg::Count || d.is_primitive_numeric())
                })
                .map(|(n, _)| n.to_string())
                .collect(),
        }
    }

    /// A series (single selected column) or a frame indexed by the sorted group keys.
    pub fn agg(&self, agg: Agg) -> Result<Obj> {
        if matches!(agg, Agg::Std | Agg::Var) {
            return Err(Error::value(format!(
                "groupby {}() is not supported yet",
                agg.name()
            )));
        }
        let cols = self.value_columns(agg);
        for c in &cols {
            let dt = &self.frame.schema.get(c).cloned().unwrap_or(DataType::Null);
            if !agg.accepts(dt) || (dt.is_string() && matches!(agg, Agg::Sum | Agg::Mean)) {
                return Err(Error::value(format!(
                    "groupby {}() of the non-numeric column '{c}'",
                    agg.name()
                )));
            }
        }
        // Only the key and the aggregated columns are read (projection pushdown, through filters too).
        let mut needed = vec![self.key.clone()];
        needed.extend(cols.iter().filter(|c| **c != self.key).cloned());
        let g = groupby_graph(&self.frame.projected(&needed).graph, &self.key, &cols, agg);
        let dtype = |c: &str| agg.out_dtype(self.frame.schema.get(c).unwrap_or(&DataType::Null));
        if self.series {
            let c = &cols[0];
            return Ok(Obj::native(DaskSeries {
                graph: g,
                name: c.clone(),
                dtype: dtype(c),
                keyed: Some(self.key.clone()),
                lens: None,
            }));
        }
        let schema: Schema = cols
            .iter()
            .map(|c| Field::new(c.as_str().into(), dtype(c)))
            .collect();
        let mut f = DaskFrame::new(g, schema);
        f.keyed = Some(self.key.clone());
        Ok(Obj::native(f))
    }
}

impl Native for GroupBy {
    fn type_name(&self) -> &str {
        if self.series {
            "SeriesGroupBy"
        } else {
            "DataFrameGroupBy"
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(format!(
            "<dask.dataframe.groupby.{} by '{}'>",
            self.type_name(),
            self.key
        )))
    }
    fn attr_names(&self) -> Vec<String> {
        ["sum", "min", "max", "mean", "count", "size"]
            .map(String::from)
            .to_vec()
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        if self.values.is_none()
            && self.frame.schema.get(name).is_some()
            && Agg::parse(name).is_none()
        {
            return Ok(Some(Obj::native(self.select(vec![name.into()], true)?)));
        }
        Ok(None)
    }
    fn call_method(&self, name: &str, args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        if let Some(agg) = Agg::parse(name) {
            args.check(name, 0, &["split_every", "numeric_only"])?;
            return self.agg(agg);
        }
        if name == "size" {
            args.check("size", 0, &[])?;
            return Ok(Obj::native(DaskSeries {
                graph: size_graph(
                    &self.frame.projected(std::slice::from_ref(&self.key)).graph,
                    &self.key,
                ),
                name: String::new(),
                dtype: DataType::Int64,
                keyed: Some(self.key.clone()),
                lens: None,
            }));
        }
        if name == "compute" {
            return Err(Error::value(
                "call an aggregation first, e.g. .sum().compute()",
            ));
        }
        Err(Error::value(format!(
            "'{}' object has no attribute '{name}'",
            self.type_name()
        )))
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        let series = matches!(key, Obj::Str(_));
        Ok(Obj::native(
            self.select(str_or_list(key, "groupby[...]")?, series)?,
        ))
    }
}
