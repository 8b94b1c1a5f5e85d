//! Jobs pane: one row per job with a progress bar, tasks done/total, bytes, elapsed, ETA and stage.
//! Columns drop out as the pane narrows; the bar takes what is left.

use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::{cell, pane_block, rcell, scroll_for, select_line, stacked};
use crate::engine::snapshot::JobSnapshot;
use crate::engine::JobStatus;
use crate::ui::format::{bytes, count, duration};
use crate::ui::pane::Pane;
use crate::ui::state::{rows, View};

pub fn status_color(v: &View, s: JobStatus) -> Color {
    let t = &v.theme;
    match s {
        JobStatus::Pending => t.waiting,
        JobStatus::Running => t.running,
        JobStatus::Done => t.released,
        JobStatus::Failed => t.erred,
        JobStatus::Cancelled => t.dim,
    }
}

/// The segments of a job's bar: finished, running, failed tasks.
pub fn job_segments(v: &View, j: &JobSnapshot) -> Vec<(u64, Color)> {
    // A background job (a shell command) has no tasks: one cell in its status colour, so a
    // finished one does not look as if nothing had happened. `stacked` fills it against total 1.
    if j.total == 0 {
        let n = u64::from(j.status != JobStatus::Pending);
        return vec![(n, status_color(v, j.status))];
    }
    let (mut run, mut err) = (0u64, 0u64);
    for l in &j.layers {
        run += l.running as u64;
        err += l.erred as u64;
    }
    let done_color = if j.status == JobStatus::Cancelled {
        v.theme.dim
    } else {
        v.theme.released
    };
    vec![
        (j.done, done_color),
        (run, v.theme.running),
        (err, v.theme.erred),
    ]
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let active = v.active_jobs().count();
    let extra = format!("{} jobs, {active} running", v.snapshot.jobs.len());
    let block = pane_block(v, Pane::Jobs, &extra, Some(&v.jobs_sel));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = rows::job_rows(v);
    let w = inner.width as usize;
    let wide = w >= 110;
    let mid = w >= 64;
    let label_w = if wide {
        22
    } else if mid {
        16
    } else {
        12
    };
    let fixed = 4
        + 10
        + label_w
        + if wide {
            15 + 11 + 8 + 8 + 18
        } else if mid {
            15 + 8
        } else {
            5
        };
    let bar_w = w.saturating_sub(fixed).max(4);
    let mut lines = Vec::new();
    let mut head = format!(
        "{:>3} {} {} {}",
        "ID",
        cell("STATUS", 9),
        cell("LABEL", label_w),
        cell("PROGRESS", bar_w)
    );
    if mid {
        head.push_str(&format!(" {}", rcell("DONE/TOTAL", 13)));
    }
    if wide {
        head.push_str(&format!(" {} {} ", rcell("BYTES", 10), rcell("ELAPSED", 7)));
    }
    head.push_str(&if mid {
        format!(" {}", rcell("ETA", 7))
    } else {
        rcell("%", 5)
    });
    if wide {
        head.push_str("  STAGE");
    }
    lines.push(Line::styled(head, v.theme.dimmed()));
    if rows.is_empty() {
        lines.push(Line::styled(
            if v.snapshot.jobs.is_empty() {
                "no jobs yet: compute() or persist() start one"
            } else {
                "no job matches the filter"
            },
            v.theme.dimmed(),
        ));
    }
    let height = inner.height.saturating_sub(1) as usize;
    let top = scroll_for(v.jobs_sel.selected, height);
    for (n, &i) in rows.iter().enumerate().skip(top).take(height) {
        let j = &v.snapshot.jobs[i];
        let sc = status_color(v, j.status);
        let mut spans = vec![
            Span::raw(format!("{:>3} ", j.id.0)),
            Span::styled(cell(j.status.name(), 9), v.theme.fg(sc)),
            Span::raw(format!(" {} ", cell(&j.label, label_w))),
        ];
        spans.extend(stacked(v, &job_segments(v, j), j.total, bar_w));
        let eta = j.eta().map(duration).unwrap_or_else(|| "-".into());
        if mid {
            spans.push(Span::raw(format!(
                " {}",
                rcell(&format!("{}/{}", count(j.done), count(j.total)), 13)
            )));
        }
        if wide {
            spans.push(Span::raw(format!(
                " {} {} ",
                rcell(&bytes(j.bytes), 10),
                rcell(&duration(j.elapsed), 7)
            )));
        }
        if mid {
            spans.push(Span::raw(format!(" {}", rcell(&eta, 7))));
        } else {
            let pct = (j.done * 100).checked_div(j.total).unwrap_or(0);
            spans.push(Span::raw(rcell(&format!("{pct}%"), 5)));
        }
        if wide {
            spans.push(Span::styled(
                format!("  {}", j.stage.as_deref().unwrap_or("")),
                v.theme.dimmed(),
            ));
        }
        let on = n == v.jobs_sel.selected;
        lines.push(select_line(v, Line::from(spans), on, v.focus == Pane::Jobs));
    }
    f.render_widget(Paragraph::new(lines).style(v.theme.text()), inner);
}
