//! Reductions of computed series with pandas' rules (missing values skipped; sum of ints an int, mean/std/
//! var/median floats, min/max in the column's dtype, count an int), plus `describe` and `value_counts`,
//! which frames reuse per column.

use polars::prelude::*;

use super::describe::STATS;
use super::local_util::{
    as_pandas, extreme, is_numeric, missing_count, pairwise_sum, present_f64, quantile,
    scalar_text, sort_order, value_scalar, zero_filled,
};
use super::native::pl;
use super::reduce::{Agg, ColAcc};
use super::series::missing;
use super::value::Index;
use crate::engine::Scalar;
use crate::error::{Error, Result};

/// The reductions of computed series and frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Sum,
    Mean,
    Min,
    Max,
    Count,
    Std,
    Var,
    Median,
}

impl Stat {
    pub fn parse(name: &str) -> Option<Stat> {
        Some(match name {
            "sum" => Stat::Sum,
            "mean" => Stat::Mean,
            "min" => Stat::Min,
            "max" => Stat::Max,
            "count" => Stat::Count,
            "std" => Stat::Std,
            "var" => Stat::Var,
            "median" => Stat::Median,
            _ => return None,
        })
    }
    /// Whether a frame reduction takes numbers and bools only by default (all others: every column).
    pub fn numeric_only(self) -> bool {
        !matches!(self, Stat::Count | Stat::Min | Stat::Max)
    }
}

/// `s.<stat>()` as pandas computes it: missing values skipped; sum of ints is an int, mean/std/var/median
/// floats, min/max keep the dtype (strings too), count an int; all-missing: sum 0, the others NaN.
pub fn stat(s: &Series, st: Stat, ddof: i64) -> Result<Scalar> {
    let s = as_pandas(s)?;
    let dt = s.dtype().clone();
    match st {
        Stat::Count => return Ok(Scalar::Int((s.len() - missing_count(&s)?) as i64)),
        Stat::Min | Stat::Max => {
            return match extreme(&s, st == Stat::Max)? {
                Some(p) => value_scalar(&s, p),
                None => Ok(Scalar::Float(f64::NAN)),
            }
        }
        _ if !is_numeric(&dt) => {
            return Err(Error::value(format!(
                "unsupported operand type for {}(): a Series of dtype {} (numbers and bools only)",
                format!("{st:?}").to_lowercase(),
                super::format::dtype_name(&dt)
            )))
        }
        _ => {}
    }
    if st == Stat::Sum && !dt.is_float() {
        // Exact integer sum (bools count as 0/1).
        return Ok(ColAcc::of(&s)?.finish(Agg::Sum, &dt));
    }
    if st == Stat::Median {
        let mut v = present_f64(&s)?;
        v.sort_by(f64::total_cmp);
        return Ok(Scalar::Float(quantile(&v, 0.5)));
    }
    // pandas' nanops: missing values filled with 0 and summed by numpy (pairwise), divided by the count.
    let (filled, miss) = zero_filled(&s)?;
    let count = miss.iter().filter(|m| !**m).count() as f64;
    let total = pairwise_sum(&filled);
    Ok(Scalar::Float(match st {
        Stat::Sum => total,
        Stat::Mean if count == 0.0 => f64::NAN,
        Stat::Mean => total / count,
        _ => {
            let avg = total / count;
            let sqr: Vec<f64> = filled
                .iter()
                .zip(&miss)
                .map(|(v, m)| if *m { 0.0 } else { (avg - v) * (avg - v) })
                .collect();
            let d = count - ddof as f64;
            let var = if d <= 0.0 {
                f64::NAN
            } else {
                pairwise_sum(&sqr) / d
            };
            if st == Stat::Std {
                var.sqrt()
            } else {
                var
            }
        }
    }))
}

