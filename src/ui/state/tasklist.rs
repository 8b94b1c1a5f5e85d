//! The graph pane's task list: one layer of the selected job, task by task. The view keeps only the
//! selection and the window of tasks around it; the app fetches that window from the engine before
//! drawing, so a layer of a million tasks costs one screenful.

use crate::engine::inspect::{LayerTasks, TaskInfo};
use crate::engine::{JobId, LayerId};

/// Tasks fetched around the selection: the pane shows at most half of it on either side, so any
/// pane up to `FETCH / 2` rows high is covered.
pub const FETCH: usize = 256;

#[derive(Debug, Clone)]
pub struct TaskList {
    pub job: JobId,
    pub layer: LayerId,
    /// Position of the selected task among the layer's tasks in the job.
    pub selected: usize,
    /// The last window fetched; `None` before the first fetch or once the job has finished.
    pub window: Option<LayerTasks>,
    /// The engine no longer has the job's tasks (it finished): only the counts remain.
    pub gone: bool,
}

impl TaskList {
    pub fn new(job: JobId, layer: LayerId) -> TaskList {
        TaskList {
            job,
            layer,
            selected: 0,
            window: None,
            gone: false,
        }
    }

    /// The window to fetch: `(offset, limit)` around the selection.
    pub fn wanted(&self) -> (usize, usize) {
        (self.selected.saturating_sub(FETCH / 2), FETCH)
    }

    /// The task at `pos` when the last window holds it.
    pub fn task(&self, pos: usize) -> Option<&TaskInfo> {
        let w = self.window.as_ref()?;
        w.tasks.get(pos.checked_sub(w.offset)?)
    }

    /// Tasks in the layer, as last fetched (`fallback`, the snapshot's count, before that).
    pub fn total(&self, fallback: usize) -> usize {
        self.window.as_ref().map_or(fallback, |w| w.total)
    }

    /// Take a fetched window (`None`: the job's tasks are gone); keeps the selection in range.
    pub fn set_window(&mut self, window: Option<LayerTasks>) {
        self.gone = window.is_none();
        if let Some(w) = &window {
            self.selected = self.selected.min(w.total.saturating_sub(1));
        }
        self.window = window;
    }
}

impl super::View {
    /// The layer the task list shows, from the current snapshot (its counts), when still there.
    pub fn open_layer(&self) -> Option<&crate::engine::snapshot::LayerProgress> {
        let tl = self.graph_tasks.as_ref()?;
        let job = self.graph_job().filter(|j| j.id == tl.job)?;
        job.layers.iter().find(|l| l.layer == tl.layer)
    }

    /// Tasks of the open layer according to the snapshot (0 when none is open).
    pub fn open_layer_ntasks(&self) -> usize {
        self.open_layer().map_or(0, |l| l.ntasks as usize)
    }
}
