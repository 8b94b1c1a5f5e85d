//! `to_netcdf`: a task graph with one `create` task (defines the file, writes coordinates), one
//! `store` task per chunk of every variable, and one final `commit` task that closes and renames the
//! file. Each chunk is dropped after its store task, so memory stays bounded by the chunks in flight.
//!
//! Two kinds of store tasks:
//! - library stores (`store-map`) encode NaN → `_FillValue` outside the writer lock, then write their
//!   hyperslab through libnetcdf (which compresses, if asked, under its global lock);
//! - direct stores (`store-chunks`), for zlib-compressed variables whose blocks are whole numbers of
//!   HDF5 chunks ([`aligned_chunk_shape`]): once every library store is done, a `reopen-hdf5` task
//!   closes the netCDF file and reopens it with libhdf5; each direct store then shuffles and deflates
//!   its own chunks in its worker ([`filter_block`]) and only writes the finished bytes under the lock.
//!   A block is split into several such tasks of ~[`PIECE_BYTES`] of whole chunks, so that workers
//!   share the compression of one block rather than wait for the last one.
//!   `TESSERA_NC_DIRECT=0` turns them off (everything through the library).

use std::path::PathBuf;
use std::sync::Arc;

use ::netcdf::AttributeValue;
use ndarray::{ArrayD, IxDyn};
use parking_lot::Mutex;

use super::dataset::Dataset;
use super::kernels::input_array;
use super::write_chunks::aligned_chunk_shape;
use crate::engine::{
    DepPattern, FnKernel, Graph, Inputs, Kernel, Layer, LayerInput, NdArray, TaskContext, Value,
};
use crate::error::{Error, Result};
use crate::io::netcdf::h5filter::filter_block;
use crate::io::netcdf::write::encode_fill;
use crate::io::netcdf::{DirectWriter, NcWriter, RawType, VarSpec};

/// Per-variable encoding options (`encoding={"pr": {"zlib": True, "complevel": 4}}`).
#[derive(Debug, Clone, Default)]
pub struct VarEncoding {
    pub zlib: Option<i32>,
}

struct WriteState {
    dest: PathBuf,
    ds: Dataset,
    encoding: Vec<(String, VarEncoding)>,
    /// Per data variable: its HDF5 chunk shape when written by direct stores (in `direct_vars`).
    direct: Vec<Option<Vec<usize>>>,
    writer: Mutex<Option<NcWriter>>,
    /// Set by `reopen-hdf5`; shared by the direct stores (which write concurrently).
    direct_writer: Mutex<Option<Arc<DirectWriter>>>,
}

fn var_name(v: &super::DataArray) -> String {
    v.name
        .clone()
        .unwrap_or_else(|| "__xarray_dataarray_variable__".into())
}

/// zlib level of data variable `v`: `encoding=` first, else the source file's.
fn zlib_of(v: &super::DataArray, encoding: &[(String, VarEncoding)]) -> Option<i32> {
    let name = var_name(v);
    encoding
        .iter()
        .find(|(n, _)| n == &name)
        .map_or(v.encoding.zlib, |(_, e)| e.zlib)
}

/// The HDF5 chunk shape of each data variable (in `ds.data_vars` order) if `to_netcdf` writes it
/// with direct chunk writes, `None` if through the netCDF library.
pub fn direct_chunk_plan(
    ds: &Dataset,
    encoding: &[(String, VarEncoding)],
) -> Vec<Option<Vec<usize>>> {
    // Chunks are made little-endian, as netCDF stores native types on little-endian hosts.
    let off =
        std::env::var("TESSERA_NC_DIRECT").is_ok_and(|v| v == "0") || cfg!(target_endian = "big");
    ds.data_vars
        .iter()
        .map(|v| {
            // A variable named like a dimension is stored by netCDF-4 under another HDF5 name
            // (`_nc4_non_coord_…`) or as a dimension scale: leave those to the library.
            let name = var_name(v);
            if off
                || v.dims.is_empty()
                || zlib_of(v, encoding).is_none()
                || ds.dims.iter().any(|(d, _)| *d == name)
            {
                return None;
            }
            aligned_chunk_shape(
                &v.grid.chunks,
                v.encoding.chunksizes.as_deref(),
                v.dtype.itemsize(),
            )
        })
        .collect()
}

