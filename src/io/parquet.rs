//! Parquet datasets as Dask reads and writes them: a file, a directory of parts (`part.0.parquet`,
//! `part.1.parquet`... in numeric order, `_metadata`/hidden files ignored) or a glob; one partition per file,
//! row counts from the footers (no data read at plan time). Parts are written with snappy compression.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{
    ArrowSchema, DataFrame, ParquetCompression, ParquetReader, ParquetWriter, Schema, SchemaExt,
    SerReader,
};

use crate::error::{Error, Result};
use crate::lang::object::closest;

/// A planned Parquet dataset: one partition per file.
#[derive(Debug, Clone)]
pub struct ParquetSource {
    pub files: Vec<PathBuf>,
    /// Columns read (after `columns`), with their dtypes.
    pub schema: Schema,
    /// Rows per file, from the file footers.
    pub rows: Vec<u64>,
}

/// Compare names so that digit runs sort numerically (`part.2` before `part.10`).
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut num = c.to_digit(10).unwrap_or(0) as u64;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                num = num.saturating_mul(10).saturating_add(d as u64);
                chars.next();
            }
            out.push((std::mem::take(&mut text), num));
        } else {
            text.push(c);
        }
    }
    out.push((text, u64::MAX));
    out
}

fn sort_natural(files: &mut [PathBuf]) {
    files.sort_by_key(|p| natural_key(&p.to_string_lossy()));
}

/// Hidden or metadata entries of a dataset directory (`.x`, `_metadata`, `_common_metadata`, `_SUCCESS`).
fn is_ignored(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// The files of `path`: the file itself, the data files of a directory, or the matches of a glob.
fn expand(path: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(path);
    let mut files: Vec<PathBuf> = if p.is_file() {
        vec![p.to_path_buf()]
    } else if p.is_dir() {
        let entries = std::fs::read_dir(p)
            .map_err(|e| Error::file(p, format!("cannot list directory: {e}")))?;
        let mut v = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::file(p, format!("cannot list directory: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_ignored(&name) && entry.path().is_file() {
                v.push(entry.path());
            }
        }
        if v.is_empty() {
            return Err(Error::file(p, "the directory holds no Parquet part files"));
        }
        v
    } else {
        let paths =
            glob::glob(path).map_err(|e| Error::file(p, format!("bad glob pattern: {e}")))?;
        let v: Vec<PathBuf> = paths
            .filter_map(|r| r.ok())
            .filter(|f| f.is_file())
            .collect();
        if v.is_empty() {
            return Err(Error::file(
                p,
                format!("no files match the pattern '{path}'"),
            ));
        }
        v
    };
    sort_natural(&mut files);
    Ok(files)
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::file(path, format!("cannot open: {e}")))
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::file(path, format!("not a readable Parquet file: {e}"))
}

/// Schema and row count of one file, from its footer.
fn footer(path: &Path) -> Result<(Schema, u64)> {
    let mut r = ParquetReader::new(open(path)?);
    let arrow: std::sync::Arc<ArrowSchema> = r.schema().map_err(|e| corrupt(path, e))?;
    let rows = r.num_rows().map_err(|e| corrupt(path, e))? as u64;
    Ok((Schema::from_arrow_schema(&arrow), rows))
}

/// Check `columns` against `schema` (unknown → error with the closest name) and select them, in the order
/// asked (as pandas' `read_parquet(columns=...)`).
fn select(path: &Path, schema: &Schema, columns: Option<&[String]>) -> Result<Schema> {
    let Some(cols) = columns else {
        return Ok(schema.clone());
    };
    let mut out = Schema::with_capacity(cols.len());
    for c in cols {
        match schema.get(c.as_str()) {
            Some(dt) => {
                out.insert(c.as_str().into(), dt.clone());
            }
            None => {
                let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
                let hint = closest(c, names.iter().copied())
                    .map(|n| format!("; did you mean '{n}'?"))
                    .unwrap_or_else(|| format!("; the columns are: {}", names.join(", ")));
                return Err(Error::file(
                    path,
                    format!("column '{c}' is not in the file{hint}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Plan a Parquet dataset: list its files, read every footer (schema, row count), check that all files
/// share the first file's schema, and select `columns`.
pub fn plan_parquet(path: &str, columns: Option<&[String]>) -> Result<ParquetSource> {
    let files = expand(path)?;
    let mut rows = Vec::with_capacity(files.len());
    let mut first: Option<Schema> = None;
    for f in &files {
        let (schema, n) = footer(f)?;
        match &first {
            None => first = Some(schema),
            Some(s0) if *s0 != schema => {
                return Err(Error::file(
                    f,
                    format!(
                        "its schema differs from the first file's ({}): {:?} vs {:?}",
                        files[0].display(),
                        schema,
                        s0
                    ),
                ))
            }
            Some(_) => {}
        }
        rows.push(n);
    }
    let schema = select(
        &files[0],
        first.as_ref().expect("at least one file"),
        columns,
    )?;
    Ok(ParquetSource {
        files,
        schema,
        rows,
    })
}

/// Read partition `i` (one file) of `src`, optionally only `columns` (in that order).
pub fn read_parquet_part(
    src: &ParquetSource,
    i: usize,
    columns: Option<&[String]>,
) -> Result<DataFrame> {
    let path = src.files.get(i).ok_or_else(|| {
        Error::value(format!(
            "Parquet partition {i} does not exist ({} partitions)",
            src.files.len()
        ))
    })?;
    let cols: Vec<String> = match columns {
        Some(c) => {
            select(path, &src.schema, Some(c))?;
            c.to_vec()
        }
        None => src.schema.iter_names().map(|n| n.to_string()).collect(),
    };
    ParquetReader::new(open(path)?)
        .with_columns(Some(cols))
        .finish()
        .map_err(|e| corrupt(path, e))
}

/// Write one partition as a Parquet file at `path` (snappy; pandas/pyarrow read it). Not atomic: the caller
/// writes into a [`crate::io::atomic::StagedDir`]. A failed write removes the partial file.
pub fn write_parquet_part(df: &mut DataFrame, path: &Path) -> Result<()> {
    let file =
        File::create(path).map_err(|e| Error::file(path, format!("cannot write Parquet: {e}")))?;
    let mut w = std::io::BufWriter::new(file);
    let res = ParquetWriter::new(&mut w)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)
        .map(|_| ())
        .map_err(|e| e.to_string())
        .and_then(|()| std::io::Write::flush(&mut w).map_err(|e| e.to_string()));
    if let Err(e) = res {
        let _ = std::fs::remove_file(path);
        return Err(Error::file(path, format!("cannot write Parquet: {e}")));
    }
    Ok(())
}

/// `part.<i>.parquet`, Dask's name for partition `i` in a dataset directory.
pub fn parquet_part_name(i: usize) -> String {
    format!("part.{i}.parquet")
}

/// Total bytes of the files of `src` (for the datasets pane).
pub fn parquet_bytes(src: &ParquetSource) -> u64 {
    src.files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}
