//! Shared pieces of the computed `Series`/`DataFrame` methods: pandas' view of a column (missing = null or NaN; integers with missing values are float64), stable sort
//! orders with missing values placed explicitly, numpy's pairwise sums and linear quantiles.

use polars::prelude::*;

use super::format::format_cells;
use super::native::pl;
use super::series::missing;
use crate::engine::Scalar;
use crate::error::Result;

/// Numbers and bools: what pandas' `numeric_only` keeps.
pub fn is_numeric(dt: &DataType) -> bool {
    dt.is_primitive_numeric() || dt.is_bool()
}

/// The column as pandas holds it: integers with missing values are float64 (so their sum is a float).
pub fn as_pandas(s: &Series) -> Result<Series> {
    if s.dtype().is_integer() && s.null_count() > 0 {
        return s.cast(&DataType::Float64).map_err(|e| pl("cast", e));
    }
    Ok(s.clone())
}

/// Number of missing values (null, or NaN in float columns).
pub fn missing_count(s: &Series) -> Result<usize> {
    Ok(missing(s)?.iter().filter(|m| *m == Some(true)).count())
}

/// The non-missing values as floats (nulls and NaN dropped).
pub fn present_f64(s: &Series) -> Result<Vec<f64>> {
    let f = s
        .cast(&DataType::Float64)
        .map_err(|e| pl("numeric column", e))?;
    Ok(f.f64()
        .map_err(|e| pl("numeric column", e))?
        .iter()
        .flatten()
        .filter(|x| !x.is_nan())
        .collect())
}

/// numpy's linear-interpolated quantile of sorted values (NaN when empty).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The values as floats with missing ones 0.0, and the missing mask (what pandas' nanops sums over).
pub fn zero_filled(s: &Series) -> Result<(Vec<f64>, Vec<bool>)> {
    let f = s.cast(&DataType::Float64).map_err(|e| pl("reduction", e))?;
    let ca = f.f64().map_err(|e| pl("reduction", e))?;
    Ok(ca
        .iter()
        .map(|v| match v {
            Some(x) if !x.is_nan() => (x, false),
            _ => (0.0, true),
        })
        .unzip())
}

/// numpy's pairwise summation of float64 (`np.add.reduce`): blocks of up to 128 values summed with 8
/// accumulators, halves summed recursively; so sums print as pandas prints them (`[0.1] * 10` is 1.0).
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |acc, x| acc + x);
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for x in &a[i..] {
            res += x;
        }
        return res;
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
}

/// Rounding as numpy's `around`: half to even at `decimals`.
pub fn round_f64(x: f64, decimals: i64) -> f64 {
    if decimals >= 0 {
        let f = 10f64.powi(decimals as i32);
        (x * f).round_ties_even() / f
    } else {
        let f = 10f64.powi(-decimals as i32);
        (x / f).round_ties_even() * f
    }
}

/// A sort key with pandas' missing values as nulls: polars orders NaN above every number.
fn sort_key(s: &Series, name: &str) -> Result<Series> {
    if !s.dtype().is_float() {
        return Ok(s.clone().with_name(name.into()));
    }
    let f = s.cast(&DataType::Float64).map_err(|e| pl("sort", e))?;
    let ca: Float64Chunked = f
        .f64()
        .map_err(|e| pl("sort", e))?
        .iter()
        .map(|v| v.filter(|x| !x.is_nan()))
        .collect();
    Ok(ca.with_name(name.into()).into_series())
}

/// Row positions in the order of `keys` (lexicographic, `descending` per key). Stable: ties keep their
/// order, as pandas' sort does. Missing values go last (or first) for every key, whatever the direction.
pub fn sort_order(keys: &[Series], descending: &[bool], na_last: bool) -> Result<Vec<IdxSize>> {
    let n = keys.first().map_or(0, |k| k.len());
    let names: Vec<String> = (0..keys.len()).map(|i| format!("__key{i}")).collect();
    let mut cols: Vec<Column> = keys
        .iter()
        .zip(&names)
        .map(|(k, name)| sort_key(k, name).map(Column::from))
        .collect::<Result<_>>()?;
    let pos: Vec<IdxSize> = (0..n as IdxSize).collect();
    cols.push(Series::new("__pos".into(), pos).into());
    let df = DataFrame::new(n, cols).map_err(|e| pl("sort", e))?;
    let opts = SortMultipleOptions::default()
        .with_order_descending_multi(descending.to_vec())
        .with_nulls_last_multi(vec![na_last; keys.len()])
        .with_maintain_order(true);
    let sorted = df.sort(&names, opts).map_err(|e| pl("sort", e))?;
    let pos = sorted.column("__pos").map_err(|e| pl("sort", e))?;
    let pos = pos.as_materialized_series();
    Ok(pos
        .idx()
        .map_err(|e| pl("sort", e))?
        .into_no_null_iter()
        .collect())
}

