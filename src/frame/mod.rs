//! Partitioned data frames as task graphs (Dask's `dask.dataframe`): one task per partition, polars
//! frames as partitions, tree reductions with `split_every=8`, and their session-language objects.
//!
//! Module map: [`read`] (read_csv/read_parquet builtins), [`collection`] (the lazy frame),
//! [`series`] and [`scalar`] (lazy series and reduction results), [`reduce`], [`groupby`], [`describe`]
//! (aggregations), [`repartition`], [`export`] (to_parquet/to_csv), [`kernel`] (layer builders),
//! [`value`] and [`format`] (concrete results printed as pandas does), `local_*` (their pandas methods), `*_native` (language bindings).

pub mod collection;
pub mod describe;
pub mod export;
pub mod format;
pub mod frame_native;
pub mod groupby;
pub mod kernel;
pub mod local_args;
pub mod local_frame;
pub mod local_ops;
pub mod local_series;
pub mod local_stats;
pub mod local_util;
pub mod native;
pub mod read;
pub mod reduce;
pub mod repartition;
pub mod scalar;
pub mod series;
pub mod series_native;
pub mod topn;
pub mod value;

/// The IO layer this module reads and writes through.
pub mod io {
    pub use crate::io::atomic::StagedDir;
    pub use crate::io::csv::{
        plan_csv, read_csv_part, write_csv_part, CsvOptions, CsvPart, CsvSource,
    };
    pub use crate::io::parquet::{
        plan_parquet, read_parquet_part, write_parquet_part, ParquetSource,
    };
}

pub use collection::DaskFrame;
pub use groupby::GroupBy;
pub use read::{builtins, csv_frame, parquet_frame};
pub use reduce::Agg;
pub use scalar::{DaskScalar, DelayedExport};
pub use series::DaskSeries;
pub use value::{FrameValue, Index, SeriesValue};
