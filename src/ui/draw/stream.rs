//! Task stream pane: one strip per worker thread over the last seconds, each cell coloured by the
//! layer prefix of the task that ran then (red for failures), running tasks shaded to "now"; a legend
//! of prefixes and the list of running tasks below.

use std::time::Duration;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::pane_block;
use crate::ui::format::{clip, duration};
use crate::ui::pane::Pane;
use crate::ui::state::View;

/// The time window shown: from the oldest record (at least 5 s, at most 2 min) up to now.
fn window(v: &View) -> Duration {
    let s = &v.snapshot;
    let oldest = s.stream.iter().map(|r| r.start).min().unwrap_or(s.now);
    s.now
        .saturating_sub(oldest)
        .clamp(Duration::from_secs(5), Duration::from_secs(120))
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let s = &v.snapshot;
    let t = &v.theme;
    let win = window(v);
    let block = pane_block(v, Pane::Stream, &format!("last {}", duration(win)), None);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let busiest = s.stream.iter().map(|r| r.worker.idx());
    let busiest = busiest
        .chain(s.running.iter().map(|r| r.worker.idx()))
        .max();
    let workers = s.threads.max(busiest.map_or(0, |w| w + 1));
    let running_h = (s.running.len().min(4) as u16 + 1).min(inner.height / 3);
    let [strip_area, legend_area, run_area] = inner.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(running_h),
    ]));
    let label_w = 5usize;
    let cols = (strip_area.width as usize).saturating_sub(label_w).max(1);
    let start = s.now.saturating_sub(win).as_secs_f64();
    let per = win.as_secs_f64() / cols as f64;
    let col_of =
        |d: Duration| (((d.as_secs_f64() - start) / per).floor().max(0.0) as usize).min(cols - 1);
    // One grid of (glyph, style) per worker; later records overwrite earlier ones in a cell.
    let blank = (' ', Style::new());
    let mut grid = vec![vec![blank; cols]; workers];
    for r in &s.stream {
        let Some(row) = grid.get_mut(r.worker.idx()) else {
            continue;
        };
        if r.end.as_secs_f64() < start {
            continue;
        }
        let (glyph, style) = if r.ok {
            ('█', t.fg(t.prefix_color(&r.prefix)))
        } else {
            ('✗', t.fg(t.erred))
        };
        row[col_of(r.start)..=col_of(r.end)].fill((glyph, style));
    }
    for r in &s.running {
        if let Some(row) = grid.get_mut(r.worker.idx()) {
            row[col_of(r.since)..].fill(('▒', t.fg(t.running)));
        }
    }
    let visible = strip_area.height as usize;
    let first = v.stream_scroll.min(workers.saturating_sub(visible));
    let lines: Vec<Line> = grid
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(w, row)| {
            let mut spans = vec![Span::styled(
                format!("{:<label_w$}", format!("w{w}")),
                t.dimmed(),
            )];
            // Merge runs of equal cells: one span per run keeps wide strips cheap.
            let mut i = 0;
            while i < row.len() {
                let j = (i..row.len())
                    .find(|&j| row[j] != row[i])
                    .unwrap_or(row.len());
                spans.push(Span::styled(row[i].0.to_string().repeat(j - i), row[i].1));
                i = j;
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines).style(t.text()), strip_area);
    // Legend: prefixes in the window, most frequent first.
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for r in s.stream.iter().filter(|r| r.end.as_secs_f64() >= start) {
        match seen.iter_mut().find(|(p, _)| *p == &*r.prefix) {
            Some(e) => e.1 += 1,
            None => seen.push((&r.prefix, 1)),
        }
    }
    seen.sort_by_key(|e| std::cmp::Reverse(e.1));
    let mut legend = Vec::new();
    for (p, _) in seen {
        legend.push(Span::styled("■ ", t.fg(t.prefix_color(p))));
        legend.push(Span::raw(format!("{p}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(legend)), legend_area);
    let mut rl = vec![Line::styled(
        format!("{} running", s.running.len()),
        t.dimmed(),
    )];
    for r in s.running.iter().take(running_h.saturating_sub(1) as usize) {
        let age = duration(s.now.saturating_sub(r.since));
        rl.push(Line::raw(clip(
            &format!("w{:<3} job {} {} ({age})", r.worker, r.job, r.key),
            run_area.width as usize,
        )));
    }
    f.render_widget(Paragraph::new(rl).style(t.text()), run_area);
}
