//! NaN-skipping column statistics as mergeable partial aggregates: count, sum, min, max, mean and
//! variance (Chan's parallel update), built per partition and merged up a tree.

use std::any::Any;

use polars::prelude::*;

use super::native::pl;
use crate::engine::{Payload, Scalar};
use crate::error::{Error, Result};

/// The reductions that frames, series and scalars offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Sum,
    Min,
    Max,
    Mean,
    Count,
    Std,
    Var,
}

impl Agg {
    pub fn parse(name: &str) -> Option<Agg> {
        Some(match name {
            "sum" => Agg::Sum,
            "min" => Agg::Min,
            "max" => Agg::Max,
            "mean" => Agg::Mean,
            "count" => Agg::Count,
            "std" => Agg::Std,
            "var" => Agg::Var,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Agg::Sum => "sum",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Mean => "mean",
            Agg::Count => "count",
            Agg::Std => "std",
            Agg::Var => "var",
        }
    }
    /// Whether a column of this dtype takes part (pandas' numeric_only for frames).
    pub fn accepts(self, dt: &DataType) -> bool {
        match self {
            Agg::Count => true,
            Agg::Min | Agg::Max => dt.is_primitive_numeric() || dt.is_bool() || dt.is_string(),
            _ => dt.is_primitive_numeric() || dt.is_bool(),
        }
    }
    /// The dtype of the result for an input column of `dt` (pandas rules).
    pub fn out_dtype(self, dt: &DataType) -> DataType {
        match self {
            Agg::Count => DataType::Int64,
            Agg::Sum if dt.is_integer() || dt.is_bool() => DataType::Int64,
            Agg::Min | Agg::Max if dt.is_integer() || dt.is_string() || dt.is_bool() => dt.clone(),
            _ => DataType::Float64,
        }
    }
}

/// Mergeable statistics of one column over some rows. Missing values (null, NaN) are skipped.
#[derive(Debug, Clone, Default)]
pub struct ColAcc {
    pub count: u64,
    /// Exact sum of integer/bool columns.
    pub isum: i128,
    pub fsum: f64,
    pub mean: f64,
    /// Sum of squared deviations from `mean`.
    pub m2: f64,
    pub min: Option<Scalar>,
    pub max: Option<Scalar>,
}

fn better(a: &Scalar, b: &Scalar, want_less: bool) -> bool {
    let ord = match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => x.cmp(y),
        _ => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
    };
    if want_less {
        ord.is_lt()
    } else {
        ord.is_gt()
    }
}

impl ColAcc {
    /// Statistics of one series (one partition of one column).
    pub fn of(s: &Series) -> Result<ColAcc> {
        let dt = s.dtype().clone();
        let mut acc = ColAcc::default();
        if dt.is_string() {
            let ca = s.str().map_err(|e| pl("string column", e))?;
            for v in ca.iter().flatten() {
                acc.count += 1;
                let v = Scalar::Str(v.to_string());
                if acc.min.as_ref().is_none_or(|m| better(&v, m, true)) {
                    acc.min = Some(v.clone());
                }
                if acc.max.as_ref().is_none_or(|m| better(&v, m, false)) {
                    acc.max = Some(v);
                }
            }
            return Ok(acc);
        }
        if !(dt.is_primitive_numeric() || dt.is_bool()) {
            acc.count = (s.len() - s.null_count()) as u64;
            return Ok(acc);
        }
        let f = s
            .cast(&DataType::Float64)
            .map_err(|e| pl("numeric column", e))?;
        let vals: Vec<f64> = f
            .f64()
            .map_err(|e| pl("numeric column", e))?
            .iter()
            .flatten()
            .filter(|v| !v.is_nan())
            .collect();
        acc.count = vals.len() as u64;
        if vals.is_empty() {
            return Ok(acc);
        }
        acc.fsum = vals.iter().sum();
        acc.mean = acc.fsum / vals.len() as f64;
        acc.m2 = vals.iter().map(|v| (v - acc.mean) * (v - acc.mean)).sum();
        if dt.is_integer() || dt.is_bool() {
            let i = s
                .cast(&DataType::Int64)
                .map_err(|e| pl("integer column", e))?;
            let ca = i.i64().map_err(|e| pl("integer column", e))?;
            acc.isum = ca.iter().flatten().map(|v| v as i128).sum();
            acc.min = ca.min().map(Scalar::Int);
            acc.max = ca.max().map(Scalar::Int);
            if dt.is_bool() {
                acc.min = acc.min.map(|v| Scalar::Bool(v == Scalar::Int(1)));
                acc.max = acc.max.map(|v| Scalar::Bool(v == Scalar::Int(1)));
            }
        } else {
            acc.min = vals.iter().copied().reduce(f64::min).map(Scalar::Float);
            acc.max = vals.iter().copied().reduce(f64::max).map(Scalar::Float);
        }
        Ok(acc)
    }

