//! `DataArray`: a labelled, chunked n-d array whose chunks are the tasks of one graph layer.
//! Here: the type, `isel`/`sel` (one task per output chunk, each reading one input chunk) and
//! `chunk` (rechunk: each output chunk assembled from the input chunks it overlaps).

use std::sync::Arc;

use super::coords::{Coord, Label, Pos};
use super::grid::{split, ChunkGrid, DType};
use super::kernels::{overlap_deps, product, AssembleKernel, SelectKernel};
use super::nd::AxisSel;
use crate::engine::{DepPattern, Graph, Layer, LayerInput};
use crate::error::{Error, Result};
use crate::io::netcdf::Attrs;
use crate::lang::object::closest;

/// How a variable was stored, kept for writing it back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoding {
    pub fill: Option<f64>,
    /// zlib level in the source file; `to_netcdf` keeps it unless `encoding=` says otherwise.
    pub zlib: Option<i32>,
    pub shuffle: bool,
    /// HDF5 chunk shape in the source file.
    pub chunksizes: Option<Vec<usize>>,
}

#[derive(Clone)]
pub struct DataArray {
    pub name: Option<String>,
    pub dims: Vec<String>,
    pub grid: ChunkGrid,
    pub dtype: DType,
    /// Index coordinates of (some of) `dims`.
    pub coords: Vec<Coord>,
    pub attrs: Attrs,
    pub encoding: Encoding,
    pub graph: Graph,
    /// Set only on arrays read straight from a file: lets the repr preview a few values cheaply.
    pub source: Option<Arc<SourcePreview>>,
}

/// Where an untouched array comes from (first file), for value previews.
#[derive(Debug, Clone)]
pub struct SourcePreview {
    pub path: std::path::PathBuf,
    pub var: String,
    pub decode: crate::io::netcdf::CfDecode,
}

/// An `isel` indexer along one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexer {
    Index(i64),
    /// Python slice bounds (negative counts from the end), step ≥ 1.
    Slice(Option<i64>, Option<i64>, i64),
}

/// A `chunks=` value for one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkSpec {
    Size(usize),
    /// `-1` or `None`: the whole dimension.
    Full,
    /// `"auto"`: about 128 MiB chunks.
    Auto,
}

/// Dask's default target for `"auto"` chunks.
pub const AUTO_CHUNK_BYTES: usize = 128 << 20;

/// The index of `dim` in `dims`, or an error suggesting the closest name.
pub fn dim_index(dims: &[String], dim: &str, what: &str) -> Result<usize> {
    dims.iter().position(|d| d == dim).ok_or_else(|| {
        let hint = closest(dim, dims.iter().map(String::as_str))
            .map(|c| format!("; did you mean '{c}'?"))
            .unwrap_or_default();
        Error::value(format!(
            "{what}: dimension '{dim}' not found; dimensions are ({}){hint}",
            dims.join(", ")
        ))
    })
}

