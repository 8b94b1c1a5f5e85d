//! Elementwise arithmetic: array ⊕ scalar and array ⊕ array (aligned by dimension name; the right
//! side may have a subset of the left's dimensions and is broadcast). One task per output chunk.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::dataarray::{dim_index, DataArray};
use super::grid::{ChunkGrid, DType};
use super::kernels::input_array;
use crate::engine::{
    DepPattern, Graph, Inputs, Kernel, Layer, LayerInput, NdArray, TaskContext, Value,
};
use crate::error::{Error, Result};
use crate::lang::BinOp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    pub fn from_binop(op: BinOp) -> Option<Arith> {
        Some(match op {
            BinOp::Add => Arith::Add,
            BinOp::Sub => Arith::Sub,
            BinOp::Mul => Arith::Mul,
            BinOp::Div => Arith::Div,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Arith::Add => "add",
            Arith::Sub => "sub",
            Arith::Mul => "mul",
            Arith::Div => "truediv",
        }
    }
    #[inline]
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Arith::Add => a + b,
            Arith::Sub => a - b,
            Arith::Mul => a * b,
            Arith::Div => a / b,
        }
    }
}

/// Result dtype as numpy's (NEP 50: Python scalars are weak): float32 stays float32 unless the
/// other side is a float64 array; ints become float64 on division or with float operands.
fn result_dtype(a: DType, b: Option<DType>, scalar_is_float: bool, op: Arith) -> DType {
    match (a, b) {
        (DType::F32, None) | (DType::F32, Some(DType::F32)) => DType::F32,
        (DType::F32, Some(o)) | (o, Some(DType::F32)) if !o.is_float() && o.itemsize() <= 2 => {
            DType::F32
        }
        (x, None) if !x.is_float() && op != Arith::Div && !scalar_is_float => DType::I64,
        (x, Some(y)) if !x.is_float() && !y.is_float() && op != Arith::Div => DType::I64,
        _ => DType::F64,
    }
}

struct ElemKernel {
    op: Arith,
    scalar: Option<f64>,
    reflected: bool,
    out: DType,
    /// For an array right side: the left axis of each of its axes.
    rhs_axes: Vec<usize>,
}

impl ElemKernel {
    fn compute(&self, a: &NdArray, b: Option<&NdArray>) -> NdArray {
        let f = |x: f64, y: f64| {
            if self.reflected {
                self.op.apply(y, x)
            } else {
                self.op.apply(x, y)
            }
        };
        let af = a.to_f64();
        let res: ArrayD<f64> = match (b, self.scalar) {
            (Some(b), _) => {
                let mut shape = vec![1; af.ndim()];
                for (k, &ax) in self.rhs_axes.iter().enumerate() {
                    shape[ax] = b.shape()[k];
                }
                let bf = b
                    .to_f64()
                    .into_shape_with_order(IxDyn(&shape))
                    .expect("same size");
                let bb = bf
                    .broadcast(af.raw_dim())
                    .expect("aligned chunks broadcast");
                ndarray::Zip::from(&af)
                    .and(&bb)
                    .map_collect(|&x, &y| f(x, y))
            }
            (None, s) => {
                let s = s.unwrap_or(0.0);
                af.mapv(|x| f(x, s))
            }
        };
        match self.out {
            DType::F32 => NdArray::F32(res.mapv(|x| x as f32)),
            DType::I64 => NdArray::I64(res.mapv(|x| x as i64)),
            _ => NdArray::F64(res),
        }
    }
}

impl Kernel for ElemKernel {
    fn run(&self, _index: u32, inputs: &Inputs<'_>, _ctx: &TaskContext<'_>) -> Result<Value> {
        let a = input_array(inputs, 0, 0)?;
        let b = if inputs.groups() > 1 {
            Some(input_array(inputs, 1, 0)?)
        } else {
            None
        };
        Ok(Value::Array(self.compute(a, b)))
    }
}

