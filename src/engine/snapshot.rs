//! Read-only pictures of the engine for drawing: the UI pulls one per frame and never locks compute.

use std::sync::Arc;
use std::time::Duration;

use super::events::{JobKind, JobStatus};
use super::ids::{JobId, LayerId, WorkerId};

/// Task counts of one layer within one job, by state (as Dask's progress bars group by prefix).
#[derive(Debug, Clone, Default)]
pub struct LayerProgress {
    pub layer: LayerId,
    pub name: Arc<str>,
    pub prefix: Arc<str>,
    pub ntasks: u32,
    pub waiting: u32,
    pub ready: u32,
    pub running: u32,
    /// Finished and still held in memory.
    pub memory: u32,
    /// Finished and already released (consumed).
    pub released: u32,
    pub erred: u32,
    /// Input layers (by id) inside the same job, for drawing edges.
    pub inputs: Vec<LayerId>,
}

/// Why a job failed: the first failing task, what it worked on, and the cause chain (outermost first).
#[derive(Debug, Clone, Default)]
pub struct FailureInfo {
    pub layer: String,
    pub index: u32,
    /// What the task read or wrote (a file, a slab), when the kernel says.
    pub what: Option<String>,
    pub chain: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct JobSnapshot {
    pub id: JobId,
    pub kind: JobKind,
    pub label: String,
    pub status: JobStatus,
    pub done: u64,
    pub total: u64,
    /// Bytes produced by finished tasks so far.
    pub bytes: u64,
    /// Time since submission (running) or total run time (finished).
    pub elapsed: Duration,
    /// The layer most recently started: the job's current stage.
    pub stage: Option<String>,
    pub layers: Vec<LayerProgress>,
    pub failure: Option<FailureInfo>,
    /// Captured text output (shell jobs), last lines.
    pub output: Vec<String>,
}

impl JobSnapshot {
    /// Estimated time left from the rate so far, when running.
    pub fn eta(&self) -> Option<Duration> {
        if self.status.is_finished() || self.done == 0 || self.total <= self.done {
            return None;
        }
        let per = self.elapsed.as_secs_f64() / self.done as f64;
        Some(Duration::from_secs_f64(
            per * (self.total - self.done) as f64,
        ))
    }
}

/// Allocator figures (jemalloc): what is allocated, what the process keeps resident, what it retains.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocatorStats {
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub retained: u64,
}

#[derive(Debug, Clone, Default)]
pub struct MemorySnapshot {
    /// Bytes of task results the engine holds (persisted data, intermediates).
    pub managed: u64,
    /// Bytes the engine moved to disk.
    pub spilled: u64,
    /// Resident set size of the process.
    pub process: u64,
    pub system_total: u64,
    pub system_used: u64,
    /// The configured memory limit, if any.
    pub limit: Option<u64>,
    /// Thresholds as fractions of the limit (target, spill, pause); `None` when switched off.
    pub target: Option<f64>,
    pub spill: Option<f64>,
    pub pause: Option<f64>,
    pub paused: bool,
    /// Largest holders first: (layer name, bytes in memory, bytes spilled).
    pub by_layer: Vec<(Arc<str>, u64, u64)>,
    pub allocator: Option<AllocatorStats>,
}

impl MemorySnapshot {
    /// Process memory not accounted for by managed data (allocator slack, libraries, the UI).
    pub fn unmanaged(&self) -> u64 {
        self.process.saturating_sub(self.managed)
    }
}

/// One finished task in the task stream.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub worker: WorkerId,
    pub job: JobId,
    pub prefix: Arc<str>,
    /// Start and end since the engine started.
    pub start: Duration,
    pub end: Duration,
    pub ok: bool,
}

/// A task running now.
#[derive(Debug, Clone)]
pub struct RunningTask {
    pub worker: WorkerId,
    pub job: JobId,
    pub key: String,
    pub since: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct EngineSnapshot {
    /// Time since the engine started (the task stream's clock).
    pub now: Duration,
    pub threads: usize,
    pub jobs: Vec<JobSnapshot>,
    pub memory: MemorySnapshot,
    pub stream: Vec<TaskRecord>,
    pub running: Vec<RunningTask>,
    /// Bumped on every change; a UI redraws only when it moved.
    pub version: u64,
}
