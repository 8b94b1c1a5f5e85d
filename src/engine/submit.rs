//! `Engine`'s verbs: submit graphs as jobs (compute, persist, export), background jobs, cancel, restart,
//! subscriptions and snapshots.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::api::{BackgroundCtx, EngineConfig, FutureInfo};
use super::events::{Event, JobKind, LogLevel};
use super::graph::{Graph, Layer};
use super::ids::{JobId, Key};
use super::job::{Job, JobSignal};
use super::jobgraph::JobGraph;
use super::memory;
use super::runtime::{Engine, EngineInner, JobHandle, Shared};
use super::snapshot::EngineSnapshot;
use super::store::{EntryState, Futures, Releaser};
use super::value::Value;
use crate::error::{Error, Result};

impl Engine {
    /// Start an engine with its worker pool.
    pub fn new(cfg: EngineConfig) -> Engine {
        let threads = cfg.threads.max(1);
        super::runtime::share_cores_with_polars(threads);
        let shared = Arc::new(Shared::new(cfg.clone()));
        shared.arm_spill(&cfg);
        // A pool that cannot start (thread limits) leaves the engine unable to run anything: say so loudly.
        if let Err(e) = super::runtime::start_pool(&shared, threads) {
            eprintln!("tessera: {e}");
        }
        super::monitor::start(&shared);
        Engine {
            inner: Arc::new(EngineInner { shared }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    pub fn config(&self) -> EngineConfig {
        self.shared().config.lock().clone()
    }

    /// Apply a new configuration (pool size, memory limit); running tasks finish on the old pool.
    /// A spill directory that cannot be written is refused here, naming it.
    pub fn reconfigure(&self, cfg: EngineConfig) -> Result<()> {
        let threads = cfg.threads.max(1);
        let cur = self.config();
        if cur.spill_dir != cfg.spill_dir || cur.max_spill != cfg.max_spill {
            // Values already spilled keep their files; new spills go to the new place.
            *self.shared().spill.lock() = None;
            if cfg.spill_dir.is_some() {
                self.shared().spill_dir(&cfg)?;
            }
        }
        self.shared().arm_spill(&cfg);
        let old = std::mem::replace(&mut *self.shared().config.lock(), cfg);
        if old.threads != threads {
            super::runtime::start_pool(self.shared(), threads)?;
        }
        Ok(())
    }

    /// Run every task of `graph`'s output layer; the job's outcome is their values.
    pub fn compute(&self, graph: &Graph, label: &str) -> JobHandle {
        self.submit(std::slice::from_ref(graph), JobKind::Compute, label)
    }

    /// Submit several graphs as one job (outputs concatenated in order).
    pub fn submit(&self, graphs: &[Graph], kind: JobKind, label: &str) -> JobHandle {
        self.submit_inner(graphs, kind, label, false).1
    }

    /// Start computing `graph` in the background and keep its outputs: the returned graph holds the futures.
    pub fn persist(&self, graph: &Graph, label: &str) -> (Graph, JobHandle) {
        let (futures, handle) =
            self.submit_inner(std::slice::from_ref(graph), JobKind::Persist, label, true);
        let mut g = graph.clone();
        g.holds.extend(futures);
        (g, handle)
    }

    fn submit_inner(
        &self,
        graphs: &[Graph],
        kind: JobKind,
        label: &str,
        persist: bool,
    ) -> (Option<Arc<Futures>>, JobHandle) {
        let shared = self.shared();
        let outputs: Vec<(Arc<Layer>, Vec<u32>)> = graphs
            .iter()
            .map(|g| (g.layer.clone(), (0..g.layer.ntasks).collect()))
            .collect();
        // Which keys already live in the store: read under the lock, materialize without it.
        let stored: HashSet<Key> = {
            let st = shared.state.lock();
            let layers: HashSet<_> = graphs
                .iter()
                .flat_map(|g| g.layer.topo())
                .map(|l| l.id)
                .filter(|l| st.store.per_layer.contains_key(l))
                .collect();
            st.store
                .entries
                .keys()
                .filter(|k| layers.contains(&k.layer))
                .copied()
                .collect()
        };
        let jg = JobGraph::build(&outputs, |k| stored.contains(&k));
        let id = JobId::fresh();
        let mut job = Job::new(id, kind, label, Some(jg), persist);
        for g in graphs {
            job.holds.extend(g.holds.iter().cloned());
        }
        let signal = job.signal.clone();
        let futures = shared.with_state(|st, now, fx| {
            let futures = persist.then(|| {
                let layer = &graphs[0].layer;
                let keys: Vec<Key> = layer.keys().collect();
                for &k in &keys {
                    st.store.acquire(k, &layer.name, id);
                }
                Arc::new(Futures {
                    keys,
                    layer_name: layer.name.clone(),
                    generation: st.store.generation,
                    owner: Arc::downgrade(&(shared.clone() as Arc<dyn Releaser>)),
                })
            });
            st.submit(job, now, fx);
            futures
        });
        let handle = JobHandle::new(id, signal, Arc::downgrade(shared));
        (futures, handle)
    }

    /// Run a closure as a background job on its own thread (shell commands, downloads).
    pub fn spawn_background<F>(&self, kind: JobKind, label: &str, f: F) -> JobHandle
    where
        F: FnOnce(&BackgroundCtx) -> Result<Value> + Send + 'static,
    {
        let shared = self.shared().clone();
        let id = JobId::fresh();
        let job = Job::new(id, kind, label, None, false);
        let signal = job.signal.clone();
        let cancel = job.cancel.clone();
        shared.with_state(|st, now, fx| st.submit_background(job, now, fx));
        let ctx = BackgroundCtx {
            cancel,
            job: id,
            engine: self.clone(),
        };
        let s2 = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("tessera-bg-{id}"))
            .spawn(move || {
                let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&ctx)))
                    .unwrap_or_else(|_| {
                        Err(Error::value("internal error: background job panicked"))
                    });
                drop(ctx);
                s2.with_state(|st, now, fx| st.finish_background(id, res, now, fx));
            });
        if let Err(e) = spawned {
            shared.with_state(|st, now, fx| {
                st.finish_background(
                    id,
                    Err(Error::value(format!("cannot start a thread: {e}"))),
                    now,
                    fx,
                )
            });
        }
        JobHandle::new(id, signal, Arc::downgrade(&shared))
    }

    /// Cancel every job that computes `graph`'s layers or depends on them, and drop their futures.
    pub fn cancel_graph(&self, graph: &Graph) -> usize {
        let layers: Vec<_> = vec![graph.layer.id];
        let drop_layer = Some(graph.layer.id);
        self.shared()
            .with_state(|st, now, fx| st.cancel_layers(&layers, drop_layer, now, fx))
    }

    pub fn cancel_job(&self, job: JobId) -> bool {
        self.shared()
            .with_state(|st, now, fx| st.cancel_job(job, now, fx))
    }

    /// Cancel every job and drop every result. Returns at once: running kernels see their token and
    /// stop at the next chunk; their results are discarded.
    pub fn restart(&self) {
        self.shared().with_state(|st, now, fx| st.restart(now, fx));
        // Spill files went with the results; the directory goes once no loader holds one, a fresh one
        // is made at the next spill.
        *self.shared().spill.lock() = None;
        self.log(
            LogLevel::Info,
            "restart: all jobs cancelled, all results released",
        );
    }

    pub fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.shared().subscribers.lock().push(tx);
        self.shared().has_subscribers.store(true, Ordering::Relaxed);
        rx
    }

    pub fn snapshot(&self) -> EngineSnapshot {
        let shared = self.shared();
        let cfg = self.config();
        let (mut snap, by_layer, paused) = {
            let st = shared.state.lock();
            let now = shared.now_pub();
            let snap = EngineSnapshot {
                now,
                threads: cfg.threads,
                jobs: st.job_snapshots(now),
                memory: Default::default(),
                stream: st.stream.iter().rev().take(4000).rev().cloned().collect(),
                running: st.running_tasks(),
                version: st.version,
            };
            (snap, memory::by_layer(&st), st.paused)
        };
        let managed = by_layer.iter().map(|(_, b, _)| *b).sum();
        snap.memory = shared
            .probe
            .lock()
            .snapshot(&cfg, managed, by_layer, paused);
        let fake = shared.fake_process.load(Ordering::Relaxed);
        if fake > 0 {
            snap.memory.process = fake;
        }
        snap
    }

    pub fn futures_info(&self, f: &Futures) -> Vec<FutureInfo> {
        let st = self.shared().state.lock();
        f.keys
            .iter()
            .map(|k| {
                let key = format!("('{}', {})", f.layer_name, k.index);
                let (status, nbytes, location) = if f.generation != st.store.generation {
                    ("lost", 0, "-")
                } else {
                    match st.store.entries.get(k).map(|e| &e.state) {
                        Some(EntryState::Pending { .. }) => ("pending", 0, "-"),
                        Some(EntryState::Memory { bytes, .. }) => ("finished", *bytes, "memory"),
                        Some(EntryState::Spilled { bytes, .. }) => ("finished", *bytes, "disk"),
                        Some(EntryState::Error(_)) => ("error", 0, "-"),
                        Some(EntryState::Cancelled) => ("cancelled", 0, "-"),
                        None => ("lost", 0, "-"),
                    }
                };
                FutureInfo {
                    key,
                    status,
                    nbytes,
                    location,
                }
            })
            .collect()
    }

    /// Block until no job is pending or running.
    pub fn wait_all(&self) {
        loop {
            let signals: Vec<Arc<JobSignal>> = self
                .shared()
                .state
                .lock()
                .jobs
                .values()
                .map(|j| j.signal.clone())
                .collect();
            if signals.is_empty() {
                return;
            }
            for s in signals {
                let _ = s.wait();
            }
        }
    }

    pub fn log(&self, level: LogLevel, msg: &str) {
        let mut events = vec![Event::Log {
            level,
            message: msg.into(),
        }];
        self.shared().emit_pub(&mut events);
    }

    /// Bytes of results held in memory (store and intermediates).
    pub fn managed_bytes(&self) -> u64 {
        self.shared().state.lock().managed()
    }

    /// Bytes (in memory terms) of results spilled to disk.
    pub fn spilled_bytes(&self) -> u64 {
        let st = self.shared().state.lock();
        st.store.spilled + st.spilled
    }

    /// The memory guard: refuse a compute whose result (about `estimated` bytes) cannot fit under the
    /// memory limit, with the numbers and what to do instead. Always fine without a limit.
    pub fn check_fits(&self, estimated: u64) -> Result<()> {
        match self.config().memory_limit {
            Some(limit) if limit > 0 && estimated > limit => Err(Error::Memory(format!(
                "this result needs about {}, the limit is {}; write it with to_netcdf/to_parquet or \
                 reduce it first (or compute(force=True) to try anyway)",
                crate::units::format_bytes(estimated),
                crate::units::format_bytes(limit)
            ))),
            _ => Ok(()),
        }
    }

    /// Bytes spilled to disk since the engine started (spilled data later released included).
    pub fn spilled_total(&self) -> u64 {
        self.shared().spilled_total.load(Ordering::Relaxed)
    }

    /// Whether workers are paused for memory now.
    pub fn paused(&self) -> bool {
        self.shared().state.lock().paused
    }

    /// Run one look of the memory monitor now (it also runs every 50 ms on its own thread).
    pub fn check_memory(&self) {
        super::monitor::Monitor::default().tick(self.shared());
    }

    /// Tests: pretend the process uses `bytes` of memory (`None`: read the real figure again).
    #[doc(hidden)]
    pub fn set_process_memory_for_tests(&self, bytes: Option<u64>) {
        self.shared()
            .fake_process
            .store(bytes.unwrap_or(0), Ordering::Relaxed);
    }
}

impl BackgroundCtx {
    pub fn progress(&self, done: u64, total: u64) {
        let id = self.job;
        self.engine
            .shared()
            .with_state(|st, _now, fx| st.background_progress(id, done, total, fx));
    }
    pub fn output_line(&self, line: &str) {
        let id = self.job;
        self.engine
            .shared()
            .state
            .lock()
            .background_output(id, line);
    }
    pub fn job(&self) -> JobId {
        self.job
    }
}
