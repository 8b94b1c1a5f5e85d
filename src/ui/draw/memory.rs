//! Memory pane: managed / unmanaged / spilled bars against the limit, coloured by the threshold
//! crossed (target, spill, pause, as Dask's worker memory bars), system memory, a sparkline of the
//! last minutes, and which layer (and named handle) holds how much.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use super::widgets::{cell, pane_block, rcell, scroll_for, select_line, stacked};
use crate::engine::snapshot::MemorySnapshot;
use crate::ui::format::bytes;
use crate::ui::pane::Pane;
use crate::ui::state::{rows, View};

/// The colour of a fill level against the thresholds.
pub fn level_color(v: &View, m: &MemorySnapshot, used: u64) -> Color {
    let t = &v.theme;
    let reference = m.limit.unwrap_or(m.system_total).max(1);
    let frac = used as f64 / reference as f64;
    let over = |x: Option<f64>| x.is_some_and(|x| frac >= x);
    if m.paused || over(m.pause) {
        t.pause
    } else if over(m.spill) {
        t.spill
    } else if over(m.target) {
        t.target
    } else {
        t.below_target
    }
}

fn bar_line<'a>(
    v: &View,
    label: &str,
    segs: &[(u64, Color)],
    total: u64,
    w: usize,
    value: String,
) -> Line<'a> {
    let bar_w = w.saturating_sub(10 + 22).max(4);
    let mut spans = vec![Span::styled(cell(label, 10), v.theme.dimmed())];
    spans.extend(stacked(v, segs, total, bar_w));
    spans.push(Span::raw(format!(" {}", rcell(&value, 21))));
    Line::from(spans)
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let m = &v.snapshot.memory;
    let t = &v.theme;
    let reference = m.limit.unwrap_or(m.system_total).max(1);
    let extra = match m.limit {
        Some(l) => format!("limit {}", bytes(l)),
        None => "no limit".into(),
    };
    let block = pane_block(v, Pane::Memory, &extra, Some(&v.memory_sel));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let unmanaged = m.unmanaged();
    let pct = |x: Option<f64>| x.map_or("off".to_string(), |x| format!("{:.0}%", x * 100.0));
    let mut lines = vec![
        bar_line(
            v,
            "process",
            &[(m.managed, t.managed), (unmanaged, t.unmanaged)],
            reference,
            w,
            format!("{} / {}", bytes(m.process), bytes(reference)),
        ),
        bar_line(
            v,
            "managed",
            &[(m.managed, level_color(v, m, m.process))],
            reference,
            w,
            bytes(m.managed),
        ),
        bar_line(
            v,
            "unmanaged",
            &[(unmanaged, t.unmanaged)],
            reference,
            w,
            bytes(unmanaged),
        ),
        bar_line(
            v,
            "spilled",
            &[(m.spilled, t.spilled)],
            reference,
            w,
            bytes(m.spilled),
        ),
        bar_line(
            v,
            "system",
            &[(m.system_used, t.system)],
            m.system_total,
            w,
            format!("{} / {}", bytes(m.system_used), bytes(m.system_total)),
        ),
    ];
    let mut th = vec![Span::styled(
        format!(
            "target {} · spill {} · pause {}",
            pct(m.target),
            pct(m.spill),
            pct(m.pause)
        ),
        t.dimmed(),
    )];
    if m.paused {
        th.push(Span::styled("  PAUSED", t.fg(t.pause)));
    }
    if let Some(a) = m.allocator {
        th.push(Span::styled(
            format!(
                "  · jemalloc alloc {} resident {} retained {}",
                bytes(a.allocated),
                bytes(a.resident),
                bytes(a.retained)
            ),
            t.dimmed(),
        ));
    }
    lines.push(Line::from(th));
    let top_h = lines.len() as u16;
    let spark_h = if inner.height >= top_h + 8 { 3 } else { 0 };
    let [top, spark, table] = inner.layout(&Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Length(spark_h),
        Constraint::Fill(1),
    ]));
    f.render_widget(Paragraph::new(lines).style(t.text()), top);
    if spark_h > 0 {
        let data = v.mem_hist.process_tail(spark.width as usize);
        let max = data.iter().copied().max().unwrap_or(1).max(1);
        f.render_widget(
            Sparkline::default()
                .data(&data)
                .max(max)
                .style(t.fg(level_color(v, m, m.process))),
            spark,
        );
    }
    let rows = rows::memory_rows(v);
    let name_w = w.saturating_sub(2 * 12 + 16).max(10);
    let mut tl = vec![Line::styled(
        format!(
            "{} {} {} {}",
            cell("LAYER", name_w),
            cell("HANDLE", 14),
            rcell("MEMORY", 11),
            rcell("SPILLED", 11)
        ),
        t.dimmed(),
    )];
    let height = table.height.saturating_sub(1) as usize;
    let first = scroll_for(v.memory_sel.selected, height);
    for (n, r) in rows.iter().enumerate().skip(first).take(height) {
        let line = Line::raw(format!(
            "{} {} {} {}",
            cell(&r.layer, name_w),
            cell(r.handle.as_deref().unwrap_or("-"), 14),
            rcell(&bytes(r.memory), 11),
            rcell(&bytes(r.spilled), 11)
        ));
        tl.push(select_line(
            v,
            line,
            n == v.memory_sel.selected,
            v.focus == Pane::Memory,
        ));
    }
    f.render_widget(Paragraph::new(tl).style(t.text()), table);
}
