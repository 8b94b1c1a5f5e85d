//! Planning a CSV dataset: expand the glob, read and compare headers, infer dtypes from a sample at the head
//! of the first file, apply `dtype`/`usecols`, and cut files into byte-range partitions at line starts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use polars::prelude::{DataType, Field, Schema};

use super::infer::ColumnGuess;
use super::{CsvOptions, CsvPart, CsvSource};
use crate::error::{Error, Result};
use crate::lang::object::closest;

/// The header of one file: column names and where the data rows start.
struct Header {
    names: Vec<String>,
    /// Byte offset of the first data row.
    data_start: u64,
    len: u64,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::file(path, format!("cannot read: {e}"))
}

/// Expand `pattern` (a path or a glob) into files, sorted. No match is an error naming the pattern.
pub(super) fn expand(pattern: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(pattern);
    if p.is_dir() {
        return Err(Error::file(
            p,
            format!(
                "is a directory; give a file or a glob such as '{}/*.csv'",
                pattern.trim_end_matches('/')
            ),
        ));
    }
    let paths =
        glob::glob(pattern).map_err(|e| Error::file(p, format!("bad glob pattern: {e}")))?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(|r| r.ok())
        .filter(|f| f.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::file(
            p,
            format!("no files match the pattern '{pattern}'"),
        ));
    }
    Ok(files)
}

/// Name columns as pandas does: blank → `Unnamed: i`, repeated → `x.1`, `x.2`.
fn mangle(raw: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, name) in raw.into_iter().enumerate() {
        let base = if name.is_empty() {
            format!("Unnamed: {i}")
        } else {
            name
        };
        let mut cand = base.clone();
        let mut k = 1;
        while out.contains(&cand) {
            cand = format!("{base}.{k}");
            k += 1;
        }
        out.push(cand);
    }
    out
}

/// Read the header line of `path` (a UTF-8 BOM is skipped). An empty file is an error.
fn read_header(path: &Path, sep: u8) -> Result<Header> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let len = f.metadata().map_err(|e| io_err(path, e))?.len();
    if len == 0 {
        return Err(Error::File {
            path: path.into(),
            line: Some(1),
            column: None,
            message: "file is empty: no header line and no columns to parse".into(),
        });
    }
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let nl = loop {
        let n = f.read(&mut chunk).map_err(|e| io_err(path, e))?;
        let before = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf[before..].iter().position(|&b| b == b'\n') {
            break Some(before + i);
        }
        if n == 0 {
            break None;
        }
    };
    let bom = if buf.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let line_end = nl.unwrap_or(buf.len());
    let line = &buf[bom..line_end];
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(sep)
        .from_reader(line);
    let mut rec = ::csv::StringRecord::new();
    let ok = rdr.read_record(&mut rec).map_err(|e| Error::File {
        path: path.into(),
        line: Some(1),
        column: None,
        message: format!("cannot parse the header line: {e}"),
    })?;
    if !ok || (rec.len() == 1 && rec[0].trim().is_empty()) {
        return Err(Error::File {
            path: path.into(),
            line: Some(1),
            column: None,
            message: "the header line is empty: no columns to parse".into(),
        });
    }
    let names = mangle(
        rec.iter()
            .map(|s| s.trim_end_matches('\r').to_string())
            .collect(),
    );
    let data_start = nl.map_or(len, |i| i as u64 + 1);
    Ok(Header {
        names,
        data_start,
        len,
    })
}

/// Read bytes `[start, start+max)` of `path`, cut after the last complete line (unless at end of file).
fn read_sample(path: &Path, start: u64, max: usize, len: u64) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    f.seek(SeekFrom::Start(start))
        .map_err(|e| io_err(path, e))?;
    let want = (len - start).min(max as u64) as usize;
    let mut buf = vec![0u8; want];
    f.read_exact(&mut buf).map_err(|e| io_err(path, e))?;
    if start + (want as u64) < len {
        match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => buf.truncate(i + 1),
            // A single line longer than the sample: infer from that line alone.
            None => {
                let mut rest = Vec::new();
                f.read_to_end(&mut rest).map_err(|e| io_err(path, e))?;
                let i = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                buf.extend_from_slice(&rest[..i]);
            }
        }
    }
    Ok(buf)
}

/// Infer one dtype per selected column (`sel` indexes the header) from a sample of data rows.
fn infer(sample: &[u8], sep: u8, sel: &[usize]) -> Vec<DataType> {
    let mut guesses = vec![ColumnGuess::default(); sel.len()];
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .from_reader(sample);
    let mut rec = ::csv::ByteRecord::new();
    // A malformed sample row is skipped here; reading the partition reports it with its position.
    while let Ok(true) = rdr.read_byte_record(&mut rec) {
        if rec.len() == 1 && rec[0].is_empty() {
            continue; // blank line: pandas skips it
        }
        for (g, &j) in guesses.iter_mut().zip(sel) {
            let field = rec.get(j).unwrap_or(b"");
            let field = String::from_utf8_lossy(field);
            g.add(field.trim_end_matches('\r'));
        }
    }
    guesses.iter().map(|g| g.dtype()).collect()
}

