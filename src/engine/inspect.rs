//! Looking inside one layer of a running job, task by task, for the workbench's task graph pane.
//! Only the requested window is read under the lock, so a layer of a million tasks costs what the
//! screen shows; kernels describe their tasks after the lock is released.

use std::sync::Arc;
use std::time::Duration;

use super::graph::Kernel;
use super::ids::{JobId, LayerId, WorkerId};
use super::job::TaskState;
use super::runtime::Engine;
use super::store::EntryState;

/// One task of a layer, as the task list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// Index of the task within its layer (the second part of its Dask key).
    pub index: u32,
    /// `waiting`, `ready`, `running`, `memory`, `spilled`, `released`, `erred` or `cancelled`.
    pub state: &'static str,
    /// Running tasks: the worker and the time since they started.
    pub worker: Option<WorkerId>,
    pub elapsed: Option<Duration>,
    /// Bytes of the value when it is held (in memory or spilled); 0 otherwise.
    pub bytes: u64,
    /// What the task reads or writes (a file, a slab), when its kernel says.
    pub what: Option<String>,
}

/// A window of the tasks of one layer in one job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerTasks {
    pub job: JobId,
    pub layer: LayerId,
    /// Tasks of this layer in the job (culled ones excluded).
    pub total: usize,
    /// Position (among the job's tasks of this layer) of `tasks[0]`.
    pub offset: usize,
    pub tasks: Vec<TaskInfo>,
}

