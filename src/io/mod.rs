//! Readers and writers (CSV, Parquet, netCDF), atomic output and demo data. Headless.

pub mod demo_cmip6;
pub mod netcdf;
