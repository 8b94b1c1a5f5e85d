//! Drawing: pure functions of a read-only [`View`] into a frame (television's model). Nothing here
//! changes state, so any view can be drawn in tests with a `TestBackend`.

pub mod cmdline;
pub mod datasets;
pub mod detail;
pub mod graph;
pub mod heatmap;
pub mod jobs;
pub mod log;
pub mod memory;
pub mod output;
pub mod overlay;
pub mod stream;
pub mod tasks;
pub mod widgets;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format::bytes;
use super::keymap::Action;
use super::pane::Pane;
use super::state::View;

/// Draw one pane into `area`.
pub fn draw_pane(v: &View, pane: Pane, f: &mut Frame, area: Rect) {
    match pane {
        Pane::Output => output::draw(v, f, area),
        Pane::Datasets => datasets::draw(v, f, area),
        Pane::Jobs => jobs::draw(v, f, area),
        Pane::Graph => graph::draw(v, f, area),
        Pane::Memory => memory::draw(v, f, area),
        Pane::Stream => stream::draw(v, f, area),
        Pane::Log => log::draw(v, f, area),
        Pane::CommandLine => cmdline::draw(v, f, area),
    }
}

/// The top line: pane tabs with their digits, job and memory summary.
fn top_bar(v: &View, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    // Narrow terminals get short tab names so the job/memory summary still fits.
    let narrow = area.width < 120;
    let mut spans = vec![if narrow {
        Span::raw(" ")
    } else {
        Span::styled(" tessera  ", t.title(true))
    }];
    for (i, p) in Pane::CYCLE.iter().enumerate().take(7) {
        let style = if *p == v.main {
            t.selected()
        } else {
            t.dimmed()
        };
        let name = if narrow { p.short_title() } else { p.title() };
        spans.push(Span::styled(format!("{} {name}", i + 1), style));
        spans.push(Span::raw(" "));
    }
    let running = v.active_jobs().count();
    let m = &v.snapshot.memory;
    let errors = v.log.errors();
    let right = match (narrow, errors) {
        (true, 0) => format!(" {running} run · {}", bytes(m.process)),
        (true, e) => format!(" {running} run · {} · {e} err", bytes(m.process)),
        (false, 0) => format!(" {running} running · mem {}", bytes(m.process)),
        (false, e) => format!(" {running} running · mem {} · {e} errors", bytes(m.process)),
    };
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count() + 1);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(
        right,
        if errors > 0 {
            t.fg(t.error)
        } else {
            t.dimmed()
        },
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The bottom line: the status message, or hints for the focused pane.
fn status_bar(v: &View, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    let line = match (&v.status, &v.busy) {
        (Some(s), _) => Line::styled(format!(" {s}"), t.fg(t.warning)),
        (None, Some(b)) => Line::styled(
            format!(" running `{b}` · ctrl+c cancels its job"),
            t.fg(t.warning),
        ),
        (None, None) => {
            let key = |a: Action| {
                v.keymap
                    .key_for(Some(v.focus), a)
                    .map_or(String::new(), |k| k.to_string())
            };
            let mut hints = vec![
                format!("{} panes", key(Action::NextPane)),
                format!("{} command", key(Action::CommandLine)),
                format!("{} filter", key(Action::Filter)),
                format!("{} expand", key(Action::Expand)),
                format!("{} help", key(Action::Help)),
                format!("{} quit", key(Action::Quit)),
            ];
            if v.focus == Pane::Jobs {
                hints.insert(0, format!("{} cancel", key(Action::CancelJob)));
            }
            if v.focus == Pane::Graph {
                hints.insert(
                    0,
                    match v.graph_tasks {
                        Some(_) => format!("{} layers", key(Action::Back)),
                        None => format!("{} tasks", key(Action::Tasks)),
                    },
                );
            }
            if v.focus == Pane::CommandLine {
                hints = vec![
                    format!("{} run", key(Action::Submit)),
                    format!("{} complete", key(Action::Complete)),
                    format!("{} history", key(Action::HistoryPrev)),
                    format!("{} leave", key(Action::Back)),
                    format!("{} cancel job", key(Action::Interrupt)),
                    format!("{} save", key(Action::SaveSession)),
                ];
            }
            Line::styled(format!(" {}", hints.join(" · ")), t.dimmed())
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

/// Draw the whole workbench into `area`.
pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let cmd_h = cmdline::height(v).min(area.height.saturating_sub(4).max(3));
    let [top, middle, cmd, status] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(cmd_h),
        Constraint::Length(1),
    ]));
    top_bar(v, f, top);
    for (pane, rect) in v.layout.arrange(middle, v.main, v.expanded) {
        draw_pane(v, pane, f, rect);
    }
    cmdline::draw(v, f, cmd);
    status_bar(v, f, status);
    overlay::draw(v, f, area);
}

/// Draw into the whole frame.
pub fn draw_frame(v: &View, f: &mut Frame) {
    draw(v, f, f.area());
}
