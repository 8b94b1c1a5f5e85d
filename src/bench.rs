//! Scheduler overhead measurement shared by `tessera bench` and the criterion benches: a chain-free
//! fan-in graph of no-op tasks (leaves reduced by a tree of fan-in 8, as Dask's reductions are).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::jobgraph::JobGraph;
use crate::engine::{
    DepPattern, Engine, FnKernel, Graph, Inputs, Layer, LayerInput, TaskContext, Value,
};

/// `leaves` no-op tasks reduced by a tree of fan-in 8 (about 1.14 × leaves tasks in all).
pub fn fan_in_graph(leaves: u32) -> Graph {
    let noop = || Arc::new(FnKernel(|_, _: &Inputs, _: &TaskContext| Ok(Value::Unit)));
    let mut cur = Layer::new("noop", leaves, vec![], noop());
    while cur.ntasks > 1 {
        let n = cur.ntasks.div_ceil(8);
        cur = Layer::new(
            "noop-combine",
            n,
            vec![LayerInput {
                layer: cur,
                pattern: DepPattern::Tree(8),
            }],
            noop(),
        );
    }
    Graph::new(cur)
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct SchedulerFigures {
    pub tasks: u64,
    /// Building the layers (what a user's statements cost).
    pub build: Duration,
    /// Materializing the job's task table (culling, edges, priorities).
    pub materialize: Duration,
    /// Submit to result, tasks executed on the pool.
    pub run: Duration,
}

impl SchedulerFigures {
    pub fn build_per_task_us(&self) -> f64 {
        (self.build + self.materialize).as_secs_f64() * 1e6 / self.tasks as f64
    }
    pub fn run_per_task_us(&self) -> f64 {
        self.run.as_secs_f64() * 1e6 / self.tasks as f64
    }
}

/// Measure scheduler overhead for `leaves` no-op leaves, with an event subscriber draining the stream
/// when `events` (as the UI does).
pub fn measure_scheduler(engine: &Engine, leaves: u32, events: bool) -> SchedulerFigures {
    let drain = events.then(|| {
        let rx = engine.subscribe();
        std::thread::spawn(move || rx.iter().count())
    });
    let t0 = Instant::now();
    let g = fan_in_graph(leaves);
    let build = t0.elapsed();
    let t1 = Instant::now();
    let jg = JobGraph::build(&[(g.layer.clone(), vec![0])], |_| false);
    let materialize = t1.elapsed();
    let tasks = jg.ntasks() as u64;
    drop(jg);
    let t2 = Instant::now();
    let out = engine.compute(&g, "bench").wait();
    let run = t2.elapsed();
    assert!(out.is_ok(), "no-op graph failed: {:?}", out.err());
    // The drain thread ends when the engine's subscribers are dropped; don't wait for it.
    drop(drain);
    SchedulerFigures {
        tasks,
        build,
        materialize,
        run,
    }
}
