//! Concrete (computed) results: a polars frame or series plus a pandas-like index, shown as pandas prints them.

use std::any::Any;

use polars::prelude::*;

use super::format::{frame_table, render, series_table, MAX_ROWS};
use super::native::pl;
use super::{local_args, local_frame, local_ops, local_series};
use crate::error::{Error, Result};
use crate::lang::{Args, BinOp, Native, Obj, Output, SessionCtx, UnaryOp};

/// The row labels of a concrete result.
#[derive(Debug, Clone)]
pub enum Index {
    /// Concatenated partitions that each count from 0 (Dask's per-partition RangeIndex): lengths per part.
    Parts(Vec<u64>),
    /// Explicit labels (group keys, column names, statistic names).
    Labels(Series),
}

impl Index {
    pub fn range(n: usize) -> Index {
        Index::Parts(vec![n as u64])
    }
    pub fn labels(name: &str, labels: &[&str]) -> Index {
        Index::Labels(Series::new(name.into(), labels))
    }
    /// The label of row `r` for positional indexes.
    pub fn position_label(&self, mut r: usize) -> u64 {
        if let Index::Parts(lens) = self {
            for &l in lens {
                if (r as u64) < l {
                    return r as u64;
                }
                r -= l as usize;
            }
        }
        r as u64
    }
    pub fn len(&self) -> usize {
        match self {
            Index::Parts(l) => l.iter().sum::<u64>() as usize,
            Index::Labels(s) => s.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The label of row `r` as a language object.
    pub fn label(&self, r: usize) -> Obj {
        match self {
            Index::Labels(s) => s.get(r).map_or(Obj::None, |v| any_to_obj(&v)),
            Index::Parts(_) => Obj::Int(self.position_label(r) as i64),
        }
    }
    /// The labels as a series (positional labels become explicit `int64` labels).
    pub fn to_series(&self) -> Series {
        match self {
            Index::Labels(s) => s.clone(),
            Index::Parts(_) => {
                let v: Vec<i64> = (0..self.len())
                    .map(|r| self.position_label(r) as i64)
                    .collect();
                Series::new("".into(), v)
            }
        }
    }
    /// The rows at positions `idx`, in that order: explicit labels, as pandas keeps them when reordering.
    pub fn take(&self, idx: &[IdxSize]) -> Result<Index> {
        let s = self.to_series();
        Ok(Index::Labels(
            s.take_slice(idx).map_err(|e| pl("index", e))?,
        ))
    }
    /// The last `n` rows.
    pub fn tail(&self, n: usize) -> Result<Index> {
        let len = self.len();
        let idx: Vec<IdxSize> = (len.saturating_sub(n)..len).map(|r| r as IdxSize).collect();
        self.take(&idx)
    }
    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Index {
        match self {
            Index::Labels(s) => Index::Labels(s.head(Some(n))),
            Index::Parts(lens) => {
                let (mut left, mut out) = (n as u64, Vec::new());
                for &l in lens {
                    if left == 0 {
                        break;
                    }
                    out.push(l.min(left));
                    left -= l.min(left);
                }
                Index::Parts(out)
            }
        }
    }
}

/// A computed data frame (pandas `DataFrame`).
#[derive(Debug, Clone)]
pub struct FrameValue {
    pub df: DataFrame,
    pub index: Index,
}

/// A computed series (pandas `Series`).
#[derive(Debug, Clone)]
pub struct SeriesValue {
    pub series: Series,
    pub index: Index,
}

impl FrameValue {
    pub fn new(df: DataFrame, index: Index) -> Self {
        FrameValue { df, index }
    }
    pub fn table(&self) -> crate::lang::Table {
        frame_table(&self.df, &self.index, MAX_ROWS)
    }
    pub fn to_text(&self) -> String {
        render(&self.table())
    }
    /// The rows at positions `order`, labels travelling with their rows.
    pub fn take(&self, order: &[IdxSize]) -> Result<FrameValue> {
        let idx = IdxCa::from_vec("".into(), order.to_vec());
        let df = self.df.take(&idx).map_err(|e| pl("rows", e))?;
        Ok(FrameValue::new(df, self.index.take(order)?))
    }
    fn column(&self, name: &str) -> Result<SeriesValue> {
        let c = self
            .df
            .column(name)
            .map_err(|_| super::local_frame::key_error(&self.df, name))?;
        Ok(SeriesValue {
            series: c.as_materialized_series().clone(),
            index: self.index.clone(),
        })
    }
}

impl SeriesValue {
    pub fn new(series: Series, index: Index) -> Self {
        SeriesValue { series, index }
    }
    pub fn table(&self) -> crate::lang::Table {
        series_table(&self.series, &self.index, MAX_ROWS)
    }
    pub fn to_text(&self) -> String {
        render(&self.table())
    }
    /// The values at positions `order`, labels travelling with their values.
    pub fn take(&self, order: &[IdxSize]) -> Result<SeriesValue> {
        let s = self.series.take_slice(order).map_err(|e| pl("rows", e))?;
        Ok(SeriesValue::new(s, self.index.take(order)?))
    }
    /// The value at position `i` as a language object.
    pub fn get(&self, i: usize) -> Result<Obj> {
        let v = self.series.get(i).map_err(|e| pl("series item", e))?;
        Ok(any_to_obj(&v))
    }
    /// The value whose label is `key` (string labels).
    fn at_label(&self, key: &Obj) -> Result<Obj> {
        if let (Index::Labels(l), Some(k)) = (&self.index, key.as_str()) {
            for i in 0..l.len() {
                if let Ok(AnyValue::String(s)) = l.get(i) {
                    if s == k {
                        return self.get(i);
                    }
                }
            }
            return Err(Error::value(format!("KeyError: '{k}'")));
        }
        if let (Index::Labels(l), Some(k)) = (&self.index, key.as_i64()) {
            for i in 0..l.len() {
                if l.get(i).ok().and_then(|v| v.extract::<i64>()) == Some(k) {
                    return self.get(i);
                }
            }
            return Err(Error::value(format!("KeyError: {k}")));
        }
        match key.as_i64() {
            Some(k) if k >= 0 && (k as usize) < self.series.len() => self.get(k as usize),
            _ => Err(Error::value("KeyError: label not in the index")),
        }
    }
}

/// `'T' object has no attribute 'x'; did you mean 'y'?`
fn no_attribute(ty: &str, name: &str, methods: &[&str]) -> Error {
    let hint = crate::lang::object::closest(name, methods.iter().copied())
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default();
    Error::value(format!("'{ty}' object has no attribute '{name}'{hint}"))
}

/// A polars value as a language object (pandas would give numpy scalars; missing is NaN).
pub fn any_to_obj(v: &AnyValue) -> Obj {
    match v {
        AnyValue::Null => Obj::Float(f64::NAN),
        AnyValue::Boolean(b) => Obj::Bool(*b),
        AnyValue::String(s) => Obj::str(*s),
        AnyValue::StringOwned(s) => Obj::str(s.as_str()),
        AnyValue::Float32(f) => Obj::Float(*f as f64),
        AnyValue::Float64(f) => Obj::Float(*f),
        other => match other.extract::<i64>() {
            Some(i) if other.is_integer() => Obj::Int(i),
            _ => Obj::str(other.to_string()),
        },
    }
}

impl Native for FrameValue {
    fn type_name(&self) -> &str {
        "DataFrame"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Table(self.table()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        Ok(match name {
            "columns" => Some(super::native::str_list(
                self.df.get_column_names().iter().map(|s| s.as_str()),
            )),
            "shape" => Some(Obj::Tuple(
                vec![
                    Obj::Int(self.df.height() as i64),
                    Obj::Int(self.df.width() as i64),
                ]
                .into(),
            )),
            // pandas' attribute access to columns, unless a method has that name.
            _ if self.df.column(name).is_ok() && !local_frame::METHODS.contains(&name) => {
                Some(Obj::native(self.column(name)?))
            }
            _ => None,
        })
    }
    fn attr_names(&self) -> Vec<String> {
        let mut v: Vec<String> = ["columns", "shape"].map(String::from).to_vec();
        v.extend(local_frame::METHODS.iter().map(|s| s.to_string()));
        v.extend(self.df.get_column_names().iter().map(|s| s.to_string()));
        v
    }
    fn call_method(&self, name: &str, args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        if name == "head" {
            args.check("head", 1, &["n"])?;
            let n = local_args::int_arg(&args, 0, "n", "head", 5)?.max(0) as usize;
            return Ok(Obj::native(FrameValue::new(
                self.df.head(Some(n)),
                self.index.head(n),
            )));
        }
        match local_frame::call(self, name, &args)? {
            Some(o) => Ok(o),
            None => Err(no_attribute("DataFrame", name, &local_frame::METHODS)),
        }
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        if let Some(rows) = local_ops::mask_positions(key, &self.index)? {
            return Ok(Obj::native(self.take(&rows)?));
        }
        match key {
            Obj::Str(s) => Ok(Obj::native(self.column(s)?)),
            Obj::List(_) | Obj::Tuple(_) => {
                let names = super::native::str_or_list(key, "DataFrame[[...]]")?;
                let cols = names
                    .iter()
                    .map(|n| self.column(n).map(|c| Column::from(c.series)))
                    .collect::<Result<Vec<_>>>()?;
                let df = DataFrame::new(self.df.height(), cols).map_err(|e| pl("select", e))?;
                Ok(Obj::native(FrameValue::new(df, self.index.clone())))
            }
            _ => Err(Error::value(
                "DataFrame[...] takes a column name, a list of column names or a boolean Series",
            )),
        }
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize> {
        Ok(self.df.height())
    }
}

impl Native for SeriesValue {
    fn type_name(&self) -> &str {
        "Series"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Table(self.table()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        Ok(match name {
            "name" => Some(Obj::str(self.series.name().as_str())),
            "dtype" => Some(Obj::str(super::format::shown_dtype(&self.series))),
            _ => None,
        })
    }
    fn attr_names(&self) -> Vec<String> {
        let mut v: Vec<String> = ["name", "dtype", "head", "tolist"]
            .map(String::from)
            .to_vec();
        v.extend(local_series::METHODS.iter().map(|s| s.to_string()));
        v
    }
    fn call_method(&self, name: &str, args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        match name {
            "head" => {
                args.check("head", 1, &["n"])?;
                let n = local_args::int_arg(&args, 0, "n", "head", 5)?.max(0) as usize;
                Ok(Obj::native(SeriesValue::new(
                    self.series.head(Some(n)),
                    self.index.head(n),
                )))
            }
            "tolist" | "to_list" => {
                args.check(name, 0, &[])?;
                let items: Result<Vec<Obj>> = (0..self.series.len()).map(|i| self.get(i)).collect();
                Ok(Obj::List(items?.into()))
            }
            _ => match local_series::call(self, name, &args)? {
                Some(o) => Ok(o),
                None => Err(no_attribute("Series", name, &local_series::METHODS)),
            },
        }
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        match local_ops::mask_positions(key, &self.index)? {
            Some(rows) => Ok(Obj::native(self.take(&rows)?)),
            None => self.at_label(key),
        }
    }
    fn binary_op(
        &self,
        op: BinOp,
        other: &Obj,
        reflected: bool,
        _cx: &mut dyn SessionCtx,
    ) -> Result<Obj> {
        local_ops::binary(self, op, other, reflected)
    }
    fn unary_op(&self, op: UnaryOp, _cx: &mut dyn SessionCtx) -> Result<Obj> {
        local_ops::unary(self, op)
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize> {
        Ok(self.series.len())
    }
}
