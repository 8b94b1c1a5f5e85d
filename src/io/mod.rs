//! Readers and writers (CSV, Parquet, netCDF), atomic output and demo data. Headless.
