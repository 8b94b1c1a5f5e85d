//! Modal boxes over the panes: confirmations, detail text (job, dataset, error, help) and the
//! prompt for a file name.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::ui::state::{Dialog, View};

fn boxed<'a>(v: &View, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(v.theme.border(true))
        .title(Span::styled(format!(" {title} "), v.theme.title(true)))
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

pub fn draw(v: &View, f: &mut Frame, area: Rect) {
    let Some(d) = &v.dialog else { return };
    let t = &v.theme;
    match d {
        Dialog::Confirm { question, .. } => {
            let w = (question.chars().count() as u16 + 6)
                .clamp(30, area.width.saturating_sub(4).max(30));
            let r = centered(area, w, 5);
            f.render_widget(Clear, r);
            let lines = vec![
                Line::raw(question.as_str()),
                Line::styled("y / Enter: yes    n / Esc: no", t.dimmed()),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .block(boxed(v, "Confirm")),
                r,
            );
        }
        Dialog::Detail {
            title,
            lines,
            scroll,
        } => {
            let r = centered(area, area.width * 9 / 10, area.height * 8 / 10);
            f.render_widget(Clear, r);
            let shown: Vec<Line> = lines
                .iter()
                .skip(*scroll)
                .map(|l| {
                    let style = if l.trim_start().starts_with("caused by") {
                        t.fg(t.error)
                    } else {
                        t.text()
                    };
                    Line::styled(l.replace('\t', "    "), style)
                })
                .collect();
            f.render_widget(Paragraph::new(shown).block(boxed(v, title)), r);
        }
        Dialog::Heatmap { title, grid } => {
            let r = centered(area, area.width * 9 / 10, area.height * 9 / 10);
            f.render_widget(Clear, r);
            let b = boxed(v, title);
            let inner = b.inner(r);
            f.render_widget(b, r);
            super::heatmap::draw(v, grid, f, inner);
        }
        Dialog::Prompt { label, text } => {
            let r = centered(area, 70, 3);
            f.render_widget(Clear, r);
            let line = Line::from(vec![
                Span::raw(text.as_str()),
                Span::styled("▏", t.fg(t.accent)),
            ]);
            f.render_widget(Paragraph::new(line).block(boxed(v, label)), r);
        }
    }
}
