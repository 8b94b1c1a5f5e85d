//! Log pane: errors and messages, newest first, deduplicated (×count), each with its root cause.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::{pane_block, scroll_for, select_line};
use crate::engine::LogLevel;
use crate::ui::format::clip;
use crate::ui::pane::Pane;
use crate::ui::state::{rows, View};

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    let extra = format!("{} errors", v.log.errors());
    let block = pane_block(v, Pane::Log, &extra, Some(&v.log_sel));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = rows::log_rows(v);
    let height = inner.height as usize;
    let top = scroll_for(v.log_sel.selected, height);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push(Line::styled("no errors", t.dimmed()));
    }
    for (n, &i) in rows.iter().enumerate().skip(top).take(height) {
        let e = &v.log.entries[i];
        let (tag, color) = match e.level {
            LogLevel::Error => ("E", t.error),
            LogLevel::Warn => ("W", t.warning),
            LogLevel::Info => ("I", t.accent),
            LogLevel::Debug => ("D", t.dim),
        };
        let count = if e.count > 1 {
            format!("×{} ", e.count)
        } else {
            String::new()
        };
        let mut text = e.message.clone();
        if e.chain.len() > 1 {
            text.push_str(" ← ");
            text.push_str(e.chain.last().map(String::as_str).unwrap_or(""));
        }
        let line = Line::from(vec![
            Span::styled(format!("{tag} "), t.fg(color)),
            Span::styled(count.clone(), t.fg(t.warning)),
            Span::raw(clip(&text, w.saturating_sub(2 + count.chars().count()))),
        ]);
        lines.push(select_line(
            v,
            line,
            n == v.log_sel.selected,
            v.focus == Pane::Log,
        ));
    }
    f.render_widget(Paragraph::new(lines).style(t.text()), inner);
}
