//! Chunked, labelled n-d arrays (xarray's `Dataset`/`DataArray` over Dask arrays): every operation
//! adds a layer with one task per output chunk to a task graph; nothing is read until computed.
//!
//! - [`open`]: `open_dataset`/`open_mfdataset` (multi-file, combined along time);
//! - [`dataarray`], [`arith`], [`reduce`]: `isel`/`sel`/`chunk`, arithmetic, tree reductions;
//! - [`dataset`]: the same over every variable; [`write`]: `to_netcdf` as a graph;
//! - [`native`]: the session-language objects and [`builtins`]; [`exec`]: a sequential executor.

pub mod args;
pub mod arith;
pub mod coords;
pub mod dataarray;
pub mod dataset;
pub mod dataset_collect;
pub mod exec;
pub mod grid;
pub mod kernels;
pub mod native;
pub mod native_ds;
pub mod nd;
pub mod open;
pub mod open_vars;
pub mod reduce;
pub mod repr;
pub mod repr_lazy;
pub mod value;
pub mod write;
pub mod write_chunks;

pub use arith::Arith;
pub use coords::{Coord, Label};
pub use dataarray::{ChunkSpec, DataArray, Indexer};
pub use dataset::Dataset;
pub use exec::run_sequential;
pub use grid::{ChunkGrid, DType};
pub use native::DataArrayObj;
pub use native_ds::{builtins, DatasetObj, Delayed};
pub use open::{expand, open_dataset, open_mfdataset, Combine, OpenOptions};
pub use reduce::Reduction;
pub use repr::format_bytes;
pub use value::ArrayValue;
pub use write::{direct_chunk_plan, to_netcdf_graph, VarEncoding};
