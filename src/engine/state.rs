//! The scheduler as plain state transitions: submit, assign, finish, fail, cancel, restart. Every
//! reaction is a function over [`State`] plus an [`Effects`] sink, so it is unit-tested without threads.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::api::JobOutcome;
use super::events::{Event, JobStatus};
use super::graph::Layer;
use super::ids::{JobId, TaskId, WorkerId};
use super::job::{Job, JobSignal, TaskState};
use super::snapshot::{FailureInfo, JobSnapshot, TaskRecord};
use super::spill::SpillFile;
use super::store::{EntryState, Futures, Store};
use super::value::Value;
use super::CancelToken;
use crate::error::Error;

/// What a reaction asks the outside world to do, after the lock is released.
pub trait Effects {
    fn event(&mut self, ev: Event);
    /// A job ended: deliver its outcome to whoever waits.
    fn completed(&mut self, signal: Arc<JobSignal>, outcome: JobOutcome);
    /// New tasks became ready: wake idle workers.
    fn wake(&mut self);
    /// Drop these handles after the lock is released (their drop takes the lock).
    fn dispose(&mut self, holds: Vec<Arc<Futures>>);
}

/// A task handed to a worker: everything it needs to run without the lock.
pub struct Assignment {
    pub job: JobId,
    pub task: TaskId,
    pub layer: Arc<Layer>,
    pub index: u32,
    pub inputs: Vec<Arc<Value>>,
    pub bounds: Vec<u32>,
    pub cancel: CancelToken,
    /// Inputs that are on disk: (position in `inputs`, file). Load them with [`Assignment::load_spilled`]
    /// after the lock is released.
    pub spilled: Vec<(usize, Arc<SpillFile>)>,
    /// A stored input that is gone (released or cancelled meanwhile): the task fails saying so.
    pub lost: Option<String>,
}

impl Assignment {
    /// Read spilled inputs back into `inputs` (outside the state lock). A missing or damaged spill file
    /// is an error naming it; the task then fails like any other.
    pub fn load_spilled(&mut self) -> Result<(), Error> {
        if let Some(l) = self.lost.take() {
            return Err(Error::Cancelled(l));
        }
        for (i, f) in std::mem::take(&mut self.spilled) {
            self.inputs[i] = Arc::new(f.load()?);
        }
        Ok(())
    }
}

/// A placeholder for a spilled input until the worker loads it.
fn on_disk() -> Arc<Value> {
    static UNIT: std::sync::OnceLock<Arc<Value>> = std::sync::OnceLock::new();
    UNIT.get_or_init(|| Arc::new(Value::Unit)).clone()
}

const STREAM_CAP: usize = 20_000;
pub(super) const HISTORY_CAP: usize = 500;

/// The whole scheduler state (one lock guards it).
#[derive(Default)]
pub struct State {
    pub jobs: BTreeMap<JobId, Job>,
    /// Ready tasks: older jobs first (Dask's FIFO across submissions), then the static priority.
    pub ready: BinaryHeap<Reverse<(u32, u32, u32)>>,
    pub store: Store,
    /// Finished jobs, newest last, frozen as snapshots.
    pub history: VecDeque<JobSnapshot>,
    pub stream: VecDeque<TaskRecord>,
    /// When set, no new task starts while one runs (memory pause); running ones finish.
    pub paused: bool,
    /// Bytes of intermediates held by all jobs.
    pub held: u64,
    /// Managed bytes above which a worker that finishes a task spills before it takes the next one
    /// (the memory target; `None` without a limit): backpressure, so producers cannot outrun spilling.
    pub spill_at: Option<u64>,
    /// Bytes (in memory terms) of job intermediates spilled to disk.
    pub spilled: u64,
    /// Counts finished tasks: the clock of least-recently-used spilling.
    pub clock: u64,
    /// What each worker runs now (indexed by worker id).
    pub running: Vec<Option<(JobId, TaskId, Duration)>>,
    pub version: u64,
}

