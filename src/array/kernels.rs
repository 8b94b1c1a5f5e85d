//! Kernels of array layers: reading blocks from files, sub-selecting blocks (`isel`/`sel`),
//! assembling blocks into other blocks (rechunk, finalize) and elementwise arithmetic.

use std::path::PathBuf;
use std::sync::Arc;

use super::grid::{ChunkGrid, DType};
use super::nd::{cast, paste, select, zeros, AxisSel};
use crate::engine::{Inputs, Kernel, NdArray, TaskContext, Value};
use crate::error::{Error, Result};
use crate::io::netcdf::{read_decoded, CfDecode};

/// One file's part of a variable along the concatenation axis.
#[derive(Debug, Clone)]
pub struct FilePart {
    pub path: PathBuf,
    /// Start of this file's slab along the concat axis, in the combined array.
    pub offset: usize,
    pub len: usize,
}

/// Reads block `i` of a (possibly multi-file) variable and CF-decodes it (outside the netCDF lock).
pub struct ReadKernel {
    pub var: String,
    pub files: Vec<FilePart>,
    /// The axis files are concatenated along (`None`: read from the first file only).
    pub concat_axis: Option<usize>,
    pub grid: ChunkGrid,
    pub decode: CfDecode,
    pub dtype: DType,
}

impl Kernel for ReadKernel {
    fn run(&self, index: u32, _inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        let idx = self.grid.block_index(index as usize);
        let start = self.grid.block_start(&idx);
        let shape = self.grid.block_shape(&idx);
        let Some(ax) = self.concat_axis else {
            let a = read_decoded(&self.files[0].path, &self.var, &start, &shape, &self.decode)?;
            return Ok(Value::Array(cast(&a, self.dtype)));
        };
        let (lo, hi) = (start[ax], start[ax] + shape[ax]);
        let mut out: Option<NdArray> = None;
        for f in self
            .files
            .iter()
            .filter(|f| f.offset < hi && f.offset + f.len > lo)
        {
            let (a, b) = (lo.max(f.offset), hi.min(f.offset + f.len));
            let mut s = start.clone();
            let mut c = shape.clone();
            s[ax] = a - f.offset;
            c[ax] = b - a;
            let piece = cast(
                &read_decoded(&f.path, &self.var, &s, &c, &self.decode)?,
                self.dtype,
            );
            if c[ax] == shape[ax] {
                return Ok(Value::Array(piece));
            }
            let dst = out.get_or_insert_with(|| zeros(self.dtype, &shape));
            let mut off = vec![0; shape.len()];
            off[ax] = a - lo;
            paste(dst, &piece, &off);
        }
        out.map(Value::Array)
            .ok_or_else(|| Error::value(format!("no file holds block {index} of '{}'", self.var)))
    }
    fn describe(&self, index: u32) -> Option<String> {
        let idx = self.grid.block_index(index as usize);
        let start = self.grid.block_start(&idx);
        let f = match self.concat_axis {
            Some(ax) => self.files.iter().find(|f| f.offset + f.len > start[ax]),
            None => self.files.first(),
        };
        f.map(|f| format!("{} {:?}", f.path.display(), start))
    }
}

pub(crate) fn input_array<'a>(inputs: &Inputs<'a>, g: usize, k: usize) -> Result<&'a NdArray> {
    inputs.group(g)[k]
        .as_array()
        .ok_or_else(|| Error::value("array task received a non-array input"))
}

/// Output block `i` is a sub-selection of one input block (`plans[i]`).
pub struct SelectKernel {
    pub plans: Arc<Vec<Vec<AxisSel>>>,
}

impl Kernel for SelectKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, _ctx: &TaskContext<'_>) -> Result<Value> {
        let a = input_array(inputs, 0, 0)?;
        Ok(Value::Array(select(a, &self.plans[index as usize])))
    }
}

/// Output block `i` of `out` is assembled from the input blocks listed (in order) at `deps[i]`.
pub struct AssembleKernel {
    pub input: ChunkGrid,
    pub out: ChunkGrid,
    pub deps: Arc<Vec<Vec<u32>>>,
    pub dtype: DType,
}

impl Kernel for AssembleKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        let oidx = self.out.block_index(index as usize);
        let ostart = self.out.block_start(&oidx);
        let oshape = self.out.block_shape(&oidx);
        let list = &self.deps[index as usize];
        if list.len() == 1
            && self
                .input
                .block_shape(&self.input.block_index(list[0] as usize))
                == oshape
        {
            return Ok(Value::Array(input_array(inputs, 0, 0)?.clone()));
        }
        let mut dst = zeros(self.dtype, &oshape);
        for (k, &b) in list.iter().enumerate() {
            ctx.cancel.check()?;
            let iidx = self.input.block_index(b as usize);
            let istart = self.input.block_start(&iidx);
            let ishape = self.input.block_shape(&iidx);
            let mut sel = Vec::new();
            let mut off = Vec::new();
            for d in 0..oshape.len() {
                let lo = ostart[d].max(istart[d]);
                let hi = (ostart[d] + oshape[d]).min(istart[d] + ishape[d]);
                sel.push(AxisSel::Range {
                    start: lo - istart[d],
                    len: hi.saturating_sub(lo),
                    step: 1,
                });
                off.push(lo - ostart[d]);
            }
            let piece = select(input_array(inputs, 0, k)?, &sel);
            paste(&mut dst, &piece, &off);
        }
        Ok(Value::Array(dst))
    }
}

/// For each block of `out`, the blocks of `input` it overlaps (C order): rechunk dependencies.
pub fn overlap_deps(input: &ChunkGrid, out: &ChunkGrid) -> Vec<Vec<u32>> {
    (0..out.ntasks())
        .map(|i| {
            let idx = out.block_index(i);
            let start = out.block_start(&idx);
            let shape = out.block_shape(&idx);
            let per_dim: Vec<Vec<usize>> = (0..idx.len())
                .map(|d| {
                    input
                        .overlapping(d, start[d], start[d] + shape[d])
                        .into_iter()
                        .map(|(b, _, _)| b)
                        .collect::<Vec<_>>()
                })
                .map(|v| if v.is_empty() { vec![0] } else { v })
                .collect();
            let mut out_list = Vec::new();
            product(&per_dim, &mut Vec::new(), &mut |ix| {
                out_list.push(input.linear(ix) as u32)
            });
            out_list
        })
        .collect()
}

/// Call `f` on every combination of one element per list (C order).
pub fn product(lists: &[Vec<usize>], cur: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
    if cur.len() == lists.len() {
        f(cur);
        return;
    }
    for &x in &lists[cur.len()] {
        cur.push(x);
        product(lists, cur, f);
        cur.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rechunk_dependencies_cover_overlaps() {
        let input = ChunkGrid::regular(&[10, 4], &[4, 4]);
        let out = ChunkGrid::regular(&[10, 4], &[5, 2]);
        // Output block (0, *) overlaps input blocks 0 and 1 along the first axis.
        assert_eq!(
            overlap_deps(&input, &out),
            vec![vec![0, 1], vec![0, 1], vec![1, 2], vec![1, 2]]
        );
    }
}