fn not_created(dest: &std::path::Path) -> Error {
    Error::file(
        dest,
        "the file was not created (the create task did not run)",
    )
}

impl WriteState {
    fn create(&self) -> Result<()> {
        let mut w = NcWriter::create(&self.dest)?;
        for (d, n) in &self.ds.dims {
            w.add_dim(d, *n)?;
        }
        for c in &self.ds.coords {
            let mut attrs = c.attrs.clone();
            // A `bounds` attribute must name a variable that is written too.
            attrs.retain(|(k, v)| {
                k != "bounds"
                    || matches!(v, AttributeValue::Str(b) if self.ds.data_vars.iter().any(|d| d.name.as_deref() == Some(b.as_str())))
            });
            if let Some(t) = &c.time {
                attrs.push(("units".into(), AttributeValue::Str(t.units_string())));
                attrs.push((
                    "calendar".into(),
                    AttributeValue::Str(t.calendar.name().into()),
                ));
            }
            let spec = VarSpec {
                name: c.name.clone(),
                dims: vec![c.name.clone()],
                dtype: RawType::F64,
                attrs,
                fill: None,
                zlib: None,
                chunking: None,
            };
            w.add_var(&spec)?;
        }
        for (v, direct) in self.ds.data_vars.iter().zip(&self.direct) {
            let name = var_name(v);
            let zlib = zlib_of(v, &self.encoding);
            let fill = if v.dtype.is_float() {
                Some(v.encoding.fill.unwrap_or(f64::NAN))
            } else {
                None
            };
            let chunking = direct.clone().or_else(|| {
                (!v.dims.is_empty()).then(|| v.grid.chunksize().iter().map(|&c| c.max(1)).collect())
            });
            let spec = VarSpec {
                name,
                dims: v.dims.clone(),
                dtype: v.dtype.raw(),
                attrs: v.attrs.clone(),
                fill,
                zlib,
                chunking,
            };
            w.add_var(&spec)?;
        }
        for (k, a) in &self.ds.attrs {
            w.add_global_attr(k, a.clone())?;
        }
        for c in &self.ds.coords {
            let a = ArrayD::from_shape_vec(IxDyn(&[c.len()]), c.values.to_vec()).expect("1-d");
            w.write(&c.name, &[0], &NdArray::F64(a))?;
        }
        *self.writer.lock() = Some(w);
        Ok(())
    }

    /// Names of the directly written variables, in the order of `DirectFile`'s datasets.
    fn direct_vars(&self) -> Vec<(usize, String, Vec<usize>)> {
        self.ds
            .data_vars
            .iter()
            .zip(&self.direct)
            .enumerate()
            .filter_map(|(i, (v, d))| d.clone().map(|c| (i, var_name(v), c)))
            .collect()
    }

    /// After the library stores: close the netCDF file, reopen it for direct chunk writes.
    fn reopen(&self) -> Result<()> {
        let w = self
            .writer
            .lock()
            .take()
            .ok_or_else(|| not_created(&self.dest))?;
        let vars = self.direct_vars();
        let names: Vec<String> = vars.iter().map(|(_, n, _)| n.clone()).collect();
        let d = w.into_direct(&names)?;
        for (pos, (_, name, chunk)) in vars.iter().enumerate() {
            if &d.file().codec(pos).chunk != chunk {
                return Err(Error::file(
                    &self.dest,
                    format!(
                        "variable '{name}' was stored with chunks {:?}, not {chunk:?}",
                        d.file().codec(pos).chunk
                    ),
                ));
            }
        }
        *self.direct_writer.lock() = Some(Arc::new(d));
        Ok(())
    }
}

