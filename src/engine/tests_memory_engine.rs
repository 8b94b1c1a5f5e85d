//! Memory management tests on a running engine: spilling, reading back, pausing and failing the newest job
//! at the limit (process memory set by the test), deleted spill files, the guard.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::graph::{DepPattern, FnKernel, Graph, Layer};
use super::ids::{JobId, WorkerId};
use super::job::Job;
use super::jobgraph::JobGraph;
use super::spill::SpillDir;
use super::state::State;
use super::tests_memory::{chunk, chunks, float, limited, total, Recorder, KB};
use super::*;

#[test]
fn engine_spills_persisted_data_past_target_and_reads_it_back() {
    let parent = tempfile::tempdir().unwrap();
    let e = limited(100 * KB, parent.path());
    let src = chunks("chunks", 20);
    let (p, job) = e.persist(&Graph::new(src.clone()), "persist 160 kB");
    job.wait().unwrap();
    e.check_memory();
    let mem = e.snapshot().memory;
    assert!(
        mem.managed <= 60 * KB,
        "managed {} above target",
        mem.managed
    );
    assert_eq!(mem.managed + mem.spilled, 160 * KB);
    let info = e.futures_info(&p.holds[0]);
    assert!(info.iter().any(|f| f.location == "disk"), "{info:?}");
    assert!(info
        .iter()
        .all(|f| f.status == "finished" && f.nbytes == 8000));
    // The monitor and the workers may spill more meanwhile: compare figures of one snapshot.
    let snap = e.snapshot();
    assert!(snap.memory.spilled > 0);
    assert_eq!(snap.memory.by_layer[0].2, snap.memory.spilled);
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
