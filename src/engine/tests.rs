//! Engine tests: scheduler transitions without threads (a recording `Effects`), then the threaded runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::api::JobOutcome;
use super::graph::{DepPattern, FnKernel, Graph, Layer, LayerInput};
use super::ids::{JobId, WorkerId};
use super::job::{Job, JobSignal};
use super::jobgraph::JobGraph;
use super::state::{Effects, State};
use super::store::Futures;
use super::*;
use crate::error::Error;

#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    completed: Vec<JobOutcome>,
}

impl Effects for Recorder {
    fn event(&mut self, ev: Event) {
        self.events.push(ev);
    }
    fn completed(&mut self, _s: Arc<JobSignal>, outcome: JobOutcome) {
        self.completed.push(outcome);
    }
    fn wake(&mut self) {}
    fn dispose(&mut self, _h: Vec<Arc<Futures>>) {}
}

/// `n` source tasks producing their index, summed by a tree of fan-in `k`.
fn sum_tree(n: u32, k: u32) -> Graph {
    let src = Layer::new(
        "range",
        n,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| {
            Ok(Value::Scalar(Scalar::Int(i as i64)))
        })),
    );
    let mut cur = src;
    while cur.ntasks > 1 {
        let m = cur.ntasks.div_ceil(k);
        cur = Layer::new(
            "sum",
            m,
            vec![LayerInput {
                layer: cur.clone(),
                pattern: DepPattern::Tree(k),
            }],
            Arc::new(FnKernel(|_, inp: &Inputs, _: &TaskContext| {
                let s: i64 = inp
                    .group(0)
                    .iter()
                    .map(|v| match v.as_scalar() {
                        Some(Scalar::Int(i)) => *i,
                        _ => 0,
                    })
                    .sum();
                Ok(Value::Scalar(Scalar::Int(s)))
            })),
        );
    }
    Graph::new(cur)
}

fn int(v: &Value) -> i64 {
    match v.as_scalar() {
        Some(Scalar::Int(i)) => *i,
        other => panic!("not an int: {other:?}"),
    }
}

fn run_sequential(st: &mut State, fx: &mut Recorder) -> usize {
    let mut ran = 0;
    let w = WorkerId(0);
    while let Some(a) = st.next_task(w, Duration::ZERO, fx) {
        let inputs = Inputs::new(&a.inputs, &a.bounds);
        let ctx = TaskContext {
            key: a.layer.key(a.index),
            layer_name: &a.layer.name,
            worker: w,
            cancel: &a.cancel,
        };
        let r = a.layer.kernel.run(a.index, &inputs, &ctx);
        st.finish(a.job, a.task, w, Duration::ZERO, r, Duration::ZERO, fx);
        ran += 1;
    }
    ran
}

#[test]
fn transitions_run_a_tree_reduction_in_priority_order_and_free_intermediates() {
    let g = sum_tree(20, 4);
    let jg = JobGraph::build(&[(g.layer.clone(), vec![0])], |_| false);
    assert_eq!(jg.ntasks(), 20 + 5 + 2 + 1);
    let mut st = State::default();
    let mut fx = Recorder::default();
    st.submit(
        Job::new(JobId(1), JobKind::Compute, "t", Some(jg), false),
        Duration::ZERO,
        &mut fx,
    );
    // Depth first: after the first 4 sources, their combiner runs before source 4 starts.
    let w = WorkerId(0);
    let mut order = Vec::new();
    while let Some(a) = st.next_task(w, Duration::ZERO, &mut fx) {
        order.push((a.layer.prefix.to_string(), a.index));
        let inputs = Inputs::new(&a.inputs, &a.bounds);
        let ctx = TaskContext {
            key: a.layer.key(a.index),
            layer_name: &a.layer.name,
            worker: w,
            cancel: &a.cancel,
        };
        let r = a.layer.kernel.run(a.index, &inputs, &ctx);
        st.finish(a.job, a.task, w, Duration::ZERO, r, Duration::ZERO, &mut fx);
        // Never more than one open branch per tree level plus its sources in memory.
        assert!(st.held <= 16 * 8, "held {}", st.held);
    }
    assert_eq!(order[4], ("sum".to_string(), 0));
    assert_eq!(fx.completed.len(), 1);
    let v = fx.completed[0].as_ref().unwrap();
    assert_eq!(int(&v[0]), (0..20).sum::<i64>());
    assert_eq!(st.held, 0, "everything released when the job ended");
    assert!(st.jobs.is_empty());
}

#[test]
fn culling_runs_only_the_tasks_an_output_needs() {
    let src = Layer::new(
        "read",
        10,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| {
            if i > 0 {
                Err(Error::value("partition > 0 must not be read"))
            } else {
                Ok(Value::Scalar(Scalar::Int(7)))
            }
        })),
    );
    let jg = JobGraph::build(&[(src.clone(), vec![0])], |_| false);
    assert_eq!(jg.ntasks(), 1);
    let mut st = State::default();
    let mut fx = Recorder::default();
    st.submit(
        Job::new(JobId(1), JobKind::Compute, "head", Some(jg), false),
        Duration::ZERO,
        &mut fx,
    );
    assert_eq!(run_sequential(&mut st, &mut fx), 1);
    assert_eq!(int(&fx.completed[0].as_ref().unwrap()[0]), 7);
}