impl Engine {
    /// Tasks `[offset, offset + limit)` of `layer` in `job`, in index order. `None` when the job has
    /// finished (its task table is gone; its counts stay in the snapshot) or the layer is not part of
    /// it. Work under the lock is proportional to the window, not to the layer.
    pub fn layer_tasks(
        &self,
        job: JobId,
        layer: LayerId,
        offset: usize,
        limit: usize,
    ) -> Option<LayerTasks> {
        let shared = &self.inner.shared;
        let (mut out, kernel): (LayerTasks, Arc<dyn Kernel>) = {
            let st = shared.state.lock();
            let now = shared.now_pub();
            let j = st.jobs.get(&job)?;
            let g = j.graph.as_ref()?;
            let slot = *g.slot_of.get(&layer)? as usize;
            // Tasks are numbered layer by layer in topological order, and by index within a layer:
            // this layer's tasks are one contiguous run starting after the earlier layers'.
            let first: usize = g.layers[..slot].iter().map(|l| l.count as usize).sum();
            let jl = &g.layers[slot];
            let total = jl.count as usize;
            let start = offset.min(total);
            let end = start.saturating_add(limit).min(total);
            let mut tasks = Vec::with_capacity(end - start);
            for t in first + start..first + end {
                let Some(state) = j.tasks.get(t) else { break };
                let index = g.task_index[t];
                let (name, worker, elapsed, bytes) = match state {
                    TaskState::Waiting(_) | TaskState::AwaitingStore => ("waiting", None, None, 0),
                    TaskState::Ready => ("ready", None, None, 0),
                    TaskState::Running { worker, since } => (
                        "running",
                        Some(*worker),
                        Some(now.saturating_sub(*since)),
                        0,
                    ),
                    TaskState::Memory(_) => ("memory", None, None, j.bytes[t]),
                    TaskState::Spilled(f) => ("spilled", None, None, f.bytes),
                    TaskState::Stored => {
                        // Persisted output: the store holds (and may have spilled) the value.
                        let key = g.key(super::ids::TaskId(t as u32));
                        match st.store.entries.get(&key).map(|e| &e.state) {
                            Some(EntryState::Spilled { bytes, .. }) => {
                                ("spilled", None, None, *bytes)
                            }
                            Some(EntryState::Memory { bytes, .. }) => {
                                ("memory", None, None, *bytes)
                            }
                            _ => ("memory", None, None, 0),
                        }
                    }
                    TaskState::Released => ("released", None, None, 0),
                    TaskState::Failed => ("erred", None, None, 0),
                    TaskState::Cancelled => ("cancelled", None, None, 0),
                };
                tasks.push(TaskInfo {
                    index,
                    state: name,
                    worker,
                    elapsed,
                    bytes,
                    what: None,
                });
            }
            let out = LayerTasks {
                job,
                layer,
                total,
                offset: start,
                tasks,
            };
            (out, jl.layer.kernel.clone())
        };
        // Kernels may format paths or slabs: do it without holding the scheduler's lock.
        for t in &mut out.tasks {
            t.what = kernel.describe(t.index);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::graph::{FnKernel, Graph, Inputs, Layer, TaskContext};
    use super::super::value::{Scalar, Value};
    use super::super::{Engine, EngineConfig, Kernel};
    use crate::error::Result;

    /// Tasks 0 and 1 finish at once; the others wait for the gate (a channel the test closes).
    struct Gated {
        gate: crossbeam_channel::Receiver<()>,
    }

    impl Kernel for Gated {
        fn run(&self, index: u32, _: &Inputs<'_>, _: &TaskContext<'_>) -> Result<Value> {
            if index >= 2 {
                let _ = self.gate.recv();
            }
            Ok(Value::Scalar(Scalar::Int(index as i64)))
        }
        fn describe(&self, index: u32) -> Option<String> {
            Some(format!("slab {index}"))
        }
    }

    #[test]
    fn window_of_a_running_layer() {
        let e = Engine::new(EngineConfig {
            threads: 2,
            ..EngineConfig::default()
        });
        let (tx, gate) = crossbeam_channel::unbounded::<()>();
        let layer = Layer::new("gated", 10, vec![], Arc::new(Gated { gate }));
        let h = e.compute(&Graph::new(layer.clone()), "gated");
        // Wait (no clock involved) until both workers sit in gated tasks.
        let running = loop {
            let w = e.layer_tasks(h.id, layer.id, 0, 10).unwrap();
            let running: Vec<_> = w.tasks.iter().filter(|t| t.state == "running").collect();
            if running.len() == 2 && w.tasks[..2].iter().all(|t| t.state == "memory") {
                break w;
            }
            std::thread::yield_now();
        };
        assert_eq!(running.total, 10);
        assert_eq!(running.tasks.len(), 10);
        assert!(running.tasks[0].bytes > 0, "{:?}", running.tasks[0]);
        assert_eq!(running.tasks[3].what.as_deref(), Some("slab 3"));
        let workers: Vec<_> = running
            .tasks
            .iter()
            .filter(|t| t.state == "running")
            .map(|t| (t.worker.is_some(), t.elapsed.is_some(), t.bytes))
            .collect();
        assert_eq!(workers, vec![(true, true, 0); 2]);
        let queued = running.tasks.iter().filter(|t| t.state == "ready").count();
        assert_eq!(queued, 6);
        // A window past the middle and one past the end.
        let w = e.layer_tasks(h.id, layer.id, 7, 5).unwrap();
        assert_eq!((w.offset, w.tasks.len()), (7, 3));
        let idx: Vec<u32> = w.tasks.iter().map(|t| t.index).collect();
        assert_eq!(idx, vec![7, 8, 9]);
        let w = e.layer_tasks(h.id, layer.id, 50, 5).unwrap();
        assert_eq!((w.total, w.offset, w.tasks.len()), (10, 10, 0));
        // A layer that is not in the job.
        let other = Layer::new(
            "other",
            1,
            vec![],
            Arc::new(FnKernel(|_, _: &Inputs, _: &TaskContext| {
                Ok(Value::Scalar(Scalar::Int(0)))
            })),
        );
        assert!(e.layer_tasks(h.id, other.id, 0, 5).is_none());
        drop(tx);
        assert!(h.wait().is_ok());
        // Finished: the task table is gone.
        assert!(e.layer_tasks(h.id, layer.id, 0, 5).is_none());
    }
}