/// Position of the first best value of `it` (`None` items are missing).
fn first_best<T: PartialOrd>(it: impl Iterator<Item = Option<T>>, largest: bool) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, v) in it.enumerate() {
        let Some(v) = v else { continue };
        let better = match &best {
            None => true,
            Some((_, b)) if largest => v > *b,
            Some((_, b)) => v < *b,
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Position of the first largest (or smallest) non-missing value; `None` when every value is missing.
/// One pass for numbers, bools and strings; other dtypes (timestamps...) through a sort.
pub fn extreme(s: &Series, largest: bool) -> Result<Option<usize>> {
    let dt = s.dtype();
    let ctx = |e| pl("min/max", e);
    if dt.is_float() {
        let f = s.cast(&DataType::Float64).map_err(ctx)?;
        let it = f.f64().map_err(ctx)?.iter();
        return Ok(first_best(it.map(|v| v.filter(|x| !x.is_nan())), largest));
    }
    if *dt == DataType::UInt64 {
        return Ok(first_best(s.u64().map_err(ctx)?.iter(), largest));
    }
    if dt.is_integer() || dt.is_bool() {
        let i = s.cast(&DataType::Int64).map_err(ctx)?;
        return Ok(first_best(i.i64().map_err(ctx)?.iter(), largest));
    }
    if dt.is_string() {
        return Ok(first_best(s.str().map_err(ctx)?.iter(), largest));
    }
    let miss = missing(s)?;
    let order = sort_order(std::slice::from_ref(s), &[largest], true)?;
    Ok(order
        .first()
        .map(|&p| p as usize)
        .filter(|&p| miss.get(p) != Some(true)))
}

/// The value at position `p` as an engine scalar (timestamps as pandas prints them).
pub fn value_scalar(s: &Series, p: usize) -> Result<Scalar> {
    let v = s.get(p).map_err(|e| pl("series item", e))?;
    Ok(match v {
        AnyValue::Null => Scalar::Null,
        AnyValue::Boolean(b) => Scalar::Bool(b),
        AnyValue::String(x) => Scalar::Str(x.to_string()),
        AnyValue::StringOwned(x) => Scalar::Str(x.to_string()),
        AnyValue::Float32(f) => Scalar::Float(f as f64),
        AnyValue::Float64(f) => Scalar::Float(f),
        other if other.is_integer() => Scalar::Int(other.extract::<i64>().unwrap_or(0)),
        _ => Scalar::Str(format_cells(s, &[p]).remove(0)),
    })
}

/// A scalar as pandas prints it inside an `object` column.
pub fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Str(x) => x.clone(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => super::format::format_floats(&[Some(*f)]).remove(0),
        Scalar::Bool(b) => if *b { "True" } else { "False" }.into(),
        Scalar::Null => "NaN".into(),
    }
}

/// Scalars of one reduction as a series, with pandas' common dtype: all ints int64, all bools bool,
/// numbers float64, anything mixed object (cells as pandas prints each value).
pub fn scalars_series(name: &str, vals: &[Scalar]) -> Series {
    let all = |f: fn(&Scalar) -> bool| vals.iter().all(f);
    if !vals.is_empty() && all(|v| matches!(v, Scalar::Int(_))) {
        let v: Vec<i64> = vals
            .iter()
            .filter_map(|v| match v {
                Scalar::Int(i) => Some(*i),
                _ => None,
            })
            .collect();
        return Series::new(name.into(), v);
    }
    if !vals.is_empty() && all(|v| matches!(v, Scalar::Bool(_))) {
        let v: Vec<bool> = vals.iter().map(|v| v == &Scalar::Bool(true)).collect();
        return Series::new(name.into(), v);
    }
    let numeric = |v: &Scalar| matches!(v, Scalar::Int(_) | Scalar::Float(_) | Scalar::Null);
    if all(numeric) {
        let v: Vec<Option<f64>> = vals
            .iter()
            .map(|v| v.as_f64().filter(|x| !x.is_nan()))
            .collect();
        return Series::new(name.into(), v);
    }
    let cells: Vec<Option<String>> = vals
        .iter()
        .map(|v| match v {
            Scalar::Null => None,
            Scalar::Float(f) if f.is_nan() => None,
            Scalar::Float(f) => Some(super::format::format_floats(&[Some(*f)]).remove(0)),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            Scalar::Str(s) => Some(s.clone()),
        })
        .collect();
    Series::new(name.into(), cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected sums are numpy 2's `np.sum` of the same values.
    #[test]
    fn sums_like_numpy() {
        // Naive summation gives 0.9999999999999999.
        assert_eq!(pairwise_sum(&[0.1; 10]), 1.0);
        // Over 128 values: halves summed recursively.
        let long: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64 / 3.0).collect();
        assert_eq!(long.iter().sum::<f64>(), 166499.9999999999);
        assert_eq!(pairwise_sum(&long), 166500.0);
        let (filled, miss) =
            zero_filled(&Series::new("x".into(), [Some(1.0), None, Some(f64::NAN)])).unwrap();
        assert_eq!(
            (filled, miss),
            (vec![1.0, 0.0, 0.0], vec![false, true, true])
        );
        assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
    }
}