#[test]
fn a_failing_task_fails_its_job_naming_layer_partition_and_cause() {
    struct Bad;
    impl Kernel for Bad {
        fn run(&self, i: u32, _: &Inputs, _: &TaskContext) -> crate::error::Result<Value> {
            if i == 2 {
                Err(Error::file("data/x_2.csv", "bad value 'abc'"))
            } else {
                Ok(Value::Unit)
            }
        }
        fn describe(&self, i: u32) -> Option<String> {
            Some(format!("data/x_{i}.csv"))
        }
    }
    let l = Layer::new("read-csv", 4, vec![], Arc::new(Bad));
    let jg = JobGraph::build(&[(l.clone(), (0..4).collect())], |_| false);
    let mut st = State::default();
    let mut fx = Recorder::default();
    st.submit(
        Job::new(JobId(1), JobKind::Compute, "c", Some(jg), false),
        Duration::ZERO,
        &mut fx,
    );
    run_sequential(&mut st, &mut fx);
    let err = fx.completed[0].as_ref().unwrap_err();
    let chain = err.chain();
    assert!(
        chain[0].contains(&format!("('{}', 2)", l.name)),
        "{chain:?}"
    );
    assert!(chain.last().unwrap().contains("bad value 'abc'"));
    let snap = st.history.back().unwrap();
    assert_eq!(snap.status, JobStatus::Failed);
    let f = snap.failure.as_ref().unwrap();
    assert_eq!(f.index, 2);
    assert_eq!(f.what.as_deref(), Some("data/x_2.csv"));
}

fn engine(threads: usize) -> Engine {
    Engine::new(EngineConfig {
        threads,
        ..Default::default()
    })
}

#[test]
fn runtime_computes_a_large_fan_in_graph() {
    let e = engine(2);
    let g = sum_tree(10_000, 8);
    let out = e.compute(&g, "sum").wait().unwrap();
    assert_eq!(int(&out[0]), (0..10_000).sum::<i64>());
    let snap = e.snapshot();
    let j = snap.jobs.last().unwrap();
    assert_eq!(j.status, JobStatus::Done);
    assert_eq!(j.done, j.total);
    assert_eq!(snap.memory.managed, 0);
}

#[test]
fn persist_keeps_results_and_dependents_reuse_them_until_released() {
    let e = engine(2);
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = runs.clone();
    let src = Layer::new(
        "load",
        4,
        vec![],
        Arc::new(FnKernel(move |i, _: &Inputs, _: &TaskContext| {
            r2.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Scalar(Scalar::Int(i as i64 * 10)))
        })),
    );
    let (persisted, job) = e.persist(&Graph::new(src.clone()), "persist");
    job.wait().unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    let fut = persisted.holds[0].clone();
    let info = e.futures_info(&fut);
    assert_eq!(info.len(), 4);
    assert!(info.iter().all(|f| f.status == "finished"), "{info:?}");
    // A dependent graph built on the persisted one reads the stored values: no recompute.
    let total = Layer::new(
        "total",
        1,
        vec![LayerInput {
            layer: src.clone(),
            pattern: DepPattern::All,
        }],
        Arc::new(FnKernel(|_, inp: &Inputs, _: &TaskContext| {
            Ok(Value::Scalar(Scalar::Int(
                inp.group(0).iter().map(|v| int(v)).sum(),
            )))
        })),
    );
    let dep = Graph::derive(total, &[&persisted]);
    assert_eq!(int(&e.compute(&dep, "c").wait().unwrap()[0]), 60);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert!(e.managed_bytes() > 0);
    // Dropping the persisted handle alone keeps the data: the dependent still holds it.
    drop(persisted);
    drop(fut);
    assert!(e.managed_bytes() > 0);
    drop(dep);
    assert_eq!(e.managed_bytes(), 0, "last holder gone: data released");
}

