//! Small drawing helpers shared by the panes: pane frames, stacked bars, padded cells, scrolling.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::ui::pane::Pane;
use crate::ui::state::{ListSel, View};

/// The frame of a pane: `[digit] Title`, filter and extra info in the title, focus colour.
pub fn pane_block<'a>(v: &View, pane: Pane, extra: &str, sel: Option<&ListSel>) -> Block<'a> {
    let focused = v.focus == pane;
    let digit = Pane::CYCLE
        .iter()
        .position(|&p| p == pane)
        .map_or(0, |i| i + 1);
    let mut title = vec![Span::styled(
        format!(" {digit} {} ", pane.title()),
        v.theme.title(focused),
    )];
    if !extra.is_empty() {
        title.push(Span::styled(format!("{extra} "), v.theme.dimmed()));
    }
    if let Some(s) = sel.filter(|s| s.filtering || !s.filter.is_empty()) {
        let cursor = if s.filtering { "▏" } else { "" };
        title.push(Span::styled(
            format!("/{}{cursor} ", s.filter),
            v.theme.fg(v.theme.accent),
        ));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(v.theme.border(focused))
        .title(Line::from(title))
}

/// A bar `width` cells wide split into coloured segments proportional to their values (largest
/// remainder rounding, so the cells always add up to `width * sum / total`).
pub fn stacked<'a>(v: &View, segs: &[(u64, Color)], total: u64, width: usize) -> Vec<Span<'a>> {
    const MONO: [char; 5] = ['█', '▓', '▒', '░', '▪'];
    let total = total.max(1);
    let sum: u64 = segs.iter().map(|s| s.0).sum::<u64>().min(total);
    let filled = ((sum as f64 / total as f64) * width as f64).round() as usize;
    let exact: Vec<f64> = segs
        .iter()
        .map(|s| s.0 as f64 / sum.max(1) as f64 * filled as f64)
        .collect();
    let mut cells: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = filled.saturating_sub(cells.iter().sum());
    let mut order: Vec<usize> = (0..segs.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for i in order {
        if left == 0 {
            break;
        }
        if segs[i].0 > 0 {
            cells[i] += 1;
            left -= 1;
        }
    }
    let mut out = Vec::new();
    for (i, (n, (_, c))) in cells.iter().zip(segs).enumerate() {
        if *n > 0 {
            let ch = if v.theme.mono {
                MONO[i % MONO.len()]
            } else {
                '█'
            };
            out.push(Span::styled(ch.to_string().repeat(*n), v.theme.bar(*c)));
        }
    }
    let used: usize = cells.iter().sum();
    if used < width {
        out.push(Span::styled("·".repeat(width - used), v.theme.dimmed()));
    }
    out
}

/// Left-pad or clip to exactly `w` display cells.
pub fn cell(s: &str, w: usize) -> String {
    let s = crate::ui::format::clip(s, w);
    format!("{s:<w$}")
}

/// Right-aligned variant of [`cell`].
pub fn rcell(s: &str, w: usize) -> String {
    let s = crate::ui::format::clip(s, w);
    format!("{s:>w$}")
}

/// First row to show so that `selected` stays visible in `height` rows.
pub fn scroll_for(selected: usize, height: usize) -> usize {
    (selected + 1).saturating_sub(height.max(1))
}

/// A line with the selection style when `on`.
pub fn select_line<'a>(v: &View, line: Line<'a>, on: bool, focused: bool) -> Line<'a> {
    if on && focused {
        line.style(v.theme.selected())
    } else if on {
        line.style(Style::new().add_modifier(ratatui::style::Modifier::BOLD))
    } else {
        line
    }
}
