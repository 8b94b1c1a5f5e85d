//! Heatmap of a 2-D slice: two pixels per cell with the upper half-block (`▀`: foreground on top,
//! background below), the theme's colour scale with min/max, NaN left blank. Monochrome themes use
//! a shade ramp instead, one pixel per cell.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::console::Grid;
use crate::ui::state::View;

// The lowest shade is a dot, so low values differ from missing ones (blank).
const RAMP: [char; 5] = ['·', '░', '▒', '▓', '█'];

/// Grid value behind pixel (`px`, `py`) of a `w` x `h` pixel picture (nearest neighbour).
fn sample(g: &Grid, px: usize, py: usize, w: usize, h: usize) -> f64 {
    let r = (py * g.rows / h.max(1)).min(g.rows.saturating_sub(1));
    let c = (px * g.cols / w.max(1)).min(g.cols.saturating_sub(1));
    g.get(r, c)
}

/// A scale end: fixed point for ordinary magnitudes, scientific for tiny or huge ones (a
/// precipitation flux of 5e-6 kg m-2 s-1 must not read `0.0000`).
pub fn scale_num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// Draw `g` into `area`: the picture and a one-line scale below it.
pub fn draw(v: &View, g: &Grid, f: &mut Frame, area: Rect) {
    let t = &v.theme;
    let [pic, scale] = area.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let Some((lo, hi)) = g.range() else {
        f.render_widget(
            Paragraph::new(Line::styled("no finite values", t.dimmed())),
            pic,
        );
        return;
    };
    let norm = |x: f64| if hi > lo { (x - lo) / (hi - lo) } else { 0.5 };
    let (w, h) = (pic.width as usize, pic.height as usize);
    let mut lines = Vec::with_capacity(h);
    for cy in 0..h {
        let mut spans = Vec::with_capacity(w);
        for cx in 0..w {
            if t.mono {
                let x = sample(g, cx, cy, w, h);
                let ch = if x.is_finite() {
                    RAMP[(norm(x) * 4.0).round() as usize]
                } else {
                    ' '
                };
                spans.push(Span::raw(ch.to_string()));
                continue;
            }
            let top = sample(g, cx, 2 * cy, w, 2 * h);
            let bottom = sample(g, cx, 2 * cy + 1, w, 2 * h);
            let mut style = Style::new();
            if top.is_finite() {
                style = style.fg(t.heat_color(norm(top)));
            }
            if bottom.is_finite() {
                style = style.bg(t.heat_color(norm(bottom)));
            }
            let ch = if top.is_finite() {
                "▀"
            } else if bottom.is_finite() {
                "▄"
            } else {
                " "
            };
            // `▄` draws the bottom pixel in the foreground when the top one is missing.
            if !top.is_finite() && bottom.is_finite() {
                style = Style::new().fg(t.heat_color(norm(bottom)));
            }
            spans.push(Span::styled(ch, style));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), pic);
    let (lo_s, hi_s) = (format!("{} ", scale_num(lo)), format!(" {}", scale_num(hi)));
    let bar_w = (scale.width as usize)
        .saturating_sub(lo_s.len() + hi_s.len() + 20)
        .clamp(4, 40);
    let mut spans = vec![Span::styled(lo_s, t.dimmed())];
    for i in 0..bar_w {
        let x = i as f64 / (bar_w - 1) as f64;
        spans.push(if t.mono {
            Span::raw(RAMP[(x * 4.0).round() as usize].to_string())
        } else {
            Span::styled("█", t.fg(t.heat_color(x)))
        });
    }
    spans.push(Span::styled(hi_s, t.dimmed()));
    spans.push(Span::styled(format!("  {} ↓  {} →", g.y, g.x), t.dimmed()));
    f.render_widget(Paragraph::new(Line::from(spans)), scale);
}

#[cfg(test)]
mod tests {
    #[test]
    fn scale_numbers_keep_their_magnitude() {
        assert_eq!(super::scale_num(5.737266e-6), "5.737e-6");
        assert_eq!(super::scale_num(63138.0), "63138");
        assert_eq!(super::scale_num(0.25), "0.25");
        assert_eq!(super::scale_num(0.0), "0");
        assert_eq!(super::scale_num(-1.5e7), "-1.500e7");
    }
}
