//! Dask's generic verbs over any lazy [`Collection`]: `compute`, `persist`, `futures_of`, `cancel`,
//! `restart`, `visualize`, `wait`, `progress`. In the workbench (interactive) `compute` returns a job
//! at once and `Session::poll` delivers the value; headless it blocks.

use std::sync::Arc;

use super::builtins::VerbFn;
use super::errors::Raise;
use super::interp::Interp;
use super::job::JobObj;
use super::object::{Args, Collection, Native, Obj, Output, SessionCtx, Table};
use crate::engine::{FutureInfo, Graph, JobKind, Value};
use crate::error::Error;

pub(crate) fn verbs() -> Vec<(&'static str, VerbFn)> {
    vec![
        ("compute", compute),
        ("persist", persist),
        ("futures_of", futures_of),
        ("cancel", cancel),
        ("restart", restart),
        ("visualize", visualize),
        ("wait", wait),
        ("progress", progress),
    ]
}

fn collection(o: &Obj) -> Option<&dyn Collection> {
    match o {
        Obj::Native(n) => n.collection(),
        _ => None,
    }
}

fn need_collection<'a>(o: &'a Obj, verb: &str) -> Result<&'a dyn Collection, Raise> {
    collection(o).ok_or_else(|| {
        Raise::type_error(format!(
            "{verb}() needs a lazy collection (a dataframe, series or array), not '{}'",
            o.type_name()
        ))
    })
}

/// Submit the collections among `objs` as one compute job. Its value: each collection finalized,
/// other objects passed through, as a tuple (`single` gives the one value instead).
pub(crate) fn start_compute(interp: &mut Interp, objs: Vec<Obj>, single: bool) -> Arc<JobObj> {
    let graphs: Vec<Graph> = objs
        .iter()
        .filter_map(|o| collection(o).map(|c| c.graph().clone()))
        .collect();
    let label = interp.label();
    let handle = interp
        .engine_ref()
        .submit(&graphs, JobKind::Compute, &label);
    let finalize = move |parts: Vec<Arc<Value>>| -> Result<Obj, Error> {
        let mut parts = parts.into_iter();
        let mut out = Vec::with_capacity(objs.len());
        for o in &objs {
            match collection(o) {
                Some(c) => {
                    let n = c.graph().ntasks() as usize;
                    let mine: Vec<Arc<Value>> = parts.by_ref().take(n).collect();
                    if mine.len() != n {
                        return Err(Error::value(format!(
                            "compute returned {} of {n} partitions",
                            mine.len()
                        )));
                    }
                    out.push(c.finalize(mine)?);
                }
                None => out.push(o.clone()),
            }
        }
        Ok(if single {
            out.pop().unwrap_or(Obj::None)
        } else {
            Obj::Tuple(Arc::new(out))
        })
    };
    Arc::new(JobObj::new(
        handle,
        JobKind::Compute,
        &label,
        Box::new(finalize),
    ))
}

/// The memory guard: refuse a compute whose estimated result does not fit under the memory limit
/// (the engine's message gives the numbers), unless `force=True`.
fn guard_memory(interp: &Interp, objs: &[Obj], args: &Args) -> Result<(), Raise> {
    if let Some(f) = args.opt(usize::MAX, "force") {
        if super::pyops::truthy(f)? {
            return Ok(());
        }
    }
    let total: u64 = objs
        .iter()
        .filter_map(|o| collection(o).and_then(|c| c.estimated_nbytes()))
        .sum();
    interp
        .engine_ref()
        .check_fits(total)
        .map_err(|e| Raise::from(&e))
}

/// Run a compute: a job object at once in the workbench, else the value.
fn run_compute(interp: &mut Interp, objs: Vec<Obj>, single: bool) -> Result<Obj, Raise> {
    let job = start_compute(interp, objs, single);
    if interp.interactive {
        interp.track(job.clone(), true);
        Ok(Obj::Native(job))
    } else {
        job.result().map_err(|e| Raise::from(&*e))
    }
}

/// `compute(a, b, ...)`: Dask's `dask.compute`, a tuple of values.
fn compute(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check(
        "compute",
        usize::MAX,
        &["scheduler", "optimize_graph", "traverse", "sync", "force"],
    )?;
    if args.positional.iter().all(|o| collection(o).is_none()) {
        return Ok(Obj::Tuple(Arc::new(args.positional)));
    }
    guard_memory(interp, &args.positional, &args)?;
    run_compute(interp, args.positional, false)
}

/// Persist one collection: the same collection backed by the engine's futures; returns at once.
pub(crate) fn persist_one(interp: &mut Interp, o: &Obj) -> Result<Obj, Raise> {
    let c = need_collection(o, "persist")?;
    let label = interp.label();
    let (graph, handle) = interp.engine_ref().persist(c.graph(), &label);
    let out = c.with_graph(graph);
    let mut job = JobObj::new(
        handle,
        JobKind::Persist,
        &label,
        Box::new(|_| Ok(Obj::None)),
    );
    job.persisted = graph_holds(&out).iter().map(Arc::downgrade).collect();
    interp.track(Arc::new(job), false);
    Ok(out)
}

