//! Reading one planned partition: polars parses the byte range with the planned schema enforced (the fast
//! path), in chunks of [`CHUNK`] bytes with a cancellation check between chunks. Any polars error, or a
//! field count that does not add up, triggers the diagnostic pass that names the exact line and column.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use polars::prelude::{
    CsvEncoding, CsvReadOptions, DataFrame, DataType, Float64Chunked, IntoColumn, NullValues,
    PlSmallStr, Schema, SerReader, StringChunked,
};

use super::diagnose::{diagnose, Finding};
use super::infer::{is_na, NA_VALUES};
use super::{CsvPart, CsvSource};
use crate::engine::CancelToken;
use crate::error::{Error, Result};

/// Bytes parsed per polars call: bounds the raw buffer and the time between cancellation checks. Unit tests
/// use tiny chunks so that small files exercise the multi-chunk path.
const CHUNK: u64 = if cfg!(test) { 4096 } else { 32 << 20 };

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::file(path, format!("cannot read: {e}"))
}

/// Bytes `[start, end)` of `path`.
pub(super) fn read_range(path: &Path, start: u64, end: u64) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    read_range_from(&mut f, path, start, end)
}

fn read_range_from(f: &mut File, path: &Path, start: u64, end: u64) -> Result<Vec<u8>> {
    f.seek(SeekFrom::Start(start))
        .map_err(|e| io_err(path, e))?;
    let mut buf = vec![0u8; (end - start) as usize];
    f.read_exact(&mut buf).map_err(|e| {
        Error::file(
            path,
            format!("cannot read bytes {start}..{end} (did the file change since planning?): {e}"),
        )
    })?;
    Ok(buf)
}

/// The first line start at or after `target` within `[target, end]` (`end` when none).
fn next_line_start(f: &mut File, path: &Path, target: u64, end: u64) -> Result<u64> {
    let mut pos = target - 1;
    f.seek(SeekFrom::Start(pos)).map_err(|e| io_err(path, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    while pos < end {
        let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return Ok((pos + i as u64 + 1).min(end));
        }
        pos += n as u64;
    }
    Ok(end)
}

/// 1-based line number of byte `offset` of `path` (error path only: scans the file up to `offset`).
fn line_at(path: &Path, offset: u64) -> Result<u64> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut pos, mut lines) = (0u64, 1u64);
    while pos < offset {
        let want = ((offset - pos) as usize).min(buf.len());
        let n = f.read(&mut buf[..want]).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        pos += n as u64;
    }
    Ok(lines)
}

/// The schema polars parses with: every header column (the unselected ones as cheap strings), and the
/// positions of the selected ones.
fn parse_schema(src: &CsvSource) -> (Arc<Schema>, Vec<usize>) {
    let mut proj = Vec::with_capacity(src.schema.len());
    let full: Schema = src
        .header
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let dt = match src.schema.get(name.as_str()) {
                Some(dt) => {
                    proj.push(j);
                    dt.clone()
                }
                None => DataType::String,
            };
            polars::prelude::Field::new(name.as_str().into(), dt)
        })
        .collect();
    (Arc::new(full), proj)
}

/// True when the bytes hold exactly `ncols` fields on every line, counting separators and newlines only.
/// Quoted separators/newlines or blank lines make it false, which only costs a diagnostic pass.
fn counts_add_up(bytes: &[u8], sep: u8, ncols: usize) -> bool {
    let (seps, nls) = count_two(bytes, sep, b'\n');
    let lines = nls + u64::from(bytes.last().is_some_and(|&b| b != b'\n'));
    seps == lines * (ncols as u64 - 1)
}

/// How many bytes of `bytes` equal `a`, and how many equal `b`. Counted in byte lanes that are
/// flushed every 255 rounds, so the compiler can use wide byte compares: this scan runs over every
/// byte of every CSV chunk, and the one-byte-at-a-time form was a tenth of a CSV read's time.
fn count_two(bytes: &[u8], a: u8, b: u8) -> (u64, u64) {
    const W: usize = 32;
    let (mut ca, mut cb) = (0u64, 0u64);
    for block in bytes.chunks(W * 255) {
        let (mut va, mut vb) = ([0u8; W], [0u8; W]);
        let mut it = block.chunks_exact(W);
        for c in &mut it {
            for i in 0..W {
                va[i] += u8::from(c[i] == a);
                vb[i] += u8::from(c[i] == b);
            }
        }
        for &x in it.remainder() {
            ca += u64::from(x == a);
            cb += u64::from(x == b);
        }
        ca += va.iter().map(|&x| u64::from(x)).sum::<u64>();
        cb += vb.iter().map(|&x| u64::from(x)).sum::<u64>();
    }
    (ca, cb)
}