/// `describe()`: pandas' numeric statistics, or count/unique/top/freq for other dtypes.
pub fn describe(s: &Series) -> Result<(Series, Index)> {
    let name = s.name().as_str();
    let dt = as_pandas(s)?.dtype().clone();
    if dt.is_primitive_numeric() {
        let mut v = present_f64(s)?;
        v.sort_by(f64::total_cmp);
        let num = |st| stat(s, st, 1).map(|x| x.as_f64().unwrap_or(f64::NAN));
        let vals = [
            v.len() as f64,
            num(Stat::Mean)?,
            num(Stat::Std)?,
            v.first().copied().unwrap_or(f64::NAN),
            quantile(&v, 0.25),
            quantile(&v, 0.5),
            quantile(&v, 0.75),
            v.last().copied().unwrap_or(f64::NAN),
        ];
        let vals: Vec<Option<f64>> = vals.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
        return Ok((Series::new(name.into(), vals), Index::labels("", &STATS)));
    }
    let (vals, counts) = value_counts(s, true, false)?;
    let first = |x: &Series| -> Result<Option<String>> {
        match x.is_empty() {
            true => Ok(None),
            false => Ok(Some(scalar_text(&value_scalar(x, 0)?))),
        }
    };
    let cells = vec![
        Some((s.len() - missing_count(s)?).to_string()),
        Some(vals.len().to_string()),
        first(&vals)?,
        first(&counts)?,
    ];
    Ok((
        Series::new(name.into(), cells),
        Index::labels("", &["count", "unique", "top", "freq"]),
    ))
}

