//! The engine's public face: submit graphs as jobs, persist results behind futures, cancel, restart,
//! subscribe to events and pull snapshots. Cheap to clone (an `Arc` inside).

use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::events::{Event, JobKind, JobStatus, LogLevel};
use super::graph::Graph;
use super::ids::JobId;
use super::snapshot::EngineSnapshot;
use super::store::Futures;
use super::value::Value;
use super::CancelToken;
use crate::error::Error;

/// How the engine runs: pool size and memory management (Dask's `Client(...)` arguments map here).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Worker threads of the task pool (`n_workers * threads_per_worker`).
    pub threads: usize,
    /// Memory limit in bytes for the whole engine; `None` for no limit.
    pub memory_limit: Option<u64>,
    /// Dask's thresholds as fractions of the limit; `None` switches one off.
    pub target: Option<f64>,
    pub spill: Option<f64>,
    pub pause: Option<f64>,
    /// Where spilled data goes (default: a fresh directory under the system temp dir).
    pub spill_dir: Option<PathBuf>,
    /// Cap on bytes spilled to disk.
    pub max_spill: Option<u64>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memory_limit: None,
            target: Some(0.6),
            spill: Some(0.7),
            pause: Some(0.8),
            spill_dir: None,
            max_spill: None,
        }
    }
}

/// What a future is, as `futures_of(x)` shows it.
#[derive(Debug, Clone)]
pub struct FutureInfo {
    /// `('layer-name', index)`.
    pub key: String,
    /// Dask's statuses: `pending`, `finished`, `error`, `cancelled`, `lost`.
    pub status: &'static str,
    pub nbytes: u64,
    /// Where the data is: `memory`, `disk` (spilled) or `-`.
    pub location: &'static str,
}

/// The outcome of a job: the output tasks' values, in output order. Empty for persist jobs: their values
/// live behind the futures (where the engine may spill them to disk).
pub type JobOutcome = Result<Vec<Arc<Value>>, Arc<Error>>;

/// What a background (non-graph) job may do: report progress, emit output lines, check cancellation.
pub struct BackgroundCtx {
    pub cancel: CancelToken,
    pub(crate) job: JobId,
    pub(crate) engine: Engine,
}

pub use super::runtime::{Engine, JobHandle};

#[allow(dead_code)]
fn _assert_api(e: &Engine, g: &Graph, f: &Futures) {
    let _: JobHandle = e.compute(g, "x");
    let _: (Graph, JobHandle) = e.persist(g, "x");
    let _: JobHandle = e.submit(std::slice::from_ref(g), JobKind::Export, "x");
    let _: usize = e.cancel_graph(g);
    let _: bool = e.cancel_job(JobId(1));
    e.restart();
    let _: Receiver<Event> = e.subscribe();
    let _: EngineSnapshot = e.snapshot();
    let _: Vec<FutureInfo> = e.futures_info(f);
    e.log(LogLevel::Info, "x");
    let _: JobStatus = JobStatus::Done;
}
