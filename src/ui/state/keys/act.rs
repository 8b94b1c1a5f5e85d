//! What each [`Action`] does to the view, and which actions need a confirmation first.

use super::super::rows::{self, GraphRow};
use super::super::tasklist::TaskList;
use super::super::{Command, Dialog, View};
use crate::ui::format;
use crate::ui::keymap::Action;
use crate::ui::pane::Pane;

/// The layer under the graph pane's selection.
pub(crate) fn selected_graph_layer(v: &View) -> Option<usize> {
    match rows::graph_rows(v).get(v.graph_sel.selected)? {
        GraphRow::Layer { index, .. } | GraphRow::Tasks { index } => Some(*index),
    }
}

impl View {
    fn confirm(&mut self, question: String, then: Command) -> Vec<Command> {
        self.dialog = Some(Dialog::Confirm { question, then });
        Vec::new()
    }

    fn refuse_read_only(&mut self) -> bool {
        if self.read_only {
            self.status = Some("read-only workbench: this action is disabled".into());
        }
        self.read_only
    }

    pub(super) fn act(&mut self, a: Action) -> Vec<Command> {
        use Action::*;
        match a {
            Quit => {
                let n = self.active_jobs().count();
                if n > 0 {
                    return self.confirm(
                        format!("{n} job(s) still running. Quit and cancel them? [y/N]"),
                        Command::Quit,
                    );
                }
                return vec![Command::Quit];
            }
            Help => self.open_help(),
            NextPane => self.focus_pane(self.focus.step(true)),
            PrevPane => self.focus_pane(self.focus.step(false)),
            CommandLine => self.focus = Pane::CommandLine,
            Expand => self.expanded = !self.expanded,
            Restart if !self.refuse_read_only() => {
                return self.confirm(
                    "Restart the engine? Every job is cancelled and every result dropped. [y/N]"
                        .into(),
                    Command::Restart,
                );
            }
            Interrupt => {
                let newest = self.active_jobs().last().map(|j| (j.id, j.label.clone()));
                match newest {
                    Some((id, label)) if !self.read_only => {
                        self.status = Some(format!("cancelling job {id} ({label})"));
                        return vec![Command::CancelJob(id)];
                    }
                    _ if self.focus == Pane::CommandLine && !self.input.text.is_empty() => {
                        self.input.clear()
                    }
                    _ => self.status = Some("nothing is running (q quits)".into()),
                }
            }
            SaveSession => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                self.dialog = Some(Dialog::Prompt {
                    label: "Save session as".into(),
                    text: format!("sessions/session-{secs}.py"),
                });
            }
            FocusOutput => self.focus_pane(Pane::Output),
            FocusDatasets => self.focus_pane(Pane::Datasets),
            FocusJobs => self.focus_pane(Pane::Jobs),
            FocusGraph => self.focus_pane(Pane::Graph),
            FocusMemory => self.focus_pane(Pane::Memory),
            FocusStream => self.focus_pane(Pane::Stream),
            FocusLog => self.focus_pane(Pane::Log),
            Up => self.move_by(Some(-1)),
            Down => self.move_by(Some(1)),
            PageUp => self.move_by(Some(-(super::PAGE as isize))),
            PageDown => self.move_by(Some(super::PAGE as isize)),
            Top => self.move_by(Some(isize::MIN / 2)),
            Bottom => self.move_by(None),
            // The graph pane's task list: back to the layers.
            Left | Back if self.focus == Pane::Graph && self.graph_tasks.is_some() => {
                self.graph_tasks = None
            }
            Left if self.focus == Pane::Output => self.out_col = self.out_col.saturating_sub(1),
            Right if self.focus == Pane::Output => self.out_col += 1,
            Filter => {
                if let Some(sel) = self.list_mut(self.focus) {
                    sel.filter.clear();
                    sel.filtering = true;
                }
            }
            Back => {
                if let Some(sel) = self.list_mut(self.focus) {
                    sel.filter.clear();
                }
                if self.focus == Pane::CommandLine {
                    self.focus = self.main;
                } else {
                    self.expanded = false;
                }
            }
            CancelJob if !self.refuse_read_only() => {
                let rows = rows::job_rows(self);
                if let Some(j) = rows
                    .get(self.jobs_sel.selected)
                    .map(|&i| &self.snapshot.jobs[i])
                {
                    if j.status.is_finished() {
                        self.status = Some(format!("job {} is already {}", j.id, j.status.name()));
                    } else {
                        let q = format!("Cancel job {} ({})? [y/N]", j.id, j.label);
                        return self.confirm(q, Command::CancelJob(j.id));
                    }
                }
            }
            CancelAll if !self.refuse_read_only() => {
                let n = self.active_jobs().count();
                if n == 0 {
                    self.status = Some("no job is running".into());
                } else {
                    return self.confirm(
                        format!("Cancel all {n} running job(s)? [y/N]"),
                        Command::CancelAll,
                    );
                }
            }
            Detail => self.open_detail(),
            Toggle => {
                if let (Some(i), Some(job)) = (selected_graph_layer(self), self.graph_job()) {
                    let id = job.layers[i].layer;
                    if !self.graph_open.remove(&id) {
                        self.graph_open.insert(id);
                    }
                }
            }
            Tasks => {
                if let (Some(i), Some(job)) = (selected_graph_layer(self), self.graph_job()) {
                    let tl = TaskList::new(job.id, job.layers[i].layer);
                    self.graph_tasks = Some(tl);
                }
            }
            ExportDot => {
                if let Some(j) = self.graph_job() {
                    return vec![Command::ExportDot(j.id)];
                }
                self.status = Some("no job to export".into());
            }
            Release if !self.refuse_read_only() => {
                let rows = rows::memory_rows(self);
                match rows.get(self.memory_sel.selected) {
                    Some(r) => match &r.handle {
                        Some(h) => {
                            let q = format!(
                                "Release {h} ({}; runs `del {h}`)? [y/N]",
                                format::bytes(r.memory)
                            );
                            return self.confirm(q, Command::Release(h.clone()));
                        }
                        None => {
                            self.status = Some(format!(
                                "{} belongs to no named handle: cancel its job to free it",
                                r.layer
                            ))
                        }
                    },
                    None => self.status = Some("nothing is held".into()),
                }
            }
            Trim => return vec![Command::Trim],
            Heatmap => {
                let rows = rows::dataset_rows(self);
                match rows
                    .get(self.datasets_sel.selected)
                    .map(|&i| &self.datasets[i])
                {
                    Some(d) if d.variables.iter().any(|v| !v.is_coord && v.dims.len() >= 2) => {
                        // A dataset draws its data variable with the most dimensions (the
                        // first of those: `pr`, not `time_bnds`); an array draws itself.
                        let var = d
                            .variables
                            .iter()
                            .filter(|v| !v.is_coord && v.dims.len() >= 2)
                            .rev()
                            .max_by_key(|v| v.dims.len());
                        let var = var
                            .map(|v| v.name.clone())
                            .filter(|_| !d.kind.contains("Array"));
                        return vec![Command::Heatmap {
                            name: d.name.clone(),
                            var,
                        }];
                    }
                    Some(d) => self.status = Some(format!("{} has no 2-D data to draw", d.name)),
                    None => {}
                }
            }
            Submit => return self.submit(),
            Newline => self.input.insert("\n"),
            HistoryPrev => self.input.history_prev(),
            HistoryNext => self.input.history_next(),
            Complete => {
                return vec![Command::Complete {
                    line: self.input.text.clone(),
                    cursor: self.input.cursor,
                }]
            }
            ClearLine => self.input.clear(),
            Left | Right | Restart | CancelJob | CancelAll | Release => {}
        }
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Command> {
        if self.refuse_read_only() {
            return Vec::new();
        }
        if self.input.text.trim().is_empty() {
            return Vec::new();
        }
        if let Some(b) = &self.busy {
            self.status = Some(format!(
                "still running `{b}`: wait, or ctrl+c to cancel its job"
            ));
            return Vec::new();
        }
        // An unfinished statement (open bracket, block) gets another line, as in Python's REPL;
        // only at the end of the input, so Enter in the middle of a pasted block still runs it.
        if self.input.cursor == self.input.text.len() && !self.input.from_tour {
            if let Some(indent) = super::super::tour::continuation(&self.input.text) {
                self.input.insert(&format!("\n{indent}"));
                return Vec::new();
            }
        }
        let filename = match (&self.tour, self.input.from_tour) {
            (Some(t), true) => t.name.clone(),
            _ => "<input>".to_string(),
        };
        if self.input.from_tour {
            if let Some(t) = self.tour.as_mut() {
                t.advance();
            }
            self.tour_pending = true;
        }
        self.input.from_tour = false;
        let source = self.input.take().trim_end().to_string();
        self.typed.push(source.clone());
        vec![Command::Run { source, filename }]
    }

