//! Methods of a computed `Series` with pandas semantics: reductions (see [`super::local_stats`]),
//! idxmax/idxmin (index labels), sort_values/sort_index (labels travel with their values, missing
//! values last), nlargest/nsmallest, abs/round, unique/nunique/value_counts, describe and tail.

use polars::prelude::*;

use super::collection::scalar_obj;
use super::local_args::{bool_arg, int_arg, keep_first_arg, na_last_arg, stat_args};
use super::local_stats::{describe, stat, value_counts, Stat};
use super::local_util::{extreme, present_f64, round_f64, sort_order};
use super::native::pl;
use super::series::missing;
use super::value::{any_to_obj, Index, SeriesValue};
use crate::error::{Error, Result};
use crate::lang::{Args, Obj};

/// Methods of computed series besides `head`/`tolist` (for completion and "did you mean").
pub const METHODS: [&str; 22] = [
    "sum",
    "mean",
    "min",
    "max",
    "count",
    "std",
    "var",
    "median",
    "idxmax",
    "idxmin",
    "sort_values",
    "sort_index",
    "nlargest",
    "nsmallest",
    "abs",
    "round",
    "unique",
    "nunique",
    "value_counts",
    "describe",
    "tail",
    "to_list",
];

/// Apply `f` to every value as a float and cast back to the series' dtype (missing stay missing).
fn map_numeric(s: &Series, what: &str, f: impl Fn(f64) -> f64) -> Result<Series> {
    if !s.dtype().is_primitive_numeric() {
        return Err(Error::value(format!(
            "unsupported operand type for {what}(): a Series of dtype {}",
            super::format::dtype_name(s.dtype())
        )));
    }
    let x = s.cast(&DataType::Float64).map_err(|e| pl(what, e))?;
    let ca: Float64Chunked = x
        .f64()
        .map_err(|e| pl(what, e))?
        .iter()
        .map(|v| v.map(&f))
        .collect();
    ca.with_name(s.name().clone())
        .into_series()
        .cast(s.dtype())
        .map_err(|e| pl(what, e))
}

