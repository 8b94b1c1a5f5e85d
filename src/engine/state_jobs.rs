//! Scheduler transitions around jobs as a whole: ending a job, cancel, restart, background jobs, and the
//! job and running-task pictures for snapshots.

use std::sync::Arc;
use std::time::Duration;

use super::events::{Event, JobStatus};
use super::ids::{JobId, WorkerId};
use super::job::{Job, TaskState};
use super::snapshot::{FailureInfo, JobSnapshot, RunningTask};
use super::state::{Effects, State, HISTORY_CAP};
use super::store::EntryState;
use super::value::Value;
use crate::error::Error;

impl State {
    /// Cancel one job (and, through the store, the jobs waiting on its persisted outputs).
    pub fn cancel_job(&mut self, job: JobId, now: Duration, fx: &mut dyn Effects) -> bool {
        if !self.jobs.contains_key(&job) {
            return false;
        }
        self.end_job(job, JobStatus::Cancelled, None, None, None, now, fx);
        true
    }

    /// Cancel every job whose graph contains any of `layers`, drop the stored keys of `drop_layer`.
    /// Returns how many jobs were cancelled.
    pub fn cancel_layers(
        &mut self,
        layers: &[super::ids::LayerId],
        drop_layer: Option<super::ids::LayerId>,
        now: Duration,
        fx: &mut dyn Effects,
    ) -> usize {
        let victims: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, j)| {
                j.graph
                    .as_ref()
                    .is_some_and(|g| layers.iter().any(|l| g.slot_of.contains_key(l)))
            })
            .map(|(id, _)| *id)
            .collect();
        let mut n = 0;
        for v in victims {
            if self.cancel_job(v, now, fx) {
                n += 1;
            }
        }
        if let Some(l) = drop_layer {
            let keys: Vec<_> = self
                .store
                .entries
                .keys()
                .filter(|k| k.layer == l)
                .copied()
                .collect();
            for k in keys {
                self.store.fail(k, EntryState::Cancelled);
            }
        }
        self.version += 1;
        n
    }

    /// Cancel every job and forget every stored result.
    pub fn restart(&mut self, now: Duration, fx: &mut dyn Effects) {
        let ids: Vec<JobId> = self.jobs.keys().copied().collect();
        for id in ids {
            self.cancel_job(id, now, fx);
        }
        self.ready.clear();
        self.store.clear();
        self.held = 0;
        self.spilled = 0;
        self.version += 1;
    }

    /// Register a background (non-graph) job.
    pub fn submit_background(&mut self, job: Job, now: Duration, fx: &mut dyn Effects) {
        self.submit(job, now, fx);
    }

    /// Progress of a background job.
    pub fn background_progress(&mut self, job: JobId, done: u64, total: u64, fx: &mut dyn Effects) {
        if let Some(j) = self.jobs.get_mut(&job) {
            j.done = done;
            j.total = total;
            j.signal
                .done
                .store(done, std::sync::atomic::Ordering::Relaxed);
            j.signal
                .total
                .store(total, std::sync::atomic::Ordering::Relaxed);
            self.version += 1;
            fx.event(Event::JobProgress { job, done, total });
        }
    }

    pub fn background_output(&mut self, job: JobId, line: &str) {
        if let Some(j) = self.jobs.get_mut(&job) {
            j.output_lines.push_back(line.to_string());
            if j.output_lines.len() > 1000 {
                j.output_lines.pop_front();
            }
            self.version += 1;
        }
    }

    /// A background job's closure returned.
    pub fn finish_background(
        &mut self,
        job: JobId,
        result: Result<Value, Error>,
        now: Duration,
        fx: &mut dyn Effects,
    ) {
        let Some(j) = self.jobs.get(&job) else { return };
        match result {
            Ok(v) => self.end_job(
                job,
                JobStatus::Done,
                None,
                None,
                Some(vec![Arc::new(v)]),
                now,
                fx,
            ),
            Err(e) if e.is_cancelled() || j.cancel.is_cancelled() => {
                self.end_job(job, JobStatus::Cancelled, None, None, None, now, fx)
            }
            Err(e) => {
                let info = FailureInfo {
                    layer: j.kind.name().to_string(),
                    index: 0,
                    what: Some(j.label.clone()),
                    chain: e.chain(),
                };
                self.end_job(
                    job,
                    JobStatus::Failed,
                    Some(Arc::new(e)),
                    Some(info),
                    None,
                    now,
                    fx,
                )
            }
        }
    }

    /// Jobs for a snapshot: finished history then live jobs, oldest first.
    pub fn job_snapshots(&self, now: Duration) -> Vec<JobSnapshot> {
        let mut v: Vec<JobSnapshot> = self.history.iter().cloned().collect();
        v.extend(self.jobs.values().map(|j| j.snapshot(now)));
        v.sort_by_key(|j| j.id);
        v
    }

    pub fn running_tasks(&self) -> Vec<RunningTask> {
        let mut out = Vec::new();
        for (w, r) in self.running.iter().enumerate() {
            let Some((job, t, since)) = r else { continue };
            let Some(g) = self.jobs.get(job).and_then(|j| j.graph.as_ref()) else {
                continue;
            };
            out.push(RunningTask {
                worker: WorkerId(w as u32),
                job: *job,
                key: format!("('{}', {})", g.layer_of(*t).name, g.task_index[t.idx()]),
                since: *since,
            });
        }
        out
    }
}