impl State {
    /// Register a materialized job and queue its ready tasks.
    pub fn submit(&mut self, mut job: Job, now: Duration, fx: &mut dyn Effects) {
        let id = job.id;
        job.submitted = now;
        job.status = JobStatus::Running;
        job.signal.set_status(JobStatus::Running);
        fx.event(Event::JobSubmitted {
            job: id,
            kind: job.kind,
        });
        self.version += 1;
        let Some(graph) = job.graph.take() else {
            self.jobs.insert(id, job);
            return;
        };
        let n = graph.ntasks();
        let mut fail: Option<Arc<Error>> = None;
        let mut have: Vec<TaskId> = Vec::new();
        for t in 0..n {
            let tid = TaskId(t as u32);
            let state = if graph.external[t] {
                let key = graph.key(tid);
                match self.store.entries.get_mut(&key) {
                    Some(e) => match &mut e.state {
                        // Jobs read stored values from the store when a consumer starts: holding them
                        // here would keep them from being spilled.
                        EntryState::Memory { .. } => {
                            have.push(tid);
                            e.tick = self.clock;
                            TaskState::Stored
                        }
                        EntryState::Spilled { .. } => {
                            have.push(tid);
                            TaskState::Stored
                        }
                        EntryState::Pending { waiters, .. } => {
                            waiters.push((id, tid));
                            TaskState::AwaitingStore
                        }
                        EntryState::Error(err) => {
                            fail.get_or_insert_with(|| err.clone());
                            TaskState::Failed
                        }
                        EntryState::Cancelled => {
                            fail.get_or_insert_with(|| {
                                Arc::new(Error::Cancelled(format!(
                                    "('{}', {}) was cancelled",
                                    e.layer_name, key.index
                                )))
                            });
                            TaskState::Cancelled
                        }
                    },
                    None => {
                        fail.get_or_insert_with(|| {
                            Arc::new(Error::Cancelled(format!(
                                "('{}', {}) was released",
                                graph.layer_of(tid).name,
                                key.index
                            )))
                        });
                        TaskState::Cancelled
                    }
                }
            } else {
                let k = graph.inputs_of(tid).len() as u32;
                job.total += 1;
                if k == 0 {
                    TaskState::Ready
                } else {
                    TaskState::Waiting(k)
                }
            };
            let slot = graph.task_slot[t] as usize;
            *job.counts[slot].of(&state) += 1;
            job.tasks.push(state);
            job.remaining.push(graph.consumers_of(tid).len() as u32);
        }
        for &o in &graph.outputs {
            job.is_output[o.idx()] = true;
            job.remaining[o.idx()] += 1;
        }
        job.signal
            .total
            .store(job.total, std::sync::atomic::Ordering::Relaxed);
        let ready: Vec<TaskId> = (0..n as u32)
            .map(TaskId)
            .filter(|t| matches!(job.tasks[t.idx()], TaskState::Ready))
            .collect();
        job.graph = Some(graph);
        self.jobs.insert(id, job);
        if let Some(err) = fail {
            self.end_job(id, JobStatus::Failed, Some(err), None, None, now, fx);
            return;
        }
        for t in have {
            self.value_arrived(id, t, fx);
        }
        for t in ready {
            self.push_ready(id, t);
        }
        fx.wake();
        self.check_complete(id, now, fx);
    }

    fn push_ready(&mut self, job: JobId, t: TaskId) {
        let prio = self.jobs[&job]
            .graph
            .as_ref()
            .map_or(0, |g| g.priority[t.idx()]);
        self.ready.push(Reverse((job.0, prio, t.0)));
    }

    /// The next task to run on `worker`, highest priority first; `None` when idle or paused. Paused, one
    /// task still runs when none does: memory the engine cannot free (unmanaged, unspillable) would
    /// otherwise stop all work for good; the limit still guards.
    pub fn next_task(
        &mut self,
        worker: WorkerId,
        now: Duration,
        fx: &mut dyn Effects,
    ) -> Option<Assignment> {
        if self.paused && self.running.iter().any(Option::is_some) {
            return None;
        }
        while let Some(Reverse((j, _, t))) = self.ready.pop() {
            let jid = JobId(j);
            let Some(job) = self.jobs.get_mut(&jid) else {
                continue;
            };
            let ti = t as usize;
            if !matches!(job.tasks[ti], TaskState::Ready) {
                continue;
            }
            job.set(ti, TaskState::Running { worker, since: now });
            if self.running.len() <= worker.idx() {
                self.running.resize(worker.idx() + 1, None);
            }
            self.running[worker.idx()] = Some((jid, TaskId(t), now));
            let graph = job.graph.as_ref().expect("graph job");
            let tid = TaskId(t);
            let mut spilled = Vec::new();
            let mut lost = None;
            let store = &self.store;
            let inputs: Vec<Arc<Value>> = graph
                .inputs_of(tid)
                .iter()
                .enumerate()
                .map(|(i, d)| match &job.tasks[d.idx()] {
                    TaskState::Memory(v) => v.clone(),
                    TaskState::Spilled(f) => {
                        spilled.push((i, f.clone()));
                        on_disk()
                    }
                    TaskState::Stored => {
                        match store.entries.get(&graph.key(*d)).map(|e| &e.state) {
                            Some(EntryState::Memory { value, .. }) => value.clone(),
                            Some(EntryState::Spilled { file, .. }) => {
                                spilled.push((i, file.clone()));
                                on_disk()
                            }
                            _ => {
                                let k = graph.key(*d);
                                lost = Some(format!(
                                    "('{}', {}) was released",
                                    graph.layer_of(*d).name,
                                    k.index
                                ));
                                on_disk()
                            }
                        }
                    }
                    _ => unreachable!("input of a ready task is in memory, on disk or stored"),
                })
                .collect();
            let layer = graph.layer_of(tid).clone();
            job.stage = Some(graph.task_slot[ti]);
            fx.event(Event::TaskStarted {
                job: jid,
                task: tid,
                layer: layer.id,
                worker,
            });
            return Some(Assignment {
                job: jid,
                task: tid,
                index: graph.task_index[ti],
                bounds: graph.input_bounds(tid),
                layer,
                inputs,
                cancel: job.cancel.clone(),
                spilled,
                lost,
            });
        }
        None
    }

