//! Pandas-style text of concrete frames and series: cells formatted per column as pandas does (common
//! decimals for floats, `NaN` for missing), head/tail truncation of long results, and a plain-text renderer.
//! Pure functions, so the TUI and `tessera run` show the same thing and tests can snapshot it.

use polars::prelude::*;

use super::value::Index;
use crate::lang::Table;

/// pandas' `display.max_rows`: longer results show `MIN_ROWS` rows (half head, half tail).
pub const MAX_ROWS: usize = 60;
pub const MIN_ROWS: usize = 10;
/// pandas' `display.precision`.
const DIGITS: usize = 6;

/// The pandas dtype name of a polars dtype (`int64`, `float64`, `object` for strings...).
pub fn dtype_name(dt: &DataType) -> String {
    match dt {
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::String => "object".into(),
        DataType::Date | DataType::Datetime(_, _) => "datetime64[ns]".into(),
        DataType::Duration(_) => "timedelta64[ns]".into(),
        DataType::Null => "object".into(),
        other => other.to_string(),
    }
}

/// The dtype pandas would show for this concrete series: integers with missing values become float64.
pub fn shown_dtype(s: &Series) -> String {
    if s.dtype().is_integer() && s.null_count() > 0 {
        "float64".into()
    } else {
        dtype_name(s.dtype())
    }
}

/// Which rows to show of `n`: all, or head and tail with a `...` gap between (`None` marks the gap).
pub fn shown_rows(n: usize, max_rows: usize) -> Vec<Option<usize>> {
    if n <= max_rows {
        return (0..n).map(Some).collect();
    }
    let half = MIN_ROWS / 2;
    let mut out: Vec<Option<usize>> = (0..half).map(Some).collect();
    out.push(None);
    out.extend((n - half..n).map(Some));
    out
}