    /// Results of a submitted statement: into the output; then the tour's next statement.
    pub fn finish_run(&mut self, entries: Vec<crate::ui::console::ConsoleEntry>) {
        self.add_entries(entries, true);
        if std::mem::take(&mut self.tour_pending) {
            if self.tour.as_ref().is_some_and(|t| t.done()) {
                self.add_note("End of the session file.");
            }
            self.load_tour_step();
        }
    }

    /// Keys of the focused pane (its own first, then global), from the keymap in use.
    fn open_help(&mut self) {
        let rows = self.keymap.help(self.focus);
        let w = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(4)
            .min(24);
        let lines = rows.iter().map(|(k, d)| format!("{k:>w$}  {d}")).collect();
        let title = format!("Keys: {} (j/k scroll, Esc closes)", self.focus.title());
        self.dialog = Some(Dialog::Detail {
            title,
            lines,
            scroll: 0,
        });
    }

    fn open_detail(&mut self) {
        let (title, lines) = match self.focus {
            Pane::Jobs => {
                let rows = rows::job_rows(self);
                let Some(j) = rows
                    .get(self.jobs_sel.selected)
                    .map(|&i| &self.snapshot.jobs[i])
                else {
                    return;
                };
                (
                    format!("Job {} — {}", j.id, j.label),
                    crate::ui::draw::detail::job_lines(j),
                )
            }
            Pane::Datasets => {
                let rows = rows::dataset_rows(self);
                let Some(d) = rows
                    .get(self.datasets_sel.selected)
                    .map(|&i| &self.datasets[i])
                else {
                    return;
                };
                (
                    format!("{} ({})", d.name, d.kind),
                    crate::ui::draw::detail::ncdump_lines(d),
                )
            }
            Pane::Log => {
                let rows = rows::log_rows(self);
                let Some(e) = rows
                    .get(self.log_sel.selected)
                    .map(|&i| &self.log.entries[i])
                else {
                    return;
                };
                let mut lines = vec![format!("seen {} time(s)", e.count), String::new()];
                for (i, c) in e.chain.iter().enumerate() {
                    lines.push(if i == 0 {
                        c.clone()
                    } else {
                        format!("  caused by: {c}")
                    });
                }
                ("Error".to_string(), lines)
            }
            _ => return,
        };
        self.dialog = Some(Dialog::Detail {
            title,
            lines,
            scroll: 0,
        });
    }
}
