//! Plain-text rendering of [`Table`] as pandas prints frames and series: a left-aligned index
//! column, right-aligned cells, a header row (plus the index name on its own row), then the footer.

use super::object::Table;

fn width(s: &str) -> usize {
    s.chars().count()
}

fn right(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

fn left(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// True for a series-shaped table: one unnamed column (pandas prints no header row for a series).
fn is_series(t: &Table) -> bool {
    t.columns.len() == 1 && t.columns[0].is_empty()
}

/// Render `t` as `tessera run` prints it. Lines carry no trailing spaces; no final newline.
pub fn render_table(t: &Table) -> String {
    let mut lines: Vec<String> = Vec::new();
    let index_w = t
        .index
        .iter()
        .map(|s| width(s))
        .chain(t.index_name.iter().map(|s| width(s)))
        .max()
        .unwrap_or(0);
    if t.columns.is_empty() && t.rows.is_empty() {
        if let Some(f) = &t.footer {
            return f.clone();
        }
        return String::new();
    }
    if is_series(t) {
        if let Some(name) = &t.index_name {
            lines.push(name.clone());
        }
        let w = t
            .rows
            .iter()
            .filter_map(|r| r.first())
            .map(|s| width(s))
            .max()
            .unwrap_or(0);
        for (i, row) in t.rows.iter().enumerate() {
            let label = t.index.get(i).map_or("", String::as_str);
            let cell = row.first().map_or("", String::as_str);
            // pandas separates a series' index and values by four spaces.
            lines.push(format!("{}    {}", left(label, index_w), right(cell, w)));
        }
    } else {
        // Each column is as wide as its header or one more than its widest cell (pandas pads cells
        // with a leading space), columns joined by one space.
        let widths: Vec<usize> = t
            .columns
            .iter()
            .enumerate()
            .map(|(c, h)| {
                let cells = t
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| width(s) + 1)
                    .max()
                    .unwrap_or(0);
                width(h).max(cells)
            })
            .collect();
        let mut header = " ".repeat(index_w);
        for (h, w) in t.columns.iter().zip(&widths) {
            header.push(' ');
            header.push_str(&right(h, *w));
        }
        lines.push(header);
        if let Some(name) = &t.index_name {
            lines.push(name.clone());
        }
        for (i, row) in t.rows.iter().enumerate() {
            let mut line = left(t.index.get(i).map_or("", String::as_str), index_w);
            for (c, w) in widths.iter().enumerate() {
                line.push(' ');
                line.push_str(&right(row.get(c).map_or("", String::as_str), *w));
            }
            lines.push(line);
        }
    }
    if let Some(f) = &t.footer {
        // pandas leaves a blank line before a frame's `[n rows x m columns]`, none before a series'.
        if f.starts_with('[') {
            lines.push(String::new());
        }
        lines.push(f.clone());
    }
    lines
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn frame_matches_pandas() {
        // pandas: pd.DataFrame({'a':[1,22],'name':['x','yyy']})
        let t = Table {
            index_name: None,
            columns: s(&["a", "name"]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1", "x"]), s(&["22", "yyy"])],
            footer: None,
        };
        assert_eq!(render_table(&t), "    a name\n0   1    x\n1  22  yyy");
    }

    #[test]
    fn negative_numbers_and_long_index() {
        // pandas: pd.DataFrame({'a':[-1,22]}, index=['long_label','b'])
        let t = Table {
            index_name: None,
            columns: s(&["a"]),
            index: s(&["long_label", "b"]),
            rows: vec![s(&["-1"]), s(&["22"])],
            footer: Some("[2 rows x 1 columns]".into()),
        };
        assert_eq!(
            render_table(&t),
            "             a\nlong_label  -1\nb           22\n\n[2 rows x 1 columns]"
        );
    }

    #[test]
    fn index_name_gets_its_own_row() {
        let t = Table {
            index_name: Some("idx".into()),
            columns: s(&["a", "b"]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1", "x"]), s(&["2", "y"])],
            footer: None,
        };
        assert_eq!(render_table(&t), "     a  b\nidx\n0    1  x\n1    2  y");
    }

    #[test]
    fn series_as_pandas() {
        // pandas: pd.Series([1.0, 22.5], name='x')
        let t = Table {
            index_name: None,
            columns: s(&[""]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1.0"]), s(&["22.5"])],
            footer: Some("Name: x, dtype: float64".into()),
        };
        assert_eq!(
            render_table(&t),
            "0     1.0\n1    22.5\nName: x, dtype: float64"
        );
    }

    #[test]
    fn empty_table_shows_footer() {
        let t = Table {
            footer: Some("Empty DataFrame".into()),
            ..Table::default()
        };
        assert_eq!(render_table(&t), "Empty DataFrame");
    }
}