/// `persist(x)`: the persisted collection, as `client.persist(x)` returns it (so `x = persist(x)` works as
/// users write it); `persist(a, b, ...)`: Dask's `dask.persist`, a tuple of persisted collections.
fn persist(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check(
        "persist",
        usize::MAX,
        &["scheduler", "optimize_graph", "traverse"],
    )?;
    if let [one] = args.positional.as_slice() {
        return persist_one(interp, one);
    }
    let mut out = Vec::new();
    for o in &args.positional {
        out.push(if collection(o).is_some() {
            persist_one(interp, o)?
        } else {
            o.clone()
        });
    }
    Ok(Obj::Tuple(Arc::new(out)))
}

/// `x.compute()`, `x.persist()`, `x.visualize(...)` for natives that leave them to the language.
pub(crate) fn generic_method(
    interp: &mut Interp,
    recv: Obj,
    name: &str,
    args: Args,
) -> Result<Obj, Raise> {
    match name {
        "compute" => {
            args.check(
                "compute",
                0,
                &["scheduler", "optimize_graph", "sync", "force"],
            )?;
            guard_memory(interp, std::slice::from_ref(&recv), &args)?;
            run_compute(interp, vec![recv], true)
        }
        "persist" => {
            args.check("persist", 0, &["scheduler", "optimize_graph"])?;
            persist_one(interp, &recv)
        }
        "visualize" => {
            let mut args = args;
            args.positional.insert(0, recv);
            // `x.visualize("g.dot")`: the first positional is the filename, as in Dask.
            if args.positional.len() == 2 && args.positional[1].as_str().is_some() {
                let f = args.positional.remove(1);
                args.keywords.push(("filename".into(), f));
            }
            visualize(interp, args)
        }
        other => Err(Raise::new(
            "AttributeError",
            format!("'{}' object has no attribute '{other}'", recv.type_name()),
        )),
    }
}

/// What `futures_of(x)` returns: the futures a persisted collection holds, shown as a table.
pub struct FuturesObj {
    pub infos: Vec<FutureInfo>,
}