impl DataArray {
    pub fn shape(&self) -> Vec<usize> {
        self.grid.shape()
    }
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }
    pub fn nbytes(&self) -> u64 {
        (self.size() * self.dtype.itemsize()) as u64
    }
    pub fn coord(&self, dim: &str) -> Option<&Coord> {
        self.coords.iter().find(|c| c.name == dim)
    }
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| "array".into())
    }

    /// The same array over another graph (and possibly other metadata).
    pub(crate) fn with(
        &self,
        graph: Graph,
        dims: Vec<String>,
        grid: ChunkGrid,
        coords: Vec<Coord>,
    ) -> DataArray {
        DataArray {
            dims,
            grid,
            coords,
            graph,
            source: None,
            ..self.clone()
        }
    }

    /// Select by position: ints drop the dimension, slices keep it.
    pub fn isel(&self, indexers: &[(String, Indexer)]) -> Result<DataArray> {
        let mut per_dim: Vec<Option<Indexer>> = vec![None; self.dims.len()];
        for (d, ix) in indexers {
            per_dim[dim_index(&self.dims, d, "isel")?] = Some(*ix);
        }
        if per_dim.iter().all(Option::is_none) {
            return Ok(self.clone());
        }
        let shape = self.shape();
        // Per dimension: pieces (input block, AxisSel), and whether the dimension is kept.
        let mut pieces: Vec<Vec<(usize, AxisSel)>> = Vec::new();
        let mut kept = Vec::new();
        let mut coords = Vec::new();
        for (d, ix) in per_dim.iter().enumerate() {
            let n = shape[d] as i64;
            let starts = self.grid.starts(d);
            let coord = self.coord(&self.dims[d]);
            match ix {
                Some(Indexer::Index(i)) => {
                    let p = if *i < 0 { i + n } else { *i };
                    if p < 0 || p >= n {
                        return Err(Error::value(format!(
                            "isel: index {i} is out of bounds for dimension '{}' of size {n}",
                            self.dims[d]
                        )));
                    }
                    let p = p as usize;
                    let b = starts.iter().rposition(|&s| s <= p).unwrap_or(0);
                    pieces.push(vec![(b, AxisSel::Index(p - starts[b]))]);
                    kept.push(false);
                }
                other => {
                    let (a, e, step) = match other {
                        Some(Indexer::Slice(a, e, step)) => (*a, *e, *step),
                        _ => (None, None, 1),
                    };
                    if step < 1 {
                        return Err(Error::value("isel: slice step must be a positive integer"));
                    }
                    let norm = |x: i64| if x < 0 { (x + n).max(0) } else { x.min(n) } as usize;
                    let (lo, hi) = (a.map_or(0, norm), e.map_or(n as usize, norm));
                    let step = step as usize;
                    let mut ps = Vec::new();
                    for (b, (&s, &c)) in starts.iter().zip(&self.grid.chunks[d]).enumerate() {
                        // First selected position at or after s.
                        let first = if lo >= s {
                            lo
                        } else {
                            lo + (s - lo).div_ceil(step) * step
                        };
                        let end = hi.min(s + c);
                        if first < end {
                            let len = (end - first).div_ceil(step);
                            ps.push((
                                b,
                                AxisSel::Range {
                                    start: first - s,
                                    len,
                                    step,
                                },
                            ));
                        }
                    }
                    if ps.is_empty() {
                        ps.push((
                            0,
                            AxisSel::Range {
                                start: 0,
                                len: 0,
                                step: 1,
                            },
                        ));
                    }
                    if let Some(c) = coord {
                        let len = if hi > lo { (hi - lo).div_ceil(step) } else { 0 };
                        coords.push(c.take(lo, len, step));
                    }
                    pieces.push(ps);
                    kept.push(true);
                }
            }
        }
        let counts: Vec<Vec<usize>> = pieces.iter().map(|p| (0..p.len()).collect()).collect();
        let mut plans = Vec::new();
        let mut deps = Vec::new();
        product(&counts, &mut Vec::new(), &mut |ix| {
            let in_idx: Vec<usize> = ix
                .iter()
                .enumerate()
                .map(|(d, &k)| pieces[d][k].0)
                .collect();
            deps.push(vec![self.grid.linear(&in_idx) as u32]);
            plans.push(
                ix.iter()
                    .enumerate()
                    .map(|(d, &k)| pieces[d][k].1)
                    .collect::<Vec<_>>(),
            );
        });
        let mut chunks = Vec::new();
        let mut dims = Vec::new();
        for (d, ps) in pieces.iter().enumerate() {
            if kept[d] {
                dims.push(self.dims[d].clone());
                chunks.push(
                    ps.iter()
                        .map(|(_, s)| match s {
                            AxisSel::Range { len, .. } => *len,
                            AxisSel::Index(_) => 1,
                        })
                        .collect(),
                );
            }
        }
        let layer = Layer::new(
            "getitem",
            plans.len() as u32,
            vec![LayerInput {
                layer: self.graph.layer.clone(),
                pattern: DepPattern::Explicit(Arc::new(deps)),
            }],
            Arc::new(SelectKernel {
                plans: Arc::new(plans),
            }),
        );
        Ok(self.with(
            Graph::derive(layer, &[&self.graph]),
            dims,
            ChunkGrid { chunks },
            coords,
        ))
    }

    /// Select by label (see [`Coord::locate`]); dimensions without a coordinate select by position.
    pub fn sel(&self, labels: &[(String, Label)], nearest: bool) -> Result<DataArray> {
        let mut ix = Vec::new();
        for (d, l) in labels {
            dim_index(&self.dims, d, "sel")?;
            ix.push((d.clone(), label_to_indexer(self.coord(d), d, l, nearest)?));
        }
        self.isel(&ix)
    }

    /// The grid `chunk(spec)` asks for (dims not named keep their chunks).
    pub fn chunk_grid(&self, spec: &[(String, ChunkSpec)]) -> Result<ChunkGrid> {
        let shape = self.shape();
        let mut chunks = self.grid.chunks.clone();
        let mut auto = Vec::new();
        for (d, s) in spec {
            let i = dim_index(&self.dims, d, "chunk")?;
            match s {
                ChunkSpec::Size(n) => chunks[i] = split(shape[i], *n),
                ChunkSpec::Full => chunks[i] = split(shape[i], shape[i].max(1)),
                ChunkSpec::Auto => auto.push(i),
            }
        }
        auto_chunks(&mut chunks, &shape, &auto, self.dtype.itemsize());
        Ok(ChunkGrid { chunks })
    }

    /// Rechunk to `grid` (same shape).
    pub fn rechunk(&self, grid: ChunkGrid) -> DataArray {
        if grid == self.grid {
            return self.clone();
        }
        let deps = Arc::new(overlap_deps(&self.grid, &grid));
        let kernel = AssembleKernel {
            input: self.grid.clone(),
            out: grid.clone(),
            deps: deps.clone(),
            dtype: self.dtype,
        };
        let layer = Layer::new(
            "rechunk-merge",
            grid.ntasks() as u32,
            vec![LayerInput {
                layer: self.graph.layer.clone(),
                pattern: DepPattern::Explicit(deps),
            }],
            Arc::new(kernel),
        );
        let g = Graph::derive(layer, &[&self.graph]);
        self.with(g, self.dims.clone(), grid, self.coords.clone())
    }
}

