//! Output pane: statements and their values like notebook cells; tables scroll by columns (h/l) and
//! everything scrolls by lines (j/k); it follows new output unless scrolled up.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::pane_block;
use crate::ui::pane::Pane;
use crate::ui::state::output::{output_len, output_window, OutKind};
use crate::ui::state::View;

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let total = output_len(&v.cells);
    let height = area.height.saturating_sub(2) as usize;
    let max_top = total.saturating_sub(height);
    let top = if v.out_follow {
        max_top
    } else {
        v.out_top.min(max_top)
    };
    let extra = if total > height {
        format!("{}-{} of {}", top + 1, (top + height).min(total), total)
    } else {
        String::new()
    };
    let extra = if v.out_col > 0 {
        format!("{extra} col +{}", v.out_col)
    } else {
        extra
    };
    let block = pane_block(v, Pane::Output, &extra, None);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let t = &v.theme;
    if total == 0 {
        let hint = [
            "Type a statement on the command line below and press Enter, for example:",
            "  df = read_csv('data/*.csv')",
            "  df.groupby('station').temp.mean().compute()",
            "Tab completes, ↑/↓ browse history, ? shows keys, ctrl+s saves the session.",
        ];
        f.render_widget(
            Paragraph::new(hint.map(|h| Line::styled(h, t.dimmed())).to_vec()),
            inner,
        );
        return;
    }
    let shown: Vec<Line> = output_window(&v.cells, v.out_col, top, height)
        .into_iter()
        .map(|(k, s)| {
            let style = match k {
                OutKind::Prompt => t.fg(t.prompt),
                OutKind::Error => t.fg(t.error),
                OutKind::Note => t.fg(t.accent),
                OutKind::Value | OutKind::Table | OutKind::Blank => t.text(),
            };
            Line::styled(s, style)
        })
        .collect();
    f.render_widget(Paragraph::new(shown), inner);
}
