//! Memory management tests: pressure decisions and spill/pause/limit transitions without threads, and
//! workers spilling as they finish. The engine-level tests are in `tests_memory_engine.rs`.

use std::sync::Arc;
use std::time::Duration;

use ndarray::{ArrayD, IxDyn};

use super::api::JobOutcome;
use super::graph::{DepPattern, FnKernel, Graph, Layer, LayerInput};
use super::ids::{JobId, WorkerId};
use super::job::{Job, JobSignal, TaskState};
use super::jobgraph::JobGraph;
use super::pressure::{decide, spill_level, Thresholds};
use super::spill::SpillDir;
use super::state::{Effects, State};
use super::store::Futures;
use super::*;

#[derive(Default)]
pub(super) struct Recorder {
    pub(super) completed: Vec<JobOutcome>,
    pub(super) woken: usize,
}

impl Effects for Recorder {
    fn event(&mut self, _ev: Event) {}
    fn completed(&mut self, _s: Arc<JobSignal>, outcome: JobOutcome) {
        self.completed.push(outcome);
    }
    fn wake(&mut self) {
        self.woken += 1;
    }
    fn dispose(&mut self, _h: Vec<Arc<Futures>>) {}
}

/// 1000 float64 values (8000 bytes) equal to `i`.
pub(super) fn chunk(i: u32) -> Value {
    Value::Array(NdArray::F64(ArrayD::from_elem(IxDyn(&[1000]), i as f64)))
}

pub(super) fn chunks(name: &str, n: u32) -> Arc<Layer> {
    Layer::new(
        name,
        n,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| Ok(chunk(i)))),
    )
}

/// The sum of every element of every input.
pub(super) fn total(input: &Arc<Layer>, pattern: DepPattern, n: u32) -> Arc<Layer> {
    Layer::new(
        "total",
        n,
        vec![LayerInput {
            layer: input.clone(),
            pattern,
        }],
        Arc::new(FnKernel(|_, inp: &Inputs, _: &TaskContext| {
            let mut s = 0.0;
            for v in inp.group(0) {
                s += match &**v {
                    Value::Array(a) => a.to_f64().sum(),
                    Value::Scalar(Scalar::Float(f)) => *f,
                    other => panic!("unexpected {other:?}"),
                };
            }
            Ok(Value::Scalar(Scalar::Float(s)))
        })),
    )
}

pub(super) fn float(v: &Value) -> f64 {
    match v {
        Value::Scalar(Scalar::Float(f)) => *f,
        other => panic!("not a float: {other:?}"),
    }
}

pub(super) const KB: u64 = 1000;

#[test]
fn thresholds_follow_dask_rules_and_switch_off_one_by_one() {
    let cfg = EngineConfig {
        memory_limit: Some(1000 * KB),
        ..Default::default()
    };
    let th = Thresholds::of(&cfg);
    assert_eq!(
        (th.target, th.spill, th.pause, th.limit),
        (
            Some(600 * KB),
            Some(700 * KB),
            Some(800 * KB),
            Some(1000 * KB)
        )
    );
    // Managed above target: spill the excess.
    assert_eq!(decide(&th, 500 * KB, 650 * KB).spill, 50 * KB);
    // Process above spill: spill until the process would be back at target (at most what is managed).
    let d = decide(&th, 750 * KB, 400 * KB);
    assert_eq!((d.spill, d.pause, d.over_limit), (150 * KB, false, false));
    assert_eq!(decide(&th, 750 * KB, 100 * KB).spill, 100 * KB);
    let d = decide(&th, 850 * KB, 0);
    assert!(d.pause && !d.over_limit);
    assert!(decide(&th, 1000 * KB, 0).over_limit);
    let off = Thresholds::of(&EngineConfig {
        memory_limit: Some(1000 * KB),
        target: None,
        spill: None,
        pause: None,
        ..Default::default()
    });
    let d = decide(&off, 990 * KB, 990 * KB);
    assert_eq!((d.spill, d.pause, d.over_limit), (0, false, false));
    assert_eq!(
        Thresholds::of(&EngineConfig::default()),
        Thresholds::default()
    );
}