/// The first line of a (multi-line) polars error message, for one-line errors.
fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// `bytes` without its blank lines (empty or `\r` only), or `None` when there are none or when the bytes
/// hold quotes (a blank line may then be inside a quoted field, and polars' output is kept).
fn strip_blank_lines(bytes: &[u8]) -> Option<Vec<u8>> {
    let blank = |l: &[u8]| l.is_empty() || l == b"\r";
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    if bytes.contains(&b'"') || !lines.any(|l| blank(l.strip_suffix(b"\n").unwrap_or(l))) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if !blank(body) {
            out.extend_from_slice(line);
        }
    }
    (out.len() != bytes.len()).then_some(out)
}

/// Read partition `i` of `src` as a DataFrame with exactly `src.schema`. Missing values are nulls.
pub fn read_csv_part(src: &CsvSource, i: usize, cancel: &CancelToken) -> Result<DataFrame> {
    let part = src.parts.get(i).ok_or_else(|| {
        Error::value(format!(
            "CSV partition {i} does not exist ({} partitions)",
            src.parts.len()
        ))
    })?;
    cancel.check()?;
    let (full, proj) = parse_schema(src);
    if part.end <= part.start || proj.is_empty() {
        return Ok(DataFrame::empty_with_schema(&src.schema));
    }
    let path = &part.path;
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut out: Option<DataFrame> = None;
    let mut pos = part.start;
    while pos < part.end {
        cancel.check()?;
        let stop = if part.end - pos > CHUNK {
            next_line_start(&mut f, path, pos + CHUNK, part.end)?
        } else {
            part.end
        };
        let bytes = read_range_from(&mut f, path, pos, stop)?;
        let df = parse_chunk(src, part, &full, &proj, pos, bytes)?;
        match &mut out {
            None => out = Some(df),
            Some(acc) => {
                acc.vstack_mut_owned(df)
                    .map_err(|e| Error::polars(format!("stacking {}", path.display()), e))?;
            }
        }
        pos = stop;
    }
    Ok(out.unwrap_or_else(|| DataFrame::empty_with_schema(&src.schema)))
}

/// Parse whole lines with polars, enforcing `full` and keeping the columns `proj`.
fn polars_read(
    src: &CsvSource,
    full: &Arc<Schema>,
    proj: &[usize],
    bytes: &[u8],
    na_values: bool,
) -> polars::prelude::PolarsResult<DataFrame> {
    let sep = src.options.sep;
    let nulls = na_values.then(|| {
        let list = NA_VALUES.iter().filter(|s| !s.is_empty());
        NullValues::AllColumns(list.map(|s| PlSmallStr::from(*s)).collect())
    });
    let read = || {
        CsvReadOptions::default()
            .with_has_header(false)
            .with_schema(Some(full.clone()))
            .with_projection(Some(Arc::new(proj.to_vec())))
            .with_raise_if_empty(false)
            // One thread per chunk: partitions already run in parallel on the task pool, and a
            // multi-threaded parse first scans the chunk for split points (a sixth of a read's time).
            .with_n_threads(Some(1))
            .map_parse_options(|p| {
                p.with_separator(sep)
                    .with_null_values(nulls.clone())
                    .with_missing_is_null(true)
                    .with_encoding(CsvEncoding::Utf8)
            })
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
    };
    // Bad input must never take the worker down: a panic inside polars becomes an error (then diagnosed).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(polars::prelude::PolarsError::ComputeError(
            "the CSV parser panicked".into(),
        ))
    })
}

