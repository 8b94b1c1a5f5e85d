//! TEMPORARY stand-in for the IO layer API (src/io/{csv,parquet,atomic}.rs, branch io-frames) with simple
//! bodies, so the frame module builds and tests before that branch lands. Delete once io-frames is merged.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::engine::CancelToken;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub dtype: HashMap<String, DataType>,
    pub usecols: Option<Vec<String>>,
    pub blocksize: Option<u64>,
    pub sep: u8,
    pub sample_bytes: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            dtype: HashMap::new(),
            usecols: None,
            blocksize: None,
            sep: b',',
            sample_bytes: 256 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CsvPart {
    pub path: PathBuf,
    pub start: u64,
    pub end: u64,
    pub first_line: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct CsvSource {
    pub parts: Vec<CsvPart>,
    pub schema: Schema,
    pub header: Vec<String>,
    pub options: CsvOptions,
}

fn expand(pattern: &str) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = glob::glob(pattern)
        .map_err(|e| Error::value(format!("bad pattern {pattern:?}: {e}")))?
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::file(pattern, "no files match this pattern"));
    }
    Ok(files)
}

pub fn plan_csv(pattern: &str, opts: CsvOptions) -> Result<CsvSource> {
    let files = expand(pattern)?;
    let first = &files[0];
    let mut head = Vec::new();
    std::fs::File::open(first)
        .map_err(|e| Error::io(first, e))?
        .take(opts.sample_bytes as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(first, e))?;
    if let Some(p) = head.iter().rposition(|&b| b == b'\n') {
        head.truncate(p + 1);
    }
    let overwrite: Schema = opts
        .dtype
        .iter()
        .map(|(k, v)| Field::new(k.as_str().into(), v.clone()))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema_overwrite(Some(overwrite.into()))
        .with_parse_options(CsvParseOptions::default().with_separator(opts.sep))
        .into_reader_with_file_handle(std::io::Cursor::new(head))
        .finish()
        .map_err(|e| Error::file(first, e.to_string()))?;
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut schema = (**df.schema()).clone();
    if let Some(cols) = &opts.usecols {
        for c in cols {
            if !header.contains(c) {
                return Err(Error::file(first, format!("usecols: no column {c:?}")));
            }
        }
        schema = cols
            .iter()
            .map(|c| Field::new(c.as_str().into(), schema.get(c).unwrap().clone()))
            .collect();
    }
    let mut parts = Vec::new();
    for f in files {
        let len = std::fs::metadata(&f).map_err(|e| Error::io(&f, e))?.len();
        let bs = opts.blocksize.unwrap_or(u64::MAX).max(1);
        let mut start = 0;
        let bytes = std::fs::read(&f).map_err(|e| Error::io(&f, e))?;
        let mut line = 1;
        while start < len {
            let mut end = start.saturating_add(bs).min(len);
            while end < len && bytes[end as usize - 1] != b'\n' {
                end += 1;
            }
            parts.push(CsvPart {
                path: f.clone(),
                start,
                end,
                first_line: Some(line),
            });
            line += bytes[start as usize..end as usize]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            start = end;
        }
    }
    Ok(CsvSource {
        parts,
        schema,
        header,
        options: opts,
    })
}

pub fn read_csv_part(src: &CsvSource, i: usize, cancel: &CancelToken) -> Result<DataFrame> {
    cancel.check()?;
    let part = &src.parts[i];
    let mut f = std::fs::File::open(&part.path).map_err(|e| Error::io(&part.path, e))?;
    f.seek(SeekFrom::Start(part.start))
        .map_err(|e| Error::io(&part.path, e))?;
    let mut buf = Vec::new();
    f.take(part.end - part.start)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(&part.path, e))?;
    // Every part reads with the full header schema; usecols projects afterwards.
    let mut full = Schema::default();
    for h in &src.header {
        let dt = src
            .options
            .dtype
            .get(h)
            .cloned()
            .or_else(|| src.schema.get(h).cloned())
            .unwrap_or(DataType::String);
        full.with_column(h.as_str().into(), dt);
    }
    let df = CsvReadOptions::default()
        .with_has_header(part.start == 0)
        .with_schema(Some(full.into()))
        .with_parse_options(CsvParseOptions::default().with_separator(src.options.sep))
        .into_reader_with_file_handle(std::io::Cursor::new(buf))
        .finish()
        .map_err(|e| Error::File {
            path: part.path.clone(),
            line: part.first_line,
            column: None,
            message: e.to_string(),
        })?;
    match &src.options.usecols {
        Some(c) => df
            .select(c.iter().map(|s| s.as_str()))
            .map_err(|e| Error::file(&part.path, e.to_string())),
        None => Ok(df),
    }
}

