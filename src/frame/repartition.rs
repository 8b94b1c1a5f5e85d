//! `repartition(npartitions=k)`: fewer partitions concatenate neighbours, more split each partition into
//! row slices (Dask's plan: `k // n` pieces each, the remainder to the last), via explicit dependencies.

use std::sync::Arc;

use super::collection::concat_frames;
use super::kernel::{explicit, frame};
use crate::engine::{Graph, Value};
use crate::error::{Error, Result};

/// What output partition `j` is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Concatenate these input partitions.
    Concat(Vec<u32>),
    /// Slice `k` of `of` equal row slices of one input partition.
    Split { input: u32, k: u32, of: u32 },
}

/// The plan for going from `n` to `k` partitions.
pub fn plan(n: u32, k: u32) -> Vec<Piece> {
    if k <= n {
        // Boundaries round(j * n / k), as np.linspace does.
        let b = |j: u32| ((j as f64) * n as f64 / k as f64).round() as u32;
        (0..k)
            .map(|j| Piece::Concat((b(j)..b(j + 1)).collect()))
            .collect()
    } else {
        let (div, rem) = (k / n, k % n);
        let mut out = Vec::new();
        for i in 0..n {
            let of = div + if i == n - 1 { rem } else { 0 };
            out.extend((0..of).map(|p| Piece::Split { input: i, k: p, of }));
        }
        out
    }
}

/// Row range of slice `k` of `of` over `len` rows.
fn slice_bounds(len: usize, k: u32, of: u32) -> (usize, usize) {
    let lo = len * k as usize / of as usize;
    let hi = len * (k as usize + 1) / of as usize;
    (lo, hi)
}

/// The repartitioned graph, and the new partition lengths when the old ones are known.
pub fn repartition(
    g: &Graph,
    k: u32,
    lens: Option<&Vec<u64>>,
) -> Result<(Graph, Option<Vec<u64>>)> {
    if k == 0 {
        return Err(Error::value("repartition: npartitions must be at least 1"));
    }
    let n = g.ntasks();
    let pieces = plan(n, k);
    let lists: Vec<Vec<u32>> = pieces
        .iter()
        .map(|p| match p {
            Piece::Concat(v) => v.clone(),
            Piece::Split { input, .. } => vec![*input],
        })
        .collect();
    let new_lens = lens.map(|l| {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Concat(v) => v.iter().map(|&i| l[i as usize]).sum(),
                Piece::Split { input, k, of } => {
                    let (lo, hi) = slice_bounds(l[*input as usize] as usize, *k, *of);
                    (hi - lo) as u64
                }
            })
            .collect()
    });
    let pieces = Arc::new(pieces);
    let out = explicit("repartition", g, lists, move |j, inp, ctx| {
        ctx.cancel.check()?;
        match &pieces[j as usize] {
            Piece::Concat(_) => {
                let frames: Vec<&polars::prelude::DataFrame> = inp
                    .group(0)
                    .iter()
                    .map(|v| frame(v))
                    .collect::<Result<_>>()?;
                Ok(Value::Frame(concat_frames(&frames, &Default::default())?))
            }
            Piece::Split { k, of, .. } => {
                let df = frame(inp.one(0))?;
                let (lo, hi) = slice_bounds(df.height(), *k, *of);
                Ok(Value::Frame(df.slice(lo as i64, hi - lo)))
            }
        }
    });
    Ok((out, new_lens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cover_every_input() {
        assert_eq!(
            plan(4, 2),
            vec![Piece::Concat(vec![0, 1]), Piece::Concat(vec![2, 3])]
        );
        assert_eq!(plan(3, 3).len(), 3);
        let p = plan(2, 5);
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[4],
            Piece::Split {
                input: 1,
                k: 2,
                of: 3
            }
        );
        assert_eq!(slice_bounds(10, 2, 3), (6, 10));
    }
}
