//! The partitioned series (Dask's `dd.Series`): element-wise comparisons, arithmetic and mask logic
//! with pandas' missing-value rules, reductions to lazy scalars, and concrete results.

use std::sync::Arc;

use polars::prelude::*;

use super::collection::len_graph;
use super::format::dtype_name;
use super::kernel::{blockwise, explicit, frame, map_parts, opaque, partial, series, tree_reduce};
use super::native::pl;
use super::reduce::{Agg, FrameAcc};
use super::scalar::DaskScalar;
use super::value::{Index, SeriesValue};
use crate::engine::{Graph, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::BinOp;

/// A lazy partitioned series. Invariant: output tasks yield `Value::Series` named `name` of `dtype`;
/// when `keyed` is set they yield two-column frames (index, values) instead.
#[derive(Clone)]
pub struct DaskSeries {
    pub graph: Graph,
    pub name: String,
    pub dtype: DataType,
    /// Name of the index of aggregated results (group key); their partitions are (index, values) frames.
    pub keyed: Option<String>,
    pub lens: Option<Arc<Vec<u64>>>,
}

/// The right-hand side of an element-wise operation.
pub enum Operand<'a> {
    Scalar(Scalar),
    Series(&'a DaskSeries),
}

/// pandas' comparison on one partition: missing values (null, NaN) compare False, except `!=` (True).
pub fn compare(s: &Series, op: BinOp, rhs: &Scalar) -> Result<Series> {
    let name = s.name().clone();
    let ctx = |e| pl("comparison", e);
    let mut mask = match rhs {
        Scalar::Str(x) => {
            if !s.dtype().is_string() {
                return Err(Error::value(format!(
                    "cannot compare a {} column with a string",
                    dtype_name(s.dtype())
                )));
            }
            let x = x.as_str();
            match op {
                BinOp::Eq => s.equal(x),
                BinOp::Ne => s.not_equal(x),
                BinOp::Lt => s.lt(x),
                BinOp::Le => s.lt_eq(x),
                BinOp::Gt => s.gt(x),
                BinOp::Ge => s.gt_eq(x),
                _ => unreachable!("not a comparison"),
            }
            .map_err(ctx)?
        }
        Scalar::Null => BooleanChunked::full(name.clone(), op == BinOp::Ne, s.len()),
        num => {
            if !(s.dtype().is_primitive_numeric() || s.dtype().is_bool()) {
                return Err(Error::value(format!(
                    "cannot compare a {} column with a number",
                    dtype_name(s.dtype())
                )));
            }
            let int_rhs = matches!(num, Scalar::Int(_) | Scalar::Bool(_));
            if s.dtype().is_float() || !int_rhs {
                let f = s.cast(&DataType::Float64).map_err(ctx)?;
                let x = num.as_f64().unwrap_or(f64::NAN);
                let m = cmp_num(&f, op, x).map_err(ctx)?;
                // polars orders NaN above everything; pandas says NaN compares False (True for !=).
                let nan = f
                    .is_nan()
                    .map_err(ctx)?
                    .fill_null_with_values(false)
                    .map_err(ctx)?;
                if op == BinOp::Ne {
                    &m | &nan
                } else {
                    &m & &!&nan
                }
            } else {
                let i = s.cast(&DataType::Int64).map_err(ctx)?;
                cmp_num(&i, op, num.as_f64().unwrap_or(0.0) as i64).map_err(ctx)?
            }
        }
    };
    mask = mask.fill_null_with_values(op == BinOp::Ne).map_err(ctx)?;
    mask.rename(name);
    Ok(mask.into_series())
}

/// pandas' missing values of one partition: nulls, and NaN in float columns.
pub fn missing(s: &Series) -> Result<BooleanChunked> {
    let nulls = s.is_null();
    if s.dtype().is_float() {
        let nan = s
            .is_nan()
            .and_then(|m| m.fill_null_with_values(false))
            .map_err(|e| pl("isnull", e))?;
        return Ok(&nulls | &nan);
    }
    Ok(nulls)
}

fn cmp_num<T: NumericNative>(s: &Series, op: BinOp, x: T) -> PolarsResult<BooleanChunked> {
    match op {
        BinOp::Eq => s.equal(x),
        BinOp::Ne => s.not_equal(x),
        BinOp::Lt => s.lt(x),
        BinOp::Le => s.lt_eq(x),
        BinOp::Gt => s.gt(x),
        BinOp::Ge => s.gt_eq(x),
        _ => unreachable!("not a comparison"),
    }
}

pub fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

/// The comparison to apply with the series on the left: `3 < s` is `s > 3`.
pub fn series_first(op: BinOp, reflected: bool) -> BinOp {
    match (reflected, op) {
        (true, BinOp::Lt) => BinOp::Gt,
        (true, BinOp::Gt) => BinOp::Lt,
        (true, BinOp::Le) => BinOp::Ge,
        (true, BinOp::Ge) => BinOp::Le,
        (_, op) => op,
    }
}

/// pandas' arithmetic on one partition (`/` is true division; missing stays missing).
pub fn arith(a: &Series, op: BinOp, b: &Series, reflected: bool) -> Result<Series> {
    let ctx = |e| pl("arithmetic", e);
    for s in [a, b] {
        if !(s.dtype().is_primitive_numeric() || s.dtype().is_bool()) {
            return Err(Error::value(format!(
                "unsupported operand type for {}: {} column",
                op.symbol(),
                dtype_name(s.dtype())
            )));
        }
    }
    // The result keeps the collection's own name (the left operand before reflection).
    let name = a.name().clone();
    let (mut a, mut b) = (a.clone(), b.clone());
    if reflected {
        std::mem::swap(&mut a, &mut b);
    }
    if op == BinOp::Div || a.dtype().is_bool() || b.dtype().is_bool() {
        a = a.cast(&DataType::Float64).map_err(ctx)?;
        b = b.cast(&DataType::Float64).map_err(ctx)?;
    }
    let mut out = match op {
        BinOp::Add => (&a + &b).map_err(ctx)?,
        BinOp::Sub => (&a - &b).map_err(ctx)?,
        BinOp::Mul => (&a * &b).map_err(ctx)?,
        BinOp::Div => (&a / &b).map_err(ctx)?,
        other => {
            return Err(Error::value(format!(
                "operator {} is not supported on series",
                other.symbol()
            )))
        }
    };
    out.rename(name);
    Ok(out)
}

/// A one-value series broadcast over `n` rows, for scalar operands.
pub fn broadcast(x: &Scalar, n: usize) -> Result<Series> {
    Ok(match x {
        Scalar::Int(i) => Series::new("".into(), vec![*i; n]),
        Scalar::Float(f) => Series::new("".into(), vec![*f; n]),
        Scalar::Bool(b) => Series::new("".into(), vec![*b; n]),
        other => {
            return Err(Error::value(format!(
                "unsupported operand {other:?} for arithmetic"
            )))
        }
    })
}

fn logic(a: &Series, op: BinOp, b: &Series) -> Result<Series> {
    let (x, y) = (
        a.bool().map_err(|e| pl("mask", e))?,
        b.bool().map_err(|e| pl("mask", e))?,
    );
    let mut out = match op {
        BinOp::And => x & y,
        _ => x | y,
    };
    out.rename(a.name().clone());
    Ok(out.into_series())
}

impl DaskSeries {
    pub fn npartitions(&self) -> u32 {
        self.graph.ntasks()
    }
    fn plain(&self, what: &str) -> Result<()> {
        match &self.keyed {
            Some(_) => Err(Error::value(format!(
                "{what} is not supported on an aggregated result; call .compute() first"
            ))),
            None => Ok(()),
        }
    }

    /// `s <op> other` for comparisons, arithmetic and `& |`.
    pub fn binary(&self, op: BinOp, other: Operand<'_>, reflected: bool) -> Result<DaskSeries> {
        self.plain("element-wise operations")?;
        let bool_op = matches!(op, BinOp::And | BinOp::Or);
        let out_dtype = if is_comparison(op) || bool_op {
            DataType::Boolean
        } else {
            let other_dt = match &other {
                Operand::Series(s) => s.dtype.clone(),
                // Bools are cast to floats by `arith`.
                Operand::Scalar(Scalar::Float(_) | Scalar::Bool(_)) => DataType::Float64,
                Operand::Scalar(_) => DataType::Int64,
            };
            let int = self.dtype.is_integer() && other_dt.is_integer();
            if int && op != BinOp::Div {
                DataType::Int64
            } else {
                DataType::Float64
            }
        };
        if bool_op && self.dtype != DataType::Boolean {
            return Err(Error::value(format!(
                "{} needs boolean series, got {}",
                op.symbol(),
                dtype_name(&self.dtype)
            )));
        }
        let graph = match other {
            Operand::Scalar(x) => {
                let prefix = op_prefix(op);
                map_parts(prefix, &self.graph, move |v, _| {
                    let s = series(v)?;
                    Ok(Value::Series(if is_comparison(op) {
                        compare(s, op, &x)?
                    } else if bool_op {
                        logic(s, op, &broadcast(&x, s.len())?)?
                    } else {
                        arith(s, op, &broadcast(&x, s.len())?, reflected)?
                    }))
                })
            }
            Operand::Series(o) => {
                o.plain("element-wise operations")?;
                if o.npartitions() != self.npartitions() {
                    return Err(Error::value(format!(
                        "series with {} and {} partitions are not aligned (both must come from the same frame)",
                        self.npartitions(),
                        o.npartitions()
                    )));
                }
                blockwise(op_prefix(op), &[&self.graph, &o.graph], move |i, inp, _| {
                    let (a, b) = (series(inp.one(0))?, series(inp.one(1))?);
                    if a.len() != b.len() {
                        return Err(Error::value(format!(
                            "partition {i}: {} and {} rows are not aligned",
                            a.len(),
                            b.len()
                        )));
                    }
                    Ok(Value::Series(if bool_op {
                        logic(a, op, b)?
                    } else if is_comparison(op) {
                        let m = match op {
                            BinOp::Eq => a.equal(b),
                            BinOp::Ne => a.not_equal(b),
                            BinOp::Lt => a.lt(b),
                            BinOp::Le => a.lt_eq(b),
                            BinOp::Gt => a.gt(b),
                            _ => a.gt_eq(b),
                        }
                        .map_err(|e| pl("comparison", e))?
                        .fill_null_with_values(op == BinOp::Ne)
                        .map_err(|e| pl("comparison", e))?;
                        m.with_name(a.name().clone()).into_series()
                    } else {
                        arith(a, op, b, reflected)?
                    }))
                })
            }
        };
        Ok(DaskSeries {
            graph,
            name: self.name.clone(),
            dtype: out_dtype,
            keyed: None,
            lens: self.lens.clone(),
        })
    }

    /// `~mask` (pandas: missing compared False, so `~(x > 0)` keeps missing rows) or `-s`.
    pub fn invert(&self) -> Result<DaskSeries> {
        self.plain("~")?;
        if self.dtype != DataType::Boolean {
            return Err(Error::value(format!(
                "~ needs a boolean series, got {}",
                dtype_name(&self.dtype)
            )));
        }
        let g = map_parts("invert", &self.graph, |v, _| {
            let s = series(v)?;
            let b = s.bool().map_err(|e| pl("~", e))?;
            Ok(Value::Series(
                (!b).with_name(s.name().clone()).into_series(),
            ))
        });
        Ok(DaskSeries {
            graph: g,
            ..self.clone()
        })
    }

    /// `s.isnull()` (`isna`), or `s.notnull()` (`notna`) when `not`.
    pub fn isnull(&self, not: bool) -> Result<DaskSeries> {
        self.plain("isnull")?;
        let g = map_parts(
            if not { "notnull" } else { "isnull" },
            &self.graph,
            move |v, _| {
                let s = series(v)?;
                let m = missing(s)?;
                let m = if not { !&m } else { m };
                Ok(Value::Series(m.with_name(s.name().clone()).into_series()))
            },
        );
        Ok(DaskSeries {
            graph: g,
            dtype: DataType::Boolean,
            ..self.clone()
        })
    }

    pub fn neg(&self) -> Result<DaskSeries> {
        self.binary(BinOp::Mul, Operand::Scalar(Scalar::Int(-1)), false)
    }

    /// `s.sum()` etc.: a lazy scalar (tree reduction, split_every=8).
    pub fn reduce(&self, agg: Agg) -> Result<DaskScalar> {
        self.plain(agg.name())?;
        if !agg.accepts(&self.dtype) {
            return Err(Error::value(format!(
                "{}() is not supported for a {} series",
                agg.name(),
                dtype_name(&self.dtype)
            )));
        }
        let name = self.name.clone();
        let g = tree_reduce(
            &format!("series-{}", agg.name()),
            &self.graph,
            move |v, ctx| {
                ctx.cancel.check()?;
                let s = series(v)?;
                let df = DataFrame::new(
                    s.len(),
                    vec![s.clone().with_name(name.as_str().into()).into()],
                )
                .map_err(|e| pl("reduction", e))?;
                Ok(opaque(FrameAcc::of(&df, std::slice::from_ref(&name))?))
            },
            super::collection::merge_accs,
            move |v| {
                let acc = partial::<FrameAcc>(&v)?;
                let (_, d, a) = &acc.cols[0];
                Ok(Value::Scalar(a.finish(agg, d)))
            },
        );
        let out = agg.out_dtype(&self.dtype);
        Ok(DaskScalar {
            graph: g,
            dtype: dtype_name(&out),
        })
    }

    /// `s.value_counts()`: counts of each non-missing value, most frequent first.
    pub fn value_counts(&self) -> Result<DaskSeries> {
        self.plain("value_counts")?;
        let g = super::groupby::value_counts_graph(&self.graph, &self.name);
        Ok(DaskSeries {
            graph: g,
            name: "count".into(),
            dtype: DataType::Int64,
            keyed: Some(self.name.clone()),
            lens: None,
        })
    }

    /// `s.unique()`: distinct values (missing included once) in order of first appearance, one partition.
    pub fn unique(&self) -> Result<DaskSeries> {
        self.plain("unique")?;
        let uniq = |s: &Series| s.unique_stable().map_err(|e| pl("unique", e));
        let g = tree_reduce(
            "unique",
            &self.graph,
            move |v, _| Ok(Value::Series(uniq(series(v)?)?)),
            move |vals| {
                let mut acc = series(&vals[0])?.clone();
                for v in &vals[1..] {
                    acc.append(series(v)?).map_err(|e| pl("unique", e))?;
                }
                Ok(Value::Series(uniq(&acc)?))
            },
            Ok,
        );
        Ok(DaskSeries {
            graph: g,
            lens: None,
            ..self.clone()
        })
    }

    pub fn len_graph(&self) -> Graph {
        len_graph(&self.graph)
    }

    /// A one-task graph yielding the first `n` values from partitions `0..k` (a `Value::List`).
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
                    let taken = match &**v {
                        Value::Frame(d) => Value::Frame(d.head(Some(left))),
                        other => Value::Series(series(other)?.head(Some(left))),
                    };
                    left -= match &taken {
                        Value::Frame(d) => d.height(),
                        Value::Series(s) => s.len(),
                        _ => 0,
                    };
                    out.push(taken);
                    if left == 0 {
                        break;
                    }
                }
                Ok(Value::List(out))
            },
        )
    }

    /// The concrete series from computed partitions (or a head's list).
    pub fn finalize_parts(&self, parts: &[Arc<Value>]) -> Result<SeriesValue> {
        let vals: Vec<&Value> = parts
            .iter()
            .flat_map(|v| match &**v {
                Value::List(items) => items.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect();
        if self.keyed.is_some() {
            let frames: Vec<&DataFrame> = vals.iter().map(|v| frame(v)).collect::<Result<_>>()?;
            let schema = Schema::default();
            let df = super::collection::concat_frames(&frames, &schema)?;
            if df.width() < 2 {
                return Ok(SeriesValue::new(
                    Series::new_empty(self.name.as_str().into(), &self.dtype),
                    Index::range(0),
                ));
            }
            let idx = df.columns()[0].as_materialized_series().clone();
            let vals = df.columns()[1]
                .as_materialized_series()
                .clone()
                .with_name(self.name.as_str().into());
            return Ok(SeriesValue::new(vals, Index::Labels(idx)));
        }
        let mut out = Series::new_empty(self.name.as_str().into(), &self.dtype);
        let mut lens = Vec::new();
        for v in vals {
            let s = series(v)?;
            lens.push(s.len() as u64);
            out.append(s)
                .map_err(|e| pl("concatenating partitions", e))?;
        }
        Ok(SeriesValue::new(
            out.with_name(self.name.as_str().into()),
            Index::Parts(lens),
        ))
    }

    /// Dask's structure repr of a series.
    pub fn structure(&self) -> String {
        let n = self.npartitions() as usize;
        let mut lines = vec![
            "Dask Series Structure:".to_string(),
            format!("npartitions={n}"),
        ];
        let dt = dtype_name(&self.dtype);
        let w = dt.len().max(3);
        lines.push(format!("    {dt:>w$}"));
        for _ in 0..n.min(10) {
            lines.push(format!("    {:>w$}", "..."));
        }
        let name = if self.name.is_empty() {
            "None".to_string()
        } else {
            self.name.clone()
        };
        lines.push(format!("Name: {name}, dtype: {dt}"));
        let layers = self.graph.layer.topo().len();
        lines.push(format!(
            "Dask Name: {}, {layers} graph layer{}",
            self.graph.layer.prefix,
            if layers == 1 { "" } else { "s" }
        ));
        lines.join("\n")
    }
}

fn op_prefix(op: BinOp) -> &'static str {
    match op {
        BinOp::Eq => "eq",
        BinOp::Ne => "ne",
        BinOp::Lt => "lt",
        BinOp::Le => "le",
        BinOp::Gt => "gt",
        BinOp::Ge => "ge",
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "truediv",
        BinOp::And => "and",
        BinOp::Or => "or",
        _ => "op",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bools(s: &Series) -> Vec<Option<bool>> {
        s.bool().unwrap().iter().collect()
    }

    #[test]
    fn missing_compares_like_pandas() {
        let s = Series::new("x".into(), [Some(1.0), None, Some(f64::NAN), Some(-1.0)]);
        let gt = compare(&s, BinOp::Gt, &Scalar::Int(0)).unwrap();
        assert_eq!(
            bools(&gt),
            [Some(true), Some(false), Some(false), Some(false)]
        );
        let ne = compare(&s, BinOp::Ne, &Scalar::Float(1.0)).unwrap();
        assert_eq!(
            bools(&ne),
            [Some(false), Some(true), Some(true), Some(true)]
        );
        let i = Series::new("i".into(), [Some(3i64), None]);
        assert_eq!(
            bools(&compare(&i, BinOp::Le, &Scalar::Float(2.5)).unwrap()),
            [Some(false), Some(false)]
        );
        let t = Series::new("t".into(), ["a", "b"]);
        assert_eq!(
            bools(&compare(&t, BinOp::Eq, &Scalar::Str("b".into())).unwrap()),
            [Some(false), Some(true)]
        );
        assert!(compare(&t, BinOp::Gt, &Scalar::Int(1)).is_err());
    }

    #[test]
    fn true_division_and_missing() {
        let a = Series::new("a".into(), [Some(1i64), None, Some(4)]);
        let b = Series::new("b".into(), [2i64, 2, 0]);
        let q = arith(&a, BinOp::Div, &b, false).unwrap();
        let v: Vec<Option<f64>> = q.f64().unwrap().iter().collect();
        assert_eq!(v, [Some(0.5), None, Some(f64::INFINITY)]);
        assert_eq!(q.name().as_str(), "a");
        let r = arith(&a, BinOp::Sub, &b, true).unwrap();
        let v: Vec<Option<i64>> = r.i64().unwrap().iter().collect();
        assert_eq!(v, [Some(1), None, Some(-4)]);
        assert_eq!(r.name().as_str(), "a");
    }
}