impl DataArray {
    /// `self op scalar` (or `scalar op self` when `reflected`). Keeps the name, drops attrs (xarray).
    pub fn arith_scalar(
        &self,
        op: Arith,
        s: f64,
        scalar_is_float: bool,
        reflected: bool,
    ) -> DataArray {
        let out = result_dtype(self.dtype, None, scalar_is_float, op);
        let kernel = ElemKernel {
            op,
            scalar: Some(s),
            reflected,
            out,
            rhs_axes: vec![],
        };
        let layer = Layer::new(
            op.name(),
            self.grid.ntasks() as u32,
            vec![LayerInput {
                layer: self.graph.layer.clone(),
                pattern: DepPattern::Blockwise,
            }],
            Arc::new(kernel),
        );
        let mut r = self.with(
            Graph::derive(layer, &[&self.graph]),
            self.dims.clone(),
            self.grid.clone(),
            self.coords.clone(),
        );
        r.dtype = out;
        r.attrs.clear();
        r
    }

    /// `self op other`, aligned by dimension name. `other`'s dims must be a subset of ours (or
    /// the reverse, then the operation is reflected); shared coordinates must be equal.
    pub fn arith_array(&self, op: Arith, other: &DataArray, reflected: bool) -> Result<DataArray> {
        if other.dims.len() > self.dims.len() {
            return other.arith_array(op, self, !reflected);
        }
        let mut rhs_axes = Vec::new();
        for d in &other.dims {
            let ax = dim_index(&self.dims, d, "arithmetic").map_err(|_| {
                Error::value(format!(
                    "cannot align: '{d}' is not a dimension of the left operand ({})",
                    self.dims.join(", ")
                ))
            })?;
            if self.shape()[ax] != other.shape()[rhs_axes.len()] {
                return Err(Error::value(format!(
                    "cannot align: dimension '{d}' has size {} and {}",
                    self.shape()[ax],
                    other.shape()[rhs_axes.len()]
                )));
            }
            if let (Some(a), Some(b)) = (self.coord(d), other.coord(d)) {
                if a.values != b.values {
                    return Err(Error::value(format!(
                        "cannot align: coordinate '{d}' differs between the operands"
                    )));
                }
            }
            rhs_axes.push(ax);
        }
        if rhs_axes.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::value(
                "cannot align: dimensions are in a different order (transpose first)",
            ));
        }
        // Bring the right side onto our chunks along its dims.
        let target = ChunkGrid {
            chunks: rhs_axes
                .iter()
                .map(|&a| self.grid.chunks[a].clone())
                .collect(),
        };
        let rhs = other.rechunk(target.clone());
        let deps: Vec<Vec<u32>> = (0..self.grid.ntasks())
            .map(|i| {
                let idx = self.grid.block_index(i);
                let sub: Vec<usize> = rhs_axes.iter().map(|&a| idx[a]).collect();
                vec![target.linear(&sub) as u32]
            })
            .collect();
        let out = result_dtype(self.dtype, Some(other.dtype), false, op);
        let kernel = ElemKernel {
            op,
            scalar: None,
            reflected,
            out,
            rhs_axes,
        };
        let layer = Layer::new(
            op.name(),
            self.grid.ntasks() as u32,
            vec![
                LayerInput {
                    layer: self.graph.layer.clone(),
                    pattern: DepPattern::Blockwise,
                },
                LayerInput {
                    layer: rhs.graph.layer.clone(),
                    pattern: DepPattern::Explicit(Arc::new(deps)),
                },
            ],
            Arc::new(kernel),
        );
        let mut r = self.with(
            Graph::derive(layer, &[&self.graph, &rhs.graph]),
            self.dims.clone(),
            self.grid.clone(),
            self.coords.clone(),
        );
        r.dtype = out;
        r.attrs.clear();
        if self.name != other.name {
            r.name = None;
        }
        Ok(r)
    }
}