#[test]
fn spilled_intermediates_are_loaded_by_their_consumer_and_deleted_when_released() {
    let parent = tempfile::tempdir().unwrap();
    let dir = SpillDir::create(Some(parent.path()), None).unwrap();
    let src = chunks("chunks", 4);
    let g = Graph::new(total(&src, DepPattern::All, 1));
    let jg = JobGraph::build(&[(g.layer.clone(), vec![0])], |_| false);
    let mut st = State::default();
    let mut fx = Recorder::default();
    st.submit(
        Job::new(JobId(1), JobKind::Compute, "t", Some(jg), false),
        Duration::ZERO,
        &mut fx,
    );
    let w = WorkerId(0);
    for _ in 0..4 {
        let a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
        let r = a.layer.kernel.run(
            a.index,
            &Inputs::new(&a.inputs, &a.bounds),
            &TaskContext {
                key: a.layer.key(a.index),
                layer_name: &a.layer.name,
                worker: w,
                cancel: &a.cancel,
            },
        );
        let (job, task) = (a.job, a.task);
        drop(a);
        st.finish(job, task, w, Duration::ZERO, r, Duration::ZERO, &mut fx);
    }
    assert_eq!(st.held, 32_000);
    // Least recently used first: the first two chunks cover 10 kB.
    let c = st.spill_candidates(10_000);
    assert_eq!(c.len(), 2);
    for c in &c {
        let f = dir.write(&c.value, c.bytes).unwrap();
        assert!(st.apply_spill(c, f));
    }
    assert_eq!((st.held, st.spilled), (16_000, 16_000));
    assert!(dir.used() > 0);
    let snap = st.jobs[&JobId(1)].snapshot(Duration::ZERO);
    assert_eq!(
        snap.layers[0].memory, 4,
        "spilled values still count as finished"
    );
    drop(c);
    // The consumer gets the spilled inputs as files to load outside the lock.
    let mut a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
    assert_eq!(a.spilled.len(), 2);
    a.load_spilled().unwrap();
    let r = a.layer.kernel.run(
        a.index,
        &Inputs::new(&a.inputs, &a.bounds),
        &TaskContext {
            key: a.layer.key(a.index),
            layer_name: &a.layer.name,
            worker: w,
            cancel: &a.cancel,
        },
    );
    let (job, task) = (a.job, a.task);
    drop(a);
    st.finish(job, task, w, Duration::ZERO, r, Duration::ZERO, &mut fx);
    let out = fx.completed[0].as_ref().unwrap();
    assert_eq!(float(&out[0]), 1000.0 * (1 + 2 + 3) as f64);
    assert_eq!((st.held, st.spilled), (0, 0));
    assert_eq!(dir.used(), 0, "spill files deleted with their tasks");
}

#[test]
fn persisted_outputs_are_spillable_while_their_job_runs_and_pause_holds_new_tasks() {
    let src = chunks("chunks", 3);
    let jg = JobGraph::build(&[(src.clone(), vec![0, 1, 2])], |_| false);
    let mut st = State::default();
    let mut fx = Recorder::default();
    for k in src.keys() {
        st.store.acquire(k, &src.name, JobId(1));
    }
    st.submit(
        Job::new(JobId(1), JobKind::Persist, "p", Some(jg), true),
        Duration::ZERO,
        &mut fx,
    );
    let w = WorkerId(0);
    let a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
    let (job, task, i) = (a.job, a.task, a.index);
    drop(a);
    st.finish(
        job,
        task,
        w,
        Duration::ZERO,
        Ok(chunk(i)),
        Duration::ZERO,
        &mut fx,
    );
    assert!(matches!(st.jobs[&job].tasks[task.idx()], TaskState::Stored));
    assert_eq!(st.store.bytes, 8000);
    let c = st.spill_candidates(1);
    assert_eq!(c.len(), 1, "the store alone holds a persisted output");
    // Paused: one task at a time (here none runs, so one starts); resuming wakes the workers.
    assert!(st.set_paused(true, &mut fx));
    let one = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
    assert!(st.next_task(WorkerId(1), Duration::ZERO, &mut fx).is_none());
    let woken = fx.woken;
    assert!(st.set_paused(false, &mut fx));
    assert!(fx.woken > woken);
    assert!(st.next_task(WorkerId(1), Duration::ZERO, &mut fx).is_some());
    drop(one);
    // The limit fails the newest job with the message given.
    assert_eq!(st.newest_graph_job(), Some(job));
    assert!(st.fail_for_memory(
        job,
        "memory limit reached: 9 GiB".into(),
        Duration::ZERO,
        &mut fx
    ));
    let err = fx.completed.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(&**err, crate::error::Error::Memory(m) if m.contains("9 GiB")));
    assert_eq!(st.history.back().unwrap().status, JobStatus::Failed);
}