impl State {
    /// End a job in any final state: free its tasks, settle its store entries, notify.
    #[allow(clippy::too_many_arguments)]
    pub fn end_job(
        &mut self,
        job: JobId,
        status: JobStatus,
        err: Option<Arc<Error>>,
        failure: Option<FailureInfo>,
        values: Option<Vec<Arc<Value>>>,
        now: Duration,
        fx: &mut dyn Effects,
    ) {
        let Some(mut j) = self.jobs.remove(&job) else {
            return;
        };
        if status != JobStatus::Done {
            j.cancel.cancel();
        }
        j.status = status;
        j.ended = Some(now);
        j.failure = failure;
        j.signal.set_status(status);
        fx.dispose(std::mem::take(&mut j.holds));
        self.held -= j.held;
        j.held = 0;
        self.spilled -= j.spilled;
        j.spilled = 0;
        let err = match status {
            JobStatus::Cancelled => Some(Arc::new(Error::Cancelled(format!(
                "job {} ({}) was cancelled",
                job, j.label
            )))),
            _ => err,
        };
        // Persisted outputs that will never come: fail them, and the jobs waiting on them.
        if j.persist && status != JobStatus::Done {
            if let Some(g) = &j.graph {
                for &o in &g.outputs {
                    let key = g.key(o);
                    let pending = matches!(
                        self.store.entries.get(&key).map(|e| &e.state),
                        Some(EntryState::Pending { job: pj, .. }) if *pj == job
                    );
                    if pending {
                        let st = match status {
                            JobStatus::Cancelled => EntryState::Cancelled,
                            _ => EntryState::Error(err.clone().expect("error for failed job")),
                        };
                        for (wj, _) in self.store.fail(key, st) {
                            let e = err.clone();
                            let st = if status == JobStatus::Cancelled {
                                JobStatus::Cancelled
                            } else {
                                JobStatus::Failed
                            };
                            self.end_job(wj, st, e, None, None, now, fx);
                        }
                    }
                }
            }
        }
        // Freeze counts: running/ready/waiting tasks of a failed or cancelled job count as erred.
        if status != JobStatus::Done {
            for t in 0..j.tasks.len() {
                if matches!(
                    j.tasks[t],
                    TaskState::Waiting(_)
                        | TaskState::Ready
                        | TaskState::Running { .. }
                        | TaskState::AwaitingStore
                ) {
                    j.set(t, TaskState::Cancelled);
                }
            }
        }
        for t in 0..j.tasks.len() {
            if matches!(
                j.tasks[t],
                TaskState::Memory(_) | TaskState::Spilled(_) | TaskState::Stored
            ) {
                j.set(t, TaskState::Released);
            }
        }
        let snap = j.snapshot(now);
        self.history.push_back(snap);
        if self.history.len() > HISTORY_CAP {
            self.history.pop_front();
        }
        self.version += 1;
        fx.event(Event::JobFinished { job, status });
        let outcome = match status {
            JobStatus::Done => Ok(values.unwrap_or_default()),
            _ => Err(err.unwrap_or_else(|| Arc::new(Error::Cancelled("job ended".into())))),
        };
        fx.completed(j.signal.clone(), outcome);
    }
}
