//! The view model: everything the drawing functions read (a read-only snapshot of the engine plus the
//! UI's own state), and the logic that changes it (keys, console results, snapshots). Drawing never
//! mutates it; the event loop turns returned [`Command`]s into engine and session calls.

pub mod history;
pub mod input;
pub mod keys;
pub mod log;
pub mod output;
pub mod rows;
pub mod tasklist;
pub mod tour;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::snapshot::EngineSnapshot;
use crate::engine::{JobId, JobStatus, LayerId, LogLevel};

use super::console::{ConsoleEntry, DatasetInfo};
use super::keymap::Keymap;
use super::layout::LayoutConfig;
use super::pane::Pane;
use super::theme::Theme;
use input::Input;
use log::{LogStore, MemHistory};
use tour::Tour;

/// Selection and filter of one list pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListSel {
    pub selected: usize,
    pub filter: String,
    /// The filter is being typed (keys go to it).
    pub filtering: bool,
}

impl ListSel {
    pub fn matches(&self, text: &str) -> bool {
        self.filter.is_empty() || text.to_lowercase().contains(&self.filter.to_lowercase())
    }
    pub fn clamp(&mut self, n: usize) {
        self.selected = self.selected.min(n.saturating_sub(1));
    }
}

/// Something the event loop must do outside the view model.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run source text in the session (`filename` for error messages).
    Run {
        source: String,
        filename: String,
    },
    Complete {
        line: String,
        cursor: usize,
    },
    CancelJob(JobId),
    CancelAll,
    Restart,
    Quit,
    SaveSession(PathBuf),
    ExportDot(JobId),
    /// Release a named handle (`del name`).
    Release(String),
    Trim,
    /// Fetch a 2-D slice of a named array (a dataset's variable) and show it as a heatmap.
    Heatmap {
        name: String,
        var: Option<String>,
    },
}

/// A modal box over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// y/Enter runs `then`, n/Esc closes.
    Confirm { question: String, then: Command },
    /// Scrollable text (job detail, error chain, dataset header, help).
    Detail {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
    /// A 2-D slice drawn with half-blocks and a colour scale.
    Heatmap {
        title: String,
        grid: crate::ui::console::Grid,
    },
    /// A line of text to type; Enter runs the prompt's command with it.
    Prompt { label: String, text: String },
}

/// One output cell: a statement's result, or a note (tour narration, messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `In [n]` number; 0 for notes and background results.
    pub number: usize,
    pub entry: ConsoleEntry,
    pub note: bool,
}

/// The whole state the panes are drawn from.
#[derive(Debug, Clone)]
pub struct View {
    pub snapshot: Arc<EngineSnapshot>,
    pub theme: Theme,
    pub keymap: Keymap,
    pub layout: LayoutConfig,
    pub focus: Pane,
    /// The pane shown when the layout shows one pane only (never the command line).
    pub main: Pane,
    pub expanded: bool,
    pub read_only: bool,
    pub input: Input,
    pub cells: Vec<Cell>,
    /// Output scroll: first line shown, and the first data column of tables.
    pub out_top: usize,
    pub out_col: usize,
    /// Output follows new cells (stays at the bottom).
    pub out_follow: bool,
    pub datasets: Vec<DatasetInfo>,
    pub jobs_sel: ListSel,
    pub datasets_sel: ListSel,
    pub graph_sel: ListSel,
    pub memory_sel: ListSel,
    pub log_sel: ListSel,
    pub stream_scroll: usize,
    /// Layers of the graph pane expanded to their tasks.
    pub graph_open: HashSet<LayerId>,
    /// The graph pane's layer opened as a list of its tasks (Enter), if any.
    pub graph_tasks: Option<tasklist::TaskList>,
    pub log: LogStore,
    pub mem_hist: MemHistory,
    pub dialog: Option<Dialog>,
    /// One line at the bottom (saved files, refusals), cleared by the next key.
    pub status: Option<String>,
    pub tour: Option<Tour>,
    /// A tour statement was submitted: load the next one when its results arrive.
    pub tour_pending: bool,
    /// Failures already logged, so each job's failure is logged once.
    pub seen_failures: HashSet<JobId>,
    pub statements: usize,
    /// Statements typed this session, for ctrl+s.
    pub typed: Vec<String>,
    /// The statement running now on the session thread (its first line): the UI stays live and
    /// refuses to submit another until it returns.
    pub busy: Option<String>,
}

impl View {
    pub fn new(theme: Theme, keymap: Keymap, layout: LayoutConfig) -> View {
        View {
            snapshot: Arc::new(EngineSnapshot::default()),
            theme,
            keymap,
            layout,
            focus: Pane::CommandLine,
            main: Pane::Output,
            expanded: false,
            read_only: false,
            input: Input::default(),
            cells: Vec::new(),
            out_top: 0,
            out_col: 0,
            out_follow: true,
            datasets: Vec::new(),
            jobs_sel: ListSel::default(),
            datasets_sel: ListSel::default(),
            graph_sel: ListSel::default(),
            memory_sel: ListSel::default(),
            log_sel: ListSel::default(),
            stream_scroll: 0,
            graph_open: HashSet::new(),
            graph_tasks: None,
            log: LogStore::default(),
            mem_hist: MemHistory::default(),
            dialog: None,
            status: None,
            tour: None,
            tour_pending: false,
            seen_failures: HashSet::new(),
            statements: 0,
            typed: Vec::new(),
            busy: None,
        }
    }

