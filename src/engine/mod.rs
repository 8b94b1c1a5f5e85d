//! The engine: task graphs, the scheduler and its worker pool, results behind futures, jobs, events,
//! memory accounting. Headless: nothing here knows about terminals.

pub mod api;
pub mod cancel;
pub mod events;
pub mod graph;
pub mod ids;
pub mod inspect;
pub mod job;
pub mod jobgraph;
pub mod memory;
mod monitor;
pub mod pressure;
mod runtime;
pub mod snapshot;
pub mod spill;
pub mod state;
mod state_jobs;
pub mod store;
mod submit;
pub mod value;
pub mod visualize;

pub use api::{BackgroundCtx, Engine, EngineConfig, FutureInfo, JobHandle, JobOutcome};
pub use cancel::CancelToken;
pub use events::{Event, JobKind, JobStatus, LogLevel};
pub use graph::{DepPattern, FnKernel, Graph, Inputs, Kernel, Layer, LayerInput, TaskContext};
pub use ids::{JobId, Key, LayerId, TaskId, WorkerId};
pub use value::{NdArray, Payload, Scalar, Value};
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_memory;
#[cfg(test)]
mod tests_memory_engine;
