//! CSV as Dask reads it: a glob of files planned into byte-range partitions (one per file, or per `blocksize`
//! bytes split at line starts), dtypes inferred from a sample at the head of the first file and enforced on
//! every partition, fast parsing by polars, and a diagnostic pass that turns any failure into one error
//! naming the file, line, column and value. Also the CSV writer (atomic, pandas-readable).

mod diagnose;
pub mod infer;
mod plan;
mod read;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, DataType, Schema};

pub use plan::plan_csv;
pub use read::read_csv_part;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;

/// Options of `read_csv` (pandas/Dask names).
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Dtypes given by the user, overriding inference (`dtype={"col": ...}`).
    pub dtype: HashMap<String, DataType>,
    /// Columns to read (`usecols`); `None` reads all. Output keeps the file's column order.
    pub usecols: Option<Vec<String>>,
    /// Split files into partitions of about this many bytes (at line starts); `None`: one per file.
    pub blocksize: Option<u64>,
    /// Field separator (`sep`).
    pub sep: u8,
    /// Bytes at the head of the first file used to infer dtypes (Dask's `sample`, 256 000).
    pub sample_bytes: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            dtype: HashMap::new(),
            usecols: None,
            blocksize: None,
            sep: b',',
            sample_bytes: 256_000,
        }
    }
}

/// One partition: a byte range of data rows of one file (never including the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvPart {
    pub path: PathBuf,
    /// Byte offset of the range's first row (a line start).
    pub start: u64,
    /// Byte offset just past the range (a line start, or the file length).
    pub end: u64,
    /// 1-based line number of the range's first row, when known without scanning (first block of a file).
    pub first_line: Option<u64>,
}

/// A planned CSV dataset: its partitions and the schema every partition is read with.
#[derive(Debug, Clone)]
pub struct CsvSource {
    pub parts: Vec<CsvPart>,
    /// Columns read (after `usecols`), in file order, with the dtypes enforced on every partition.
    pub schema: Schema,
    /// All columns of the file header (duplicates mangled `x.1` and blanks named `Unnamed: i`, as pandas).
    pub header: Vec<String>,
    pub options: CsvOptions,
}

impl CsvSource {
    /// Total bytes of data rows over all partitions (headers excluded).
    pub fn data_bytes(&self) -> u64 {
        csv_bytes(self)
    }
}

/// Total bytes of data rows over all partitions of `src` (for the datasets pane).
pub fn csv_bytes(src: &CsvSource) -> u64 {
    src.parts.iter().map(|p| p.end - p.start).sum()
}

/// Estimated number of rows of `src`: the data bytes times the rows per byte of samples (up to 1 MiB) from
/// the first and the largest partitions. Exact when those samples cover every partition.
pub fn estimate_csv_rows(src: &CsvSource) -> Result<u64> {
    let total = csv_bytes(src);
    let mut picks: Vec<usize> = (0..src.parts.len()).collect();
    picks.sort_by_key(|&i| std::cmp::Reverse(src.parts[i].end - src.parts[i].start));
    picks.truncate(3);
    if !picks.contains(&0) && !src.parts.is_empty() {
        picks.push(0);
    }
    let (mut rows, mut bytes, mut exact) = (0u64, 0u64, picks.len() == src.parts.len());
    for i in picks {
        let part = &src.parts[i];
        let len = (part.end - part.start).min(1 << 20);
        exact &= len == part.end - part.start;
        let buf = read::read_range(&part.path, part.start, part.start + len)?;
        rows += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        rows += u64::from(len == part.end - part.start && buf.last().is_some_and(|&b| b != b'\n'));
        bytes += len;
    }
    if exact || bytes == 0 {
        return Ok(rows);
    }
    Ok(((total as f64) * (rows as f64) / (bytes as f64)).round() as u64)
}

/// Write one partition as a CSV file: header row, no index, missing values as empty fields, written to a
/// temp file and renamed into place (pandas' `read_csv` reads it back with the same values).
pub fn write_csv_part(df: &mut DataFrame, path: &Path) -> Result<()> {
    use polars::prelude::{CsvWriter, SerWriter};
    use std::io::Write;
    write_atomic(path, |tmp| {
        let file = std::fs::File::create(tmp)
            .map_err(|e| Error::file(path, format!("cannot write CSV: {e}")))?;
        let mut w = std::io::BufWriter::new(file);
        CsvWriter::new(&mut w)
            .include_header(true)
            .finish(df)
            .map_err(|e| Error::file(path, format!("cannot write CSV: {e}")))?;
        w.flush()
            .map_err(|e| Error::file(path, format!("cannot write CSV: {e}")))
    })
}

/// The file of partition `i` of `n` for a `to_csv` target, as Dask names them: a `*` in the target is
/// replaced by the zero-padded partition number (`out/data-*.csv` → `out/data-07.csv` for 12 parts);
/// otherwise the target is a directory holding `<i>.part` files.
pub fn csv_part_path(target: &str, i: usize, n: usize) -> PathBuf {
    let width = n.saturating_sub(1).max(1).to_string().len();
    let label = format!("{i:0width$}");
    if target.contains('*') {
        PathBuf::from(target.replacen('*', &label, 1))
    } else {
        Path::new(target).join(format!("{label}.part"))
    }
}

/// Write every frame of `parts` with [`write_csv_part`] to [`csv_part_path`]`(target, i, n)`. Returns the
/// paths written, in partition order.
pub fn write_csv_parts(parts: &mut [DataFrame], target: &str) -> Result<Vec<PathBuf>> {
    let n = parts.len();
    let mut out = Vec::with_capacity(n);
    for (i, df) in parts.iter_mut().enumerate() {
        let path = csv_part_path(target, i, n);
        write_csv_part(df, &path)?;
        out.push(path);
    }
    Ok(out)
}
