//! Memory pressure as plain decisions and state transitions (Dask's worker memory management): from the
//! thresholds, process memory and managed bytes decide how much to spill, whether to pause, whether the
//! limit is hit; pick least-recently-used values to spill; swap a spilled value for its file; fail the
//! newest job when the limit is reached; the level at which workers spill before their next task. No
//! threads here: the monitor and the workers drive these.

use std::sync::Arc;
use std::time::Duration;

use super::api::EngineConfig;
use super::events::JobStatus;
use super::ids::{JobId, Key, TaskId};
use super::job::TaskState;
use super::snapshot::FailureInfo;
use super::spill::{spillable, SpillFile, MIN_SPILL_BYTES};
use super::state::{Effects, State};
use super::store::EntryState;
use super::value::Value;
use crate::error::Error;
use crate::units::format_bytes;

/// The thresholds in bytes (each `None` when switched off or without a limit).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    pub limit: Option<u64>,
    pub target: Option<u64>,
    pub spill: Option<u64>,
    pub pause: Option<u64>,
}

impl Thresholds {
    pub fn of(cfg: &EngineConfig) -> Thresholds {
        let Some(limit) = cfg.memory_limit.filter(|&l| l > 0) else {
            return Thresholds::default();
        };
        let at = |f: Option<f64>| {
            f.filter(|f| f.is_finite() && *f > 0.0)
                .map(|f| (limit as f64 * f) as u64)
        };
        Thresholds {
            limit: Some(limit),
            target: at(cfg.target),
            spill: at(cfg.spill),
            pause: at(cfg.pause),
        }
    }
}

/// What to do now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Decision {
    /// Bytes of managed data to move to disk.
    pub spill: u64,
    /// Whether workers should start no new tasks.
    pub pause: bool,
    /// Process memory reached the limit.
    pub over_limit: bool,
}

/// Dask's rules: managed above target → spill down to target; process above spill → spill until process
/// memory would be back under target; process above pause → pause; at the limit → act (never kill).
pub fn decide(th: &Thresholds, process: u64, managed: u64) -> Decision {
    let mut d = Decision::default();
    if let Some(t) = th.target {
        d.spill = managed.saturating_sub(t);
    }
    if let Some(s) = th.spill {
        if process > s {
            let down_to = th.target.unwrap_or(s);
            d.spill = d.spill.max(process.saturating_sub(down_to)).min(managed);
        }
    }
    d.pause = th.pause.is_some_and(|p| process > p);
    d.over_limit = th.limit.is_some_and(|l| process >= l);
    d
}

/// The managed bytes above which workers spill as they finish tasks: the target, lowered so that managed
/// plus unmanaged memory (process minus managed, as last measured) stays under the spill threshold. The
/// monitor's 50 ms looks alone cannot keep up with fast readers; this keeps producers from outrunning
/// spilling. `None` without a target or spill threshold.
pub fn spill_level(th: &Thresholds, process: u64, managed: u64) -> Option<u64> {
    let level = th.target.or(th.spill)?;
    let unmanaged = process.saturating_sub(managed);
    Some(match th.spill {
        Some(s) => level.min(s.saturating_sub(unmanaged)),
        None => level,
    })
}

/// Where a value to spill lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpillAt {
    Store(Key),
    Task(JobId, TaskId),
}

/// A value picked for spilling: written to disk without the lock, then swapped in with `apply_spill`.
pub struct Candidate {
    pub at: SpillAt,
    pub value: Arc<Value>,
    pub bytes: u64,
}

impl State {
    /// Least recently used values worth `need` bytes that nothing but the engine holds (a strong count of
    /// one: no running task reads them, no job outcome holds them). Job outputs stay in memory.
    pub fn spill_candidates(&self, need: u64) -> Vec<Candidate> {
        let mut all: Vec<(u64, Candidate)> = Vec::new();
        let free = |v: &Arc<Value>, bytes: u64| {
            bytes >= MIN_SPILL_BYTES && Arc::strong_count(v) == 1 && spillable(v)
        };
        for (k, e) in &self.store.entries {
            if let EntryState::Memory { value, bytes } = &e.state {
                if free(value, *bytes) {
                    let c = Candidate {
                        at: SpillAt::Store(*k),
                        value: value.clone(),
                        bytes: *bytes,
                    };
                    all.push((e.tick, c));
                }
            }
        }
        for (id, j) in &self.jobs {
            for (t, s) in j.tasks.iter().enumerate() {
                if let TaskState::Memory(v) = s {
                    if !j.is_output[t] && free(v, j.bytes[t]) {
                        let c = Candidate {
                            at: SpillAt::Task(*id, TaskId(t as u32)),
                            value: v.clone(),
                            bytes: j.bytes[t],
                        };
                        all.push((j.ticks[t], c));
                    }
                }
            }
        }
        all.sort_by_key(|(tick, _)| *tick);
        let mut got = 0;
        let mut out = Vec::new();
        for (_, c) in all {
            if got >= need {
                break;
            }
            got += c.bytes;
            out.push(c);
        }
        out
    }