    /// A worker finished a task (successfully or not).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &mut self,
        job: JobId,
        task: TaskId,
        worker: WorkerId,
        started: Duration,
        result: Result<Value, Error>,
        now: Duration,
        fx: &mut dyn Effects,
    ) {
        if let Some(r) = self.running.get_mut(worker.idx()) {
            *r = None;
        }
        let Some(j) = self.jobs.get_mut(&job) else {
            return;
        };
        let ti = task.idx();
        if !matches!(j.tasks[ti], TaskState::Running { .. }) {
            return; // cancelled or restarted meanwhile: the result is dropped
        }
        let graph = j.graph.as_ref().expect("graph job");
        let layer = graph.layer_of(task).clone();
        let index = graph.task_index[ti];
        self.stream.push_back(TaskRecord {
            worker,
            job,
            prefix: layer.prefix.clone(),
            start: started,
            end: now,
            ok: result.is_ok(),
        });
        if self.stream.len() > STREAM_CAP {
            self.stream.pop_front();
        }
        self.version += 1;
        match result {
            Ok(value) => {
                let bytes = value.nbytes() as u64;
                let value = Arc::new(value);
                j.done += 1;
                j.produced += bytes;
                j.signal
                    .done
                    .store(j.done, std::sync::atomic::Ordering::Relaxed);
                let stored = j.persist && j.is_output[ti];
                self.clock += 1;
                j.ticks[ti] = self.clock;
                if stored {
                    // The store alone holds persisted outputs, so it can spill them while the job runs.
                    j.set(ti, TaskState::Stored);
                } else {
                    j.bytes[ti] = bytes;
                    j.held += bytes;
                    j.layer_bytes[graph.task_slot[ti] as usize] += bytes;
                    self.held += bytes;
                    j.set(ti, TaskState::Memory(value.clone()));
                }
                fx.event(Event::TaskFinished {
                    job,
                    task,
                    layer: layer.id,
                    worker,
                    nbytes: bytes,
                });
                let (done, total) = (j.done, j.total);
                if done == total || done % (total / 200).max(1) == 0 {
                    fx.event(Event::JobProgress { job, done, total });
                }
                if stored {
                    let key = layer.key(index);
                    let waiters = self.store.fulfil(key, &value, bytes);
                    if let Some(e) = self.store.entries.get_mut(&key) {
                        e.tick = self.clock;
                    }
                    for (wj, wt) in waiters {
                        self.deliver(wj, wt, now, fx);
                    }
                }
                self.value_arrived(job, task, fx);
                // Inputs whose last consumer this was can go.
                let inputs: Vec<TaskId> = self.jobs[&job]
                    .graph
                    .as_ref()
                    .unwrap()
                    .inputs_of(task)
                    .to_vec();
                for d in inputs {
                    self.unpin(job, d);
                }
                if self.jobs[&job].remaining[ti] == 0 {
                    self.release(job, task);
                }
                fx.wake();
                self.check_complete(job, now, fx);
            }
            Err(err) => {
                j.set(ti, TaskState::Failed);
                fx.event(Event::TaskFailed {
                    job,
                    task,
                    layer: layer.id,
                });
                if err.is_cancelled() || j.cancel.is_cancelled() {
                    self.end_job(job, JobStatus::Cancelled, None, None, None, now, fx);
                } else {
                    let what = layer.kernel.describe(index);
                    let wrapped = Error::Task {
                        layer: layer.name.to_string(),
                        index,
                        source: Box::new(err),
                    };
                    let mut chain = wrapped.chain();
                    if let Some(w) = &what {
                        chain.insert(1, format!("while working on {w}"));
                    }
                    let info = FailureInfo {
                        layer: layer.name.to_string(),
                        index,
                        what,
                        chain,
                    };
                    self.end_job(
                        job,
                        JobStatus::Failed,
                        Some(Arc::new(wrapped)),
                        Some(info),
                        None,
                        now,
                        fx,
                    );
                }
            }
        }
    }

    /// A persisted value another job computed arrived for task `t` of `job`.
    fn deliver(&mut self, job: JobId, t: TaskId, now: Duration, fx: &mut dyn Effects) {
        let Some(j) = self.jobs.get_mut(&job) else {
            return;
        };
        if !matches!(j.tasks[t.idx()], TaskState::AwaitingStore) {
            return;
        }
        j.set(t.idx(), TaskState::Stored);
        self.value_arrived(job, t, fx);
        fx.wake();
        self.check_complete(job, now, fx);
    }

    /// Task `t` of `job` has its value: count outputs, wake consumers.
    fn value_arrived(&mut self, job: JobId, t: TaskId, _fx: &mut dyn Effects) {
        let j = self.jobs.get_mut(&job).expect("job");
        if j.is_output[t.idx()] {
            j.outputs_ready += 1;
        }
        let graph = j.graph.as_ref().expect("graph job");
        let mut newly = Vec::new();
        for &c in graph.consumers_of(t) {
            if let TaskState::Waiting(n) = &mut j.tasks[c.idx()] {
                *n -= 1;
                if *n == 0 {
                    newly.push(c);
                }
            }
        }
        for c in newly {
            j.set(c.idx(), TaskState::Ready);
            let prio = j.graph.as_ref().unwrap().priority[c.idx()];
            self.ready.push(Reverse((job.0, prio, c.0)));
        }
    }

    fn unpin(&mut self, job: JobId, t: TaskId) {
        let j = self.jobs.get_mut(&job).expect("job");
        let r = &mut j.remaining[t.idx()];
        *r = r.saturating_sub(1);
        if *r == 0 {
            self.release(job, t);
        }
    }

    fn release(&mut self, job: JobId, t: TaskId) {
        let j = self.jobs.get_mut(&job).expect("job");
        match j.tasks[t.idx()] {
            TaskState::Memory(_) => {
                let b = std::mem::take(&mut j.bytes[t.idx()]);
                j.held -= b;
                let slot = j.graph.as_ref().expect("graph job").task_slot[t.idx()] as usize;
                j.layer_bytes[slot] -= b;
                self.held -= b;
                j.set(t.idx(), TaskState::Released);
            }
            TaskState::Spilled(_) => {
                let b = std::mem::take(&mut j.bytes[t.idx()]);
                j.spilled -= b;
                let slot = j.graph.as_ref().expect("graph job").task_slot[t.idx()] as usize;
                j.layer_spilled[slot] -= b;
                self.spilled -= b;
                // Dropping the state drops this task's reference to the file.
                j.set(t.idx(), TaskState::Released);
            }
            TaskState::Stored => j.set(t.idx(), TaskState::Released),
            _ => {}
        }
    }

    fn check_complete(&mut self, job: JobId, now: Duration, fx: &mut dyn Effects) {
        let Some(j) = self.jobs.get(&job) else { return };
        let Some(g) = &j.graph else { return };
        if j.outputs_ready < g.outputs.len() {
            return;
        }
        // Persist jobs deliver nothing: their values live behind the futures (and may be on disk).
        let values: Result<Vec<Arc<Value>>, Error> = if j.persist {
            Ok(Vec::new())
        } else {
            g.outputs
                .iter()
                .map(|o| match &j.tasks[o.idx()] {
                    TaskState::Memory(v) => Ok(v.clone()),
                    // The spiller leaves job outputs alone; only persisted data read straight back can be
                    // on disk here: load it, under the lock, as this is rare.
                    TaskState::Spilled(f) => f.load().map(Arc::new),
                    TaskState::Stored => match self.store.entries.get(&g.key(*o)).map(|e| &e.state)
                    {
                        Some(EntryState::Memory { value, .. }) => Ok(value.clone()),
                        Some(EntryState::Spilled { file, .. }) => file.load().map(Arc::new),
                        _ => Err(Error::Cancelled(format!(
                            "('{}', {}) was released",
                            g.layer_of(*o).name,
                            g.key(*o).index
                        ))),
                    },
                    _ => unreachable!("outputs ready"),
                })
                .collect()
        };
        match values {
            Ok(v) => self.end_job(job, JobStatus::Done, None, None, Some(v), now, fx),
            Err(e) => self.end_job(
                job,
                JobStatus::Failed,
                Some(Arc::new(e)),
                None,
                None,
                now,
                fx,
            ),
        }
    }
}
