//! Memory management tests: pressure decisions and spill/pause/limit transitions without threads, then the
//! engine spilling, pausing and failing the newest job at the limit (process memory set by the test).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
struct Recorder {
    completed: Vec<JobOutcome>,
    woken: usize,
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
fn chunk(i: u32) -> Value {
    Value::Array(NdArray::F64(ArrayD::from_elem(IxDyn(&[1000]), i as f64)))
}

fn chunks(name: &str, n: u32) -> Arc<Layer> {
    Layer::new(
        name,
        n,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| Ok(chunk(i)))),
    )
}

/// The sum of every element of every input.
fn total(input: &Arc<Layer>, pattern: DepPattern, n: u32) -> Arc<Layer> {
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

fn float(v: &Value) -> f64 {
    match v {
        Value::Scalar(Scalar::Float(f)) => *f,
        other => panic!("not a float: {other:?}"),
    }
}

const KB: u64 = 1000;

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

fn limited(limit: u64, spill_dir: &std::path::Path) -> Engine {
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

#[test]
fn engine_spills_persisted_data_past_target_and_reads_it_back() {
    let parent = tempfile::tempdir().unwrap();
    let e = limited(100 * KB, parent.path());
    let src = chunks("chunks", 20);
    let (p, job) = e.persist(&Graph::new(src.clone()), "persist 160 kB");
    job.wait().unwrap();
    e.check_memory();
    let managed = e.managed_bytes();
    assert!(managed <= 60 * KB, "managed {managed} above target");
    assert_eq!(managed + e.spilled_bytes(), 160 * KB);
    let info = e.futures_info(&p.holds[0]);
    assert!(info.iter().any(|f| f.location == "disk"), "{info:?}");
    assert!(info
        .iter()
        .all(|f| f.status == "finished" && f.nbytes == 8000));
    let snap = e.snapshot();
    assert_eq!(snap.memory.spilled, e.spilled_bytes());
    assert_eq!(snap.memory.by_layer[0].2, e.spilled_bytes());
    assert_eq!(snap.memory.target, Some(0.6));
    // A dependent reads spilled values back from disk.
    let sum = Graph::derive(total(&src, DepPattern::All, 1), &[&p]);
    let out = e.compute(&sum, "sum").wait().unwrap();
    assert_eq!(float(&out[0]), 1000.0 * (0..20).sum::<u32>() as f64);
    let files = |d: &std::path::Path| walk(d);
    assert!(files(parent.path()) > 0);
    drop((p, sum));
    assert_eq!(e.spilled_bytes(), 0);
    assert_eq!(files(parent.path()), 0, "released data leaves no file");
    e.restart();
    drop(e);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        std::fs::read_dir(parent.path()).unwrap().count(),
        0,
        "the spill directory goes with the engine"
    );
}

fn walk(d: &std::path::Path) -> usize {
    std::fs::read_dir(d)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn pause_holds_new_tasks_until_memory_drops_and_the_limit_fails_the_newest_job() {
    let parent = tempfile::tempdir().unwrap();
    let e = limited(1000 * KB, parent.path());
    let logs = e.subscribe();
    e.set_process_memory_for_tests(Some(850 * KB));
    e.check_memory();
    assert!(e.paused());
    assert!(e.snapshot().memory.paused);
    let (active, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (a2, m2) = (active.clone(), most.clone());
    let counted = Layer::new(
        "counted",
        6,
        vec![],
        Arc::new(FnKernel(move |i, _: &Inputs, _: &TaskContext| {
            let n = a2.fetch_add(1, Ordering::SeqCst) + 1;
            m2.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            a2.fetch_sub(1, Ordering::SeqCst);
            Ok(chunk(i))
        })),
    );
    let paused_job = e.compute(&Graph::new(total(&counted, DepPattern::All, 1)), "paused");
    assert_eq!(float(&paused_job.wait().unwrap()[0]), 15000.0);
    assert_eq!(most.load(Ordering::SeqCst), 1, "paused: one task at a time");
    let job = e.compute(
        &Graph::new(total(&chunks("c", 4), DepPattern::All, 1)),
        "held",
    );
    e.set_process_memory_for_tests(Some(500 * KB));
    e.check_memory();
    assert!(!e.paused());
    assert_eq!(float(&job.wait().unwrap()[0]), 6000.0);
    // At the limit: the newest job fails with the numbers; the engine stays up.
    let release = Arc::new(AtomicBool::new(false));
    let r2 = release.clone();
    let slow = Layer::new(
        "slow",
        2,
        vec![],
        Arc::new(FnKernel(move |_, _: &Inputs, ctx: &TaskContext| {
            while !r2.load(Ordering::SeqCst) {
                ctx.cancel.check()?;
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Value::Unit)
        })),
    );
    let big = e.compute(&Graph::new(slow), "too big");
    std::thread::sleep(Duration::from_millis(30));
    e.set_process_memory_for_tests(Some(1000 * KB));
    e.check_memory();
    let err = big.wait().unwrap_err().to_string();
    assert!(
        err.contains("memory limit reached")
            && err.contains(&crate::units::format_bytes(1000 * KB))
            && err.contains("too big"),
        "{err}"
    );
    release.store(true, Ordering::SeqCst);
    e.set_process_memory_for_tests(Some(1));
    e.check_memory();
    let ok = e.compute(
        &Graph::new(total(&chunks("c", 2), DepPattern::All, 1)),
        "after",
    );
    assert_eq!(float(&ok.wait().unwrap()[0]), 1000.0);
    let msgs: Vec<String> = logs
        .try_iter()
        .filter_map(|ev| match ev {
            Event::Log { message, .. } => Some(message.to_string()),
            _ => None,
        })
        .collect();
    assert!(msgs.iter().any(|m| m.starts_with("paused:")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.starts_with("resumed:")), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m.starts_with("memory limit reached")),
        "{msgs:?}"
    );
}

#[test]
fn a_spill_file_deleted_underneath_fails_the_job_clearly_and_the_guard_gives_numbers() {
    let parent = tempfile::tempdir().unwrap();
    let e = limited(100 * KB, parent.path());
    let src = chunks("chunks", 20);
    let (p, job) = e.persist(&Graph::new(src.clone()), "p");
    job.wait().unwrap();
    e.check_memory();
    assert!(e.spilled_bytes() > 0);
    fn rm(d: &std::path::Path) {
        for f in std::fs::read_dir(d).unwrap().flatten() {
            if f.path().is_dir() {
                rm(&f.path());
            } else {
                std::fs::remove_file(f.path()).unwrap();
            }
        }
    }
    rm(parent.path());
    let sum = Graph::derive(total(&src, DepPattern::All, 1), &[&p]);
    let err = e.compute(&sum, "sum").wait().unwrap_err().to_string();
    assert!(
        err.contains("could not be read back") && err.contains(".spill"),
        "{err}"
    );
    // The engine is still up.
    let ok = e.compute(
        &Graph::new(total(&chunks("c", 2), DepPattern::All, 1)),
        "after",
    );
    assert_eq!(float(&ok.wait().unwrap()[0]), 1000.0);
    // The guard before compute.
    let msg = e.check_fits(14 << 30).unwrap_err().to_string();
    assert_eq!(
        msg,
        "this result needs about 14.00 GiB, the limit is 97.66 kiB; write it with to_netcdf/to_parquet \
         or reduce it first (or compute(force=True) to try anyway)"
    );
    assert!(e.check_fits(1000).is_ok());
    // A spill directory that cannot be written is refused when configured.
    let file = parent.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let mut cfg = e.config();
    cfg.spill_dir = Some(file);
    let err = e.reconfigure(cfg).unwrap_err().to_string();
    assert!(err.contains("cannot use this directory"), "{err}");
}

#[test]
fn a_dependent_job_reads_stored_values_when_its_task_starts_so_they_stay_spillable() {
    let parent = tempfile::tempdir().unwrap();
    let dir = SpillDir::create(Some(parent.path()), None).unwrap();
    let src = chunks("chunks", 2);
    let mut st = State::default();
    let mut fx = Recorder::default();
    for k in src.keys() {
        st.store.acquire(k, &src.name, JobId(1));
    }
    let jg = JobGraph::build(&[(src.clone(), vec![0, 1])], |_| false);
    st.submit(
        Job::new(JobId(1), JobKind::Persist, "p", Some(jg), true),
        Duration::ZERO,
        &mut fx,
    );
    // Submitted while the persist is pending: it waits on the store.
    let sum = total(&src, DepPattern::All, 1);
    let jg = JobGraph::build(&[(sum.clone(), vec![0])], |k| st.store.contains(k));
    st.submit(
        Job::new(JobId(2), JobKind::Compute, "sum", Some(jg), false),
        Duration::ZERO,
        &mut fx,
    );
    let w = WorkerId(0);
    for _ in 0..2 {
        let a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
        assert_eq!(a.job, JobId(1), "the older job's tasks first");
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
    }
    // Only the store holds the values: both can go to disk while the dependent waits to run.
    let c = st.spill_candidates(u64::MAX);
    assert_eq!(c.len(), 2);
    for c in &c {
        assert!(st.apply_spill(c, dir.write(&c.value, c.bytes).unwrap()));
    }
    drop(c);
    assert_eq!((st.store.bytes, st.store.spilled), (0, 16_000));
    let mut a = st.next_task(w, Duration::ZERO, &mut fx).unwrap();
    assert_eq!((a.job, a.spilled.len()), (JobId(2), 2));
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
    let out = fx.completed.last().unwrap().as_ref().unwrap();
    assert_eq!(float(&out[0]), 1000.0);
}
