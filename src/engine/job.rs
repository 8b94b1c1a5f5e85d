//! One job's live state: task states (an enum whose variants carry their data), per-layer counts,
//! progress, and the signal its handle waits on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::api::JobOutcome;
use super::cancel::CancelToken;
use super::events::{JobKind, JobStatus};
use super::ids::{JobId, WorkerId};
use super::jobgraph::JobGraph;
use super::snapshot::{FailureInfo, JobSnapshot, LayerProgress};
use super::spill::SpillFile;
use super::store::Futures;
use super::value::Value;

/// Where a task is. Variants carry what that state needs.
pub enum TaskState {
    /// Waiting for `n` inputs.
    Waiting(u32),
    /// All inputs ready; queued.
    Ready,
    Running {
        worker: WorkerId,
        since: Duration,
    },
    /// Finished; value held until its last consumer ran (and the job ends, for outputs).
    Memory(Arc<Value>),
    /// Finished; value moved to disk (a worker loads it back when a consumer runs).
    Spilled(Arc<SpillFile>),
    /// Finished persisted output: the value lives in the store (which may spill it).
    Stored,
    /// Finished and freed.
    Released,
    /// Persisted data still being computed by another job.
    AwaitingStore,
    Failed,
    Cancelled,
}

/// Task counts of one layer in one job, kept up to date on every transition.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub waiting: u32,
    pub ready: u32,
    pub running: u32,
    pub memory: u32,
    pub released: u32,
    pub erred: u32,
}

impl Counts {
    pub fn of(&mut self, s: &TaskState) -> &mut u32 {
        match s {
            TaskState::Waiting(_) | TaskState::AwaitingStore => &mut self.waiting,
            TaskState::Ready => &mut self.ready,
            TaskState::Running { .. } => &mut self.running,
            TaskState::Memory(_) | TaskState::Spilled(_) | TaskState::Stored => &mut self.memory,
            TaskState::Released => &mut self.released,
            TaskState::Failed | TaskState::Cancelled => &mut self.erred,
        }
    }
}

/// What a job's handle waits on. Status and progress are atomics so handles read them without the lock.
pub struct JobSignal {
    pub outcome: Mutex<Option<JobOutcome>>,
    pub cond: Condvar,
    pub status: AtomicU8,
    pub done: AtomicU64,
    pub total: AtomicU64,
}

impl JobSignal {
    pub fn new(total: u64) -> Arc<Self> {
        Arc::new(JobSignal {
            outcome: Mutex::new(None),
            cond: Condvar::new(),
            status: AtomicU8::new(JobStatus::Pending as u8),
            done: AtomicU64::new(0),
            total: AtomicU64::new(total),
        })
    }

    pub fn status(&self) -> JobStatus {
        match self.status.load(Ordering::Acquire) {
            0 => JobStatus::Pending,
            1 => JobStatus::Running,
            2 => JobStatus::Done,
            3 => JobStatus::Failed,
            _ => JobStatus::Cancelled,
        }
    }

    pub fn set_status(&self, s: JobStatus) {
        self.status.store(s as u8, Ordering::Release);
    }

    /// Deliver the outcome and wake every waiter.
    pub fn complete(&self, outcome: JobOutcome) {
        let mut g = self.outcome.lock();
        *g = Some(outcome);
        self.cond.notify_all();
    }

    pub fn wait(&self) -> JobOutcome {
        let mut g = self.outcome.lock();
        while g.is_none() {
            self.cond.wait(&mut g);
        }
        g.clone().expect("outcome present")
    }
}

