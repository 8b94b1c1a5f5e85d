//! The workbench controller: owns the view, executes [`Command`]s against the engine and the
//! session, turns engine events into log entries and snapshot refreshes. No terminal here, so it
//! is tested with a fake engine and [`crate::ui::FakeConsole`].

use std::path::Path;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::console::Console;
use super::dot;
use super::state::{Command, View};
use crate::engine::inspect::LayerTasks;
use crate::engine::snapshot::EngineSnapshot;
use crate::engine::{Engine, Event, JobId, LayerId};

/// What the workbench needs from the engine (implemented by [`Engine`]; faked in tests).
pub trait EngineLink {
    fn snapshot(&self) -> EngineSnapshot;
    fn cancel_job(&self, job: JobId) -> bool;
    fn restart(&self);
    fn subscribe(&self) -> Receiver<Event>;
    /// A window of one layer's tasks in a running job (see [`Engine::layer_tasks`]); `None` when
    /// the job finished. Fakes without tasks keep the default.
    fn layer_tasks(
        &self,
        _job: JobId,
        _layer: LayerId,
        _offset: usize,
        _limit: usize,
    ) -> Option<LayerTasks> {
        None
    }
}

impl EngineLink for Engine {
    fn snapshot(&self) -> EngineSnapshot {
        Engine::snapshot(self)
    }
    fn cancel_job(&self, job: JobId) -> bool {
        Engine::cancel_job(self, job)
    }
    fn restart(&self) {
        Engine::restart(self)
    }
    fn subscribe(&self) -> Receiver<Event> {
        Engine::subscribe(self)
    }
    fn layer_tasks(
        &self,
        job: JobId,
        layer: LayerId,
        offset: usize,
        limit: usize,
    ) -> Option<LayerTasks> {
        Engine::layer_tasks(self, job, layer, offset, limit)
    }
}

pub struct Workbench<'a> {
    pub view: View,
    pub engine: &'a dyn EngineLink,
    /// `Send`: statements run on a scoped thread so the UI stays live (see the runner).
    pub console: &'a mut (dyn Console + Send),
    /// Set by [`Command::Quit`].
    pub quit: bool,
}

impl<'a> Workbench<'a> {
    pub fn new(
        view: View,
        engine: &'a dyn EngineLink,
        console: &'a mut (dyn Console + Send),
    ) -> Self {
        Workbench {
            view,
            engine,
            console,
            quit: false,
        }
    }

    /// Pull a snapshot; true when something drawn may have changed (new version, or running jobs
    /// whose clocks move).
    pub fn refresh(&mut self) -> bool {
        refresh_view(&mut self.view, self.engine)
    }

    /// Results of background computes; true when there were any.
    pub fn poll_console(&mut self) -> bool {
        let entries = self.console.poll();
        if entries.is_empty() {
            return false;
        }
        self.view.add_entries(entries, false);
        self.view.datasets = self.console.names();
        true
    }

    /// An engine event: log messages are kept; everything else only means "pull a snapshot soon".
    pub fn on_event(&mut self, e: &Event) {
        if let Event::Log { level, message } = e {
            self.view.log.push_event(*level, message);
        }
    }