#[test]
fn workers_spill_down_to_a_level_that_leaves_room_for_unmanaged_memory() {
    let th = Thresholds::of(&EngineConfig {
        memory_limit: Some(1000 * KB),
        ..Default::default()
    });
    // Little unmanaged memory: the target. More: lowered so managed + unmanaged stays under spill.
    assert_eq!(spill_level(&th, 300 * KB, 250 * KB), Some(600 * KB));
    assert_eq!(spill_level(&th, 500 * KB, 200 * KB), Some(400 * KB));
    assert_eq!(spill_level(&th, 900 * KB, 100 * KB), Some(0));
    assert_eq!(spill_level(&Thresholds::default(), 900 * KB, 0), None);
    let no_spill = Thresholds { spill: None, ..th };
    assert_eq!(spill_level(&no_spill, 900 * KB, 0), Some(600 * KB));

    // A finishing worker is told to spill the least recently used values down to the level.
    let src = chunks("chunks", 3);
    let jg = JobGraph::build(&[(src.clone(), vec![0, 1, 2])], |_| false);
    let mut st = State::default();
    let mut fx = Recorder::default();
    for k in src.keys() {
        st.store.acquire(k, &src.name, JobId(1));
    }
    st.submit(
        Job::new(JobId(1), JobKind::Persist, "p", Some(jg), true),
        Duration::ZERO,
        &mut fx,
    );
    st.spill_at = Some(10 * KB);
    let w = WorkerId(0);
    let mut due = Vec::new();
    for _ in 0..3 {
        let a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
        let (job, task, i) = (a.job, a.task, a.index);
        drop(a);
        st.finish(
            job,
            task,
            w,
            Duration::ZERO,
            Ok(chunk(i)),
            Duration::ZERO,
            &mut fx,
        );
        due.push(st.spill_due());
    }
    let sizes: Vec<usize> = due.iter().map(Vec::len).collect();
    assert_eq!(sizes, [0, 1, 2], "8, 16, then 24 kB managed against 10 kB");
    // A value being spilled by one worker is not picked by another: the third finish passes over the
    // oldest value (the second finish holds it) and picks the next two.
    let first = due[1][0].at;
    assert!(due[2].iter().all(|c| c.at != first));
    drop(due);
    assert_eq!(
        st.spill_due().len(),
        2,
        "released candidates can be picked again"
    );
    st.spill_at = None;
    assert!(st.spill_due().is_empty(), "no limit: workers never spill");
}

#[test]
fn workers_spill_as_they_finish_so_fast_producers_stay_near_the_target() {
    let parent = tempfile::tempdir().unwrap();
    let e = limited(100 * KB, parent.path());
    // Each task notes managed bytes as it starts. The monitor looks every 50 ms, far slower than these
    // tasks: only the workers' own spilling keeps managed bytes near the 60 kB target.
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let (s2, shared) = (seen.clone(), Arc::downgrade(&e.inner.shared));
    let src = Layer::new(
        "fast",
        40,
        vec![],
        Arc::new(FnKernel(move |i, _: &Inputs, _: &TaskContext| {
            if let Some(s) = shared.upgrade() {
                s2.lock().push(s.state.lock().managed());
            }
            Ok(chunk(i))
        })),
    );
    let (p, job) = e.persist(&Graph::new(src.clone()), "persist 320 kB");
    job.wait().unwrap();
    let most = seen.lock().iter().copied().max().unwrap();
    // At most one output per other worker finished and not yet spilled beyond the target.
    assert!(most <= 60 * KB + 8 * KB, "managed reached {most} bytes");
    assert!(e.managed_bytes() <= 68 * KB);
    assert_eq!(e.managed_bytes() + e.spilled_bytes(), 320 * KB);
    let sum = Graph::derive(total(&src, DepPattern::All, 1), &[&p]);
    let out = e.compute(&sum, "sum").wait().unwrap();
    assert_eq!(float(&out[0]), 1000.0 * (0..40).sum::<u32>() as f64);
}

pub(super) fn limited(limit: u64, spill_dir: &std::path::Path) -> Engine {
    let e = Engine::new(EngineConfig {
        threads: 2,
        memory_limit: Some(limit),
        spill_dir: Some(spill_dir.to_path_buf()),
        ..Default::default()
    });
    // Process memory as the test says, not the test binary's real one.
    e.set_process_memory_for_tests(Some(1));
    e
}
