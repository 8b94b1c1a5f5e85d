//! The engine runtime: worker threads on one named rayon pool pulling tasks from the scheduler state,
//! job handles, background jobs, subscriptions and snapshots.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};

use super::api::{EngineConfig, JobOutcome};
use super::events::{Event, JobStatus};
use super::graph::{Inputs, TaskContext};
use super::ids::{JobId, Key, WorkerId};
use super::job::JobSignal;
use super::memory;
use super::spill::SpillDir;
use super::state::{Assignment, Effects, State};
use super::store::{Futures, Releaser};
use super::value::Value;
use crate::error::{Error, Result};

/// What every thread of the engine shares.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    work: Condvar,
    pub(crate) subscribers: Mutex<Vec<Sender<Event>>>,
    pub(crate) has_subscribers: AtomicBool,
    epoch: Instant,
    pub(crate) config: Mutex<EngineConfig>,
    /// Workers of an older pool generation exit at their next look at the queue.
    pool_gen: AtomicU64,
    pub(crate) shutdown: AtomicBool,
    pool: Mutex<Option<Arc<rayon::ThreadPool>>>,
    pub(crate) probe: Mutex<memory::Probe>,
    /// Where spilled values go; created at the first spill, replaced on restart.
    pub(crate) spill: Mutex<Option<Arc<SpillDir>>>,
    /// Process memory as tests set it (0: read the real one).
    pub(crate) fake_process: AtomicU64,
    /// Bytes spilled since the engine started (for reports).
    pub(crate) spilled_total: AtomicU64,
}

impl Shared {
    pub(crate) fn new(cfg: EngineConfig) -> Shared {
        Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            subscribers: Mutex::new(Vec::new()),
            has_subscribers: AtomicBool::new(false),
            epoch: Instant::now(),
            config: Mutex::new(cfg),
            pool_gen: AtomicU64::new(0),
            shutdown: AtomicBool::new(false),
            pool: Mutex::new(None),
            probe: Mutex::new(memory::Probe::new()),
            spill: Mutex::new(None),
            fake_process: AtomicU64::new(0),
            spilled_total: AtomicU64::new(0),
        }
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub(crate) fn now_pub(&self) -> Duration {
        self.now()
    }

    pub(crate) fn emit_pub(&self, events: &mut Vec<Event>) {
        self.emit(events)
    }

    fn emit(&self, events: &mut Vec<Event>) {
        if events.is_empty() {
            return;
        }
        if self.has_subscribers.load(Ordering::Relaxed) {
            let mut subs = self.subscribers.lock();
            subs.retain(|s| events.iter().all(|e| s.send(e.clone()).is_ok()));
            if subs.is_empty() {
                self.has_subscribers.store(false, Ordering::Relaxed);
            }
        }
        events.clear();
    }

    /// Apply collected effects; call without the state lock.
    fn flush(&self, fx: &mut FxBuf) {
        self.emit(&mut fx.events);
        // Release what ended jobs held before waking their waiters: a waiter that returns must see
        // the data its job pinned already released.
        fx.disposed.clear();
        for (signal, outcome) in fx.completed.drain(..) {
            signal.complete(outcome);
        }
        if std::mem::take(&mut fx.wake) {
            self.work.notify_all();
        }
    }

    /// Run a state transition and apply its effects after unlocking.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State, Duration, &mut FxBuf) -> R) -> R {
        let mut fx = FxBuf::default();
        let r = {
            let mut st = self.state.lock();
            let now = self.now();
            f(&mut st, now, &mut fx)
        };
        self.flush(&mut fx);
        r
    }
}

impl Releaser for Shared {
    fn release(&self, keys: &[Key], generation: u64) {
        let mut st = self.state.lock();
        if st.store.generation != generation {
            return;
        }
        for &k in keys {
            st.store.release(k);
        }
        st.version += 1;
    }
}

#[derive(Default)]
pub(crate) struct FxBuf {
    events: Vec<Event>,
    completed: Vec<(Arc<JobSignal>, JobOutcome)>,
    wake: bool,
    disposed: Vec<Arc<Futures>>,
}

impl FxBuf {
    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.completed.is_empty()
            && !self.wake
            && self.disposed.is_empty()
    }
}

impl Effects for FxBuf {
    fn event(&mut self, ev: Event) {
        self.events.push(ev);
    }
    fn completed(&mut self, signal: Arc<JobSignal>, outcome: JobOutcome) {
        self.completed.push((signal, outcome));
    }
    fn wake(&mut self) {
        self.wake = true;
    }
    fn dispose(&mut self, holds: Vec<Arc<Futures>>) {
        self.disposed.extend(holds);
    }
}

