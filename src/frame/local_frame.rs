//! Methods of a computed `DataFrame` with pandas semantics: per-column reductions (a `Series` indexed by
//! column name), sort_values by one or more columns, nlargest/nsmallest, describe and tail.

use polars::prelude::*;

use super::local_args::{ascending_arg, bool_arg, int_arg, keep_first_arg, na_last_arg, stat_args};
use super::local_stats::{describe as describe_series, stat, Stat};
use super::local_util::{is_numeric, scalars_series, sort_order};
use super::native::{pl, str_or_list};
use super::series::missing;
use super::value::{FrameValue, Index, SeriesValue};
use crate::error::{Error, Result};
use crate::lang::object::closest;
use crate::lang::{Args, Obj};

/// Methods of computed frames besides `head` (for completion and "did you mean").
pub const METHODS: [&str; 15] = [
    "sum",
    "mean",
    "min",
    "max",
    "count",
    "std",
    "var",
    "median",
    "sort_values",
    "nlargest",
    "nsmallest",
    "describe",
    "tail",
    "head",
    "dropna",
];

/// `KeyError: 'x'` naming the closest column.
pub fn key_error(df: &DataFrame, name: &str) -> Error {
    let names = df.get_column_names();
    let hint = closest(name, names.iter().map(|s| s.as_str()))
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default();
    Error::value(format!("KeyError: '{name}': not a column{hint}"))
}

fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    Ok(df
        .column(name)
        .map_err(|_| key_error(df, name))?
        .as_materialized_series())
}

/// `df.<stat>()`: one value per column (numbers and bools only for sum/mean/std/var/median, as pandas'
/// `numeric_only=True`; every column for count/min/max unless `numeric_only=True`).
pub fn reduce(v: &FrameValue, st: Stat, ddof: i64, numeric_only: bool) -> Result<SeriesValue> {
    let (mut labels, mut vals) = (Vec::new(), Vec::new());
    for c in v.df.columns() {
        let s = c.as_materialized_series();
        if numeric_only && !is_numeric(s.dtype()) {
            continue;
        }
        labels.push(c.name().as_str());
        vals.push(stat(s, st, ddof)?);
    }
    Ok(SeriesValue::new(
        scalars_series("", &vals),
        Index::labels("", &labels),
    ))
}

/// The sort keys named by `by` (a column name or a list of them).
fn keys(v: &FrameValue, by: Option<&Obj>, func: &str) -> Result<(Vec<String>, Vec<Series>)> {
    let by = by.ok_or_else(|| {
        Error::value(format!(
            "{func}() missing 1 required positional argument: 'by'"
        ))
    })?;
    let names = str_or_list(by, &format!("{func}() argument 'by'"))?;
    if names.is_empty() {
        return Err(Error::value(format!("{func}(): 'by' names no column")));
    }
    let cols = names
        .iter()
        .map(|n| column(&v.df, n).cloned())
        .collect::<Result<_>>()?;
    Ok((names, cols))
}

/// `describe()`: numeric columns (bools excluded) as pandas; object statistics when there are none.
fn describe(v: &FrameValue) -> Result<FrameValue> {
    let numeric: Vec<&Column> =
        v.df.columns()
            .iter()
            .filter(|c| c.dtype().is_primitive_numeric())
            .collect();
    let cols: Vec<&Column> = match numeric.is_empty() {
        true => v.df.columns().iter().collect(),
        false => numeric,
    };
    let mut out = Vec::new();
    let mut index = Index::range(0);
    for c in cols {
        let (s, idx) = describe_series(c.as_materialized_series())?;
        out.push(Column::from(s));
        index = idx;
    }
    let df = DataFrame::new(index.len(), out).map_err(|e| pl("describe", e))?;
    Ok(FrameValue::new(df, index))
}

/// Dispatch `name(args)` on a computed frame; `Ok(None)` when it is not one of [`METHODS`].
pub fn call(v: &FrameValue, name: &str, args: &Args) -> Result<Option<Obj>> {
    let frame = |f: FrameValue| Ok(Some(Obj::native(f)));
    if let Some(st) = Stat::parse(name) {
        let ddof = stat_args(args, name)?;
        let numeric_only = match args.opt(usize::MAX, "numeric_only") {
            None => st.numeric_only(),
            Some(_) => bool_arg(args, usize::MAX, "numeric_only", name, false)?,
        };
        return Ok(Some(Obj::native(reduce(v, st, ddof, numeric_only)?)));
    }
    match name {
        "sort_values" => {
            args.check(
                name,
                1,
                &["by", "ascending", "na_position", "ignore_index", "kind"],
            )?;
            let (names, keys) = keys(v, args.opt(0, "by"), name)?;
            let desc: Vec<bool> = ascending_arg(args, usize::MAX, name, names.len())?
                .iter()
                .map(|a| !a)
                .collect();
            let order = sort_order(&keys, &desc, na_last_arg(args, name)?)?;
            let mut out = v.take(&order)?;
            if bool_arg(args, usize::MAX, "ignore_index", name, false)? {
                out.index = Index::range(out.df.height());
            }
            frame(out)
        }
        "nlargest" | "nsmallest" => {
            args.check(name, 2, &["n", "columns", "keep"])?;
            keep_first_arg(args, name)?;
            let n = match args.opt(0, "n") {
                Some(_) => int_arg(args, 0, "n", name, 5)?.max(0) as usize,
                None => {
                    return Err(Error::value(format!(
                        "{name}() missing 1 required positional argument: 'n'"
                    )))
                }
            };
            let (names, keys) = keys(v, args.opt(1, "columns"), name)?;
            for (c, k) in names.iter().zip(&keys) {
                if k.dtype().is_string() {
                    return Err(Error::value(format!(
                        "unsupported operand type for {name}(): column '{c}' has dtype object"
                    )));
                }
            }
            let desc = vec![name == "nlargest"; keys.len()];
            let order = sort_order(&keys, &desc, true)?;
            // pandas: rows with missing keys come last, shown only when fewer than `n` rows remain.
            frame(v.take(&order[..order.len().min(n)])?)
        }
        "describe" => {
            args.check(name, 0, &[])?;
            frame(describe(v)?)
        }
        "tail" => {
            args.check(name, 1, &["n"])?;
            let n = int_arg(args, 0, "n", name, 5)?.max(0) as usize;
            frame(FrameValue::new(v.df.tail(Some(n)), v.index.tail(n)?))
        }
        "dropna" => {
            args.check(name, 0, &["subset"])?;
            let cols = match args.opt(usize::MAX, "subset") {
                Some(o) => str_or_list(o, "dropna() argument 'subset'")?,
                None => {
                    v.df.get_column_names()
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                }
            };
            let mut keep = BooleanChunked::full("".into(), true, v.df.height());
            for c in &cols {
                keep = &keep & &!&missing(column(&v.df, c)?)?;
            }
            let order: Vec<IdxSize> = keep
                .iter()
                .enumerate()
                .filter(|(_, k)| *k == Some(true))
                .map(|(i, _)| i as IdxSize)
                .collect();
            frame(v.take(&order)?)
        }
        _ => Ok(None),
    }
}