/// An unknown column named by the user: an error on the first file's header with the closest name.
fn unknown_column(path: &Path, what: &str, name: &str, header: &[String]) -> Error {
    let hint = match closest(name, header.iter().map(|s| s.as_str())) {
        Some(c) => format!("; did you mean '{c}'?"),
        None => format!("; the columns are: {}", header.join(", ")),
    };
    Error::File {
        path: path.into(),
        line: Some(1),
        column: None,
        message: format!("{what} names column '{name}', which is not in the header{hint}"),
    }
}

/// Byte offsets where the blocks of `[start, len)` begin: every `blocksize` bytes, moved to the next line start.
fn block_starts(path: &Path, start: u64, len: u64, blocksize: u64) -> Result<Vec<u64>> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut starts = vec![start];
    let mut target = start + blocksize;
    let mut buf = vec![0u8; 64 * 1024];
    while target < len {
        // The block begins after the first '\n' at or after target-1 (so a target that is already a line
        // start stays put).
        let mut pos = target - 1;
        f.seek(SeekFrom::Start(pos)).map_err(|e| io_err(path, e))?;
        let found = loop {
            let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
            if n == 0 {
                break None;
            }
            if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                break Some(pos + i as u64 + 1);
            }
            pos += n as u64;
        };
        match found {
            Some(s) if s < len => {
                starts.push(s);
                target = (s + blocksize).max(target + blocksize);
            }
            _ => break,
        }
    }
    Ok(starts)
}

/// Plan `pattern` (a file or glob) as a partitioned CSV dataset; see the module docs for the rules.
pub fn plan_csv(pattern: &str, opts: CsvOptions) -> Result<CsvSource> {
    let files = expand(pattern)?;
    let first = read_header(&files[0], opts.sep)?;
    let header = first.names.clone();

    // Selected columns (indices into the header), in file order.
    let sel: Vec<usize> = match &opts.usecols {
        None => (0..header.len()).collect(),
        Some(cols) => {
            for c in cols {
                if !header.contains(c) {
                    return Err(unknown_column(&files[0], "usecols", c, &header));
                }
            }
            (0..header.len())
                .filter(|&j| cols.contains(&header[j]))
                .collect()
        }
    };
    let mut keys: Vec<&String> = opts.dtype.keys().collect();
    keys.sort();
    for c in keys {
        if !header.contains(c) {
            return Err(unknown_column(&files[0], "dtype", c, &header));
        }
    }

    // Every file's header must match the first one's (each block is parsed with that header).
    let mut headers = Vec::with_capacity(files.len());
    headers.push(first);
    for path in &files[1..] {
        let h = read_header(path, opts.sep)?;
        if h.names != header {
            let col = (0..h.names.len().max(header.len()))
                .find(|&j| h.names.get(j) != header.get(j))
                .unwrap_or(0);
            return Err(Error::File {
                path: path.clone(),
                line: Some(1),
                column: Some(col as u64 + 1),
                message: format!(
                    "the header differs from the first file's ({}): column {} is {:?}, expected {:?}",
                    files[0].display(),
                    col + 1,
                    h.names.get(col).map(String::as_str).unwrap_or("<missing>"),
                    header.get(col).map(String::as_str).unwrap_or("<none>"),
                ),
            });
        }
        headers.push(h);
    }

    // Dtypes come from the head of the first file with data rows (pandas: object when there are none).
    let inferred = match headers.iter().position(|h| h.len > h.data_start) {
        Some(k) => {
            let h = &headers[k];
            let sample = read_sample(&files[k], h.data_start, opts.sample_bytes.max(1), h.len)?;
            infer(&sample, opts.sep, &sel)
        }
        None => vec![DataType::String; sel.len()],
    };
    let schema: Schema = sel
        .iter()
        .zip(inferred)
        .map(|(&j, dt)| {
            let name = &header[j];
            Field::new(
                name.as_str().into(),
                opts.dtype.get(name).cloned().unwrap_or(dt),
            )
        })
        .collect();

    let mut parts = Vec::new();
    for (path, h) in files.iter().zip(&headers) {
        let starts = match opts.blocksize {
            Some(bs) if bs > 0 && h.len > h.data_start => {
                block_starts(path, h.data_start, h.len, bs)?
            }
            _ => vec![h.data_start],
        };
        for (b, &s) in starts.iter().enumerate() {
            let end = starts.get(b + 1).copied().unwrap_or(h.len);
            parts.push(CsvPart {
                path: path.clone(),
                start: s,
                end,
                first_line: (b == 0).then_some(2),
            });
        }
    }
    Ok(CsvSource {
        parts,
        schema,
        header,
        options: opts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangles_like_pandas() {
        let v = mangle(vec!["a".into(), "".into(), "a".into(), "a".into()]);
        assert_eq!(v, vec!["a", "Unnamed: 1", "a.1", "a.2"]);
    }
}
