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

pub fn output_lines(cells: &[Cell], col: usize) -> Vec<(OutKind, String)> {
    let mut out = Vec::new();
    for c in cells {
        if !out.is_empty() {
            out.push((OutKind::Blank, String::new()));
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
    out
}
