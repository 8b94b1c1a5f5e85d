//! The command line: `>>>` prompt, multi-line input with `...` continuations, completion candidates,
//! and the tour's position when a session file is being stepped through.

use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::pane_block;
use crate::ui::format::clip;
use crate::ui::pane::Pane;
use crate::ui::state::View;

/// Rows the command line wants: input lines (up to 6), candidates, borders.
pub fn height(v: &View) -> u16 {
    let lines = v.input.text.split('\n').count().clamp(1, 6) as u16;
    lines + 2 + u16::from(!v.input.candidates.is_empty())
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    let extra = match &v.tour {
        Some(tour) if !tour.done() => format!(
            "{} · step {}/{} · Enter runs it",
            tour.name,
            tour.next + 1,
            tour.steps.len()
        ),
        Some(tour) => format!("{} · done", tour.name),
        None if v.read_only => "read-only".into(),
        None => String::new(),
    };
    let block = pane_block(v, Pane::CommandLine, &extra, None);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut lines = Vec::new();
    if !v.input.candidates.is_empty() {
        let c = v.input.candidates.join("  ");
        lines.push(Line::styled(clip(&c, inner.width as usize), t.dimmed()));
    }
    let all: Vec<&str> = v.input.text.split('\n').collect();
    let (cur_line, cur_col) = v.input.cursor_pos();
    // Keep the cursor's line visible when the input is taller than the box.
    let room = (inner.height as usize).saturating_sub(lines.len()).max(1);
    let first = (cur_line + 1).saturating_sub(room);
    for (i, l) in all.iter().enumerate().skip(first).take(room) {
        let prompt = if i == 0 { ">>> " } else { "... " };
        lines.push(Line::from(vec![
            Span::styled(prompt, t.fg(t.prompt)),
            Span::raw(*l),
        ]));
    }
    let cand_rows = u16::from(!v.input.candidates.is_empty());
    f.render_widget(Paragraph::new(lines).style(t.text()), inner);
    if v.focus == Pane::CommandLine && v.dialog.is_none() {
        let x = inner.x + 4 + cur_col as u16;
        let y = inner.y + cand_rows + (cur_line - first) as u16;
        if x < inner.right() && y < inner.bottom() {
            f.set_cursor_position(Position::new(x, y));
        }
    }
}