    /// Managed bytes: values in the store and intermediates held by jobs.
    #[inline]
    pub fn managed(&self) -> u64 {
        self.store.bytes + self.held
    }

    /// What a worker that just finished a task must spill before it takes another: least-recently-used
    /// values down to the target when managed bytes are above it (nothing without a limit or below it).
    /// Picked values are held by the returned candidates, so another spiller does not pick them too.
    pub fn spill_due(&self) -> Vec<Candidate> {
        match self.spill_at {
            Some(t) if self.managed() > t => self.spill_candidates(self.managed() - t),
            _ => Vec::new(),
        }
    }

    /// Replace a candidate's value by its spill file, if the value is still there (it may have been
    /// released or restarted meanwhile: then the file is dropped, which deletes it). True when swapped.
    pub fn apply_spill(&mut self, c: &Candidate, file: Arc<SpillFile>) -> bool {
        match c.at {
            SpillAt::Store(key) => {
                let Some(e) = self.store.entries.get_mut(&key) else {
                    return false;
                };
                let same = matches!(&e.state, EntryState::Memory { value, .. } if Arc::ptr_eq(value, &c.value));
                if !same {
                    return false;
                }
                e.state = EntryState::Spilled {
                    file,
                    bytes: c.bytes,
                };
                self.store.bytes -= c.bytes;
                self.store.spilled += c.bytes;
            }
            SpillAt::Task(job, t) => {
                let Some(j) = self.jobs.get_mut(&job) else {
                    return false;
                };
                let ti = t.idx();
                let same = matches!(&j.tasks[ti], TaskState::Memory(v) if Arc::ptr_eq(v, &c.value));
                if !same {
                    return false;
                }
                let b = j.bytes[ti];
                let slot = j.graph.as_ref().expect("graph job").task_slot[ti] as usize;
                j.set(ti, TaskState::Spilled(file));
                j.held -= b;
                j.layer_bytes[slot] -= b;
                j.spilled += b;
                j.layer_spilled[slot] += b;
                self.held -= b;
                self.spilled += b;
            }
        }
        self.version += 1;
        true
    }

    /// Start or stop new tasks; resuming wakes the workers. True when it changed.
    pub fn set_paused(&mut self, paused: bool, fx: &mut dyn Effects) -> bool {
        if self.paused == paused {
            return false;
        }
        self.paused = paused;
        self.version += 1;
        if !paused {
            fx.wake();
        }
        true
    }

    /// The most recently submitted job that runs tasks (what the limit cancels first).
    pub fn newest_graph_job(&self) -> Option<JobId> {
        self.jobs
            .iter()
            .rev()
            .find(|(_, j)| j.graph.is_some())
            .map(|(id, _)| *id)
    }

    /// Fail `job` because memory ran out: its error and failure say why, with the numbers.
    pub fn fail_for_memory(
        &mut self,
        job: JobId,
        message: String,
        now: Duration,
        fx: &mut dyn Effects,
    ) -> bool {
        if !self.jobs.contains_key(&job) {
            return false;
        }
        let err = Error::Memory(message);
        let info = FailureInfo {
            layer: "memory".into(),
            index: 0,
            what: None,
            chain: err.chain(),
        };
        self.end_job(
            job,
            JobStatus::Failed,
            Some(Arc::new(err)),
            Some(info),
            None,
            now,
            fx,
        );
        true
    }
}

/// The message of a job cancelled at the limit.
pub fn limit_message(job: JobId, label: &str, process: u64, limit: u64, spilled: u64) -> String {
    format!(
        "memory limit reached: the process uses {} and the limit is {}; cancelled the newest job {job} \
         ({label}) instead of stopping ({} spilled to disk). Reduce the data first (select columns, \
         filter, aggregate), persist less, write results with to_parquet/to_netcdf, or raise memory_limit",
        format_bytes(process),
        format_bytes(limit),
        format_bytes(spilled),
    )
}
