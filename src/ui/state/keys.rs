//! Keys → view-model changes and [`Command`]s for the event loop. Pure: no engine, no terminal.

use crossterm::event::{KeyCode, KeyModifiers};

use super::output::output_len;
use super::rows;
use super::{Command, Dialog, ListSel, View};
use crate::ui::keymap::Action;
use crate::ui::keys::KeyChord;
use crate::ui::pane::Pane;

const PAGE: usize = 10;

impl View {
    /// Handle one key; returns what the event loop must do.
    pub fn handle_key(&mut self, k: KeyChord) -> Vec<Command> {
        self.status = None;
        if self.dialog.is_some() {
            return self.dialog_key(k);
        }
        if let Some(sel) = self.list_mut(self.focus).filter(|s| s.filtering) {
            match (k.code, k.as_text()) {
                (_, Some(c)) => sel.filter.push(c),
                (KeyCode::Backspace, _) => {
                    sel.filter.pop();
                }
                (KeyCode::Enter, _) => sel.filtering = false,
                (KeyCode::Esc, _) => *sel = ListSel::default(),
                _ => {}
            }
            self.clamp_selections();
            return Vec::new();
        }
        if self.focus == Pane::CommandLine {
            if let Some(a) = self.keymap.pane_action(Pane::CommandLine, k) {
                return self.act(a);
            }
            if let Some(c) = k.as_text() {
                self.input.insert(c.encode_utf8(&mut [0; 4]));
                return Vec::new();
            }
            let ctrl = k.mods.contains(KeyModifiers::CONTROL);
            match k.code {
                KeyCode::Backspace => self.input.backspace(),
                KeyCode::Delete => self.input.delete(),
                KeyCode::Left => self.input.left(),
                KeyCode::Right => self.input.right(),
                KeyCode::Home => self.input.home(),
                KeyCode::End => self.input.end(),
                KeyCode::Char('a') if ctrl => self.input.home(),
                KeyCode::Char('e') if ctrl => self.input.end(),
                _ => {
                    return self
                        .keymap
                        .action(Pane::CommandLine, k)
                        .map_or(Vec::new(), |a| self.act(a))
                }
            }
            return Vec::new();
        }
        match self.keymap.action(self.focus, k) {
            Some(a) => self.act(a),
            None => Vec::new(),
        }
    }

    /// Bracketed paste: text goes to the command line (or the open prompt / filter).
    pub fn handle_paste(&mut self, text: &str) {
        match &mut self.dialog {
            Some(Dialog::Prompt { text: t, .. }) => t.push_str(text.lines().next().unwrap_or("")),
            Some(_) => {}
            None => {
                self.focus = Pane::CommandLine;
                self.input.insert(text);
            }
        }
    }

    fn dialog_key(&mut self, k: KeyChord) -> Vec<Command> {
        let dialog = self.dialog.take().expect("checked by caller");
        match dialog {
            Dialog::Confirm { then, question } => match (k.code, k.as_text()) {
                (KeyCode::Enter, _) | (_, Some('y' | 'Y')) => return vec![then],
                (KeyCode::Esc, _) | (_, Some('n' | 'N' | 'q')) => {}
                _ => self.dialog = Some(Dialog::Confirm { question, then }),
            },
            Dialog::Detail {
                title,
                lines,
                mut scroll,
            } => {
                match self.keymap.action(self.focus, k) {
                    Some(Action::Back | Action::Quit | Action::Detail | Action::Help) => {
                        return Vec::new()
                    }
                    Some(Action::Up) => scroll = scroll.saturating_sub(1),
                    Some(Action::Down) => scroll = (scroll + 1).min(lines.len().saturating_sub(1)),
                    Some(Action::PageUp) => scroll = scroll.saturating_sub(PAGE),
                    Some(Action::PageDown) => {
                        scroll = (scroll + PAGE).min(lines.len().saturating_sub(1))
                    }
                    _ if k.code == KeyCode::Enter => return Vec::new(),
                    _ => {}
                }
                self.dialog = Some(Dialog::Detail {
                    title,
                    lines,
                    scroll,
                });
            }
            Dialog::Heatmap { title, grid } => {
                let close = matches!(
                    self.keymap.action(self.focus, k),
                    Some(Action::Back | Action::Quit | Action::Heatmap)
                );
                if !close && k.code != KeyCode::Enter {
                    self.dialog = Some(Dialog::Heatmap { title, grid });
                }
            }
            Dialog::Prompt { label, mut text } => {
                match (k.code, k.as_text()) {
                    (_, Some(c)) => text.push(c),
                    (KeyCode::Backspace, _) => {
                        text.pop();
                    }
                    (KeyCode::Enter, _) if !text.trim().is_empty() => {
                        return vec![Command::SaveSession(text.trim().into())];
                    }
                    (KeyCode::Esc, _) => return Vec::new(),
                    _ => {}
                }
                self.dialog = Some(Dialog::Prompt { label, text });
            }
        }
        Vec::new()
    }

    fn list_mut(&mut self, pane: Pane) -> Option<&mut ListSel> {
        match pane {
            Pane::Jobs => Some(&mut self.jobs_sel),
            Pane::Datasets => Some(&mut self.datasets_sel),
            Pane::Graph => Some(&mut self.graph_sel),
            Pane::Memory => Some(&mut self.memory_sel),
            Pane::Log => Some(&mut self.log_sel),
            _ => None,
        }
    }

    fn rows_of(&self, pane: Pane) -> usize {
        match pane {
            Pane::Jobs => rows::job_rows(self).len(),
            Pane::Datasets => rows::dataset_rows(self).len(),
            Pane::Graph => match &self.graph_tasks {
                Some(tl) => tl.total(self.open_layer_ntasks()),
                None => rows::graph_rows(self).len(),
            },
            Pane::Memory => rows::memory_rows(self).len(),
            Pane::Log => rows::log_rows(self).len(),
            Pane::Output => output_len(&self.cells),
            Pane::Stream => self.snapshot.threads.max(1),
            Pane::CommandLine => 0,
        }
    }

    pub fn focus_pane(&mut self, p: Pane) {
        self.focus = p;
        if p != Pane::CommandLine {
            self.main = p;
        }
    }

    /// Move the selection (or scroll) of the focused pane by `delta` rows; `None` = to the end.
    fn move_by(&mut self, delta: Option<isize>) {
        let n = self.rows_of(self.focus);
        let apply = |cur: usize| match delta {
            Some(d) => (cur as isize + d).clamp(0, n.saturating_sub(1) as isize) as usize,
            None => n.saturating_sub(1),
        };
        match self.focus {
            Pane::Output => {
                let cur = self.out_top.min(n.saturating_sub(1));
                self.out_top = apply(cur);
                self.out_follow = delta.is_none();
            }
            Pane::Stream => self.stream_scroll = apply(self.stream_scroll),
            Pane::Graph if self.graph_tasks.is_some() => {
                if let Some(tl) = self.graph_tasks.as_mut() {
                    tl.selected = apply(tl.selected);
                }
            }
            p => {
                if let Some(sel) = self.list_mut(p) {
                    sel.selected = apply(sel.selected);
                }
            }
        }
        if self.focus == Pane::Jobs {
            self.graph_sel = ListSel::default();
            self.graph_tasks = None;
        }
    }
}

mod act;