    pub fn execute(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            self.execute_one(c);
        }
    }

    fn execute_one(&mut self, c: Command) {
        let v = &mut self.view;
        match c {
            Command::Run { source, filename } => {
                let entries = self.console.run(&source, &filename);
                self.view.finish_run(entries);
                self.view.datasets = self.console.names();
                self.refresh();
            }
            Command::Complete { line, cursor } => {
                let cands = self.console.complete(&line, cursor);
                if cands.is_empty() {
                    v.status = Some("no completion".into());
                }
                v.input.complete(cands);
            }
            Command::CancelJob(id) => {
                if !self.engine.cancel_job(id) {
                    v.status = Some(format!("job {id} was not running"));
                }
            }
            Command::CancelAll => {
                let ids: Vec<JobId> = v.active_jobs().map(|j| j.id).collect();
                let n = ids.iter().filter(|id| self.engine.cancel_job(**id)).count();
                v.status = Some(format!("cancelled {n} job(s)"));
            }
            Command::Restart => {
                self.engine.restart();
                v.add_note("Engine restarted: every job cancelled, every result dropped.");
                self.refresh();
            }
            Command::Quit => {
                let ids: Vec<JobId> = v.active_jobs().map(|j| j.id).collect();
                for id in ids {
                    self.engine.cancel_job(id);
                }
                self.quit = true;
            }
            Command::SaveSession(path) => {
                v.status = Some(match save_session(&path, &v.typed) {
                    Ok(()) => format!("saved {} statement(s) to {}", v.typed.len(), path.display()),
                    Err(e) => format!("could not save: {e}"),
                });
            }
            Command::ExportDot(id) => {
                let Some(job) = v.snapshot.jobs.iter().find(|j| j.id == id) else {
                    v.status = Some(format!("job {id} is gone"));
                    return;
                };
                let name = dot::dot_file_name(job);
                v.status = Some(match std::fs::write(&name, dot::job_to_dot(job)) {
                    Ok(()) => format!("wrote {name} (dot -Tsvg {name} -o graph.svg)"),
                    Err(e) => format!("could not write {name}: {e}"),
                });
            }
            Command::Release(name) => {
                let entries = self.console.run(&format!("del {name}"), "<release>");
                self.view.add_entries(entries, false);
                self.view.datasets = self.console.names();
                self.refresh();
            }
            Command::Heatmap { name, var } => {
                match self.console.slice2d(&name, var.as_deref(), 400, 400) {
                    Ok(grid) => {
                        let what = var.map_or(name.clone(), |x| format!("{name}.{x}"));
                        let title = format!("{what}[{} × {}] {}", grid.y, grid.x, grid.at);
                        v.dialog = Some(super::state::Dialog::Heatmap { title, grid });
                    }
                    Err(e) => v.status = Some(format!("heatmap: {e}")),
                }
            }
            Command::Trim => {
                v.status = Some(if super::terminal::trim_allocator() {
                    "returned free allocator memory to the system".into()
                } else {
                    "trim is not supported with this allocator".into()
                });
            }
        }
    }
}

/// Pull a snapshot into `view` (see [`Workbench::refresh`]); a free function so the runner can
/// refresh while the session is lent to the statement thread.
pub fn refresh_view(view: &mut View, engine: &dyn EngineLink) -> bool {
    let snap = engine.snapshot();
    let changed = snap.version != view.snapshot.version
        || view.active_jobs().next().is_some()
        || snap.jobs.iter().any(|j| !j.status.is_finished());
    if changed || view.mem_hist.samples.is_empty() {
        view.set_snapshot(Arc::new(snap));
    }
    fetch_tasks(view, engine);
    changed
}

/// Fetch the window of the graph pane's open task list (nothing when none is open). Called before
/// every draw, so drawing stays pure; only the tasks around the selection cross the lock. The list
/// closes when the graph pane moved to another job.
pub fn fetch_tasks(view: &mut View, engine: &dyn EngineLink) {
    let shown = view.graph_job().map(|j| j.id);
    let Some(tl) = view.graph_tasks.as_mut() else {
        return;
    };
    if shown != Some(tl.job) {
        view.graph_tasks = None;
        return;
    }
    let (offset, limit) = tl.wanted();
    tl.set_window(engine.layer_tasks(tl.job, tl.layer, offset, limit));
}

/// Write the statements typed this session as a runnable session file (parent dirs created).
pub fn save_session(path: &Path, statements: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut body = String::from("# Tessera session, saved from the workbench.\n\n");
    for s in statements {
        body.push_str(s.trim_end());
        body.push('\n');
    }
    std::fs::write(path, body)
}
