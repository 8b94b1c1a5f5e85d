//! The graph pane's task list: one layer of the selected job, one row per task (key, state in the
//! theme's task colours, worker and time for running tasks, bytes held, what the task works on).
//! Drawing reads only the window the app fetched around the selection.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::graph::count_spans;
use super::widgets::{cell, rcell, scroll_for, select_line};
use crate::engine::inspect::TaskInfo;
use crate::engine::snapshot::JobSnapshot;
use crate::ui::format;
use crate::ui::pane::Pane;
use crate::ui::state::tasklist::TaskList;
use crate::ui::state::View;

fn state_color(v: &View, state: &str) -> ratatui::style::Color {
    let t = &v.theme;
    match state {
        "waiting" => t.waiting,
        "ready" => t.ready,
        "running" => t.running,
        "memory" => t.memory,
        "spilled" => t.spilled,
        "released" => t.released,
        _ => t.erred,
    }
}

fn task_line(v: &View, name: &str, t: &TaskInfo, key_w: usize) -> Line<'static> {
    let key = format!("('{name}', {})", t.index);
    let worker = t.worker.map_or(String::new(), |w| format!("w{w}"));
    let time = t.elapsed.map_or(String::new(), format::duration);
    let bytes = if t.bytes > 0 {
        format::bytes(t.bytes)
    } else {
        String::new()
    };
    Line::from(vec![
        Span::raw(cell(&key, key_w)),
        Span::styled(
            format!(" {}", cell(t.state, 9)),
            v.theme.fg(state_color(v, t.state)),
        ),
        Span::raw(format!(
            "{}{}{}  {}",
            cell(&worker, 6),
            rcell(&time, 8),
            rcell(&bytes, 10),
            t.what.as_deref().unwrap_or("")
        )),
    ])
}

pub fn draw(v: &View, f: &mut Frame, area: Rect, job: &JobSnapshot, tl: &TaskList) {
    let layer = job.layers.iter().find(|l| l.layer == tl.layer);
    let name = layer.map_or_else(|| "?".to_string(), |l| l.name.to_string());
    let total = tl.total(layer.map_or(0, |l| l.ntasks as usize));
    let mut head = vec![Span::styled(
        format!("▾ {name} · {} tasks  ", format::count(total as u64)),
        v.theme.text(),
    )];
    if let Some(l) = layer {
        head.extend(count_spans(v, l));
    }
    let mut lines = vec![Line::from(head)];
    if tl.gone {
        lines.push(Line::styled(
            "the job has finished: its tasks are gone, the counts above stay (esc: back)",
            v.theme.dimmed(),
        ));
        f.render_widget(Paragraph::new(lines).style(v.theme.text()), area);
        return;
    }
    let w = area.width as usize;
    let key_w = (w / 3).clamp(14, 40);
    lines.push(Line::styled(
        format!(
            "{} {}{}{}{}  WHAT",
            cell("KEY", key_w),
            cell("STATE", 9),
            cell("WORKER", 6),
            rcell("TIME", 8),
            rcell("BYTES", 10)
        ),
        v.theme.dimmed(),
    ));
    let height = (area.height as usize).saturating_sub(2);
    let top = scroll_for(tl.selected, height);
    for pos in top..(top + height).min(total) {
        let line = match tl.task(pos) {
            Some(t) => task_line(v, &name, t, key_w),
            // Not fetched yet (the window follows the selection on the next frame).
            None => Line::styled(format!("('{name}', …)"), v.theme.dimmed()),
        };
        lines.push(select_line(
            v,
            line,
            pos == tl.selected,
            v.focus == Pane::Graph,
        ));
    }
    f.render_widget(Paragraph::new(lines).style(v.theme.text()), area);
}
