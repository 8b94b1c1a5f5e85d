//! Text formatting shared by the panes: bytes, durations, counts, and notebook tables as aligned text.

use std::time::Duration;

use crate::lang::object::Table;

/// Bytes as Dask shows them: `1.50 GiB`, `312 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2} {}", UNITS[u])
}

/// A duration as `4.2s`, `3m07s`, `1h02m`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// Counts with k/M suffixes to keep columns narrow: `999`, `12.3k`, `1.0M`.
pub fn count(n: u64) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

/// Truncate to `width` chars, marking the cut with `…`.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A table as text lines, pandas-style: the index column stays, data columns start at `col_offset`
/// (horizontal scroll). Cells are right-aligned and two spaces apart, as pandas prints them.
pub fn table_lines(t: &Table, col_offset: usize) -> Vec<String> {
    const MAX_CELL: usize = 24;
    let index_w = t
        .index
        .iter()
        .map(|s| s.chars().count())
        .chain(t.index_name.iter().map(|s| s.chars().count()))
        .max()
        .unwrap_or(0)
        .min(MAX_CELL);
    let start = col_offset.min(t.columns.len().saturating_sub(1));
    let cols: Vec<usize> = (start..t.columns.len()).collect();
    let widths: Vec<usize> = cols
        .iter()
        .map(|&c| {
            let body = t
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count());
            body.chain(std::iter::once(t.columns[c].chars().count()))
                .max()
                .unwrap_or(1)
                .min(MAX_CELL)
        })
        .collect();
    let mut out = Vec::with_capacity(t.rows.len() + 3);
    let more_left = if start > 0 { " …" } else { "" };
    let mut header = format!("{:index_w$}{more_left}", "");
    for (&c, w) in cols.iter().zip(&widths) {
        header.push_str(&format!("  {:>w$}", clip(&t.columns[c], *w)));
    }
    out.push(header.trim_end().to_string());
    if let Some(name) = &t.index_name {
        out.push(clip(name, index_w));
    }
    for (i, row) in t.rows.iter().enumerate() {
        let label = t.index.get(i).map(String::as_str).unwrap_or("");
        let mut line = format!("{:index_w$}{more_left}", clip(label, index_w));
        for (&c, w) in cols.iter().zip(&widths) {
            let cell = row.get(c).map(String::as_str).unwrap_or("");
            line.push_str(&format!("  {:>w$}", clip(cell, *w)));
        }
        out.push(line.trim_end().to_string());
    }
    if let Some(f) = &t.footer {
        out.push(f.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_durations() {
        assert_eq!(bytes(312), "312 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.00 GiB");
        assert_eq!(duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(duration(Duration::from_secs(187)), "3m07s");
        assert_eq!(duration(Duration::from_secs(3720)), "1h02m");
        assert_eq!(count(12_345), "12.3k");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn table_scrolls_columns_keeping_index() {
        let t = Table {
            index_name: None,
            columns: vec!["a".into(), "bb".into(), "c".into()],
            index: vec!["0".into(), "1".into()],
            rows: vec![
                vec!["1".into(), "2.5".into(), "x".into()],
                vec!["10".into(), "NaN".into(), "y".into()],
            ],
            footer: Some("[2 rows x 3 columns]".into()),
        };
        let l = table_lines(&t, 0);
        assert_eq!(l[0], "    a   bb  c");
        assert_eq!(l[1], "0   1  2.5  x");
        assert_eq!(l[2], "1  10  NaN  y");
        assert_eq!(l[3], "[2 rows x 3 columns]");
        let l = table_lines(&t, 2);
        assert_eq!(l[0], "  …  c");
        assert_eq!(l[2], "1 …  y");
    }
}