/// Make missing values what pandas reads as missing: NA spellings (`NA`, `null`...) in text columns and
/// `NaN`/`nan` in float columns (polars parses those as NaN, which reductions would not skip) become nulls.
fn null_na_strings(mut df: DataFrame) -> polars::prelude::PolarsResult<DataFrame> {
    let cols: Vec<(PlSmallStr, DataType)> = df
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::String | DataType::Float64))
        .map(|c| (c.name().clone(), c.dtype().clone()))
        .collect();
    for (name, dtype) in cols {
        let col = df.column(name.as_str())?;
        let fixed = if dtype == DataType::String {
            let ca = col.str()?;
            if !ca.iter().flatten().any(is_na) {
                continue;
            }
            let ca: StringChunked = ca.iter().map(|v| v.filter(|s| !is_na(s))).collect();
            ca.with_name(name.clone()).into_column()
        } else {
            let ca = col.f64()?;
            if !ca.iter().flatten().any(f64::is_nan) {
                continue;
            }
            let ca: Float64Chunked = ca.iter().map(|v| v.filter(|x| !x.is_nan())).collect();
            ca.with_name(name.clone()).into_column()
        };
        df.replace(name.as_str(), fixed)?;
    }
    Ok(df)
}

/// Parse one chunk (whole lines) that starts at byte `offset` of the part's file.
fn parse_chunk(
    src: &CsvSource,
    part: &CsvPart,
    full: &Arc<Schema>,
    proj: &[usize],
    offset: u64,
    bytes: Vec<u8>,
) -> Result<DataFrame> {
    let sep = src.options.sep;
    // Fast path: no null-value list (it more than doubles polars' parse time); empty fields are null,
    // other NA spellings in text columns are nulled afterwards, and in typed columns they make polars fail,
    // which retries with the full list.
    let fast = polars_read(src, full, proj, &bytes, false).and_then(null_na_strings);
    let fast = match fast {
        Ok(df) => Ok(df),
        Err(_) => polars_read(src, full, proj, &bytes, true).and_then(null_na_strings),
    };
    let err = match fast {
        Ok(df) if counts_add_up(&bytes, sep, src.header.len()) => return Ok(df),
        Ok(df) => match diagnose(src, &bytes) {
            // The rows are fine: the counts were off because of quoted separators/newlines or blank lines.
            // polars reads a blank line as a row of nulls where pandas skips it.
            None => match strip_blank_lines(&bytes) {
                Some(clean) => {
                    let df = polars_read(src, full, proj, &clean, false).and_then(null_na_strings);
                    return df
                        .or_else(|_| {
                            polars_read(src, full, proj, &clean, true).and_then(null_na_strings)
                        })
                        .map_err(|e| {
                            Error::file(&part.path, format!("could not parse: {}", first_line(&e)))
                        });
                }
                None => return Ok(df),
            },
            Some(finding) => finding,
        },
        Err(e) => diagnose(src, &bytes).unwrap_or(Finding {
            line: None,
            column: None,
            message: format!(
                "could not parse the rows at bytes {offset}..{}: {}",
                offset + bytes.len() as u64,
                first_line(&e)
            ),
        }),
    };
    let line = match err.line {
        None => None,
        Some(l) => {
            let base = match (offset == part.start, part.first_line) {
                (true, Some(first)) => first,
                _ => line_at(&part.path, offset)?,
            };
            Some(base + l - 1)
        }
    };
    Err(Error::File {
        path: part.path.clone(),
        line,
        column: err.column,
        message: err.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_match_a_plain_count_across_lane_blocks() {
        // Lengths around the 32-byte lanes and the 255-round flush (8160 bytes).
        for len in [0, 1, 31, 32, 33, 8159, 8160, 8161, 20_000] {
            let bytes: Vec<u8> = (0..len)
                .map(|i| match (i * 7 + i / 13) % 5 {
                    0 => b',',
                    1 => b'\n',
                    _ => b'x',
                })
                .collect();
            let plain = (
                bytes.iter().filter(|&&b| b == b',').count() as u64,
                bytes.iter().filter(|&&b| b == b'\n').count() as u64,
            );
            assert_eq!(count_two(&bytes, b',', b'\n'), plain, "len {len}");
        }
        // All the same byte: a lane reaches 255 exactly at a flush.
        assert_eq!(count_two(&[b','; 8160 * 3], b',', b'\n'), (8160 * 3, 0));
    }
}