    /// Merge `o` into `self` (order independent up to float rounding).
    pub fn merge(&mut self, o: &ColAcc) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = o.clone();
            return;
        }
        let (na, nb) = (self.count as f64, o.count as f64);
        let delta = o.mean - self.mean;
        let n = na + nb;
        self.m2 += o.m2 + delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.count += o.count;
        self.isum += o.isum;
        self.fsum += o.fsum;
        if let Some(m) = &o.min {
            if self.min.as_ref().is_none_or(|s| better(m, s, true)) {
                self.min = Some(m.clone());
            }
        }
        if let Some(m) = &o.max {
            if self.max.as_ref().is_none_or(|s| better(m, s, false)) {
                self.max = Some(m.clone());
            }
        }
    }

    /// The final value of `agg` for a column of dtype `dt` (pandas: sum of nothing is 0, mean NaN).
    pub fn finish(&self, agg: Agg, dt: &DataType) -> Scalar {
        let var = |ddof: f64| {
            if (self.count as f64) - ddof <= 0.0 {
                Scalar::Float(f64::NAN)
            } else {
                Scalar::Float(self.m2 / (self.count as f64 - ddof))
            }
        };
        match agg {
            Agg::Count => Scalar::Int(self.count as i64),
            Agg::Sum if dt.is_integer() || dt.is_bool() => Scalar::Int(self.isum as i64),
            Agg::Sum => Scalar::Float(self.fsum),
            Agg::Mean if self.count == 0 => Scalar::Float(f64::NAN),
            Agg::Mean => Scalar::Float(self.mean),
            Agg::Min => self.min.clone().unwrap_or(Scalar::Float(f64::NAN)),
            Agg::Max => self.max.clone().unwrap_or(Scalar::Float(f64::NAN)),
            Agg::Var => var(1.0),
            Agg::Std => match var(1.0) {
                Scalar::Float(v) => Scalar::Float(v.sqrt()),
                other => other,
            },
        }
    }
}

/// Partial statistics of several columns (one partition, or several merged).
#[derive(Debug, Clone)]
pub struct FrameAcc {
    pub cols: Vec<(String, DataType, ColAcc)>,
}

impl Payload for FrameAcc {
    fn nbytes(&self) -> usize {
        self.cols.len() * 128
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FrameAcc {
    /// Statistics of the given columns of one partition.
    pub fn of(df: &DataFrame, cols: &[String]) -> Result<FrameAcc> {
        let mut out = Vec::with_capacity(cols.len());
        for c in cols {
            let s = df
                .column(c)
                .map_err(|e| pl("reduction", e))?
                .as_materialized_series();
            out.push((c.clone(), s.dtype().clone(), ColAcc::of(s)?));
        }
        Ok(FrameAcc { cols: out })
    }
    pub fn merge_all(parts: &[&FrameAcc]) -> Result<FrameAcc> {
        let mut acc = parts
            .first()
            .map(|p| (*p).clone())
            .ok_or_else(|| Error::value("nothing to reduce"))?;
        for p in &parts[1..] {
            for ((_, _, a), (_, _, b)) in acc.cols.iter_mut().zip(&p.cols) {
                a.merge(b);
            }
        }
        Ok(acc)
    }
}

/// A series of finished scalars of one dtype (`Int64`, `Float64`, or the column dtype for min/max).
pub fn scalars_to_series(name: &str, vals: &[Scalar], dt: &DataType) -> Series {
    let name: PlSmallStr = name.into();
    if dt.is_string() {
        let v: Vec<Option<String>> = vals
            .iter()
            .map(|s| match s {
                Scalar::Str(x) => Some(x.clone()),
                _ => None,
            })
            .collect();
        return Series::new(name, v);
    }
    if dt.is_bool() {
        let v: Vec<Option<bool>> = vals
            .iter()
            .map(|s| match s {
                Scalar::Bool(b) => Some(*b),
                _ => None,
            })
            .collect();
        return Series::new(name, v);
    }
    if dt.is_integer() {
        let v: Vec<Option<i64>> = vals
            .iter()
            .map(|s| match s {
                Scalar::Int(i) => Some(*i),
                _ => None,
            })
            .collect();
        return Series::new(name, v);
    }
    let v: Vec<Option<f64>> = vals
        .iter()
        .map(|s| s.as_f64().filter(|x| !x.is_nan()))
        .collect();
    Series::new(name, v)
}