fn run_assignment(a: &Assignment, worker: WorkerId) -> Result<Value> {
    a.cancel.check()?;
    let inputs = Inputs::new(&a.inputs, &a.bounds);
    let ctx = TaskContext {
        key: a.layer.key(a.index),
        layer_name: &a.layer.name,
        worker,
        cancel: &a.cancel,
    };
    match std::panic::catch_unwind(AssertUnwindSafe(|| {
        a.layer.kernel.run(a.index, &inputs, &ctx)
    })) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::value(format!(
                "internal error (task panicked): {msg}"
            )))
        }
    }
}

fn worker_loop(shared: Arc<Shared>, worker: WorkerId, generation: u64) {
    let mut fx = FxBuf::default();
    let mut st = shared.state.lock();
    loop {
        if shared.shutdown.load(Ordering::Acquire)
            || shared.pool_gen.load(Ordering::Acquire) != generation
        {
            break;
        }
        let now = shared.now();
        match st.next_task(worker, now, &mut fx) {
            Some(mut a) => {
                drop(st);
                shared.flush(&mut fx);
                // Spilled inputs come back from disk here, outside the lock.
                let res = a.load_spilled().and_then(|()| run_assignment(&a, worker));
                let end = shared.now();
                let Assignment {
                    job, task, inputs, ..
                } = a;
                // Inputs are dropped before re-locking so freed values don't extend the critical section.
                drop(inputs);
                st = shared.state.lock();
                st.finish(job, task, worker, now, res, end, &mut fx);
                // Above the memory target this worker spills before it produces more (one comparison
                // when no limit is set).
                if st.spill_at.is_some_and(|at| st.managed() > at) {
                    let due = st.spill_due();
                    drop(st);
                    shared.flush(&mut fx);
                    shared.spill_due(due);
                    st = shared.state.lock();
                }
            }
            None if !fx.is_empty() => {
                drop(st);
                shared.flush(&mut fx);
                st = shared.state.lock();
            }
            None => {
                shared.work.wait(&mut st);
            }
        }
    }
    drop(st);
    shared.flush(&mut fx);
}

/// Make polars' own pool no larger than ours (effective only before polars first runs).
pub(crate) fn share_cores_with_polars(threads: usize) {
    if std::env::var_os("POLARS_MAX_THREADS").is_none() {
        // SAFETY-free in edition 2021: called before polars starts its pool, when the engine is created.
        std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    }
}

pub(crate) fn start_pool(shared: &Arc<Shared>, threads: usize) -> Result<()> {
    let generation = shared.pool_gen.fetch_add(1, Ordering::AcqRel) + 1;
    shared.work.notify_all();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("tessera-worker-{i}"))
        .build()
        .map_err(|e| Error::value(format!("cannot start the worker pool: {e}")))?;
    let pool = Arc::new(pool);
    // One loop per thread, pinned to that thread by a broadcast. Plain `spawn` would queue the loops in
    // the pool's shared queue, and a worker that blocks on another pool (polars' `install`) keeps
    // stealing from its own pool while it waits: it could pick up a second loop that never returns and
    // so never finish its task.
    let s = shared.clone();
    pool.spawn_broadcast(move |ctx| {
        worker_loop(s.clone(), WorkerId(ctx.index() as u32), generation)
    });
    *shared.pool.lock() = Some(pool);
    Ok(())
}

/// Owner of the shared state: when the last `Engine` clone goes, workers stop.
pub(crate) struct EngineInner {
    pub(crate) shared: Arc<Shared>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        // The spill directory goes once the files still referenced by the state are dropped with it.
        self.shared.spill.lock().take();
        let _guard = self.shared.state.lock();
        self.shared.work.notify_all();
    }
}

/// The engine: cheap to clone, shared by the session, the UI and background jobs.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

/// A submitted job: wait for it, poll it, cancel it.
#[derive(Clone)]
pub struct JobHandle {
    pub id: JobId,
    signal: Arc<JobSignal>,
    shared: std::sync::Weak<Shared>,
}

impl std::fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobHandle({})", self.id)
    }
}

impl JobHandle {
    pub(crate) fn new(id: JobId, signal: Arc<JobSignal>, shared: std::sync::Weak<Shared>) -> Self {
        JobHandle { id, signal, shared }
    }

    /// Block until the job ends; the output values or the error.
    pub fn wait(&self) -> JobOutcome {
        self.signal.wait()
    }
    /// The outcome if finished.
    pub fn try_outcome(&self) -> Option<JobOutcome> {
        self.signal.outcome.lock().clone()
    }
    pub fn status(&self) -> JobStatus {
        self.signal.status()
    }
    /// (tasks done, tasks total)
    pub fn progress(&self) -> (u64, u64) {
        (
            self.signal.done.load(Ordering::Relaxed),
            self.signal.total.load(Ordering::Relaxed),
        )
    }
    pub fn cancel(&self) {
        if let Some(s) = self.shared.upgrade() {
            let id = self.id;
            s.with_state(|st, now, fx| st.cancel_job(id, now, fx));
        }
    }
}
