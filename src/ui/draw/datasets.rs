//! Datasets pane: every named handle with kind, partitions or chunks, size estimate, bytes held and
//! whether it is persisted; the selected one's header (`ncdump -h`-like) beside the list when wide.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph};
use ratatui::Frame;

use super::detail::ncdump_lines;
use super::widgets::{cell, pane_block, rcell, scroll_for, select_line};
use crate::ui::format::bytes;
use crate::ui::pane::Pane;
use crate::ui::state::{rows, View};

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    let block = pane_block(
        v,
        Pane::Datasets,
        &format!("{} names", v.datasets.len()),
        Some(&v.datasets_sel),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = rows::dataset_rows(v);
    let split = inner.width >= 90;
    let [list, detail] = inner.layout(&Layout::horizontal([
        Constraint::Fill(if split { 55 } else { 1 }),
        Constraint::Fill(if split { 45 } else { 0 }),
    ]));
    let w = list.width as usize;
    let name_w = (w.saturating_sub(12 + 7 + 11 + 11 + 3)).clamp(6, 18);
    let mut lines = vec![Line::styled(
        format!(
            "{} {} {} {} {} P",
            cell("NAME", name_w),
            cell("KIND", 12),
            rcell("PARTS", 6),
            rcell("ESTIMATE", 10),
            rcell("HELD", 10)
        ),
        t.dimmed(),
    )];
    if rows.is_empty() {
        lines.push(Line::styled("no named handles yet", t.dimmed()));
    }
    let height = list.height.saturating_sub(1) as usize;
    let top = scroll_for(v.datasets_sel.selected, height);
    for (n, &i) in rows.iter().enumerate().skip(top).take(height) {
        let d = &v.datasets[i];
        let parts = d
            .npartitions
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        let est = d.nbytes.map(bytes).unwrap_or_else(|| "-".into());
        let held = d.held.map(bytes).unwrap_or_else(|| "-".into());
        let line = Line::from(vec![
            Span::styled(cell(&d.name, name_w), t.fg(t.accent)),
            Span::raw(format!(
                " {} {} {} {} ",
                cell(&d.kind, 12),
                rcell(&parts, 6),
                rcell(&est, 10),
                rcell(&held, 10)
            )),
            Span::styled(
                if d.persisted { "●" } else { "○" },
                t.fg(if d.persisted { t.ok } else { t.dim }),
            ),
        ]);
        lines.push(select_line(
            v,
            line,
            n == v.datasets_sel.selected,
            v.focus == Pane::Datasets,
        ));
    }
    f.render_widget(Paragraph::new(lines).style(t.text()), list);
    if split {
        let sel = rows.get(v.datasets_sel.selected).map(|&i| &v.datasets[i]);
        let text: Vec<Line> = match sel {
            Some(d) => ncdump_lines(d)
                .into_iter()
                .map(|l| Line::raw(l.replace('\t', "  ")))
                .collect(),
            None => Vec::new(),
        };
        let b = ratatui::widgets::Block::default()
            .borders(Borders::LEFT)
            .border_style(t.border(false));
        f.render_widget(Paragraph::new(text).style(t.text()).block(b), detail);
    }
}
