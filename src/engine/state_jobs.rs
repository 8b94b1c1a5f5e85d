//! Scheduler transitions around jobs as a whole: cancel, restart, background jobs, and the job and
//! running-task pictures for snapshots.

use std::sync::Arc;
use std::time::Duration;

use super::events::{Event, JobStatus};
use super::ids::{JobId, WorkerId};
use super::job::Job;
use super::snapshot::{FailureInfo, JobSnapshot, RunningTask};
use super::state::{Effects, State};
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