impl Native for FuturesObj {
    fn type_name(&self) -> &str {
        "futures"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        let total: u64 = self.infos.iter().map(|f| f.nbytes).sum();
        let n = self.infos.len();
        // pandas' display: past 60 rows, the first and last 5 around a `...` row.
        let shown: Vec<Option<usize>> = if n > 60 {
            (0..5)
                .map(Some)
                .chain(std::iter::once(None))
                .chain((n - 5..n).map(Some))
                .collect()
        } else {
            (0..n).map(Some).collect()
        };
        let (mut index, mut rows) = (Vec::new(), Vec::new());
        for i in shown {
            match i {
                Some(i) => {
                    let f = &self.infos[i];
                    index.push(i.to_string());
                    rows.push(vec![
                        f.key.clone(),
                        f.status.to_string(),
                        f.nbytes.to_string(),
                        f.location.to_string(),
                    ]);
                }
                None => {
                    index.push("...".into());
                    rows.push(vec!["...".into(); 4]);
                }
            }
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for f in &self.infos {
            match counts.iter_mut().find(|(s, _)| *s == f.status) {
                Some(c) => c.1 += 1,
                None => counts.push((f.status, 1)),
            }
        }
        let counts: Vec<String> = counts.iter().map(|(s, c)| format!("{c} {s}")).collect();
        Ok(Output::Table(Table {
            index_name: None,
            columns: vec![
                "key".into(),
                "status".into(),
                "bytes".into(),
                "location".into(),
            ],
            index,
            rows,
            footer: Some(format!(
                "[{n} futures: {}; {}]",
                if counts.is_empty() {
                    "none".to_string()
                } else {
                    counts.join(", ")
                },
                super::builtins::format_bytes_u64(total)
            )),
        }))
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize, Error> {
        Ok(self.infos.len())
    }
    fn get_item(&self, key: &Obj, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
        let i = key
            .as_i64()
            .ok_or_else(|| Error::value("futures are indexed by position"))?;
        let f = usize::try_from(i)
            .ok()
            .and_then(|i| self.infos.get(i))
            .ok_or_else(|| Error::value(format!("future index {i} out of range")))?;
        Ok(Obj::Dict(Arc::new(vec![
            (Obj::str("key"), Obj::str(f.key.as_str())),
            (Obj::str("status"), Obj::str(f.status)),
            (Obj::str("bytes"), Obj::Int(f.nbytes as i64)),
            (Obj::str("location"), Obj::str(f.location)),
        ])))
    }
}

fn futures_of(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("futures_of", 1, &[])?;
    let o = args
        .positional
        .first()
        .ok_or_else(|| Raise::type_error("futures_of() takes a collection"))?;
    let c = need_collection(o, "futures_of")?;
    let mut infos = Vec::new();
    for f in &c.graph().holds {
        infos.extend(interp.engine_ref().futures_info(f));
    }
    Ok(Obj::native(FuturesObj { infos }))
}

/// Cancel jobs and collections; how many jobs were cancelled.
pub(crate) fn cancel_objs(interp: &mut Interp, objs: &[Obj]) -> Result<usize, Raise> {
    let mut n = 0;
    for o in objs {
        if let Some(job) = o.downcast::<JobObj>() {
            n += interp.engine_ref().cancel_job(job.id()) as usize;
        } else {
            n += interp
                .engine_ref()
                .cancel_graph(need_collection(o, "cancel")?.graph());
        }
    }
    Ok(n)
}

fn cancel(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("cancel", usize::MAX, &["force", "asynchronous", "reason"])?;
    let n = cancel_objs(interp, &args.positional)?;
    interp.emit(Output::Text(format!("cancelled {n} job(s)")));
    Ok(Obj::None)
}

pub(crate) fn restart_engine(interp: &mut Interp) {
    interp.engine_ref().restart();
    interp.emit(Output::Text(
        "restarted: every job cancelled and all persisted data dropped; variables are kept".into(),
    ));
}

fn restart(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("restart", 0, &["wait_for_workers", "timeout"])?;
    restart_engine(interp);
    Ok(Obj::None)
}

/// Wait for jobs, and for the persist jobs this session started for a collection's graph.
pub(crate) fn wait_objs(interp: &mut Interp, objs: &[Obj]) -> Result<(), Raise> {
    for o in objs {
        if let Some(job) = o.downcast::<JobObj>() {
            job.result().map_err(|e| Raise::from(&*e))?;
        } else if let Some(c) = collection(o) {
            // The persist jobs whose futures this collection holds.
            let holds = &c.graph().holds;
            let persists: Vec<Arc<JobObj>> = interp
                .jobs
                .iter()
                .filter(|t| {
                    t.job.persisted.iter().any(|w| {
                        w.upgrade()
                            .is_some_and(|f| holds.iter().any(|h| Arc::ptr_eq(h, &f)))
                    })
                })
                .map(|t| t.job.clone())
                .collect();
            for job in persists {
                job.handle.wait().map_err(|e| Raise::from(&*e))?;
            }
        }
    }
    Ok(())
}

fn graph_holds(o: &Obj) -> Vec<Arc<crate::engine::store::Futures>> {
    collection(o).map_or(Vec::new(), |c| c.graph().holds.clone())
}

fn wait(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("wait", usize::MAX, &["timeout", "return_when"])?;
    let objs = flatten(&args.positional);
    wait_objs(interp, &objs)?;
    Ok(Obj::None)
}

/// `progress(x)`: the workbench shows progress itself; headless it waits, as Dask's bar does.
fn progress(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("progress", usize::MAX, &["notebook", "multi", "complete"])?;
    if !interp.interactive {
        let objs = flatten(&args.positional);
        wait_objs(interp, &objs)?;
    }
    Ok(Obj::None)
}

fn flatten(objs: &[Obj]) -> Vec<Obj> {
    let mut out = Vec::new();
    for o in objs {
        match o {
            Obj::List(v) | Obj::Tuple(v) => out.extend(v.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    out
}

/// `visualize(x, filename="mydask.svg", tasks=False, rankdir="BT")`.
fn visualize(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check(
        "visualize",
        usize::MAX,
        &[
            "filename",
            "format",
            "tasks",
            "rankdir",
            "optimize_graph",
            "color",
            "collapse_outputs",
            "verbose",
        ],
    )?;
    let x = args
        .positional
        .first()
        .ok_or_else(|| Raise::type_error("visualize() takes a collection"))?;
    let c = need_collection(x, "visualize")?;
    let tasks = args
        .opt(usize::MAX, "tasks")
        .map(super::pyops::truthy)
        .transpose()?
        .unwrap_or(false);
    let rankdir = args
        .opt(usize::MAX, "rankdir")
        .and_then(Obj::as_str)
        .unwrap_or("BT");
    let filename = args
        .opt(usize::MAX, "filename")
        .and_then(Obj::as_str)
        .map(String::from);
    let format = args
        .opt(usize::MAX, "format")
        .and_then(Obj::as_str)
        .map(String::from);
    let dot = crate::engine::visualize::to_dot_with(c.graph(), tasks, rankdir);
    let path = crate::engine::visualize::write_graph(&dot, filename.as_deref(), format.as_deref())?;
    let layers = c.graph().layer.topo().len();
    let total = c.graph().layer.total_tasks();
    interp.emit(Output::Text(format!(
        "wrote graph of {layers} layer(s), {total} task(s) to {}",
        path.display()
    )));
    Ok(Obj::None)
}
