//! `Client(n_workers=..., threads_per_worker=..., memory_limit="4GB")`: Dask's cluster arguments
//! configure the in-process engine (threads = workers × threads per worker; Dask's memory limit is
//! per worker, so the engine's limit is workers × limit). The client's methods are the generic verbs.

use std::sync::Arc;

use super::builtins::{format_bytes_u64, parse_bytes_str, VerbFn};
use super::errors::Raise;
use super::interp::Interp;
use super::job::JobObj;
use super::object::{Args, Native, Obj, Output, SessionCtx};
use crate::error::Error;

pub struct ClientObj {
    pub n_workers: usize,
    pub threads_per_worker: usize,
}

pub(crate) fn verbs() -> Vec<(&'static str, VerbFn)> {
    vec![("Client", client), ("LocalCluster", client)]
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A memory limit argument: bytes, a Dask string (`"4GB"`), or `None`/`"auto"`/0 for no limit.
fn memory_arg(o: &Obj) -> Result<Option<u64>, Raise> {
    Ok(match o {
        Obj::None => None,
        Obj::Str(s) if s.eq_ignore_ascii_case("auto") => None,
        Obj::Str(s) => Some(parse_bytes_str(s)?),
        o => {
            Some(o.as_f64().ok_or_else(|| {
                Raise::type_error("memory_limit must be bytes or a string like '4GB'")
            })? as u64)
        }
    }
    .filter(|b| *b > 0))
}

/// A threshold: a fraction in (0, 1], or `False`/`None` to switch it off.
fn fraction_arg(o: &Obj, name: &str) -> Result<Option<f64>, Raise> {
    match o {
        Obj::None | Obj::Bool(false) => Ok(None),
        o => match o.as_f64() {
            Some(f) if f > 0.0 && f <= 1.0 => Ok(Some(f)),
            _ => Err(Raise::value_error(format!(
                "{name} must be a fraction of memory_limit between 0 and 1 (or False to switch it off)"
            ))),
        },
    }
}

fn positive(o: Option<&Obj>, name: &str) -> Result<Option<usize>, Raise> {
    match o {
        None => Ok(None),
        Some(x) => match x.as_i64() {
            Some(n) if n > 0 => Ok(Some(n as usize)),
            _ => Err(Raise::value_error(format!(
                "{name} must be a positive integer"
            ))),
        },
    }
}

fn client(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check(
        "Client",
        1,
        &[
            "n_workers",
            "threads_per_worker",
            "memory_limit",
            "processes",
            "address",
            "dashboard_address",
            "silence_logs",
            "set_as_default",
            "asynchronous",
            "name",
            "local_directory",
            "memory_target_fraction",
            "memory_spill_fraction",
            "memory_pause_fraction",
            "max_spill",
        ],
    )?;
    if let Some(x) = args.positional.first() {
        if let Some(c) = x.downcast::<ClientObj>() {
            // Client(cluster): the cluster already configured the engine.
            return Ok(Obj::native(ClientObj { ..*c }));
        }
        if x.as_str().is_some() {
            interp.emit(Output::Text(
                "note: Tessera runs in this process; the scheduler address is ignored".into(),
            ));
        }
    }
    let workers = positive(args.opt(usize::MAX, "n_workers"), "n_workers")?;
    let per = positive(
        args.opt(usize::MAX, "threads_per_worker"),
        "threads_per_worker",
    )?;
    let mut cfg = interp.engine_ref().config();
    // Dask's LocalCluster: a missing count is derived so that workers × threads ≈ cores.
    let (n, t) = match (workers, per) {
        (Some(n), Some(t)) => (n, t),
        (Some(n), None) => (n, (cores() / n).max(1)),
        (None, Some(t)) => ((cores() / t).max(1), t),
        (None, None) => (1, cfg.threads.max(1)),
    };
    cfg.threads = n * t;
    if let Some(m) = args.get(usize::MAX, "memory_limit") {
        cfg.memory_limit = memory_arg(m)?.map(|per_worker| per_worker.saturating_mul(n as u64));
    }
    if let Some(dir) = args
        .opt(usize::MAX, "local_directory")
        .and_then(Obj::as_str)
    {
        cfg.spill_dir = Some(dir.into());
    }
    // Dask's worker thresholds (fractions of the limit); False switches one off.
    for (name, slot) in [
        ("memory_target_fraction", &mut cfg.target),
        ("memory_spill_fraction", &mut cfg.spill),
        ("memory_pause_fraction", &mut cfg.pause),
    ] {
        if let Some(v) = args.get(usize::MAX, name) {
            *slot = fraction_arg(v, name)?;
        }
    }
    if let Some(m) = args.get(usize::MAX, "max_spill") {
        cfg.max_spill = match m {
            Obj::Bool(false) => None,
            m => memory_arg(m)?,
        };
    }
    interp.engine_ref().reconfigure(cfg)?;
    Ok(Obj::native(ClientObj {
        n_workers: n,
        threads_per_worker: t,
    }))
}

impl Native for ClientObj {
    fn type_name(&self) -> &str {
        "Client"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        let cfg = cx.engine().config();
        let memory = match cfg.memory_limit {
            Some(m) => format_bytes_u64(m),
            None => "no limit".into(),
        };
        Ok(Output::Text(format!(
            "<Client: 'inproc://tessera' workers={} threads={}, memory={memory}>",
            self.n_workers, cfg.threads
        )))
    }
    fn get_attr(&self, name: &str, cx: &mut dyn SessionCtx) -> Result<Option<Obj>, Error> {
        Ok(match name {
            "n_workers" => Some(Obj::Int(self.n_workers as i64)),
            "threads_per_worker" => Some(Obj::Int(self.threads_per_worker as i64)),
            "nthreads" => Some(Obj::Int(cx.engine().config().threads as i64)),
            "memory_limit" => Some(
                cx.engine()
                    .config()
                    .memory_limit
                    .map_or(Obj::None, |m| Obj::Int(m as i64)),
            ),
            "dashboard_link" => Some(Obj::str("the workbench: run `tessera` in a terminal")),
            _ => None,
        })
    }
    fn attr_names(&self) -> Vec<String> {
        [
            "compute",
            "persist",
            "cancel",
            "restart",
            "close",
            "gather",
            "n_workers",
            "threads_per_worker",
            "nthreads",
            "memory_limit",
            "dashboard_link",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// `client.compute(x)` (a job, as Dask's future), `.persist`, `.cancel`, `.restart`, `.gather`, `.close`.
pub(crate) fn call_method(
    interp: &mut Interp,
    _client: &ClientObj,
    name: &str,
    args: Args,
) -> Result<Obj, Raise> {
    match name {
        "compute" => {
            args.check("compute", 1, &["optimize_graph", "sync"])?;
            let x = args
                .positional
                .into_iter()
                .next()
                .ok_or_else(|| Raise::type_error("compute() takes a collection"))?;
            let job = super::verbs::start_compute(interp, vec![x], true);
            interp.track(job.clone(), interp.interactive);
            Ok(Obj::Native(job))
        }
        "persist" => {
            args.check("persist", 1, &["optimize_graph"])?;
            let x = args
                .positional
                .first()
                .ok_or_else(|| Raise::type_error("persist() takes a collection"))?;
            super::verbs::persist_one(interp, x)
        }
        "cancel" => {
            args.check("cancel", usize::MAX, &["force", "reason"])?;
            let n = super::verbs::cancel_objs(interp, &args.positional)?;
            interp.emit(Output::Text(format!("cancelled {n} job(s)")));
            Ok(Obj::None)
        }
        "restart" => {
            args.check("restart", 0, &["wait_for_workers", "timeout"])?;
            super::verbs::restart_engine(interp);
            Ok(Obj::None)
        }
        "gather" => {
            args.check("gather", 1, &[])?;
            match args.positional.first() {
                Some(Obj::List(v)) | Some(Obj::Tuple(v)) => {
                    let mut out = Vec::new();
                    for x in v.iter() {
                        out.push(gather_one(x)?);
                    }
                    Ok(Obj::List(Arc::new(out)))
                }
                Some(x) => gather_one(x),
                None => Err(Raise::type_error("gather() takes a job or a list of jobs")),
            }
        }
        "close" | "shutdown" | "wait_for_workers" => Ok(Obj::None),
        _ => Err(super::access::no_attribute(
            &Obj::native(ClientObj {
                n_workers: 0,
                threads_per_worker: 0,
            }),
            name,
            &["compute", "persist", "cancel", "restart", "close", "gather"].map(String::from),
        )),
    }
}

fn gather_one(x: &Obj) -> Result<Obj, Raise> {
    match x.downcast::<JobObj>() {
        Some(j) => j.result().map_err(|e| Raise::from(&*e)),
        None => Ok(x.clone()),
    }
}