impl WriteState {
    /// Close whichever writer is open and rename the file into place.
    fn commit(&self) -> Result<PathBuf> {
        if let Some(w) = self.writer.lock().take() {
            return w.commit();
        }
        let d = self
            .direct_writer
            .lock()
            .take()
            .ok_or_else(|| not_created(&self.dest))?;
        // Every store has finished (the commit depends on all of them): this is the last reference.
        let d = Arc::try_unwrap(d)
            .map_err(|_| Error::file(&self.dest, "chunk writes still in flight at commit"))?;
        d.commit()
    }
}

/// Shuffles and deflates one block's HDF5 chunks in the worker, then writes each under the lock.
struct DirectStoreKernel {
    state: Arc<WriteState>,
    var: usize,
    /// Position among the directly written variables.
    pos: usize,
    /// Task `i` writes chunks `[lo, hi)` (C order within the block) of block `pieces[i].0`.
    pieces: Arc<Vec<(u32, usize, usize)>>,
}

/// Raw bytes one direct store task compresses (at least one whole chunk): a block of several such
/// pieces is compressed by several workers at once, and the last blocks of a write do not leave
/// all but one worker idle.
pub const PIECE_BYTES: usize = 8 << 20;

/// Split every block of `v` into pieces of whole HDF5 chunks `chunk`: (block, first, end chunk).
fn pieces(grid: &super::ChunkGrid, itemsize: usize, chunk: &[usize]) -> Vec<(u32, usize, usize)> {
    let chunk_bytes = chunk.iter().product::<usize>() * itemsize;
    let per_task = PIECE_BYTES.div_ceil(chunk_bytes.max(1)).max(1);
    let mut out = Vec::new();
    for b in 0..grid.ntasks() {
        let shape = grid.block_shape(&grid.block_index(b));
        let n: usize = shape
            .iter()
            .zip(chunk)
            .map(|(&s, &c)| s.div_ceil(c))
            .product();
        for lo in (0..n.max(1)).step_by(per_task) {
            out.push((b as u32, lo, (lo + per_task).min(n)));
        }
    }
    out
}

impl Kernel for DirectStoreKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        let v = &self.state.ds.data_vars[self.var];
        let (block, lo, hi) = self.pieces[index as usize];
        let start = v.grid.block_start(&v.grid.block_index(block as usize));
        let w = self
            .state
            .direct_writer
            .lock()
            .clone()
            .ok_or_else(|| not_created(&self.state.dest))?;
        let codec = w.file().codec(self.pos).clone();
        // As `create` defines `_FillValue`: floats only, NaN unless the source had one.
        let fill = v
            .dtype
            .is_float()
            .then(|| v.encoding.fill.unwrap_or(f64::NAN));
        // Not pooled across tasks: a kept buffer would stay resident while its worker reads the
        // next block, and peak memory matters more than the page faults it would save.
        let mut scratch = Vec::new();
        let res = filter_block(
            input_array(inputs, 0, 0)?,
            &start,
            &codec,
            fill,
            lo..hi,
            &mut scratch,
            &mut |origin, bytes| {
                ctx.cancel.check()?;
                w.file().write_chunk(self.pos, origin, bytes)
            },
        );
        if res.is_err() {
            // Forget the writer: once in-flight stores finish, its temporary file is removed.
            *self.state.direct_writer.lock() = None;
        }
        res.map(|()| Value::Unit)
    }
    fn describe(&self, index: u32) -> Option<String> {
        let (block, lo, hi) = self.pieces.get(index as usize)?;
        Some(format!(
            "{} block {block}, HDF5 chunks {lo}..{hi}",
            self.state.dest.display()
        ))
    }
}

struct StoreKernel {
    state: Arc<WriteState>,
    var: usize,
}

