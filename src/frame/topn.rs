//! `nlargest`/`nsmallest` on series and frames: each partition keeps its top `n` rows, combine tasks keep
//! the top `n` of their inputs, so no task holds more than `8 * n` rows. Missing values are skipped, as
//! pandas does; ties keep their earlier rows first.

use polars::prelude::*;

use super::collection::{concat_frames, DaskFrame};
use super::kernel::{frame, series, tree_reduce};
use super::native::pl;
use super::series::{missing, DaskSeries};
use crate::engine::Value;
use crate::error::{Error, Result};

fn top_series(s: &Series, n: usize, largest: bool) -> Result<Series> {
    let keep = !&missing(s)?;
    let s = s.filter(&keep).map_err(|e| pl("nlargest", e))?;
    let opts = SortOptions {
        descending: largest,
        nulls_last: true,
        maintain_order: true,
        ..Default::default()
    };
    Ok(s.sort(opts).map_err(|e| pl("nlargest", e))?.head(Some(n)))
}

fn top_frame(df: &DataFrame, by: &str, n: usize, largest: bool) -> Result<DataFrame> {
    let s = df
        .column(by)
        .map_err(|e| pl("nlargest", e))?
        .as_materialized_series();
    let keep = !&missing(s)?;
    let df = df.filter(&keep).map_err(|e| pl("nlargest", e))?;
    let opts = SortMultipleOptions::default()
        .with_order_descending(largest)
        .with_maintain_order(true);
    Ok(df
        .sort([by], opts)
        .map_err(|e| pl("nlargest", e))?
        .head(Some(n)))
}

fn name(largest: bool) -> &'static str {
    if largest {
        "nlargest"
    } else {
        "nsmallest"
    }
}

impl DaskSeries {
    /// `s.nlargest(n)` / `s.nsmallest(n)`: one partition, sorted.
    pub fn top(&self, n: usize, largest: bool) -> Result<DaskSeries> {
        if self.keyed.is_some() || !(self.dtype.is_primitive_numeric() || self.dtype.is_string()) {
            return Err(Error::value(format!(
                "{}() needs a numeric or string series",
                name(largest)
            )));
        }
        let g = tree_reduce(
            &format!("series-{}", name(largest)),
            &self.graph,
            move |v, _| Ok(Value::Series(top_series(series(v)?, n, largest)?)),
            move |vals| {
                let mut acc = series(&vals[0])?.clone();
                for v in &vals[1..] {
                    acc.append(series(v)?).map_err(|e| pl("nlargest", e))?;
                }
                Ok(Value::Series(top_series(&acc, n, largest)?))
            },
            Ok,
        );
        Ok(DaskSeries {
            graph: g,
            lens: None,
            ..self.clone()
        })
    }
}

impl DaskFrame {
    /// `ddf.nlargest(n, column)` / `ddf.nsmallest(n, column)`: one partition, sorted by `column`.
    pub fn top(&self, n: usize, by: &str, largest: bool) -> Result<DaskFrame> {
        let dt = self.schema.get(by).ok_or_else(|| {
            Error::value(format!("KeyError: '{by}': not a column of this DataFrame"))
        })?;
        if self.keyed.is_some() || !(dt.is_primitive_numeric() || dt.is_string()) {
            return Err(Error::value(format!(
                "{}() needs a numeric or string column",
                name(largest)
            )));
        }
        let (b1, b2) = (by.to_string(), by.to_string());
        let g = tree_reduce(
            &format!("dataframe-{}", name(largest)),
            &self.graph,
            move |v, _| Ok(Value::Frame(top_frame(frame(v)?, &b1, n, largest)?)),
            move |vals| {
                let frames: Vec<&DataFrame> =
                    vals.iter().map(|v| frame(v)).collect::<Result<_>>()?;
                let all = concat_frames(&frames, &Schema::default())?;
                Ok(Value::Frame(top_frame(&all, &b2, n, largest)?))
            },
            Ok,
        );
        Ok(DaskFrame {
            graph: g,
            lens: None,
            source: None,
            ..self.clone()
        })
    }
}