    /// Defaults everywhere (for tests and benches): dark theme, default keys and layout.
    pub fn with_defaults() -> View {
        View::new(
            Theme::builtin("dark").expect("dark theme"),
            Keymap::defaults(),
            LayoutConfig::defaults(),
        )
    }

    /// Take a new engine snapshot: log new failures, sample memory, keep selections in range.
    pub fn set_snapshot(&mut self, snap: Arc<EngineSnapshot>) {
        for j in &snap.jobs {
            if j.status == JobStatus::Failed && self.seen_failures.insert(j.id) {
                let (key, chain) = match &j.failure {
                    Some(f) => {
                        let mut chain = f.chain.clone();
                        if let Some(w) = &f.what {
                            chain.push(format!("while working on {w}"));
                        }
                        (Some(format!("layer:{}", f.layer)), chain)
                    }
                    None => (None, vec![format!("job {} ({}) failed", j.id, j.label)]),
                };
                self.log.push(LogLevel::Error, key, chain);
            }
        }
        let m = &snap.memory;
        self.mem_hist
            .push(snap.now.as_secs_f64(), m.process, m.managed);
        self.snapshot = snap;
        self.clamp_selections();
    }

    pub fn clamp_selections(&mut self) {
        let n = rows::job_rows(self).len();
        self.jobs_sel.clamp(n);
        let n = rows::dataset_rows(self).len();
        self.datasets_sel.clamp(n);
        let n = rows::graph_rows(self).len();
        self.graph_sel.clamp(n);
        let n = rows::memory_rows(self).len();
        self.memory_sel.clamp(n);
        let n = rows::log_rows(self).len();
        self.log_sel.clamp(n);
    }

    /// Add statement results (or background results) to the output and the log.
    pub fn add_entries(&mut self, entries: Vec<ConsoleEntry>, numbered: bool) {
        for e in entries {
            if let Some(err) = &e.error {
                let chain = if err.chain.is_empty() {
                    vec![err.message.clone()]
                } else {
                    err.chain.clone()
                };
                // A cancellation is what the user asked for: a warning, not an error to count.
                let level = if err.message.contains("CancelledError") {
                    LogLevel::Warn
                } else {
                    LogLevel::Error
                };
                self.log.push(level, None, chain);
            }
            let number = if numbered {
                self.statements += 1;
                self.statements
            } else {
                0
            };
            self.cells.push(Cell {
                number,
                entry: e,
                note: false,
            });
        }
        if self.out_follow {
            self.out_top = usize::MAX;
        }
    }

    /// A note in the output (tour narration, saved files).
    pub fn add_note(&mut self, text: &str) {
        self.cells.push(Cell {
            number: 0,
            entry: ConsoleEntry {
                line: 0,
                source: String::new(),
                // Wrapped for the narrowest output pane (80 columns less borders).
                output: Some(crate::lang::object::Output::Text(output::wrap_text(
                    text, 76,
                ))),
                error: None,
            },
            note: true,
        });
        if self.out_follow {
            self.out_top = usize::MAX;
        }
    }

    /// Start a tour of a session file: its first statement waits on the command line.
    pub fn start_tour(&mut self, tour: Tour) {
        self.add_note(&format!(
            "Session {}: {} statements. Enter runs the next one; edit it first if you like.",
            tour.name,
            tour.steps.len()
        ));
        self.tour = Some(tour);
        self.focus = Pane::CommandLine;
        self.load_tour_step();
    }

    /// Put the tour's next statement on the command line, with its notes in the output.
    pub fn load_tour_step(&mut self) {
        let Some(step) = self.tour.as_ref().and_then(|t| t.current()).cloned() else {
            return;
        };
        if !step.notes.is_empty() {
            self.add_note(&step.notes.join("\n"));
        }
        self.input.set(&step.source);
        self.input.from_tour = true;
    }

    /// Jobs running or pending now.
    pub fn active_jobs(&self) -> impl Iterator<Item = &crate::engine::snapshot::JobSnapshot> {
        self.snapshot
            .jobs
            .iter()
            .filter(|j| !j.status.is_finished())
    }

    /// The job the graph pane shows: the selected one in the jobs pane, else the newest.
    pub fn graph_job(&self) -> Option<&crate::engine::snapshot::JobSnapshot> {
        let rows = rows::job_rows(self);
        rows.get(self.jobs_sel.selected)
            .or(rows.first())
            .map(|&i| &self.snapshot.jobs[i])
    }
}
