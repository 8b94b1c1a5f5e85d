//! `describe()`: pandas' count/mean/std/min/25%/50%/75%/max per numeric column. Moments merge exactly;
//! percentiles merge per-partition summaries (all values of partitions up to 10 000 rows, 10 001
//! quantile points of larger ones, weighted by rows) as Dask's approximate percentiles do. Exact while
//! the column holds at most 20 002 values; past that within about 0.01% of the value range.

use std::any::Any;
use std::sync::Arc;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::kernel::{frame, opaque, partial, tree_reduce};
use super::local_util::quantile as exact_quantile;
use super::native::pl;
use super::reduce::{Agg, ColAcc};
use crate::engine::{Payload, Value};
use crate::error::{Error, Result};

/// Partitions with at most this many values keep them all (exact percentiles).
const EXACT_MAX: usize = 10_000;
/// Merged summaries are compressed to this many weighted points past twice its size.
const SUMMARY_POINTS: usize = 10_001;

/// Sorted weighted points summarizing a distribution: `(value, weight)`.
#[derive(Debug, Clone, Default)]
pub struct Summary(pub Vec<(f64, f64)>);

impl Summary {
    pub fn of(mut vals: Vec<f64>) -> Summary {
        vals.sort_by(f64::total_cmp);
        if vals.len() <= EXACT_MAX {
            return Summary(vals.into_iter().map(|v| (v, 1.0)).collect());
        }
        let last = SUMMARY_POINTS - 1;
        let w = vals.len() as f64 / SUMMARY_POINTS as f64;
        Summary(
            (0..=last)
                .map(|k| (exact_quantile(&vals, k as f64 / last as f64), w))
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
        let qs: Vec<f64> = (0..SUMMARY_POINTS)
            .map(|k| k as f64 / (SUMMARY_POINTS - 1) as f64)
            .collect();
        Summary(s.quantiles(&qs).into_iter().map(|v| (v, w)).collect())
    }

    /// The `q` quantile: each point spans `weight` ranks centred on its position; linear between centres.
    /// With unit weights this is exactly numpy's linear interpolation.
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantiles(&[q])[0]
    }

    /// Several quantiles (`qs` ascending) in one sweep over the points.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        let pts = &self.0;
        let Some(last) = pts.last() else {
            return vec![f64::NAN; qs.len()];
        };
        let total: f64 = pts.iter().map(|p| p.1).sum();
        let mut out = Vec::with_capacity(qs.len());
        let (mut k, mut start) = (0usize, 0.0);
        let mut prev: Option<(f64, f64)> = None; // (centre rank, value) of the point before `k`
        for &q in qs {
            let target = q * (total - 1.0).max(0.0);
            loop {
                let Some(&(v, w)) = pts.get(k) else {
                    out.push(last.0);
                    break;
                };
                let centre = start + (w - 1.0).max(0.0) / 2.0;
                if target <= centre {
                    out.push(match prev {
                        Some((pc, pv)) if centre > pc => {
                            pv + (v - pv) * (target - pc) / (centre - pc)
                        }
                        _ => v,
                    });
                    break;
                }
                prev = Some((centre, v));
                start += w;
                k += 1;
            }
        }
        out
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
                let qs = if empty {
                    vec![f64::NAN; 3]
                } else {
                    s.quantiles(&[0.25, 0.5, 0.75])
                };
                let vals = [
                    c.count as f64,
                    num(c.finish(Agg::Mean, &DataType::Float64)),
                    num(c.finish(Agg::Std, &DataType::Float64)),
                    num(c.finish(Agg::Min, &DataType::Float64)),
                    qs[0],
                    qs[1],
                    qs[2],
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
        // 10 partitions of 50 000 values: summaries of 10 001 points each, merged and compressed.
        let parts: Vec<Summary> = (0..10)
            .map(|p| {
                Summary::of(
                    (0..50_000u64)
                        .map(|i| ((i * 10 + p) * 7919 % 500_000) as f64)
                        .collect(),
                )
            })
            .collect();
        let refs: Vec<&Summary> = parts.iter().collect();
        let m = Summary::merge(&refs);
        for q in [0.25, 0.5, 0.75] {
            let exact = q * 499_999.0;
            assert!(
                (m.quantile(q) - exact).abs() < 0.001 * 500_000.0,
                "q={q}: {}",
                m.quantile(q)
            );
        }
    }
}
