//! Operators on computed series, as pandas: comparisons with a scalar (missing values compare False,
//! except `!=`), arithmetic with a scalar or a series on the same index, `& | ~` on masks, and boolean
//! indexing (`df[df.x > 20]`, `s[mask]`) that keeps the selected rows' labels.

use polars::prelude::*;

use super::native::pl;
use super::series::{arith, compare, is_comparison, series_first};
use super::series_native::obj_scalar;
use super::value::{Index, SeriesValue};
use crate::engine::Scalar;
use crate::error::{Error, Result};
use crate::lang::{BinOp, Obj, UnaryOp};

/// Whether two indexes hold the same labels in the same order (pandas would align; we require it).
fn same_index(a: &Index, b: &Index) -> bool {
    a.len() == b.len() && a.to_series().equals_missing(&b.to_series())
}

/// A scalar as a one-value-per-row series for arithmetic (the lazy series' broadcast, with the
/// message pandas gives for a computed series).
fn broadcast(x: &Scalar, n: usize) -> Result<Series> {
    super::series::broadcast(x, n).map_err(|_| {
        Error::value(format!(
            "unsupported operand type(s) for arithmetic: 'Series' and {x:?}"
        ))
    })
}

/// `s <op> other` (or `other <op> s` when `reflected`).
pub fn binary(v: &SeriesValue, op: BinOp, other: &Obj, reflected: bool) -> Result<Obj> {
    let unsupported = || {
        Error::value(format!(
            "unsupported operand type(s) for {}: 'Series' and '{}'",
            op.symbol(),
            other.type_name()
        ))
    };
    let s = &v.series;
    let out = if let Some(o) = other.downcast::<SeriesValue>() {
        if !same_index(&v.index, &o.index) {
            return Err(Error::value(
                "series are not aligned: both must have the same index (come from the same frame)",
            ));
        }
        let ctx = |e| pl("operator", e);
        match op {
            BinOp::And | BinOp::Or => {
                let (a, b) = (s.bool().map_err(ctx)?, o.series.bool().map_err(ctx)?);
                let m = if op == BinOp::And { a & b } else { a | b };
                m.with_name(s.name().clone()).into_series()
            }
            _ if is_comparison(op) => {
                let (a, b) = match reflected {
                    true => (&o.series, s),
                    false => (s, &o.series),
                };
                let m = match op {
                    BinOp::Eq => a.equal(b),
                    BinOp::Ne => a.not_equal(b),
                    BinOp::Lt => a.lt(b),
                    BinOp::Le => a.lt_eq(b),
                    BinOp::Gt => a.gt(b),
                    _ => a.gt_eq(b),
                }
                .map_err(ctx)?;
                let m = m.fill_null_with_values(op == BinOp::Ne).map_err(ctx)?;
                m.with_name(s.name().clone()).into_series()
            }
            _ => arith(s, op, &o.series, reflected)?,
        }
    } else {
        let x = obj_scalar(other).ok_or_else(unsupported)?;
        if is_comparison(op) {
            compare(s, series_first(op, reflected), &x)?
        } else if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            arith(s, op, &broadcast(&x, s.len())?, reflected)?
        } else {
            return Err(unsupported());
        }
    };
    Ok(Obj::native(SeriesValue::new(out, v.index.clone())))
}

/// `~mask` and `-s`.
pub fn unary(v: &SeriesValue, op: UnaryOp) -> Result<Obj> {
    let s = &v.series;
    let out = match op {
        UnaryOp::Invert => {
            let b = s.bool().map_err(|_| {
                Error::value(format!(
                    "bad operand type for unary ~: a Series of dtype {}",
                    super::format::dtype_name(s.dtype())
                ))
            })?;
            (!b).with_name(s.name().clone()).into_series()
        }
        UnaryOp::Neg => arith(s, BinOp::Mul, &broadcast(&Scalar::Int(-1), s.len())?, false)?,
        UnaryOp::Not => {
            return Err(Error::value(
                "The truth value of a Series is ambiguous; use ~ for an element-wise not",
            ))
        }
    };
    Ok(Obj::native(SeriesValue::new(out, v.index.clone())))
}

/// Positions selected by a boolean mask on the same index as the data (`None`: not a mask).
pub fn mask_positions(key: &Obj, index: &Index) -> Result<Option<Vec<IdxSize>>> {
    let Some(m) = key.downcast::<SeriesValue>() else {
        return Ok(None);
    };
    let b = m.series.bool().map_err(|_| {
        Error::value(format!(
            "only a boolean Series can select rows, got dtype {}",
            super::format::dtype_name(m.series.dtype())
        ))
    })?;
    if !same_index(&m.index, index) {
        return Err(Error::value(
            "the boolean Series' index does not match (build the mask from the same frame)",
        ));
    }
    Ok(Some(
        b.iter()
            .enumerate()
            .filter(|(_, x)| *x == Some(true))
            .map(|(i, _)| i as IdxSize)
            .collect(),
    ))
}
