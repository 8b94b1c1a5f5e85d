//! Readers and writers (CSV, Parquet, netCDF), atomic output and demo data. Headless.

pub mod atomic;
pub mod csv;
pub mod demo_bom;
pub mod demo_cmip6;
pub mod netcdf;
pub mod parquet;