#[test]
fn compute_on_a_pending_persist_waits_for_it() {
    let e = engine(2);
    let slow = Layer::new(
        "slow",
        2,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| {
            std::thread::sleep(Duration::from_millis(50));
            Ok(Value::Scalar(Scalar::Int(i as i64 + 1)))
        })),
    );
    let (p, _job) = e.persist(&Graph::new(slow.clone()), "p");
    let out = e.compute(&p, "c").wait().unwrap();
    assert_eq!(out.iter().map(|v| int(v)).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn cancel_stops_running_work_within_one_chunk_and_dependents_fail() {
    let e = engine(2);
    let chunks = Arc::new(AtomicUsize::new(0));
    let c2 = chunks.clone();
    let long = Layer::new(
        "long",
        2,
        vec![],
        Arc::new(FnKernel(move |_, _: &Inputs, ctx: &TaskContext| {
            for _ in 0..1000 {
                ctx.cancel.check()?;
                c2.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Value::Unit)
        })),
    );
    let (p, job) = e.persist(&Graph::new(long.clone()), "p");
    let dependent = e.compute(&p, "dep");
    std::thread::sleep(Duration::from_millis(60));
    let t0 = Instant::now();
    assert!(e.cancel_graph(&p) >= 1);
    let err = job.wait().unwrap_err();
    assert!(err.is_cancelled());
    assert!(dependent.wait().unwrap_err().is_cancelled());
    let seen = chunks.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    // Each worker may finish the chunk it was in, no more.
    assert!(chunks.load(Ordering::SeqCst) <= seen + 2);
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert!(e
        .futures_info(&p.holds[0])
        .iter()
        .all(|f| f.status == "cancelled"));
}

#[test]
fn restart_drops_everything_fast_even_with_running_tasks() {
    let e = engine(2);
    let long = Layer::new(
        "long",
        100,
        vec![],
        Arc::new(FnKernel(|_, _: &Inputs, ctx: &TaskContext| {
            for _ in 0..1000 {
                ctx.cancel.check()?;
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(Value::Unit)
        })),
    );
    let quick = Layer::new(
        "quick",
        3,
        vec![],
        Arc::new(FnKernel(|i, _: &Inputs, _: &TaskContext| {
            Ok(Value::Scalar(Scalar::Int(i as i64)))
        })),
    );
    let (kept, j) = e.persist(&Graph::new(quick), "kept");
    j.wait().unwrap();
    let (_p, job) = e.persist(&Graph::new(long), "long");
    std::thread::sleep(Duration::from_millis(30));
    let t0 = Instant::now();
    e.restart();
    assert!(job.wait().unwrap_err().is_cancelled());
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(e.managed_bytes(), 0);
    assert!(e
        .futures_info(&kept.holds[0])
        .iter()
        .all(|f| f.status == "lost"));
    // The engine still works after a restart.
    assert_eq!(
        int(&e.compute(&sum_tree(100, 8), "after").wait().unwrap()[0]),
        4950
    );
}

#[test]
fn events_reach_subscribers_and_background_jobs_report() {
    let e = engine(1);
    let rx = e.subscribe();
    let h = e.spawn_background(JobKind::Shell, "echo", |ctx| {
        ctx.output_line("hello");
        ctx.progress(1, 1);
        Ok(Value::Scalar(Scalar::Str("ok".into())))
    });
    let out = h.wait().unwrap();
    assert_eq!(out[0].as_scalar(), Some(&Scalar::Str("ok".into())));
    let evs: Vec<Event> = rx.try_iter().collect();
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::JobFinished {
            status: JobStatus::Done,
            ..
        }
    )));
    let snap = e.snapshot();
    let j = snap.jobs.iter().find(|j| j.id == h.id).unwrap();
    assert_eq!(j.output, vec!["hello".to_string()]);
    let failing = e.spawn_background(JobKind::Shell, "false", |_| {
        Err(Error::value("exit status 1"))
    });
    assert!(failing.wait().is_err());
    let snap = e.snapshot();
    let f = snap.jobs.iter().find(|j| j.id == failing.id).unwrap();
    assert_eq!(f.status, JobStatus::Failed);
    assert!(f
        .failure
        .as_ref()
        .unwrap()
        .chain
        .iter()
        .any(|c| c.contains("exit status 1")));
}

#[test]
fn a_panicking_kernel_fails_the_job_instead_of_the_process() {
    let e = engine(1);
    let l = Layer::new(
        "boom",
        1,
        vec![],
        Arc::new(FnKernel(
            |_, _: &Inputs, _: &TaskContext| -> crate::error::Result<Value> { panic!("kaboom") },
        )),
    );
    let err = e.compute(&Graph::new(l), "c").wait().unwrap_err();
    assert!(err.chain().iter().any(|c| c.contains("kaboom")));
    assert_eq!(
        int(&e.compute(&sum_tree(10, 8), "ok").wait().unwrap()[0]),
        45
    );
}

#[test]
fn kernels_waiting_on_another_rayon_pool_do_not_stall_the_workers() {
    // polars runs its work on its own pool; a worker blocked in `install` keeps stealing from ours.
    let other = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap(),
    );
    for _ in 0..5 {
        let e = engine(2);
        let o = other.clone();
        let l = Layer::new(
            "cross",
            4,
            vec![],
            Arc::new(FnKernel(move |i, _: &Inputs, _: &TaskContext| {
                o.install(|| std::thread::sleep(Duration::from_millis(20)));
                Ok(Value::Scalar(Scalar::Int(i as i64)))
            })),
        );
        let h = e.compute(&Graph::new(l), "cross");
        let (tx, rx) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || tx.send(h.wait().map(|v| v.len())).ok());
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("job stalled");
        assert_eq!(got.unwrap(), 4);
    }
}
