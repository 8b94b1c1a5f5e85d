//! The diagnostic pass: re-reads a chunk that polars rejected (or whose field counts do not add up) with the
//! `csv` crate, record by record, and reports the first row with the wrong number of fields or the first
//! value that does not fit its column's dtype, with Dask's advice on how to fix the dtype.

use polars::prelude::DataType;

use super::infer::{fits, is_float, is_int, pandas_dtype_name};
use super::CsvSource;

/// What is wrong, where. `line` is 1-based within the chunk; `column` 1-based in the file's header.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Finding {
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

/// The first problem in `bytes` (whole data lines of one file), or `None` if every row is fine.
pub(super) fn diagnose(src: &CsvSource, bytes: &[u8]) -> Option<Finding> {
    let ncols = src.header.len();
    // Dtype per header column; None for unselected columns (read as text, never wrong).
    let dtypes: Vec<Option<&DataType>> = src
        .header
        .iter()
        .map(|h| src.schema.get(h.as_str()))
        .collect();
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.options.sep)
        .from_reader(bytes);
    let mut rec = ::csv::ByteRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => return None,
            Err(e) => {
                return Some(Finding {
                    line: Some(line),
                    column: None,
                    message: format!("malformed CSV row: {e}"),
                })
            }
            Ok(true) => {}
        }
        // The csv crate counts the line where the record starts.
        let line = rec.position().map_or(line, |p| p.line());
        let n = rec.len();
        if n == 1 && (rec[0].is_empty() || rec[0] == *b"\r") {
            continue; // blank line: pandas skips it
        }
        if n != ncols {
            let column = n.min(ncols) as u64 + 1;
            let what = if n > ncols { "too many" } else { "too few" };
            return Some(Finding {
                line: Some(line),
                column: Some(column),
                message: format!(
                    "{what} fields: expected {ncols} fields (as in the header), saw {n}"
                ),
            });
        }
        for (j, dt) in dtypes.iter().enumerate() {
            let Some(dt) = dt else { continue };
            let raw = &rec[j];
            let raw = if j + 1 == n {
                raw.strip_suffix(b"\r").unwrap_or(raw)
            } else {
                raw
            };
            let Ok(field) = std::str::from_utf8(raw) else {
                return Some(Finding {
                    line: Some(line),
                    column: Some(j as u64 + 1),
                    message: format!(
                        "column '{}' holds bytes that are not valid UTF-8",
                        src.header[j]
                    ),
                });
            };
            if fits(field, dt) == Some(false) {
                return Some(Finding {
                    line: Some(line),
                    column: Some(j as u64 + 1),
                    message: mismatch_message(src, j, field, dt),
                });
            }
        }
    }
}

/// Dask's explanation of a dtype mismatch, with the `dtype=` that would fix it.
fn mismatch_message(src: &CsvSource, j: usize, field: &str, dt: &DataType) -> String {
    let name = &src.header[j];
    let expected = pandas_dtype_name(dt);
    let origin = if src.options.dtype.contains_key(name) {
        "the dtype given for it in dtype=".to_string()
    } else {
        let first = src
            .parts
            .first()
            .map(|p| p.path.display().to_string())
            .unwrap_or_default();
        format!(
            "inferred from a sample of the first {} bytes of {first}",
            src.options.sample_bytes
        )
    };
    let numeric_int = matches!(
        dt,
        DataType::Int64 | DataType::Int32 | DataType::UInt64 | DataType::UInt32
    );
    let suggest = if numeric_int && (is_float(field) || is_int(field)) {
        format!("dtype={{'{name}': 'float64'}}")
    } else {
        format!("dtype={{'{name}': 'object'}}")
    };
    format!(
        "value {field:?} in column '{name}' (column {}) does not fit dtype {expected} ({origin}); \
         specify the dtype, e.g. read_csv(..., {suggest})",
        j + 1
    )
}
