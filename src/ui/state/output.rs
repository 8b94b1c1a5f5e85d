//! The output pane's content as lines: statements like notebook cells (`In [n]:`), their values,
//! tables (scrolled by columns), errors with their chain. Lines never wrap, so the count does not
//! depend on the pane's width and scrolling can be computed without drawing.

use super::Cell;
use crate::lang::object::Output;
use crate::ui::format::table_lines;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    Prompt,
    Value,
    Table,
    Error,
    Note,
    Blank,
}

/// Every line of every cell (tests and small outputs; drawing uses [`output_window`]).
pub fn output_lines(cells: &[Cell], col: usize) -> Vec<(OutKind, String)> {
    let mut out = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push((OutKind::Blank, String::new()));
        }
        cell_lines(c, col, &mut out);
    }
    out
}

/// Lines of one cell, computed without formatting anything (tables: header, index name, rows, footer).
pub fn cell_line_count(c: &Cell) -> usize {
    let prompt = if c.number > 0 {
        c.entry.source.lines().count()
    } else {
        usize::from(background_header(c).is_some())
    };
    let out = match &c.entry.output {
        Some(Output::Text(t)) => t.lines().count(),
        Some(Output::Table(t)) => {
            1 + t.rows.len() + usize::from(t.index_name.is_some()) + usize::from(t.footer.is_some())
        }
        None => 0,
    };
    let err = match &c.entry.error {
        Some(e) if !e.rendered.is_empty() => e.rendered.lines().count(),
        Some(e) => 1 + e.chain.iter().skip_while(|m| **m == e.message).count(),
        None => 0,
    };
    prompt + out + err
}

/// Total line count of all cells (with blank separators).
pub fn output_len(cells: &[Cell]) -> usize {
    cells.iter().map(cell_line_count).sum::<usize>() + cells.len().saturating_sub(1)
}

/// Lines `top..top + height`, formatting only the cells that show: drawing stays cheap however
/// long the session grows.
pub fn output_window(
    cells: &[Cell],
    col: usize,
    top: usize,
    height: usize,
) -> Vec<(OutKind, String)> {
    let mut out = Vec::with_capacity(height);
    let mut start = 0;
    for (i, c) in cells.iter().enumerate() {
        let n = cell_line_count(c) + usize::from(i > 0);
        if start + n > top && start < top + height {
            let mut lines = Vec::with_capacity(n);
            if i > 0 {
                lines.push((OutKind::Blank, String::new()));
            }
            cell_lines(c, col, &mut lines);
            let skip = top.saturating_sub(start);
            out.extend(lines.into_iter().skip(skip));
        }
        start += n;
        if start >= top + height {
            break;
        }
    }
    out.truncate(height);
    out
}

/// The line above a background result (a compute that finished, a job that failed): which statement
/// it answers, since other cells may have been added since it was started.
fn background_header(c: &Cell) -> Option<String> {
    if c.number > 0 || c.note {
        return None;
    }
    let first = c
        .entry
        .source
        .lines()
        .next()
        .filter(|l| !l.trim().is_empty())?;
    let more = if c.entry.source.lines().nth(1).is_some() {
        " ..."
    } else {
        ""
    };
    let what = if c.entry.error.is_some() {
        "Failed"
    } else {
        "Done"
    };
    Some(format!("{what}: {first}{more}"))
}

/// Wrap text to `width` columns at spaces (words longer than a line are left whole); keeps
/// existing line breaks. Notes are wrapped once when added, so line counts stay width-free.
pub fn wrap_text(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cur = String::new();
        for word in line.split(' ') {
            let fits = cur.chars().count() + 1 + word.chars().count() <= width;
            if !cur.is_empty() && !fits {
                out.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        out.push(cur);
    }
    out.join("\n")
}

fn cell_lines(c: &Cell, col: usize, out: &mut Vec<(OutKind, String)>) {
    {
        if let Some(h) = background_header(c) {
            out.push((OutKind::Prompt, h));
        }
        if c.number > 0 {
            for (i, l) in c.entry.source.lines().enumerate() {
                let p = if i == 0 {
                    format!("In [{}]: ", c.number)
                } else {
                    format!("{:>w$}: ", "...", w = format!("In [{}]", c.number).len())
                };
                out.push((OutKind::Prompt, p + l));
            }
        }
        match &c.entry.output {
            Some(Output::Text(t)) => {
                let kind = if c.note {
                    OutKind::Note
                } else {
                    OutKind::Value
                };
                out.extend(t.lines().map(|l| (kind, l.to_string())));
            }
            Some(Output::Table(t)) => {
                out.extend(table_lines(t, col).into_iter().map(|l| (OutKind::Table, l)));
            }
            None => {}
        }
        if let Some(e) = &c.entry.error {
            if !e.rendered.is_empty() {
                out.extend(e.rendered.lines().map(|l| (OutKind::Error, l.to_string())));
            } else {
                out.push((OutKind::Error, e.message.clone()));
                for cause in e.chain.iter().skip_while(|m| **m == e.message) {
                    out.push((OutKind::Error, format!("  caused by: {cause}")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::object::Table;
    use crate::ui::console::{ConsoleEntry, ConsoleError};

    fn cell(number: usize, output: Option<Output>, error: Option<ConsoleError>) -> Cell {
        let entry = ConsoleEntry {
            line: 1,
            source: "a = (1,\n 2)".into(),
            output,
            error,
        };
        Cell {
            number,
            entry,
            note: false,
        }
    }

    #[test]
    fn window_matches_full_rendering() {
        let t = Table {
            index_name: Some("i".into()),
            columns: vec!["a".into(), "b".into()],
            index: vec!["0".into(), "1".into()],
            rows: vec![vec!["1".into(), "2".into()], vec!["3".into(), "4".into()]],
            footer: Some("[2 rows x 2 columns]".into()),
        };
        let err = ConsoleError {
            message: "boom".into(),
            chain: vec!["boom".into(), "root".into()],
            ..Default::default()
        };
        let cells = vec![
            cell(1, Some(Output::Text("x\ny".into())), None),
            cell(2, Some(Output::Table(t)), None),
            cell(3, None, Some(err)),
            cell(0, Some(Output::Text("note".into())), None),
            cell(0, None, Some(ConsoleError::default())),
        ];
        let all = output_lines(&cells, 1);
        assert_eq!(all.len(), output_len(&cells));
        for top in 0..all.len() {
            for h in [1, 3, 7, 100] {
                let want: Vec<_> = all.iter().skip(top).take(h).cloned().collect();
                assert_eq!(
                    output_window(&cells, 1, top, h),
                    want,
                    "top {top} height {h}"
                );
            }
        }
    }
    #[test]
    fn background_results_name_their_statement_and_notes_wrap() {
        let c = cell(0, Some(Output::Text("42".into())), None);
        let lines = output_lines(&[c], 0);
        assert_eq!(lines[0], (OutKind::Prompt, "Done: a = (1, ...".into()));
        assert_eq!(lines[1].1, "42");
        assert_eq!(wrap_text("aa bb cc dd", 5), "aa bb\ncc dd");
        assert_eq!(wrap_text("averylongword x", 4), "averylongword\nx");
    }
}