pub fn write_csv_part(df: &mut DataFrame, path: &Path) -> Result<()> {
    let tmp = path.with_extension("tmp-write");
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    CsvWriter::new(&mut f)
        .finish(df)
        .map_err(|e| Error::file(path, e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

#[derive(Debug, Clone)]
pub struct ParquetSource {
    pub files: Vec<PathBuf>,
    pub schema: Schema,
    pub rows: Vec<u64>,
}

fn parquet_files(path: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(path);
    if p.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|e| Error::io(p, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x == "parquet"))
            .collect();
        // part.10 after part.9: natural order on the number inside the name.
        files.sort_by_key(|f| {
            let s = f.file_name().unwrap().to_string_lossy().to_string();
            let n: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            (n.parse::<u64>().unwrap_or(0), s)
        });
        if files.is_empty() {
            return Err(Error::file(p, "no .parquet files in this directory"));
        }
        Ok(files)
    } else {
        expand(path)
    }
}

pub fn plan_parquet(path: &str, columns: Option<&[String]>) -> Result<ParquetSource> {
    let files = parquet_files(path)?;
    let mut rows = Vec::new();
    let mut schema = Schema::default();
    for (k, f) in files.iter().enumerate() {
        let file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
        let mut r = ParquetReader::new(file);
        rows.push(r.num_rows().map_err(|e| Error::file(f, e.to_string()))? as u64);
        if k == 0 {
            let a = r.schema().map_err(|e| Error::file(f, e.to_string()))?;
            schema = Schema::from_arrow_schema(&a);
        }
    }
    if let Some(cols) = columns {
        let mut s = Schema::default();
        for c in cols {
            let dt = schema
                .get(c)
                .ok_or_else(|| Error::file(&files[0], format!("no column {c:?}")))?;
            s.with_column(c.as_str().into(), dt.clone());
        }
        schema = s;
    }
    Ok(ParquetSource {
        files,
        schema,
        rows,
    })
}

pub fn read_parquet_part(
    src: &ParquetSource,
    i: usize,
    columns: Option<&[String]>,
) -> Result<DataFrame> {
    let f = &src.files[i];
    let file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
    ParquetReader::new(file)
        .with_columns(columns.map(|c| c.to_vec()))
        .finish()
        .map_err(|e| Error::file(f, e.to_string()))
}

pub fn write_parquet_part(df: &mut DataFrame, path: &Path) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    ParquetWriter::new(f)
        .finish(df)
        .map_err(|e| Error::file(path, e.to_string()))?;
    Ok(())
}

pub struct StagedDir {
    final_dir: PathBuf,
    staging: PathBuf,
    committed: std::sync::atomic::AtomicBool,
}

impl StagedDir {
    pub fn new(final_dir: &Path, overwrite: bool) -> Result<Self> {
        if final_dir.exists() && !overwrite {
            return Err(Error::file(
                final_dir,
                "already exists (pass overwrite=True to replace it)",
            ));
        }
        let name = final_dir
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let staging = final_dir.with_file_name(format!(".{name}.staging-{}", std::process::id()));
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(StagedDir {
            final_dir: final_dir.to_path_buf(),
            staging,
            committed: false.into(),
        })
    }
    pub fn path(&self) -> &Path {
        &self.staging
    }
    pub fn commit(&self) -> Result<()> {
        if self.final_dir.exists() {
            std::fs::remove_dir_all(&self.final_dir).map_err(|e| Error::io(&self.final_dir, e))?;
        }
        std::fs::rename(&self.staging, &self.final_dir)
            .map_err(|e| Error::io(&self.final_dir, e))?;
        self.committed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