/// Python's `%.6e` (`1.234568e+07`).
fn sci(x: f64) -> String {
    let s = format!("{x:.DIGITS$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    format!("{m}e{sign}{digits:0>2}")
}

/// Format float cells as pandas' FloatArrayFormatter: `%.6f`, trailing zeros trimmed equally while every
/// value ends in 0 (keeping one decimal), scientific when values are tiny or long and large.
pub fn format_floats(vals: &[Option<f64>]) -> Vec<String> {
    let finite: Vec<f64> = vals
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let fixed = |x: f64| format!("{x:.DIGITS$}");
    let mut cells: Vec<Option<String>> = vals
        .iter()
        .map(|v| v.filter(|x| x.is_finite()).map(fixed))
        .collect();
    // Trim common trailing zeros (pandas `_trim_zeros_float`).
    loop {
        let nums: Vec<&String> = cells.iter().flatten().collect();
        if nums.is_empty() || !nums.iter().all(|s| s.ends_with('0') && !s.ends_with(".0")) {
            break;
        }
        for s in cells.iter_mut().flatten() {
            s.pop();
        }
    }
    let maxlen = cells.iter().flatten().map(String::len).max().unwrap_or(0);
    let large = finite.iter().any(|v| v.abs() > 1e6);
    let small = finite.iter().any(|v| v.abs() > 0.0 && v.abs() < 1e-6);
    if small || (maxlen > DIGITS + 6 && large) {
        cells = vals
            .iter()
            .map(|v| v.filter(|x| x.is_finite()).map(sci))
            .collect();
    }
    cells
        .into_iter()
        .zip(vals)
        .map(|(c, v)| match (c, v) {
            (Some(c), _) => c,
            (None, Some(x)) if x.is_infinite() => if *x > 0.0 { "inf" } else { "-inf" }.into(),
            _ => "NaN".into(),
        })
        .collect()
}

/// The cells of `rows` of one column, as pandas prints them (formatting depends on the shown values only).
pub fn format_cells(s: &Series, rows: &[usize]) -> Vec<String> {
    let idx: Vec<IdxSize> = rows.iter().map(|&r| r as IdxSize).collect();
    let taken = match s.take_slice(&idx) {
        Ok(t) => t,
        Err(_) => return rows.iter().map(|_| "?".into()).collect(),
    };
    let dt = s.dtype();
    if dt.is_float() || (dt.is_integer() && s.null_count() > 0) {
        let f = taken.cast(&DataType::Float64).expect("numeric cast to f64");
        let vals: Vec<Option<f64>> = f.f64().expect("f64").iter().collect();
        return format_floats(&vals);
    }
    if matches!(dt, DataType::Datetime(_, _) | DataType::Date) {
        return format_datetimes(&taken);
    }
    (0..taken.len())
        .map(|i| match taken.get(i) {
            Ok(AnyValue::Null) | Err(_) => "NaN".into(),
            Ok(AnyValue::Boolean(b)) => if b { "True" } else { "False" }.into(),
            Ok(AnyValue::String(s)) => s.to_string(),
            Ok(AnyValue::StringOwned(s)) => s.to_string(),
            Ok(v) => v.to_string(),
        })
        .collect()
}

/// Timestamps as pandas shows them: `2020-01-01 12:30:00`, dates alone when every value is at midnight,
/// `NaT` for missing.
fn format_datetimes(s: &Series) -> Vec<String> {
    let Ok(text) = s.cast(&DataType::String) else {
        return vec!["?".into(); s.len()];
    };
    let Ok(ca) = text.str() else {
        return vec!["?".into(); s.len()];
    };
    let cells: Vec<Option<String>> = ca
        .iter()
        .map(|v| {
            v.map(|t| {
                // Drop an all-zero fraction (`.000000000`).
                match t.split_once('.') {
                    Some((head, frac)) if frac.bytes().all(|b| b == b'0') => head.to_string(),
                    _ => t.to_string(),
                }
            })
        })
        .collect();
    let midnight = cells
        .iter()
        .flatten()
        .all(|c| c.ends_with(" 00:00:00") || !c.contains(' '));
    cells
        .into_iter()
        .map(|c| match c {
            None => "NaT".into(),
            Some(c) if midnight => c.trim_end_matches(" 00:00:00").to_string(),
            Some(c) => c,
        })
        .collect()
}

fn index_cells(index: &Index, rows: &[usize]) -> Vec<String> {
    match index {
        Index::Labels(s) => format_cells(s, rows),
        _ => rows
            .iter()
            .map(|&r| index.position_label(r).to_string())
            .collect(),
    }
}

fn index_name(index: &Index) -> Option<String> {
    match index {
        Index::Labels(s) if !s.name().is_empty() => Some(s.name().to_string()),
        _ => None,
    }
}

/// A concrete frame as pandas prints it.
pub fn frame_table(df: &DataFrame, index: &Index, max_rows: usize) -> Table {
    let n = df.height();
    let shown = shown_rows(n, max_rows);
    let real: Vec<usize> = shown.iter().flatten().copied().collect();
    let cols: Vec<Vec<String>> = df
        .columns()
        .iter()
        .map(|c| format_cells(c.as_materialized_series(), &real))
        .collect();
    let idx = index_cells(index, &real);
    let mut rows = Vec::with_capacity(shown.len());
    let mut labels = Vec::with_capacity(shown.len());
    let mut k = 0;
    for r in &shown {
        match r {
            Some(_) => {
                labels.push(idx[k].clone());
                rows.push(cols.iter().map(|c| c[k].clone()).collect());
                k += 1;
            }
            None => {
                labels.push("...".into());
                rows.push(vec!["...".to_string(); cols.len()]);
            }
        }
    }
    let truncated = shown.len() < n || n == 0;
    Table {
        index_name: index_name(index),
        columns: df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        index: labels,
        rows,
        footer: truncated.then(|| format!("[{n} rows x {} columns]", df.width())),
    }
}

/// A concrete series as pandas prints it: one unnamed column and a `Name: x, dtype: y` footer.
pub fn series_table(s: &Series, index: &Index, max_rows: usize) -> Table {
    let n = s.len();
    let shown = shown_rows(n, max_rows);
    let real: Vec<usize> = shown.iter().flatten().copied().collect();
    let cells = format_cells(s, &real);
    let idx = index_cells(index, &real);
    let (mut rows, mut labels, mut k) = (Vec::new(), Vec::new(), 0);
    for r in &shown {
        if r.is_some() {
            labels.push(idx[k].clone());
            rows.push(vec![cells[k].clone()]);
            k += 1;
        } else {
            labels.push("...".into());
            rows.push(vec!["...".into()]);
        }
    }
    let mut footer = Vec::new();
    if !s.name().is_empty() {
        footer.push(format!("Name: {}", s.name()));
    }
    if shown.len() < n {
        footer.push(format!("Length: {n}"));
    }
    footer.push(format!("dtype: {}", shown_dtype(s)));
    Table {
        index_name: index_name(index),
        columns: vec![String::new()],
        index: labels,
        rows,
        footer: Some(footer.join(", ")),
    }
}

fn is_number(c: &str) -> bool {
    matches!(c, "NaN" | "inf" | "-inf" | "...") || c.parse::<f64>().is_ok()
}

/// A cell as pandas pads it: non-negative numbers and text get a leading space (negatives show their sign).
fn padded(c: &str, numeric: bool) -> String {
    if c == "..." || (numeric && c.starts_with('-')) {
        c.to_string()
    } else {
        format!(" {c}")
    }
}

/// Plain text of a table as pandas lays it out (`DataFrame.to_string`/`Series.to_string`): index
/// left-aligned; cells right-aligned with a leading space for non-negative numbers and text; numeric
/// column headers get the same leading space; frame columns are one space apart, a series' values three.
pub fn render(t: &Table) -> String {
    let is_series = t.columns.iter().all(String::is_empty);
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|j| t.rows.iter().all(|r| is_number(&r[j])) && t.rows.iter().any(|r| r[j] != "..."))
        .collect();
    let cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(j, c)| padded(c, numeric[j]))
                .collect()
        })
        .collect();
    let headers: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(j, h)| {
            if numeric[j] && !h.is_empty() {
                format!(" {h}")
            } else {
                h.clone()
            }
        })
        .collect();
    let width: Vec<usize> = (0..headers.len())
        .map(|j| {
            cells
                .iter()
                .map(|r| r[j].chars().count())
                .chain([headers[j].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let iw = t
        .index
        .iter()
        .map(|s| if s == "..." { 2 } else { s.chars().count() })
        // A frame's index column fits its name; a series prints the name on its own line only.
        .chain(
            t.index_name
                .iter()
                .filter(|_| !is_series)
                .map(|s| s.chars().count()),
        )
        .max()
        .unwrap_or(0);
    let sep = if is_series { "   " } else { " " };
    let mut lines = Vec::new();
    if !is_series {
        let mut line = " ".repeat(iw);
        for (j, h) in headers.iter().enumerate() {
            line.push_str(&format!("{sep}{h:>w$}", w = width[j]));
        }
        lines.push(line);
    }
    if let Some(name) = &t.index_name {
        lines.push(name.clone());
    }
    for (label, row) in t.index.iter().zip(&cells) {
        // pandas' truncation row: `..` where a column is at most 3 wide, a blank index for series.
        let dots = |w: usize| if w > 3 { "..." } else { ".." };
        let label = match label.as_str() {
            "..." if is_series => "",
            "..." => dots(iw),
            l => l,
        };
        let mut line = format!("{label:<iw$}");
        for (j, c) in row.iter().enumerate() {
            let c = if c == "..." {
                dots(width[j])
            } else {
                c.as_str()
            };
            line.push_str(&format!("{sep}{c:>w$}", w = width[j]));
        }
        lines.push(line.trim_end().to_string());
    }
    if t.index.is_empty() && !is_series {
        lines.push("Index: []".into());
    }
    if let Some(f) = &t.footer {
        if !is_series {
            lines.push(String::new());
        }
        lines.push(f.clone());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(s: Series) -> String {
        let n = s.len();
        render(&series_table(&s, &Index::range(n), MAX_ROWS))
    }

    // Expected strings are pandas 2's `to_string()` of the same data.
    #[test]
    fn floats_like_pandas() {
        assert_eq!(
            series(Series::new("x".into(), [Some(0.25), Some(1.0), None])),
            "0    0.25\n1    1.00\n2     NaN\nName: x, dtype: float64"
        );
        assert_eq!(
            series(Series::new("".into(), [12345678.5, 1.0])),
            "0    12345678.5\n1           1.0\ndtype: float64"
        );
        assert_eq!(
            series(Series::new("".into(), [1e-8, 1.0])),
            "0    1.000000e-08\n1    1.000000e+00\ndtype: float64"
        );
        assert_eq!(
            format_floats(&[Some(1.95789), Some(7.0), Some(-2.0)]),
            ["1.95789", "7.00000", "-2.00000"]
        );
        assert_eq!(format_floats(&[Some(1.0 / 3.0), None]), ["0.333333", "NaN"]);
    }

    #[test]
    fn mixed_frame_like_pandas() {
        let df = DataFrame::new(
            3,
            vec![
                Series::new("name".into(), [Some("alpha"), Some("b"), None]).into(),
                Series::new("ok".into(), [true, false, true]).into(),
                Series::new("n".into(), [-5i64, 10, 3]).into(),
            ],
        )
        .unwrap();
        let t = render(&frame_table(&df, &Index::range(3), MAX_ROWS));
        assert_eq!(
            t,
            "    name     ok   n\n0  alpha   True  -5\n1      b  False  10\n2    NaN   True   3"
        );
        assert_eq!(
            series(Series::new("s".into(), ["x", "yy"])),
            "0     x\n1    yy\nName: s, dtype: object"
        );
    }

    #[test]
    fn long_results_truncate() {
        let a: Vec<i64> = (0..100).collect();
        let b: Vec<f64> = (0..100).map(|i| i as f64 / 4.0).collect();
        let df = DataFrame::new(
            100,
            vec![
                Series::new("a".into(), a.clone()).into(),
                Series::new("b".into(), b).into(),
            ],
        )
        .unwrap();
        let t = frame_table(&df, &Index::range(100), MAX_ROWS);
        assert_eq!(t.rows.len(), 11);
        assert_eq!(
            render(&t),
            "     a      b\n0    0   0.00\n1    1   0.25\n2    2   0.50\n3    3   0.75\n4    4   1.00\n..  ..    ...\n\
             95  95  23.75\n96  96  24.00\n97  97  24.25\n98  98  24.50\n99  99  24.75\n\n[100 rows x 2 columns]"
        );
        assert_eq!(
            series(Series::new("v".into(), a)),
            "0      0\n1      1\n2      2\n3      3\n4      4\n      ..\n95    95\n96    96\n97    97\n98    98\n99    99\n\
             Name: v, Length: 100, dtype: int64"
        );
    }

    #[test]
    fn index_names_like_pandas() {
        let s = Series::new("v".into(), [1i64, 2]);
        let idx = Index::Labels(Series::new("a_long_name".into(), [10i64, 20]));
        let t = render(&series_table(&s, &idx, MAX_ROWS));
        assert_eq!(t, "a_long_name\n10    1\n20    2\nName: v, dtype: int64");
    }

    #[test]
    fn datetimes_like_pandas() {
        let day = 86_400_000_000_000i64;
        let mk = |v: Vec<Option<i64>>| {
            Series::new("t".into(), v)
                .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
                .unwrap()
        };
        let s = mk(vec![Some(0), Some(day), None]);
        assert_eq!(
            format_cells(&s, &[0, 1, 2]),
            ["1970-01-01", "1970-01-02", "NaT"]
        );
        let s = mk(vec![Some(0), Some(day / 2)]);
        assert_eq!(
            format_cells(&s, &[0, 1]),
            ["1970-01-01 00:00:00", "1970-01-01 12:00:00"]
        );
    }

    #[test]
    fn partition_local_index_and_dtypes() {
        let idx = Index::Parts(vec![2, 2]);
        assert_eq!(
            (0..4).map(|r| idx.position_label(r)).collect::<Vec<_>>(),
            [0, 1, 0, 1]
        );
        assert_eq!(dtype_name(&DataType::String), "object");
        assert_eq!(
            dtype_name(&DataType::Datetime(TimeUnit::Nanoseconds, None)),
            "datetime64[ns]"
        );
        assert_eq!(
            shown_dtype(&Series::new("".into(), [Some(1i64), None])),
            "float64"
        );
    }
}