/// Distinct values and their counts, most frequent first (`ascending`: least); ties in order of first
/// appearance, as pandas' stable sort of its hash table leaves them.
pub fn value_counts(s: &Series, dropna: bool, ascending: bool) -> Result<(Series, Series)> {
    let s = if dropna {
        s.filter(&!&missing(s)?)
            .map_err(|e| pl("value_counts", e))?
    } else {
        s.clone()
    };
    let df = DataFrame::new(s.len(), vec![s.clone().with_name("__v".into()).into()])
        .map_err(|e| pl("value_counts", e))?;
    let out = df
        .lazy()
        .group_by_stable([col("__v")])
        .agg([len().cast(DataType::Int64).alias("__n")])
        .collect()
        .map_err(|e| pl("value_counts", e))?;
    let get = |c: &str| -> Result<Series> {
        Ok(out
            .column(c)
            .map_err(|e| pl("value_counts", e))?
            .as_materialized_series()
            .clone())
    };
    let (vals, counts) = (get("__v")?, get("__n")?);
    let order = sort_order(std::slice::from_ref(&counts), &[!ascending], true)?;
    let take = |x: &Series| x.take_slice(&order).map_err(|e| pl("value_counts", e));
    Ok((take(&vals)?.with_name(s.name().clone()), take(&counts)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &Series, st: Stat) -> f64 {
        match stat(s, st, 1).unwrap() {
            Scalar::Float(v) => v,
            other => panic!("{st:?}: not a float: {other:?}"),
        }
    }

    // Expected values are pandas 2.3's for the same data.
    #[test]
    fn nan_and_null_are_both_skipped() {
        let s = Series::new("x".into(), [Some(1.0), None, Some(f64::NAN), Some(4.0)]);
        assert_eq!(f(&s, Stat::Sum), 5.0);
        assert_eq!(f(&s, Stat::Mean), 2.5);
        assert_eq!(f(&s, Stat::Min), 1.0);
        assert_eq!(f(&s, Stat::Max), 4.0);
        assert_eq!(f(&s, Stat::Median), 2.5);
        assert_eq!(f(&s, Stat::Var), 4.5);
        assert_eq!(stat(&s, Stat::Var, 0).unwrap(), Scalar::Float(2.25));
        assert!((f(&s, Stat::Std) - 2.1213203435596424).abs() < 1e-15);
        assert_eq!(stat(&s, Stat::Count, 1).unwrap(), Scalar::Int(2));
        // All missing: sum 0.0, count 0, the rest NaN.
        let e = Series::new("e".into(), [None, Some(f64::NAN)]);
        assert_eq!(stat(&e, Stat::Sum, 1).unwrap(), Scalar::Float(0.0));
        assert_eq!(stat(&e, Stat::Count, 1).unwrap(), Scalar::Int(0));
        for st in [Stat::Mean, Stat::Min, Stat::Max, Stat::Std, Stat::Median] {
            assert!(f(&e, st).is_nan(), "{st:?}");
        }
    }

    #[test]
    fn moments_like_pandas() {
        let tenth = Series::new("t".into(), vec![0.1; 10]);
        assert_eq!(stat(&tenth, Stat::Sum, 1).unwrap(), Scalar::Float(1.0));
        assert_eq!(stat(&tenth, Stat::Mean, 1).unwrap(), Scalar::Float(0.1));
        assert_eq!(stat(&tenth, Stat::Std, 1).unwrap(), Scalar::Float(0.0));
        let mut v: Vec<Option<f64>> = (1..20).map(|i| Some(0.1 * i as f64)).collect();
        v.push(None);
        let x = Series::new("x".into(), v);
        assert_eq!(stat(&x, Stat::Sum, 1).unwrap(), Scalar::Float(19.0));
        assert_eq!(stat(&x, Stat::Mean, 1).unwrap(), Scalar::Float(1.0));
        assert_eq!(f(&x, Stat::Std), 0.5627314338711378);
        assert_eq!(
            stat(&x, Stat::Var, 0).unwrap(),
            Scalar::Float(0.30000000000000004)
        );
        let long: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64 / 3.0).collect();
        assert_eq!(
            f(&Series::new("l".into(), long), Stat::Std),
            96.27314536524979
        );
    }

    #[test]
    fn dtypes_like_pandas() {
        let i = Series::new("i".into(), [3i64, -1, 5]);
        assert_eq!(stat(&i, Stat::Sum, 1).unwrap(), Scalar::Int(7));
        assert_eq!(stat(&i, Stat::Min, 1).unwrap(), Scalar::Int(-1));
        assert_eq!(stat(&i, Stat::Max, 1).unwrap(), Scalar::Int(5));
        assert_eq!(stat(&i, Stat::Count, 1).unwrap(), Scalar::Int(3));
        assert_eq!(f(&i, Stat::Median), 3.0);
        assert!((f(&i, Stat::Mean) - 7.0 / 3.0).abs() < 1e-15);
        // pandas holds integers with missing values as float64: their sum and max are floats.
        let im = Series::new("im".into(), [Some(3i32), None, Some(4)]);
        assert_eq!(stat(&im, Stat::Sum, 1).unwrap(), Scalar::Float(7.0));
        assert_eq!(stat(&im, Stat::Max, 1).unwrap(), Scalar::Float(4.0));
        let b = Series::new("b".into(), [true, false, true]);
        assert_eq!(stat(&b, Stat::Sum, 1).unwrap(), Scalar::Int(2));
        assert_eq!(stat(&b, Stat::Max, 1).unwrap(), Scalar::Bool(true));
        let t = Series::new("t".into(), [Some("b"), None, Some("a")]);
        assert_eq!(stat(&t, Stat::Min, 1).unwrap(), Scalar::Str("a".into()));
        assert_eq!(stat(&t, Stat::Max, 1).unwrap(), Scalar::Str("b".into()));
        assert_eq!(stat(&t, Stat::Count, 1).unwrap(), Scalar::Int(2));
        // Timestamps (ordered through a sort): min/max as pandas prints them.
        let day = 86_400_000_000_000i64;
        let ts = Series::new("ts".into(), [Some(2 * day), None, Some(day)])
            .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
            .unwrap();
        assert_eq!(
            stat(&ts, Stat::Min, 1).unwrap(),
            Scalar::Str("1970-01-02".into())
        );
        assert_eq!(stat(&ts, Stat::Count, 1).unwrap(), Scalar::Int(2));
        let err = stat(&t, Stat::Mean, 1).unwrap_err().to_string();
        assert!(err.contains("unsupported operand type for mean()") && err.contains("object"));
    }

    #[test]
    fn describe_and_value_counts() {
        let s = Series::new(
            "x".into(),
            [Some(1.0), None, Some(3.0), Some(f64::NAN), Some(2.0)],
        );
        let (d, idx) = describe(&s).unwrap();
        let v: Vec<Option<f64>> = d.f64().unwrap().iter().collect();
        let q = [3.0, 2.0, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0];
        assert_eq!(v, q.map(Some));
        assert_eq!(idx.len(), 8);
        // Ties keep the order of first appearance (pandas' stable sort of its hash table).
        let t = Series::new(
            "t".into(),
            [Some("b"), Some("a"), Some("b"), None, Some("a"), Some("c")],
        );
        let (vals, counts) = value_counts(&t, true, false).unwrap();
        let vals: Vec<Option<&str>> = vals.str().unwrap().iter().collect();
        assert_eq!(vals, [Some("b"), Some("a"), Some("c")]);
        let counts: Vec<Option<i64>> = counts.i64().unwrap().iter().collect();
        assert_eq!(counts, [Some(2), Some(2), Some(1)]);
        let (d, _) = describe(&t).unwrap();
        let d: Vec<Option<&str>> = d.str().unwrap().iter().collect();
        assert_eq!(d, [Some("5"), Some("3"), Some("b"), Some("2")]);
    }
}
