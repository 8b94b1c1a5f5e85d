//! The engine runtime (placeholder signatures; implementation lands next).

use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::api::{BackgroundCtx, EngineConfig, FutureInfo, JobOutcome};
use super::events::{Event, JobKind, JobStatus, LogLevel};
use super::graph::Graph;
use super::ids::JobId;
use super::snapshot::EngineSnapshot;
use super::store::Futures;
use super::value::Value;
use crate::error::Result;

#[derive(Clone)]
pub struct Engine {
    _inner: Arc<()>,
}

#[derive(Clone)]
pub struct JobHandle {
    pub id: JobId,
}

impl JobHandle {
    /// Block until the job ends; the output values or the error.
    pub fn wait(&self) -> JobOutcome {
        unimplemented!()
    }
    /// The outcome if finished.
    pub fn try_outcome(&self) -> Option<JobOutcome> {
        unimplemented!()
    }
    pub fn status(&self) -> JobStatus {
        unimplemented!()
    }
    /// (tasks done, tasks total)
    pub fn progress(&self) -> (u64, u64) {
        unimplemented!()
    }
    pub fn cancel(&self) {
        unimplemented!()
    }
}

impl Engine {
    pub fn new(_cfg: EngineConfig) -> Engine {
        unimplemented!()
    }
    pub fn config(&self) -> EngineConfig {
        unimplemented!()
    }
    /// Apply a new configuration (pool size, memory limit); running jobs finish on the old pool.
    pub fn reconfigure(&self, _cfg: EngineConfig) -> Result<()> {
        unimplemented!()
    }
    /// Run every task of `graph`'s output layer; the job's outcome is their values.
    pub fn compute(&self, _graph: &Graph, _label: &str) -> JobHandle {
        unimplemented!()
    }
    /// Start computing `graph` in the background and keep its outputs: the returned graph holds the futures.
    pub fn persist(&self, _graph: &Graph, _label: &str) -> (Graph, JobHandle) {
        unimplemented!()
    }
    /// Submit several graphs as one job (outputs concatenated in order).
    pub fn submit(&self, _graphs: &[Graph], _kind: JobKind, _label: &str) -> JobHandle {
        unimplemented!()
    }
    /// Run a closure as a background job on its own thread (shell commands, downloads).
    pub fn spawn_background<F>(&self, _kind: JobKind, _label: &str, _f: F) -> JobHandle
    where
        F: FnOnce(&BackgroundCtx) -> Result<Value> + Send + 'static,
    {
        unimplemented!()
    }
    /// Cancel every job that computes `graph`'s layers or depends on them, and drop their futures.
    pub fn cancel_graph(&self, _graph: &Graph) -> usize {
        unimplemented!()
    }
    pub fn cancel_job(&self, _job: JobId) -> bool {
        unimplemented!()
    }
    /// Cancel every job and drop every result.
    pub fn restart(&self) {
        unimplemented!()
    }
    pub fn subscribe(&self) -> Receiver<Event> {
        unimplemented!()
    }
    pub fn snapshot(&self) -> EngineSnapshot {
        unimplemented!()
    }
    pub fn futures_info(&self, _f: &Futures) -> Vec<FutureInfo> {
        unimplemented!()
    }
    /// Block until no job is pending or running.
    pub fn wait_all(&self) {
        unimplemented!()
    }
    pub fn log(&self, _level: LogLevel, _msg: &str) {
        unimplemented!()
    }
}

impl BackgroundCtx {
    pub fn progress(&self, _done: u64, _total: u64) {
        unimplemented!()
    }
    pub fn output_line(&self, _line: &str) {
        unimplemented!()
    }
}
