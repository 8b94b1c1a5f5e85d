//! The engine: task graphs, the scheduler and its worker pool, results behind futures, jobs, events,
//! memory accounting. Headless: nothing here knows about terminals.

pub mod cancel;
pub mod events;
pub mod graph;
pub mod ids;
pub mod snapshot;
pub mod store;
pub mod value;
pub mod visualize;

pub use cancel::CancelToken;
pub use events::{Event, JobKind, JobStatus, LogLevel};
pub use graph::{DepPattern, FnKernel, Graph, Inputs, Kernel, Layer, LayerInput, TaskContext};
pub use ids::{JobId, Key, LayerId, TaskId, WorkerId};
pub use value::{NdArray, Payload, Scalar, Value};
pub mod api;
mod runtime;
pub use api::{BackgroundCtx, Engine, EngineConfig, FutureInfo, JobHandle, JobOutcome};
