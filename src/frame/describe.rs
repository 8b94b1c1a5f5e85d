//! `describe()`: pandas' count/mean/std/min/25%/50%/75%/max per numeric column. Moments merge exactly;
//! percentiles merge per-partition summaries (all values of small partitions, 101 quantile points of
//! large ones, weighted by rows) as Dask's approximate percentiles do. Exact when every partition is small.

use std::any::Any;
use std::sync::Arc;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::kernel::{frame, opaque, partial, tree_reduce};
use super::native::pl;
use super::reduce::{Agg, ColAcc};
use crate::engine::{Payload, Value};
use crate::error::{Error, Result};

/// Partitions with at most this many values keep them all (exact percentiles).
const EXACT_MAX: usize = 1000;
/// Merged summaries are compressed to this many weighted points past twice its size.
const SUMMARY_POINTS: usize = 1001;

/// Sorted weighted points summarizing a distribution: `(value, weight)`.
#[derive(Debug, Clone, Default)]
pub struct Summary(pub Vec<(f64, f64)>);

/// Linear-interpolated quantile of sorted values (numpy's default, as pandas uses).
fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

impl Summary {
    pub fn of(mut vals: Vec<f64>) -> Summary {
        vals.sort_by(f64::total_cmp);
        if vals.len() <= EXACT_MAX {
            return Summary(vals.into_iter().map(|v| (v, 1.0)).collect());
        }
        let w = vals.len() as f64 / 101.0;
        Summary(
            (0..=100)
                .map(|k| (exact_quantile(&vals, k as f64 / 100.0), w))
                .collect(),
        )
    }

    pub fn merge(parts: &[&Summary]) -> Summary {
        let mut all: Vec<(f64, f64)> = parts.iter().flat_map(|s| s.0.iter().copied()).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let s = Summary(all);
        if s.0.len() <= 2 * SUMMARY_POINTS {
            return s;
        }
        let total: f64 = s.0.iter().map(|p| p.1).sum();
        let w = total / SUMMARY_POINTS as f64;
        Summary(
            (0..SUMMARY_POINTS)
                .map(|k| (s.quantile(k as f64 / (SUMMARY_POINTS - 1) as f64), w))
                .collect(),
        )
    }

    /// The `q` quantile: each point spans `weight` ranks centred on its position; linear between centres.
    /// With unit weights this is exactly numpy's linear interpolation.
    pub fn quantile(&self, q: f64) -> f64 {
        let pts = &self.0;
        if pts.is_empty() {
            return f64::NAN;
        }
        let total: f64 = pts.iter().map(|p| p.1).sum();
        let target = q * (total - 1.0).max(0.0);
        let mut start = 0.0;
        let mut prev: Option<(f64, f64)> = None; // (centre rank, value)
        for &(v, w) in pts {
            let centre = start + (w - 1.0).max(0.0) / 2.0;
            if target <= centre {
                return match prev {
                    Some((pc, pv)) if centre > pc => pv + (v - pv) * (target - pc) / (centre - pc),
                    _ => v,
                };
            }
            prev = Some((centre, v));
            start += w;
        }
        pts.last().map(|p| p.0).unwrap_or(f64::NAN)
    }
}

/// Per-column moments and percentile summaries of some rows.
#[derive(Debug, Clone)]
pub struct DescribeAcc {
    pub cols: Vec<(String, ColAcc, Summary)>,
}

