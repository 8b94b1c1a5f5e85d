//! Chunk grids (Dask's `chunks`: sizes per dimension) and the in-memory dtypes of array chunks.
//! Blocks are numbered in C order over the grid; task `i` of an array layer computes block `i`.

use crate::io::netcdf::RawType;

/// In-memory element type of a chunk (the variants of `NdArray`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
    I8,
    U8,
    I16,
    I32,
    I64,
}

impl DType {
    pub fn name(self) -> &'static str {
        self.raw().name()
    }
    pub fn itemsize(self) -> usize {
        self.raw().itemsize()
    }
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
    /// The netCDF storage type with the same layout.
    pub fn raw(self) -> RawType {
        match self {
            DType::F32 => RawType::F32,
            DType::F64 => RawType::F64,
            DType::I8 => RawType::I8,
            DType::U8 => RawType::U8,
            DType::I16 => RawType::I16,
            DType::I32 => RawType::I32,
            DType::I64 => RawType::I64,
        }
    }
    /// The dtype a raw stored type reads as before CF decoding (unsigned types widen).
    pub fn of_raw(r: RawType) -> Option<DType> {
        Some(match r {
            RawType::F32 => DType::F32,
            RawType::F64 => DType::F64,
            RawType::I8 => DType::I8,
            RawType::U8 => DType::U8,
            RawType::I16 => DType::I16,
            RawType::I32 | RawType::U16 => DType::I32,
            RawType::I64 | RawType::U32 | RawType::U64 => DType::I64,
            RawType::Other => return None,
        })
    }
    pub fn of(a: &crate::engine::NdArray) -> DType {
        use crate::engine::NdArray as N;
        match a {
            N::F32(_) => DType::F32,
            N::F64(_) => DType::F64,
            N::I8(_) => DType::I8,
            N::U8(_) => DType::U8,
            N::I16(_) => DType::I16,
            N::I32(_) => DType::I32,
            N::I64(_) => DType::I64,
        }
    }
}

/// Chunk sizes along each dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkGrid {
    pub chunks: Vec<Vec<usize>>,
}

impl ChunkGrid {
    /// Regular chunks of `size[d]` along each dimension (last chunk may be smaller).
    pub fn regular(shape: &[usize], size: &[usize]) -> ChunkGrid {
        let chunks = shape.iter().zip(size).map(|(&n, &c)| split(n, c)).collect();
        ChunkGrid { chunks }
    }
    pub fn ndim(&self) -> usize {
        self.chunks.len()
    }
    pub fn shape(&self) -> Vec<usize> {
        self.chunks.iter().map(|c| c.iter().sum()).collect()
    }
    pub fn nblocks(&self) -> Vec<usize> {
        self.chunks.iter().map(Vec::len).collect()
    }
    /// Number of blocks (1 for a 0-d array).
    pub fn ntasks(&self) -> usize {
        self.chunks.iter().map(Vec::len).product()
    }
    /// The largest chunk along each dimension (Dask's `chunksize`).
    pub fn chunksize(&self) -> Vec<usize> {
        self.chunks
            .iter()
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .collect()
    }
    /// Block multi-index of block number `i` (C order).
    pub fn block_index(&self, mut i: usize) -> Vec<usize> {
        let nb = self.nblocks();
        let mut idx = vec![0; nb.len()];
        for d in (0..nb.len()).rev() {
            idx[d] = i % nb[d].max(1);
            i /= nb[d].max(1);
        }
        idx
    }
    pub fn linear(&self, idx: &[usize]) -> usize {
        let nb = self.nblocks();
        idx.iter().zip(&nb).fold(0, |acc, (&i, &n)| acc * n + i)
    }
    /// Start offsets of each block along dimension `d`.
    pub fn starts(&self, d: usize) -> Vec<usize> {
        let mut s = 0;
        self.chunks[d]
            .iter()
            .map(|&c| {
                let o = s;
                s += c;
                o
            })
            .collect()
    }
    pub fn block_start(&self, idx: &[usize]) -> Vec<usize> {
        (0..idx.len())
            .map(|d| self.chunks[d][..idx[d]].iter().sum())
            .collect()
    }
    pub fn block_shape(&self, idx: &[usize]) -> Vec<usize> {
        (0..idx.len()).map(|d| self.chunks[d][idx[d]]).collect()
    }
    /// Blocks along dimension `d` overlapping `[lo, hi)`: (block, start in block, end in block).
    pub fn overlapping(&self, d: usize, lo: usize, hi: usize) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (b, (&s, &c)) in self.starts(d).iter().zip(&self.chunks[d]).enumerate() {
            let (a, e) = (lo.max(s), hi.min(s + c));
            if a < e {
                out.push((b, a - s, e - s));
            }
        }
        out
    }
}

/// Split `n` into pieces of `c` (at least one piece, even for `n == 0`).
pub fn split(n: usize, c: usize) -> Vec<usize> {
    let c = c.max(1);
    if n == 0 {
        return vec![0];
    }
    let mut v = vec![c; n / c];
    if !n.is_multiple_of(c) {
        v.push(n % c);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_arithmetic() {
        let g = ChunkGrid::regular(&[10, 4], &[4, 3]);
        assert_eq!(g.chunks, vec![vec![4, 4, 2], vec![3, 1]]);
        assert_eq!(g.ntasks(), 6);
        assert_eq!(g.block_index(3), vec![1, 1]);
        assert_eq!(g.linear(&[2, 0]), 4);
        assert_eq!(g.block_start(&[2, 1]), vec![8, 3]);
        assert_eq!(
            g.overlapping(0, 3, 9),
            vec![(0, 3, 4), (1, 0, 4), (2, 0, 1)]
        );
        assert_eq!(crate::array::repr::format_bytes(3_800_000_000), "3.54 GiB");
        assert_eq!(crate::array::repr::format_bytes(900), "900 B");
    }
}
