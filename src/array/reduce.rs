//! NaN-skipping reductions over one or several dimensions as tree reductions: one partial per input
//! chunk (`<op>-chunk`), combined `FAN_IN` at a time (`<op>-combine`), finalized per output chunk
//! (`<op>-agg`). Accumulation is in f64; std uses Chan's parallel update (xarray's ddof=0).

use std::any::Any;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::dataarray::{dim_index, DataArray};
use super::grid::{ChunkGrid, DType};
use super::kernels::{input_array, product};
use crate::engine::{
    DepPattern, Graph, Inputs, Kernel, Layer, LayerInput, NdArray, Payload, TaskContext, Value,
};
use crate::error::{Error, Result};

/// Partials combined per combine task.
pub const FAN_IN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Sum,
    Mean,
    Min,
    Max,
    Std,
    Count,
}

impl Reduction {
    pub fn parse(s: &str) -> Option<Reduction> {
        Some(match s {
            "sum" => Reduction::Sum,
            "mean" => Reduction::Mean,
            "min" => Reduction::Min,
            "max" => Reduction::Max,
            "std" => Reduction::Std,
            "count" => Reduction::Count,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::Min => "min",
            Reduction::Max => "max",
            Reduction::Std => "std",
            Reduction::Count => "count",
        }
    }
    fn out_dtype(self, input: DType) -> DType {
        match self {
            Reduction::Count => DType::I64,
            Reduction::Min | Reduction::Max => input,
            Reduction::Sum if !input.is_float() => DType::I64,
            _ if input == DType::F32 => DType::F32,
            _ => DType::F64,
        }
    }
}

/// Per output element: valid count `n`, then `a` (sum, min, max or mean) and `b` (M2 for std).
#[derive(Debug, Clone)]
pub struct Partial {
    pub n: Vec<f64>,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

impl Payload for Partial {
    fn nbytes(&self) -> usize {
        (self.n.len() + self.a.len() + self.b.len()) * 8
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn chunk_partial(op: Reduction, a: &NdArray, axes: &[usize]) -> Partial {
    // One pass over the chunk as stored, no f64 copy and no transpose: chunks are large and the
    // copies, not the arithmetic, dominated (fresh pages for every chunk). Std keeps the two-pass form.
    if op != Reduction::Std {
        match a {
            NdArray::F32(x) => return accumulate(op, x.view(), axes),
            NdArray::F64(x) => return accumulate(op, x.view(), axes),
            NdArray::I16(x) => return accumulate(op, x.view(), axes),
            NdArray::I32(x) => return accumulate(op, x.view(), axes),
            _ => {}
        }
    }
    chunk_partial_copying(op, a, axes)
}

/// How one output element folds its values in. `step` must ignore a NaN `x` (NaN-skipping
/// reductions); `merge` joins two folds.
trait Fold {
    const INIT: f64;
    fn step(acc: f64, x: f64) -> f64;
    fn merge(a: f64, b: f64) -> f64;
}
struct SumF;
struct MinF;
struct MaxF;
impl Fold for SumF {
    const INIT: f64 = 0.0;
    #[inline(always)]
    fn step(acc: f64, x: f64) -> f64 {
        acc + if x.is_nan() { 0.0 } else { x }
    }
    #[inline(always)]
    fn merge(a: f64, b: f64) -> f64 {
        a + b
    }
}
impl Fold for MinF {
    const INIT: f64 = f64::INFINITY;
    // `f64::min` returns the other operand when one is NaN.
    #[inline(always)]
    fn step(acc: f64, x: f64) -> f64 {
        acc.min(x)
    }
    #[inline(always)]
    fn merge(a: f64, b: f64) -> f64 {
        a.min(b)
    }
}
impl Fold for MaxF {
    const INIT: f64 = f64::NEG_INFINITY;
    #[inline(always)]
    fn step(acc: f64, x: f64) -> f64 {
        acc.max(x)
    }
    #[inline(always)]
    fn merge(a: f64, b: f64) -> f64 {
        a.max(b)
    }
}

/// Sum/min/max/count partials in one pass over the array in its logical (C) order, branch-free so
/// the compiler vectorizes it: chunks are large and this loop is most of a reduction's CPU time.
fn accumulate<T: Copy + Into<f64>>(
    op: Reduction,
    v: ndarray::ArrayViewD<'_, T>,
    axes: &[usize],
) -> Partial {
    match op {
        Reduction::Min => accumulate_with::<T, MinF>(v, axes),
        Reduction::Max => accumulate_with::<T, MaxF>(v, axes),
        _ => accumulate_with::<T, SumF>(v, axes),
    }
}

const LANES: usize = 8;

fn accumulate_with<T: Copy + Into<f64>, F: Fold>(
    v: ndarray::ArrayViewD<'_, T>,
    axes: &[usize],
) -> Partial {
    let shape = v.shape().to_vec();
    let nd = shape.len();
    let std = v.as_standard_layout();
    let flat = std.as_slice().expect("standard layout");
    // Output strides: C order over the kept dims, 0 for reduced dims.
    let mut ostride = vec![0usize; nd];
    let mut kn = 1usize;
    for d in (0..nd).rev() {
        if !axes.contains(&d) {
            ostride[d] = kn;
            kn *= shape[d];
        }
    }
    let valid = |x: f64| if x.is_nan() { 0.0 } else { 1.0 };
    let mut n = vec![0.0; kn];
    let mut acc = vec![F::INIT; kn];
    if nd == 0 || flat.is_empty() {
        if let Some(&x) = flat.first() {
            n[0] = valid(x.into());
            acc[0] = F::step(F::INIT, x.into());
        }
    } else {
        let inner = shape[nd - 1];
        let kept_inner = ostride[nd - 1] != 0;
        let mut idx = vec![0usize; nd - 1];
        let mut base = 0usize;
        for row in flat.chunks_exact(inner) {
            if kept_inner {
                // The last dim is kept (stride 1): the row folds element-wise into a run of outputs.
                let (a, c) = (&mut acc[base..base + inner], &mut n[base..base + inner]);
                for ((a, c), &x) in a.iter_mut().zip(c.iter_mut()).zip(row) {
                    let x: f64 = x.into();
                    *c += valid(x);
                    *a = F::step(*a, x);
                }
            } else {
                // The row folds into one output: LANES independent folds, then merged.
                let (mut la, mut lc) = ([F::INIT; LANES], [0.0; LANES]);
                let mut it = row.chunks_exact(LANES);
                for ch in &mut it {
                    for l in 0..LANES {
                        let x: f64 = ch[l].into();
                        lc[l] += valid(x);
                        la[l] = F::step(la[l], x);
                    }
                }
                for (l, &x) in it.remainder().iter().enumerate() {
                    let x: f64 = x.into();
                    lc[l] += valid(x);
                    la[l] = F::step(la[l], x);
                }
                let (mut a, mut c) = (F::INIT, 0.0);
                for l in 0..LANES {
                    a = F::merge(a, la[l]);
                    c += lc[l];
                }
                acc[base] = F::merge(acc[base], a);
                n[base] += c;
            }
            // Odometer over the outer dims, keeping `base` the output offset of the next row.
            for d in (0..nd - 1).rev() {
                idx[d] += 1;
                base += ostride[d];
                if idx[d] < shape[d] {
                    break;
                }
                base -= ostride[d] * shape[d];
                idx[d] = 0;
            }
        }
    }
    Partial {
        n,
        a: acc,
        b: vec![0.0; kn],
    }
}

fn chunk_partial_copying(op: Reduction, a: &NdArray, axes: &[usize]) -> Partial {
    let af = a.to_f64();
    let nd = af.ndim();
    let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let kn: usize = kept.iter().map(|&d| af.shape()[d]).product();
    let rn: usize = axes.iter().map(|&d| af.shape()[d]).product();
    let p = af
        .permuted_axes(IxDyn(&perm))
        .as_standard_layout()
        .into_owned();
    let flat = p.as_slice().expect("standard layout");
    let mut out = Partial {
        n: vec![0.0; kn],
        a: vec![0.0; kn],
        b: vec![0.0; kn],
    };
    for r in 0..kn {
        let row = &flat[r * rn..(r + 1) * rn];
        let (mut n, mut s, mut lo, mut hi) = (0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for &x in row.iter().filter(|x| !x.is_nan()) {
            n += 1.0;
            s += x;
            lo = lo.min(x);
            hi = hi.max(x);
        }
        out.n[r] = n;
        out.a[r] = match op {
            Reduction::Min => lo,
            Reduction::Max => hi,
            Reduction::Std if n > 0.0 => s / n,
            _ => s,
        };
        if op == Reduction::Std && n > 0.0 {
            let m = s / n;
            out.b[r] = row
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x - m) * (x - m))
                .sum();
        }
    }
    out
}

fn combine(op: Reduction, parts: &[&Partial]) -> Partial {
    let mut acc = parts[0].clone();
    for p in &parts[1..] {
        for i in 0..acc.n.len() {
            let (n1, n2) = (acc.n[i], p.n[i]);
            match op {
                Reduction::Min => acc.a[i] = acc.a[i].min(p.a[i]),
                Reduction::Max => acc.a[i] = acc.a[i].max(p.a[i]),
                Reduction::Std => {
                    if n2 > 0.0 {
                        let n = n1 + n2;
                        let delta = p.a[i] - acc.a[i];
                        acc.a[i] += delta * n2 / n;
                        acc.b[i] += p.b[i] + delta * delta * n1 * n2 / n;
                    }
                }
                _ => acc.a[i] += p.a[i],
            }
            acc.n[i] = n1 + n2;
        }
    }
    acc
}

fn finish(op: Reduction, p: &Partial, shape: &[usize], out: DType) -> NdArray {
    let v: Vec<f64> = (0..p.n.len())
        .map(|i| {
            let n = p.n[i];
            match op {
                Reduction::Count => n,
                Reduction::Sum => p.a[i],
                Reduction::Mean if n > 0.0 => p.a[i] / n,
                Reduction::Std if n > 0.0 => (p.b[i] / n).max(0.0).sqrt(),
                Reduction::Min | Reduction::Max if n > 0.0 => p.a[i],
                _ => f64::NAN,
            }
        })
        .collect();
    let a = ArrayD::from_shape_vec(IxDyn(shape), v).expect("partial matches output shape");
    super::nd::cast(&NdArray::F64(a), out)
}

struct ChunkKernel {
    op: Reduction,
    axes: Vec<usize>,
}
impl Kernel for ChunkKernel {
    fn run(&self, _i: u32, inputs: &Inputs<'_>, _c: &TaskContext<'_>) -> Result<Value> {
        let a = input_array(inputs, 0, 0)?;
        Ok(Value::Opaque(Arc::new(chunk_partial(
            self.op, a, &self.axes,
        ))))
    }
}

struct CombineKernel {
    op: Reduction,
    /// Set on the last level: finalize to an array of this grid's block shapes.
    finish: Option<(ChunkGrid, DType)>,
}
impl Kernel for CombineKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, _c: &TaskContext<'_>) -> Result<Value> {
        let parts: Vec<&Partial> = inputs
            .all()
            .iter()
            .map(|v| {
                v.as_opaque::<Partial>()
                    .ok_or_else(|| Error::value("reduction received a non-partial input"))
            })
            .collect::<Result<_>>()?;
        let acc = combine(self.op, &parts);
        Ok(match &self.finish {
            Some((grid, dt)) => {
                let shape = grid.block_shape(&grid.block_index(index as usize));
                Value::Array(finish(self.op, &acc, &shape, *dt))
            }
            None => Value::Opaque(Arc::new(acc)),
        })
    }
}

impl DataArray {
    /// Reduce over `dims` (all dims when `None`).
    pub fn reduce(&self, op: Reduction, dims: Option<&[String]>) -> Result<DataArray> {
        let axes: Vec<usize> = match dims {
            None => (0..self.dims.len()).collect(),
            Some(ds) => ds
                .iter()
                .map(|d| dim_index(&self.dims, d, op.name()))
                .collect::<Result<_>>()?,
        };
        let kept: Vec<usize> = (0..self.dims.len()).filter(|d| !axes.contains(d)).collect();
        let out_grid = ChunkGrid {
            chunks: kept.iter().map(|&d| self.grid.chunks[d].clone()).collect(),
        };
        let out_dt = op.out_dtype(self.dtype);
        let chunk = Layer::new(
            &format!("{}-chunk", op.name()),
            self.grid.ntasks() as u32,
            vec![LayerInput {
                layer: self.graph.layer.clone(),
                pattern: DepPattern::Blockwise,
            }],
            Arc::new(ChunkKernel {
                op,
                axes: axes.clone(),
            }),
        );
        // Input blocks feeding each output block, in C order.
        let nb = self.grid.nblocks();
        let mut lists: Vec<Vec<u32>> = (0..out_grid.ntasks())
            .map(|o| {
                let oidx = out_grid.block_index(o);
                let ranges: Vec<Vec<usize>> = (0..nb.len())
                    .map(|d| match kept.iter().position(|&k| k == d) {
                        Some(p) => vec![oidx[p]],
                        None => (0..nb[d]).collect(),
                    })
                    .collect();
                let mut l = Vec::new();
                product(&ranges, &mut Vec::new(), &mut |ix| {
                    l.push(self.grid.linear(ix) as u32)
                });
                l
            })
            .collect();
        let mut below = chunk;
        while lists.iter().any(|l| l.len() > FAN_IN) {
            let mut deps = Vec::new();
            let mut next = Vec::new();
            for l in &lists {
                let mut ids = Vec::new();
                for g in l.chunks(FAN_IN) {
                    ids.push(deps.len() as u32);
                    deps.push(g.to_vec());
                }
                next.push(ids);
            }
            below = Layer::new(
                &format!("{}-combine", op.name()),
                deps.len() as u32,
                vec![LayerInput {
                    layer: below,
                    pattern: DepPattern::Explicit(Arc::new(deps)),
                }],
                Arc::new(CombineKernel { op, finish: None }),
            );
            lists = next;
        }
        let agg = Layer::new(
            &format!("{}-agg", op.name()),
            lists.len() as u32,
            vec![LayerInput {
                layer: below,
                pattern: DepPattern::Explicit(Arc::new(lists)),
            }],
            Arc::new(CombineKernel {
                op,
                finish: Some((out_grid.clone(), out_dt)),
            }),
        );
        let dims: Vec<String> = kept.iter().map(|&d| self.dims[d].clone()).collect();
        let coords = self
            .coords
            .iter()
            .filter(|c| dims.contains(&c.name))
            .cloned()
            .collect();
        let mut r = self.with(Graph::derive(agg, &[&self.graph]), dims, out_grid, coords);
        r.dtype = out_dt;
        r.attrs.clear();
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_partials_equal_the_transposing_form() {
        // A last dim of 11: whole lanes plus a remainder.
        let a = ArrayD::from_shape_fn(IxDyn(&[5, 3, 11]), |ix| {
            if (ix[0] + ix[1] * 2 + ix[2]) % 7 == 0 {
                f32::NAN
            } else {
                (ix[0] as f32 * 1.37 - ix[1] as f32 * 0.5 + ix[2] as f32 * 0.013).sin()
            }
        });
        let nd = NdArray::F32(a);
        for axes in [vec![0], vec![1, 2], vec![2], vec![0, 1, 2], vec![]] {
            for op in [
                Reduction::Sum,
                Reduction::Min,
                Reduction::Max,
                Reduction::Count,
                Reduction::Mean,
            ] {
                let fast = chunk_partial(op, &nd, &axes);
                let slow = chunk_partial_copying(op, &nd, &axes);
                assert_eq!(fast.n, slow.n, "{op:?} {axes:?}");
                // Min/max/count are exact; sums fold in lanes, so only the rounding may differ.
                let same = fast.a.iter().zip(&slow.a).all(|(x, y)| {
                    x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs()
                });
                assert!(same, "{op:?} {axes:?}: {:?} vs {:?}", fast.a, slow.a);
            }
        }
    }

    #[test]
    fn chan_combination_equals_one_pass_std_and_skips_nan() {
        let xs = [1.0, 2.0, f64::NAN, 4.0, 8.0, 16.0, f64::NAN];
        let part = |s: &[f64]| {
            let a = NdArray::F64(ArrayD::from_shape_vec(IxDyn(&[s.len()]), s.to_vec()).unwrap());
            chunk_partial(Reduction::Std, &a, &[0])
        };
        let (p1, p2, p3) = (part(&xs[..2]), part(&xs[2..5]), part(&xs[5..]));
        let all = combine(Reduction::Std, &[&p1, &p2, &p3]);
        let NdArray::F64(sd) = finish(Reduction::Std, &all, &[], DType::F64) else {
            panic!()
        };
        let v = [1.0, 2.0, 4.0, 8.0, 16.0];
        let m = v.iter().sum::<f64>() / 5.0;
        let want = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 5.0).sqrt();
        assert!((sd.first().unwrap() - want).abs() < 1e-12);
        let empty = part(&[f64::NAN]);
        for (op, nan) in [
            (Reduction::Mean, true),
            (Reduction::Max, true),
            (Reduction::Sum, false),
        ] {
            let p = chunk_partial(
                op,
                &NdArray::F64(ArrayD::from_elem(IxDyn(&[1]), f64::NAN)),
                &[0],
            );
            let x = finish(op, &p, &[], DType::F64)
                .to_f64()
                .first()
                .copied()
                .unwrap();
            assert_eq!(x.is_nan(), nan, "{op:?}");
        }
        assert_eq!(empty.n, vec![0.0]);
    }
}