impl Payload for DescribeAcc {
    fn nbytes(&self) -> usize {
        self.cols.iter().map(|c| 128 + c.2 .0.len() * 16).sum()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Index labels of describe's rows.
pub const STATS: [&str; 8] = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];

/// The lazy `describe()` of a frame: one task yielding the statistics frame (index column first).
pub fn describe(f: &DaskFrame) -> Result<DaskFrame> {
    if f.keyed.is_some() {
        return Err(Error::value(
            "describe is not supported on an aggregated result; call .compute() first",
        ));
    }
    // pandas describes numbers only (bools excluded) when there are any.
    let cols: Vec<String> = f
        .schema
        .iter()
        .filter(|(_, d)| d.is_primitive_numeric())
        .map(|(n, _)| n.to_string())
        .collect();
    if cols.is_empty() {
        return Err(Error::value("describe(): no numeric columns to describe"));
    }
    let names = cols.clone();
    let g = tree_reduce(
        "describe-numeric",
        &f.graph,
        move |v, ctx| {
            let df = frame(v)?;
            let mut out = Vec::new();
            for c in &names {
                ctx.cancel.check()?;
                let s = df
                    .column(c)
                    .map_err(|e| pl("describe", e))?
                    .as_materialized_series();
                let fs = s.cast(&DataType::Float64).map_err(|e| pl("describe", e))?;
                let vals: Vec<f64> = fs
                    .f64()
                    .map_err(|e| pl("describe", e))?
                    .iter()
                    .flatten()
                    .filter(|x| !x.is_nan())
                    .collect();
                out.push((c.clone(), ColAcc::of(s)?, Summary::of(vals)));
            }
            Ok(opaque(DescribeAcc { cols: out }))
        },
        |vals| {
            let parts: Vec<&DescribeAcc> = vals
                .iter()
                .map(|v| partial::<DescribeAcc>(v))
                .collect::<Result<_>>()?;
            let mut acc = parts[0].clone();
            for (k, col) in acc.cols.iter_mut().enumerate() {
                for p in &parts[1..] {
                    col.1.merge(&p.cols[k].1);
                }
                let sums: Vec<&Summary> = parts.iter().map(|p| &p.cols[k].2).collect();
                col.2 = Summary::merge(&sums);
            }
            Ok(opaque(acc))
        },
        |v| {
            let acc = partial::<DescribeAcc>(&v)?;
            let mut columns: Vec<Column> = vec![Series::new("".into(), STATS.to_vec()).into()];
            for (name, c, s) in &acc.cols {
                let num = |x: crate::engine::Scalar| x.as_f64().unwrap_or(f64::NAN);
                let empty = c.count == 0;
                let q = |p: f64| if empty { f64::NAN } else { s.quantile(p) };
                let vals = [
                    c.count as f64,
                    num(c.finish(Agg::Mean, &DataType::Float64)),
                    num(c.finish(Agg::Std, &DataType::Float64)),
                    num(c.finish(Agg::Min, &DataType::Float64)),
                    q(0.25),
                    q(0.5),
                    q(0.75),
                    num(c.finish(Agg::Max, &DataType::Float64)),
                ];
                let vals: Vec<Option<f64>> =
                    vals.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
                columns.push(Series::new(name.as_str().into(), vals).into());
            }
            Ok(Value::Frame(
                DataFrame::new(STATS.len(), columns).map_err(|e| pl("describe", e))?,
            ))
        },
    );
    let schema: Schema = cols
        .iter()
        .map(|c| Field::new(c.as_str().into(), DataType::Float64))
        .collect();
    Ok(DaskFrame {
        graph: g,
        schema: Arc::new(schema),
        keyed: Some(String::new()),
        lens: None,
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_partitions_are_exact() {
        let a = Summary::of(vec![4.0, 1.0, 3.0]);
        let b = Summary::of(vec![2.0, 10.0]);
        let m = Summary::merge(&[&a, &b]);
        // numpy: percentile([1,2,3,4,10], [25, 50, 75]) = 2, 3, 4.
        assert_eq!(
            [m.quantile(0.25), m.quantile(0.5), m.quantile(0.75)],
            [2.0, 3.0, 4.0]
        );
        assert_eq!(m.quantile(0.0), 1.0);
        assert_eq!(m.quantile(1.0), 10.0);
        assert_eq!(exact_quantile(&[1.0, 2.0], 0.5), 1.5);
    }

    #[test]
    fn large_partitions_are_close() {
        // 10 partitions of 5000 shuffled values of 0..50000: summaries of 101 points each.
        let parts: Vec<Summary> = (0..10)
            .map(|p| {
                Summary::of(
                    (0..5000)
                        .map(|i| ((i * 10 + p) * 7919 % 50000) as f64)
                        .collect(),
                )
            })
            .collect();
        let refs: Vec<&Summary> = parts.iter().collect();
        let m = Summary::merge(&refs);
        for q in [0.25, 0.5, 0.75] {
            let exact = q * 49999.0;
            assert!(
                (m.quantile(q) - exact).abs() < 0.01 * 50000.0,
                "q={q}: {}",
                m.quantile(q)
            );
        }
    }
}
