//! Tessera: Dask's way of working with larger-than-memory data, in a terminal.
//!
//! Module map:
//! - [`engine`]: task graphs (layers of keyed tasks), the scheduler, the result store with futures,
//!   jobs, events and memory accounting. Headless: never touches the terminal.
//! - [`io`]: readers and writers for CSV, Parquet and netCDF, atomic output, demo data. Headless.
//! - [`frame`]: partitioned data frames (polars partitions) built as task graphs.
//! - [`array`]: chunked labelled arrays and datasets (ndarray chunks) built as task graphs.
//! - [`lang`]: the session language (a Python subset with Dask's names) and its interpreter.
//! - [`ui`]: the ratatui workbench, drawing read-only snapshots of the engine.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod array;
pub mod bench;
pub mod bench_memory;
pub mod bench_netcdf;
pub mod demo;
pub mod engine;
pub mod error;
pub mod frame;
pub mod io;
pub mod lang;
pub mod ui;
pub mod units;
