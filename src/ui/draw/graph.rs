//! Task graph pane: the selected job's layers in dependency order, indented by depth, each with its
//! task counts by state and a bar coloured like Dask's dashboard. Work is per layer, so a million
//! tasks cost no more than their layers. Enter expands a layer into its task states.

use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::{cell, pane_block, rcell, scroll_for, select_line, stacked};
use crate::engine::snapshot::LayerProgress;
use crate::ui::format::count;
use crate::ui::pane::Pane;
use crate::ui::state::rows::{graph_rows, GraphRow};
use crate::ui::state::View;

/// State segments of a layer, in the order Dask's progress bars stack them.
fn segments(v: &View, l: &LayerProgress) -> Vec<(u64, Color)> {
    let t = &v.theme;
    vec![
        (l.released as u64, t.released),
        (l.memory as u64, t.memory),
        (l.erred as u64, t.erred),
        (l.running as u64, t.running),
        (l.ready as u64, t.ready),
    ]
}

/// The non-zero task counts of a layer by state, each with its colour swatch.
pub fn count_spans(v: &View, l: &LayerProgress) -> Vec<Span<'static>> {
    let t = &v.theme;
    let parts = [
        ("released", l.released, t.released),
        ("memory", l.memory, t.memory),
        ("running", l.running, t.running),
        ("ready", l.ready, t.ready),
        ("waiting", l.waiting, t.waiting),
        ("erred", l.erred, t.erred),
    ];
    let mut spans = Vec::new();
    for (name, n, c) in parts.iter().filter(|p| p.1 > 0) {
        spans.push(Span::styled("■ ", t.fg(*c)));
        spans.push(Span::raw(format!("{name} {}  ", count(*n as u64))));
    }
    spans
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let job = v.graph_job();
    let extra = match job {
        Some(j) => format!(
            "job {} {} · {} layers · {} tasks",
            j.id,
            j.label,
            j.layers.len(),
            count(j.total)
        ),
        None => String::new(),
    };
    let block = pane_block(v, Pane::Graph, &extra, Some(&v.graph_sel));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(job) = job else {
        f.render_widget(
            Paragraph::new(Line::styled("no job selected", v.theme.dimmed())),
            inner,
        );
        return;
    };
    if let Some(tl) = &v.graph_tasks {
        return super::tasks::draw(v, f, inner, job, tl);
    }
    let w = inner.width as usize;
    let wide = w >= 90;
    let name_w = if wide { 30 } else { (w / 3).max(12) };
    let nums = if wide { 4 * 8 } else { 8 };
    let bar_w = w.saturating_sub(name_w + 8 + nums + 2).max(4);
    let mut head = format!("{} {}", cell("LAYER", name_w), rcell("TASKS", 7));
    if wide {
        head.push_str(&format!(
            "{}{}{}{}",
            rcell("DONE", 8),
            rcell("RUN", 8),
            rcell("WAIT", 8),
            rcell("ERR", 8)
        ));
    } else {
        head.push_str(&rcell("DONE", 8));
    }
    let mut lines = vec![Line::styled(head, v.theme.dimmed())];
    let rows = graph_rows(v);
    let height = inner.height.saturating_sub(1) as usize;
    let top = scroll_for(v.graph_sel.selected, height);
    for (n, row) in rows.iter().enumerate().skip(top).take(height) {
        let line = match *row {
            GraphRow::Layer { index, depth } => {
                let l = &job.layers[index];
                let open = if v.graph_open.contains(&l.layer) {
                    "▾"
                } else {
                    "▸"
                };
                let name = format!("{}{open} {}", "  ".repeat(depth.min(6)), l.name);
                let done = (l.memory + l.released) as u64;
                let name_style = if l.erred > 0 {
                    v.theme.fg(v.theme.erred)
                } else {
                    v.theme.text()
                };
                let mut spans = vec![
                    Span::styled(cell(&name, name_w), name_style),
                    Span::raw(format!(" {}", rcell(&count(l.ntasks as u64), 7))),
                    Span::raw(rcell(&count(done), 8)),
                ];
                if wide {
                    let wait = (l.waiting + l.ready) as u64;
                    spans.push(Span::styled(
                        rcell(&count(l.running as u64), 8),
                        v.theme.fg(v.theme.running),
                    ));
                    spans.push(Span::raw(rcell(&count(wait), 8)));
                    spans.push(Span::styled(
                        rcell(&count(l.erred as u64), 8),
                        v.theme.fg(v.theme.erred),
                    ));
                }
                spans.push(Span::raw("  "));
                if l.ntasks == 0 {
                    // No task of this layer is needed: what depends on it is held in memory
                    // (persisted), so the job does no work here.
                    spans.push(Span::styled(
                        "not needed (later results held)",
                        v.theme.dimmed(),
                    ));
                } else {
                    spans.extend(stacked(v, &segments(v, l), l.ntasks as u64, bar_w));
                }
                Line::from(spans)
            }
            GraphRow::Tasks { index } => {
                let mut spans = vec![Span::raw("      tasks: ")];
                spans.extend(count_spans(v, &job.layers[index]));
                Line::from(spans)
            }
        };
        lines.push(select_line(
            v,
            line,
            n == v.graph_sel.selected,
            v.focus == Pane::Graph,
        ));
    }
    f.render_widget(Paragraph::new(lines).style(v.theme.text()), inner);
}