/// A job in the scheduler.
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub label: String,
    /// `None` for background (non-graph) jobs.
    pub graph: Option<JobGraph>,
    pub tasks: Vec<TaskState>,
    /// Consumers still to run, plus one pin per output use.
    pub remaining: Vec<u32>,
    /// Bytes of each task value this job accounts for (0 when the store accounts for it).
    pub bytes: Vec<u64>,
    pub is_output: Vec<bool>,
    /// Outputs go to the store (persist).
    pub persist: bool,
    pub outputs_ready: usize,
    pub status: JobStatus,
    pub done: u64,
    pub total: u64,
    pub produced: u64,
    /// Bytes of intermediates this job holds now.
    pub held: u64,
    pub submitted: Duration,
    pub ended: Option<Duration>,
    pub stage: Option<u32>,
    pub counts: Vec<Counts>,
    pub cancel: CancelToken,
    pub failure: Option<FailureInfo>,
    pub signal: Arc<JobSignal>,
    pub output_lines: VecDeque<String>,
    /// Bytes held per layer slot (for "who holds memory").
    pub layer_bytes: Vec<u64>,
    /// Persisted inputs this job reads: kept alive until it ends.
    pub holds: Vec<Arc<Futures>>,
    /// When each task's value arrived (the state's clock), for least-recently-used spilling.
    pub ticks: Vec<u64>,
    /// Bytes (in memory terms) of this job's values spilled to disk, in all and per layer slot.
    pub spilled: u64,
    pub layer_spilled: Vec<u64>,
}

impl Job {
    /// A job around a materialized graph (or none, for background jobs).
    pub fn new(
        id: JobId,
        kind: JobKind,
        label: &str,
        graph: Option<JobGraph>,
        persist: bool,
    ) -> Job {
        let (n, nl) = graph
            .as_ref()
            .map_or((0, 0), |g| (g.ntasks(), g.layers.len()));
        Job {
            id,
            kind,
            label: label.to_string(),
            graph,
            tasks: Vec::with_capacity(n),
            remaining: Vec::with_capacity(n),
            bytes: vec![0; n],
            is_output: vec![false; n],
            persist,
            outputs_ready: 0,
            status: JobStatus::Pending,
            done: 0,
            total: 0,
            produced: 0,
            held: 0,
            submitted: Duration::ZERO,
            ended: None,
            stage: None,
            counts: vec![Counts::default(); nl],
            cancel: CancelToken::new(),
            failure: None,
            signal: JobSignal::new(0),
            output_lines: VecDeque::new(),
            layer_bytes: vec![0; nl],
            holds: Vec::new(),
            ticks: vec![0; n],
            spilled: 0,
            layer_spilled: vec![0; nl],
        }
    }
}

impl Job {
    /// Move task `t` to `new`, keeping the per-layer counts right.
    pub fn set(&mut self, t: usize, new: TaskState) {
        if let Some(g) = &self.graph {
            let slot = g.task_slot[t] as usize;
            let c = &mut self.counts[slot];
            *c.of(&self.tasks[t]) -= 1;
            *c.of(&new) += 1;
        }
        self.tasks[t] = new;
    }

    pub fn snapshot(&self, now: Duration) -> JobSnapshot {
        let elapsed = self.ended.unwrap_or(now).saturating_sub(self.submitted);
        let layers = match &self.graph {
            Some(g) => g
                .layers
                .iter()
                .zip(&self.counts)
                .map(|(jl, c)| LayerProgress {
                    layer: jl.layer.id,
                    name: jl.layer.name.clone(),
                    prefix: jl.layer.prefix.clone(),
                    ntasks: jl.count,
                    waiting: c.waiting,
                    ready: c.ready,
                    running: c.running,
                    memory: c.memory,
                    released: c.released,
                    erred: c.erred,
                    inputs: jl.layer.inputs.iter().map(|i| i.layer.id).collect(),
                })
                .collect(),
            None => Vec::new(),
        };
        let stage = match (&self.graph, self.stage) {
            (Some(g), Some(s)) => Some(g.layers[s as usize].layer.name.to_string()),
            _ => None,
        };
        JobSnapshot {
            id: self.id,
            kind: self.kind,
            label: self.label.clone(),
            status: self.status,
            done: self.done,
            total: self.total,
            bytes: self.produced,
            elapsed,
            stage,
            layers,
            failure: self.failure.clone(),
            output: self.output_lines.iter().cloned().collect(),
        }
    }
}