/// Size `auto` dimensions so a chunk holds about [`AUTO_CHUNK_BYTES`]: the other dims keep their
/// largest chunk; auto dims, last to first, take as much as fits.
pub fn auto_chunks(chunks: &mut [Vec<usize>], shape: &[usize], auto: &[usize], itemsize: usize) {
    if auto.is_empty() {
        return;
    }
    let fixed: usize = (0..shape.len())
        .filter(|d| !auto.contains(d))
        .map(|d| chunks[d].iter().copied().max().unwrap_or(1).max(1))
        .product();
    let mut budget = (AUTO_CHUNK_BYTES / itemsize.max(1) / fixed.max(1)).max(1);
    for &d in auto.iter().rev() {
        let n = shape[d].max(1).min(budget);
        chunks[d] = split(shape[d], n);
        budget = (budget / n).max(1);
    }
}

/// A label (or label slice) on one dimension as a positional indexer.
pub fn label_to_indexer(
    coord: Option<&Coord>,
    dim: &str,
    l: &Label,
    nearest: bool,
) -> Result<Indexer> {
    let Some(c) = coord else {
        // No coordinate: labels are positions (as xarray does for dims without index).
        return match l {
            Label::Num(x) => Ok(Indexer::Index(*x as i64)),
            Label::Slice(a, b) => {
                let f = |x: &Option<Box<Label>>| match x.as_deref() {
                    Some(Label::Num(v)) => Ok(Some(*v as i64)),
                    None => Ok(None),
                    _ => Err(Error::value(format!(
                        "sel: dimension '{dim}' has no coordinate"
                    ))),
                };
                Ok(Indexer::Slice(f(a)?, f(b)?.map(|e| e + 1), 1))
            }
            Label::Str(s) => Err(Error::value(format!(
                "sel: dimension '{dim}' has no coordinate to find '{s}'"
            ))),
        };
    };
    Ok(match c.locate(l, nearest)? {
        Pos::Index(i) => Indexer::Index(i as i64),
        Pos::Range(a, b) => Indexer::Slice(Some(a as i64), Some(b as i64), 1),
    })
}