/// Dispatch `name(args)` on a computed series; `Ok(None)` when it is not one of [`METHODS`].
pub fn call(v: &SeriesValue, name: &str, args: &Args) -> Result<Option<Obj>> {
    if let Some(st) = Stat::parse(name) {
        let ddof = stat_args(args, name)?;
        return Ok(Some(scalar_obj(&stat(&v.series, st, ddof)?)));
    }
    let series = |s: SeriesValue| Ok(Some(Obj::native(s)));
    match name {
        "idxmax" | "idxmin" => {
            args.check(name, 0, &["skipna"])?;
            if !bool_arg(args, usize::MAX, "skipna", name, true)? {
                return Err(Error::value(format!(
                    "{name}(): skipna=False is not supported"
                )));
            }
            match extreme(&v.series, name == "idxmax")? {
                Some(p) => Ok(Some(v.index.label(p))),
                None => Err(Error::value(format!(
                    "{name}(): attempt to get arg{} of an empty sequence (no non-missing values)",
                    &name[3..]
                ))),
            }
        }
        "sort_values" | "sort_index" => {
            args.check(
                name,
                0,
                &["ascending", "na_position", "ignore_index", "kind"],
            )?;
            let desc = !bool_arg(args, usize::MAX, "ascending", name, true)?;
            let key = match name {
                "sort_values" => v.series.clone(),
                _ => v.index.to_series(),
            };
            let order = sort_order(&[key], &[desc], na_last_arg(args, name)?)?;
            let mut out = v.take(&order)?;
            if bool_arg(args, usize::MAX, "ignore_index", name, false)? {
                out.index = Index::range(out.series.len());
            }
            series(out)
        }
        "nlargest" | "nsmallest" => {
            args.check(name, 1, &["n", "keep"])?;
            keep_first_arg(args, name)?;
            let n = int_arg(args, 0, "n", name, 5)?.max(0) as usize;
            if v.series.dtype().is_string() {
                return Err(Error::value(format!(
                    "unsupported operand type for {name}(): a Series of dtype object"
                )));
            }
            let order = sort_order(std::slice::from_ref(&v.series), &[name == "nlargest"], true)?;
            // pandas: missing values come last, so they show only when fewer than `n` values remain.
            series(v.take(&order[..order.len().min(n)])?)
        }
        "abs" => {
            args.check(name, 0, &[])?;
            series(SeriesValue::new(
                map_numeric(&v.series, name, f64::abs)?,
                v.index.clone(),
            ))
        }
        "round" => {
            args.check(name, 1, &["decimals"])?;
            let d = int_arg(args, 0, "decimals", name, 0)?;
            let s = match v.series.dtype() {
                dt if dt.is_integer() && d >= 0 => v.series.clone(),
                _ => map_numeric(&v.series, name, |x| round_f64(x, d))?,
            };
            series(SeriesValue::new(s, v.index.clone()))
        }
        "unique" => {
            args.check(name, 0, &[])?;
            let u = v.series.unique_stable().map_err(|e| pl("unique", e))?;
            let items = (0..u.len())
                .map(|i| u.get(i).map(|x| any_to_obj(&x)))
                .collect::<PolarsResult<Vec<Obj>>>()
                .map_err(|e| pl("unique", e))?;
            Ok(Some(Obj::List(items.into())))
        }
        "nunique" => {
            args.check(name, 1, &["dropna"])?;
            let s = match bool_arg(args, 0, "dropna", name, true)? {
                true => v.series.filter(&!&missing(&v.series)?),
                false => Ok(v.series.clone()),
            };
            let n = s.and_then(|s| s.n_unique()).map_err(|e| pl("nunique", e))?;
            Ok(Some(Obj::Int(n as i64)))
        }
        "value_counts" => {
            args.check(name, 0, &["normalize", "dropna", "ascending"])?;
            let dropna = bool_arg(args, usize::MAX, "dropna", name, true)?;
            let asc = bool_arg(args, usize::MAX, "ascending", name, false)?;
            let (vals, mut counts) = value_counts(&v.series, dropna, asc)?;
            counts = counts.with_name("count".into());
            if bool_arg(args, usize::MAX, "normalize", name, false)? {
                let c = present_f64(&counts)?;
                let total: f64 = c.iter().sum();
                let p: Vec<f64> = c.iter().map(|x| x / total).collect();
                counts = Series::new("proportion".into(), p);
            }
            series(SeriesValue::new(counts, Index::Labels(vals)))
        }
        "describe" => {
            args.check(name, 0, &[])?;
            let (s, index) = describe(&v.series)?;
            series(SeriesValue::new(s, index))
        }
        "tail" => {
            args.check(name, 1, &["n"])?;
            let n = int_arg(args, 0, "n", name, 5)?.max(0) as usize;
            let s = v.series.tail(Some(n));
            series(SeriesValue::new(s, v.index.tail(n)?))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &SeriesValue, name: &str, kw: Vec<(&str, Obj)>) -> Result<Obj> {
        let args = Args {
            positional: vec![],
            keywords: kw.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        };
        call(v, name, &args).map(|o| o.expect("a method"))
    }

    fn out(o: &Obj) -> &SeriesValue {
        o.downcast::<SeriesValue>().expect("a series")
    }

    fn labels(v: &SeriesValue) -> Vec<i64> {
        (0..v.index.len())
            .map(|i| v.index.label(i).as_i64().unwrap())
            .collect()
    }

    // Expected orders are pandas 2.3's for the same data.
    #[test]
    fn idxmax_gives_labels() {
        let s = Series::new("x".into(), [1.0, f64::NAN, 7.0, 7.0]);
        let v = SeriesValue::new(
            s,
            Index::Labels(Series::new("".into(), [10i64, 12, 15, 17])),
        );
        assert!(matches!(run(&v, "idxmax", vec![]).unwrap(), Obj::Int(15)));
        assert!(matches!(run(&v, "idxmin", vec![]).unwrap(), Obj::Int(10)));
        // Partitions counting from 0: the label, not the position.
        let p = SeriesValue::new(
            Series::new("p".into(), [1i64, 5, 9, 3]),
            Index::Parts(vec![2, 2]),
        );
        assert!(matches!(run(&p, "idxmax", vec![]).unwrap(), Obj::Int(0)));
        let e = SeriesValue::new(Series::new("e".into(), [f64::NAN]), Index::range(1));
        let err = run(&e, "idxmax", vec![]).unwrap_err().to_string();
        assert!(err.contains("argmax of an empty sequence"), "{err}");
    }

    #[test]
    fn sort_values_puts_missing_last() {
        let s = Series::new(
            "v".into(),
            [Some(3.0), Some(f64::NAN), Some(1.0), None, Some(2.0)],
        );
        let v = SeriesValue::new(s, Index::range(5));
        let up = run(&v, "sort_values", vec![]).unwrap();
        assert_eq!(labels(out(&up)), [2, 4, 0, 1, 3]);
        let down = run(&v, "sort_values", vec![("ascending", Obj::Bool(false))]).unwrap();
        assert_eq!(labels(out(&down)), [0, 4, 2, 1, 3]);
        let vals: Vec<Option<f64>> = out(&down).series.f64().unwrap().iter().collect();
        assert_eq!(&vals[..3], [Some(3.0), Some(2.0), Some(1.0)]);
        let first = run(&v, "sort_values", vec![("na_position", Obj::str("first"))]).unwrap();
        assert_eq!(labels(out(&first)), [1, 3, 2, 4, 0]);
        let back = run(out(&down), "sort_index", vec![]).unwrap();
        assert_eq!(labels(out(&back)), [0, 1, 2, 3, 4]);
        let bad = run(&v, "sort_values", vec![("ascending", Obj::str("no"))]).unwrap_err();
        assert!(bad
            .to_string()
            .contains("argument 'ascending' must be a bool"));
    }

    #[test]
    fn nlargest_ties_keep_first_rows() {
        let v = SeriesValue::new(Series::new("n".into(), [5i64, 1, 5, 3]), Index::range(4));
        let top = run(&v, "nlargest", vec![("n", Obj::Int(2))]).unwrap();
        assert_eq!(labels(out(&top)), [0, 2]);
        let low = run(&v, "nsmallest", vec![("n", Obj::Int(3))]).unwrap();
        assert_eq!(labels(out(&low)), [1, 3, 0]);
        // Missing values last, kept when fewer than `n` values remain (pandas 2.3).
        let f = SeriesValue::new(
            Series::new("f".into(), [None, Some(2.0), Some(f64::NAN), Some(3.0)]),
            Index::range(4),
        );
        let top = run(&f, "nlargest", vec![]).unwrap();
        assert_eq!(labels(out(&top)), [3, 1, 0, 2]);
        let top = run(&f, "nsmallest", vec![("n", Obj::Int(1))]).unwrap();
        assert_eq!(labels(out(&top)), [1]);
    }

    #[test]
    fn abs_round_unique() {
        let s = Series::new("r".into(), [0.5, 1.5, 2.5, -0.5, 2.675]);
        let v = SeriesValue::new(s, Index::range(5));
        let r = run(&v, "round", vec![]).unwrap();
        let r: Vec<Option<f64>> = out(&r).series.f64().unwrap().iter().collect();
        assert_eq!(r, [0.0, 2.0, 2.0, -0.0, 3.0].map(Some));
        // numpy rounds 2.675 * 100 = 267.5 half to even: 2.68 (Python's round gives 2.67).
        let r2 = run(&v, "round", vec![("decimals", Obj::Int(2))]).unwrap();
        assert_eq!(out(&r2).series.f64().unwrap().get(4), Some(2.68));
        let i = SeriesValue::new(
            Series::new("i".into(), [Some(-3i32), None, Some(2)]),
            Index::range(3),
        );
        let a = run(&i, "abs", vec![]).unwrap();
        let a: Vec<Option<i32>> = out(&a).series.i32().unwrap().iter().collect();
        assert_eq!(a, [Some(3), None, Some(2)]);
        let u = SeriesValue::new(
            Series::new("u".into(), [1.0, f64::NAN, 1.0, 2.0]),
            Index::range(4),
        );
        assert!(matches!(run(&u, "nunique", vec![]).unwrap(), Obj::Int(2)));
        assert!(matches!(run(&u, "unique", vec![]).unwrap(), Obj::List(l) if l.len() == 3));
    }
}