impl Kernel for StoreKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        let v = &self.state.ds.data_vars[self.var];
        let name = var_name(v);
        let start = v.grid.block_start(&v.grid.block_index(index as usize));
        // Encoding happens before taking the writer lock.
        let data = encode_fill(input_array(inputs, 0, 0)?, v.encoding.fill);
        let mut g = self.state.writer.lock();
        let w = g.as_mut().ok_or_else(|| not_created(&self.state.dest))?;
        if let Err(e) = w.write(&name, &start, &data) {
            // Drop the writer now: its temporary file is removed, nothing partial stays behind.
            *g = None;
            return Err(e);
        }
        Ok(Value::Unit)
    }
    fn describe(&self, index: u32) -> Option<String> {
        Some(format!("{} chunk {index}", self.state.dest.display()))
    }
}

/// The graph writing `ds` to `dest`; its single output task returns the path once committed.
pub fn to_netcdf_graph(
    ds: &Dataset,
    dest: PathBuf,
    encoding: Vec<(String, VarEncoding)>,
) -> Result<Graph> {
    for (n, _) in &encoding {
        ds.var(n)?;
    }
    let direct = direct_chunk_plan(ds, &encoding);
    let state = Arc::new(WriteState {
        dest,
        ds: ds.clone(),
        encoding,
        direct,
        writer: Mutex::new(None),
        direct_writer: Mutex::new(None),
    });
    let s1 = state.clone();
    let create = Layer::new(
        "create-netcdf",
        1,
        vec![],
        Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
            s1.create()?;
            Ok(Value::Unit)
        })),
    );
    let on = |layer: &Arc<Layer>| LayerInput {
        layer: layer.clone(),
        pattern: DepPattern::One(0),
    };
    // Library stores first (they need the netCDF file open), then the switch to libhdf5.
    let mut stores = Vec::new();
    let mut graphs = Vec::new();
    for (i, v) in ds.data_vars.iter().enumerate() {
        if state.direct[i].is_some() {
            continue;
        }
        let store = Layer::new(
            "store-map",
            v.grid.ntasks() as u32,
            vec![
                LayerInput {
                    layer: v.graph.layer.clone(),
                    pattern: DepPattern::Blockwise,
                },
                on(&create),
            ],
            Arc::new(StoreKernel {
                state: state.clone(),
                var: i,
            }),
        );
        stores.push(LayerInput {
            layer: store,
            pattern: DepPattern::All,
        });
        graphs.push(&v.graph);
    }
    let direct = state.direct_vars();
    if !direct.is_empty() {
        let mut before = vec![on(&create)];
        before.extend(stores.iter().cloned());
        let s3 = state.clone();
        let reopen = Layer::new(
            "reopen-hdf5",
            1,
            before,
            Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
                s3.reopen()?;
                Ok(Value::Unit)
            })),
        );
        stores.push(on(&reopen));
        for (pos, (i, _, chunk)) in direct.into_iter().enumerate() {
            let v = &ds.data_vars[i];
            let pieces = Arc::new(pieces(&v.grid, v.dtype.itemsize(), &chunk));
            let deps = pieces.iter().map(|p| vec![p.0]).collect();
            let store = Layer::new(
                "store-chunks",
                pieces.len() as u32,
                vec![
                    LayerInput {
                        layer: v.graph.layer.clone(),
                        pattern: DepPattern::Explicit(Arc::new(deps)),
                    },
                    on(&reopen),
                ],
                Arc::new(DirectStoreKernel {
                    state: state.clone(),
                    var: i,
                    pos,
                    pieces,
                }),
            );
            stores.push(LayerInput {
                layer: store,
                pattern: DepPattern::All,
            });
            graphs.push(&v.graph);
        }
    }
    if stores.is_empty() {
        stores.push(LayerInput {
            layer: create,
            pattern: DepPattern::All,
        });
    }
    let s2 = state;
    let commit = Layer::new(
        "finalize-netcdf",
        1,
        stores,
        Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
            let p = s2.commit()?;
            Ok(Value::Scalar(crate::engine::Scalar::Str(
                p.display().to_string(),
            )))
        })),
    );
    Ok(Graph::derive(commit, &graphs))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::array::open::{open_mfdataset, OpenOptions};
    use crate::engine::{CancelToken, Key, WorkerId};
    use crate::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions};

    fn entries(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn blocks_are_stored_in_pieces_of_whole_chunks() {
        // 730-day blocks of 64 × 128 floats in 365-day chunks (11.4 MiB): one chunk per task.
        let g = super::super::ChunkGrid::regular(&[1500, 64, 128], &[730, 64, 128]);
        assert_eq!(
            pieces(&g, 4, &[365, 64, 128]),
            vec![(0, 0, 1), (0, 1, 2), (1, 0, 1), (1, 1, 2), (2, 0, 1)]
        );
        // Small chunks are grouped, 8 MiB of 1 MiB chunks per task (the last block has 16 rows).
        let g = super::super::ChunkGrid::regular(&[36, 512, 512], &[20, 512, 512]);
        assert_eq!(
            pieces(&g, 4, &[1, 512, 512]),
            vec![(0, 0, 8), (0, 8, 16), (0, 16, 20), (1, 0, 8), (1, 8, 16)]
        );
    }

    /// A write cancelled in the middle of its direct chunk stores leaves neither the destination nor
    /// a temporary file behind once the job (its graph) is gone.
    #[test]
    fn cancelled_direct_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Cmip6DemoOptions {
            files: 3,
            years_per_file: 1,
            nlat: 4,
            nlon: 6,
            seed: 3,
            zlib: true,
        };
        let files = write_cmip6_demo(dir.path(), &opts).unwrap().files;
        let ds = open_mfdataset(&files, &OpenOptions::default()).unwrap();
        let pr = ds
            .data_vars
            .iter()
            .position(|v| v.name.as_deref() == Some("pr"));
        assert!(direct_chunk_plan(&ds, &[])[pr.unwrap()].is_some());
        let out_dir = dir.path().join("out");
        let dest = out_dir.join("pr.nc");
        let graph = to_netcdf_graph(&ds, dest.clone(), vec![]).unwrap();
        let cancel = CancelToken::new();
        let mut results: HashMap<_, Vec<Arc<Value>>> = HashMap::new();
        let mut stored = 0;
        let mut failed = None;
        'layers: for layer in graph.layer.topo() {
            if layer.id == graph.layer.id {
                break; // the commit never runs
            }
            let mut outs = Vec::new();
            for i in 0..layer.ntasks {
                let (mut values, mut bounds) = (Vec::new(), vec![0u32]);
                for inp in &layer.inputs {
                    let src = &results[&inp.layer.id];
                    inp.pattern.for_each(i, inp.layer.ntasks, |j| {
                        values.push(src[j as usize].clone())
                    });
                    bounds.push(values.len() as u32);
                }
                if layer.name.starts_with("store-chunks-") {
                    if stored == 1 {
                        cancel.cancel();
                    }
                    stored += 1;
                }
                let ctx = TaskContext {
                    key: Key::new(layer.id, i),
                    layer_name: &layer.name,
                    worker: WorkerId(0),
                    cancel: &cancel,
                };
                match layer.kernel.run(i, &Inputs::new(&values, &bounds), &ctx) {
                    Ok(v) => outs.push(Arc::new(v)),
                    Err(e) => {
                        failed = Some(e);
                        break 'layers;
                    }
                }
            }
            results.insert(layer.id, outs);
        }
        assert!(matches!(failed, Some(Error::Cancelled(_))), "{failed:?}");
        assert_eq!(stored, 2, "one chunk store ran before the cancel");
        assert!(!dest.exists());
        let tmp = entries(&out_dir);
        assert!(tmp.len() == 1 && tmp[0].ends_with(".tmp"), "{tmp:?}");
        drop(results);
        drop(graph);
        assert!(entries(&out_dir).is_empty(), "{:?}", entries(&out_dir));
    }
}
